"""`vp parse` and `vp chat`: a training request in plain words (Korean or English)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from vision_platform.cli.common import DEFAULT_SERVER, ServerOpt, call_api


def parse(
    request: Annotated[str, typer.Argument(help="A training request in Korean or English.")],
) -> None:
    """Print the TrainingIntent JSON the request stands for (VP_LLM_PROVIDER picks the parser)."""
    from vision_platform.intent.providers import parser_from_settings
    from vision_platform.settings import get_settings

    intent = parser_from_settings(get_settings()).parse(request).intent
    # `dataset` (a stored data set's name) is read only where the platform's names are known,
    # which they are not here: the contract's fields, as ever.
    doc = intent.model_dump(mode="json", exclude={"dataset"})
    print(json.dumps(doc, ensure_ascii=False, indent=2))


def chat(
    server: ServerOpt = DEFAULT_SERVER,
    session: Annotated[
        str | None, typer.Option("--session", help="Go on with this chat session's id.")
    ] = None,
) -> None:
    """Ask for a training job in Korean or English, in a conversation with a running server.

    It ends when the job is created, or on an empty line or Ctrl+D."""
    session_id = session
    print("Describe the model to train (an empty line or Ctrl+D ends).", flush=True)
    while True:
        try:
            message = input("> ").strip()
        except (EOFError, KeyboardInterrupt):
            print(flush=True)
            return
        if not message:
            return
        body: dict[str, Any] = {"message": message}
        if session_id:
            body["session_id"] = session_id
        answer = call_api(server, "POST", "/chat", json=body)
        session_id = answer["session_id"]
        print(answer["reply"], flush=True)
        if answer.get("job_id") is not None:
            job_id = answer["job_id"]
            print(f"Follow it with: vp jobs logs {job_id} --follow", flush=True)
            return
