"""`vp serve` (API and scheduler in one process) and `vp jobs …`, a thin client of the API."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

jobs_app = typer.Typer(no_args_is_help=True, help="Training jobs on a running platform server.")

_DEFAULT_URL = "http://127.0.0.1:8000"
ServerOpt = Annotated[
    str,
    typer.Option("--server", envvar="VP_SERVER_URL", help="The platform's URL."),
]


def serve(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    log_level: Annotated[str, typer.Option("--log-level", help="uvicorn log level.")] = "info",
) -> None:
    """Run the platform: HTTP API and job scheduler in one process (Ctrl+C stops it cleanly)."""
    import uvicorn

    from vision_platform.api.app import create_app
    from vision_platform.settings import get_settings

    settings = get_settings()
    local_host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    callback = settings.callback_url or f"http://{local_host}:{port}/api/v1"
    app = create_app(settings, callback_url=callback)
    print(f"Vision Platform on http://{local_host}:{port} (API docs at /docs)", flush=True)
    uvicorn.run(app, host=host, port=port, log_level=log_level)


def _client(server: str) -> Any:
    import httpx

    token = os.environ.get("VP_API_TOKEN")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=f"{server.rstrip('/')}/api/v1", headers=headers, timeout=30)


def _call(server: str, method: str, path: str, **kwargs: Any) -> Any:
    import httpx

    try:
        with _client(server) as client:
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


def _print(doc: Any) -> None:
    print(json.dumps(doc, indent=2))


@jobs_app.command("list")
def jobs_list(
    server: ServerOpt = _DEFAULT_URL,
    status: Annotated[str | None, typer.Option("--status", help="Only jobs in this state.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List jobs, newest first."""
    params: dict[str, Any] = {"limit": limit}
    if status:
        params["status"] = status
    page = _call(server, "GET", "/jobs", params=params)
    if as_json:
        _print(page)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("id", "status", "model", "epoch", "best", "dataset")
    for job in page["items"]:
        best = job["best_metric"]
        table.add_row(
            str(job["id"]),
            job["status"],
            job["model_name"],
            f"{job['current_epoch']}/{job['num_epochs']}",
            f"{job['best_metric_name']}={best:.4g}" if best is not None else "",
            job["dataset_path"],
        )
    Console().print(table)


@jobs_app.command("show")
def jobs_show(job_id: int, server: ServerOpt = _DEFAULT_URL) -> None:
    """Print one job as JSON."""
    _print(_call(server, "GET", f"/jobs/{job_id}"))


@jobs_app.command("create")
def jobs_create(
    model_name: Annotated[str, typer.Option("--model-name", "--model_name")],
    dataset_path: Annotated[str, typer.Option("--dataset-path", "--dataset_path")],
    server: ServerOpt = _DEFAULT_URL,
    num_epochs: Annotated[int | None, typer.Option("--num-epochs", "--num_epochs")] = None,
    batch_size: Annotated[int | None, typer.Option("--batch-size", "--batch_size")] = None,
    learning_rate: Annotated[
        float | None, typer.Option("--learning-rate", "--learning_rate")
    ] = None,
    image_size: Annotated[int | None, typer.Option("--image-size", "--image_size")] = None,
    framework: Annotated[str | None, typer.Option("--framework")] = None,
    task_type: Annotated[str | None, typer.Option("--task-type", "--task_type")] = None,
    preset: Annotated[str | None, typer.Option("--preset")] = None,
    config: Annotated[str | None, typer.Option("--config", help="JSON or @file.json.")] = None,
    max_stage_seconds: Annotated[
        float | None, typer.Option("--max-stage-seconds", "--max_stage_seconds")
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed")] = None,
) -> None:
    """Create a job; prints it as JSON."""
    body: dict[str, Any] = {
        "model_name": model_name,
        "dataset_path": os.path.abspath(dataset_path),
        "num_epochs": num_epochs,
        "batch_size": batch_size,
        "learning_rate": learning_rate,
        "image_size": image_size,
        "framework": framework,
        "task_type": task_type,
        "preset": preset,
        "max_stage_seconds": max_stage_seconds,
        "seed": seed,
    }
    if config is not None:
        raw = Path(config[1:]).read_text() if config.startswith("@") else config
        body["advanced_config"] = json.loads(raw)
    _print(_call(server, "POST", "/jobs", json={k: v for k, v in body.items() if v is not None}))


@jobs_app.command("pause")
def jobs_pause(job_id: int, server: ServerOpt = _DEFAULT_URL) -> None:
    """Pause a job (its trainer saves a checkpoint and stops)."""
    _print(_call(server, "POST", f"/jobs/{job_id}/pause"))


@jobs_app.command("resume")
def jobs_resume(job_id: int, server: ServerOpt = _DEFAULT_URL) -> None:
    """Resume a paused job from its last checkpoint."""
    _print(_call(server, "POST", f"/jobs/{job_id}/resume"))


@jobs_app.command("cancel")
def jobs_cancel(job_id: int, server: ServerOpt = _DEFAULT_URL) -> None:
    """Cancel a job."""
    _print(_call(server, "POST", f"/jobs/{job_id}/cancel"))


@jobs_app.command("logs")
def jobs_logs(
    job_id: int,
    server: ServerOpt = _DEFAULT_URL,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Wait for new lines.")] = False,
) -> None:
    """Print a job's log lines; with --follow, until the job ends."""
    after = 0
    while True:
        page = _call(server, "GET", f"/jobs/{job_id}/logs", params={"after": after})
        for line in page["items"]:
            print(line["message"], flush=True)
        after = page["next_after"]
        if not follow:
            return
        if not page["items"]:
            job = _call(server, "GET", f"/jobs/{job_id}")
            if job["status"] in ("completed", "failed", "cancelled", "paused"):
                return
            time.sleep(1.0)


def chat(
    server: ServerOpt = _DEFAULT_URL,
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
        answer = _call(server, "POST", "/chat", json=body)
        session_id = answer["session_id"]
        print(answer["reply"], flush=True)
        if answer.get("job_id") is not None:
            job_id = answer["job_id"]
            print(f"Follow it with: vp jobs logs {job_id} --follow", flush=True)
            return
