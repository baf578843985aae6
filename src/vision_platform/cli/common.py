"""What the `vp` commands share: option spellings, JSON arguments, errors, the platform client."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from vision_platform.errors import EXIT_INVALID_INPUT

if TYPE_CHECKING:
    from pydantic import ValidationError

DEFAULT_SERVER = "http://127.0.0.1:8000"
ServerOpt = Annotated[
    str,
    typer.Option("--server", envvar="VP_SERVER_URL", help="The platform's URL."),
]


def opt(*names: str, help: str | None = None) -> Any:
    """An option under its dash and its underscore spelling (`--num-epochs`, `--num_epochs`)."""
    spellings = [
        n for name in names for n in dict.fromkeys((name, "--" + name[2:].replace("-", "_")))
    ]
    return typer.Option(*spellings, help=help)


def fail(message: str) -> typer.Exit:
    """Print `ERROR: message` and give the exit for invalid input (2), for the caller to raise."""
    print(f"ERROR: {message}", file=sys.stderr, flush=True)
    return typer.Exit(EXIT_INVALID_INPUT)


def read_json_arg(text: str, what: str) -> Any:
    """A JSON argument given inline or as `@file`; invalid JSON fails naming the option."""
    raw = Path(text[1:]).read_text() if text.startswith("@") else text
    try:
        return json.loads(raw)
    except ValueError as e:
        raise fail(f"{what} is not valid JSON: {e}") from e


def read_spec_file(spec_file: str) -> Any:
    """The JSON document of `--spec FILE` (`-` reads standard input)."""
    return read_json_arg("@/dev/stdin" if spec_file == "-" else f"@{spec_file}", "--spec")


def invalid_spec(what: str, error: ValidationError) -> typer.Exit:
    """Print every field a spec failed on (`field: problem; …`) and give the exit 2."""
    problems = "; ".join(
        f"{'.'.join(map(str, err['loc'])) or 'spec'}: {err['msg']}" for err in error.errors()
    )
    return fail(f"invalid {what}: {problems}")


def call_api(server: str, method: str, path: str, *, timeout: float = 30, **kwargs: Any) -> Any:
    """One request to the platform's API (`VP_API_TOKEN` as bearer token); its JSON answer.

    Exits 1 when the server cannot be reached or fails, 2 when it refuses the request."""
    import httpx

    token = os.environ.get("VP_API_TOKEN")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    base_url = f"{server.rstrip('/')}/api/v1"
    try:
        with httpx.Client(base_url=base_url, headers=headers, timeout=timeout) as client:
            response = client.request(method, path, **kwargs)
    except httpx.HTTPError as e:
        print(f"ERROR: cannot reach the platform at {server}: {e}", file=sys.stderr)
        raise typer.Exit(1) from e
    if response.status_code >= 400:
        try:
            doc = response.json()
            detail = doc.get("message") or doc.get("detail")
        except ValueError:
            detail = response.text
        print(f"ERROR ({response.status_code}): {detail}", file=sys.stderr)
        raise typer.Exit(2 if response.status_code in (403, 404, 409, 422) else 1)
    return response.json()


def print_json(doc: Any) -> None:
    print(json.dumps(doc, indent=2))
