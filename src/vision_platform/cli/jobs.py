"""`vp jobs …`: training jobs on a running platform server, a thin client of its API."""

from __future__ import annotations

import os
import time
from typing import Annotated, Any

import typer

from vision_platform.cli.common import (
    DEFAULT_SERVER,
    ServerOpt,
    call_api,
    opt,
    print_json,
    read_json_arg,
)

jobs_app = typer.Typer(no_args_is_help=True, help="Training jobs on a running platform server.")


@jobs_app.command("list")
def jobs_list(
    server: ServerOpt = DEFAULT_SERVER,
    status: Annotated[str | None, typer.Option("--status", help="Only jobs in this state.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List jobs, newest first."""
    params: dict[str, Any] = {"limit": limit}
    if status:
        params["status"] = status
    page = call_api(server, "GET", "/jobs", params=params)
    if as_json:
        print_json(page)
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
def jobs_show(job_id: int, server: ServerOpt = DEFAULT_SERVER) -> None:
    """Print one job as JSON."""
    print_json(call_api(server, "GET", f"/jobs/{job_id}"))


@jobs_app.command("create")
def jobs_create(
    model_name: Annotated[str, opt("--model-name")],
    dataset_path: Annotated[str, opt("--dataset-path")],
    server: ServerOpt = DEFAULT_SERVER,
    num_epochs: Annotated[int | None, opt("--num-epochs")] = None,
    batch_size: Annotated[int | None, opt("--batch-size")] = None,
    learning_rate: Annotated[float | None, opt("--learning-rate")] = None,
    image_size: Annotated[int | None, opt("--image-size")] = None,
    framework: Annotated[str | None, opt("--framework")] = None,
    task_type: Annotated[str | None, opt("--task-type")] = None,
    preset: Annotated[str | None, opt("--preset")] = None,
    config: Annotated[str | None, opt("--config", help="JSON or @file.json.")] = None,
    max_stage_seconds: Annotated[float | None, opt("--max-stage-seconds")] = None,
    seed: Annotated[int | None, opt("--seed")] = None,
    priority: Annotated[str | None, opt("--priority", help="low | normal | high.")] = None,
    queue: Annotated[str | None, opt("--queue", help="A queue of VP_QUEUES.")] = None,
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
        "priority": priority,
        "queue": queue,
    }
    if config is not None:
        body["advanced_config"] = read_json_arg(config, "--config")
    body = {k: v for k, v in body.items() if v is not None}
    print_json(call_api(server, "POST", "/jobs", json=body))


@jobs_app.command("priority")
def jobs_priority(
    job_id: int,
    priority: Annotated[str, typer.Argument(help="low | normal | high.")],
    server: ServerOpt = DEFAULT_SERVER,
) -> None:
    """Change a waiting or running job's priority (it may preempt, or be preempted)."""
    print_json(call_api(server, "PATCH", f"/jobs/{job_id}", json={"priority": priority}))


@jobs_app.command("queue")
def jobs_queue(server: ServerOpt = DEFAULT_SERVER) -> None:
    """Print the queue as JSON: running jobs, waiting ones in order with their reasons."""
    print_json(call_api(server, "GET", "/queue"))


@jobs_app.command("pause")
def jobs_pause(job_id: int, server: ServerOpt = DEFAULT_SERVER) -> None:
    """Pause a job (its trainer saves a checkpoint and stops)."""
    print_json(call_api(server, "POST", f"/jobs/{job_id}/pause"))


@jobs_app.command("resume")
def jobs_resume(
    job_id: int,
    server: ServerOpt = DEFAULT_SERVER,
    num_epochs: Annotated[
        int | None, opt("--num-epochs", help="Train on to this many epochs in all.")
    ] = None,
) -> None:
    """Resume a paused job from its last checkpoint (--num-epochs extends the run)."""
    body = {"num_epochs": num_epochs} if num_epochs is not None else None
    print_json(call_api(server, "POST", f"/jobs/{job_id}/resume", json=body))


@jobs_app.command("cancel")
def jobs_cancel(job_id: int, server: ServerOpt = DEFAULT_SERVER) -> None:
    """Cancel a job."""
    print_json(call_api(server, "POST", f"/jobs/{job_id}/cancel"))


@jobs_app.command("logs")
def jobs_logs(
    job_id: int,
    server: ServerOpt = DEFAULT_SERVER,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Wait for new lines.")] = False,
) -> None:
    """Print a job's log lines; with --follow, until the job ends."""
    after = 0
    while True:
        page = call_api(server, "GET", f"/jobs/{job_id}/logs", params={"after": after})
        for line in page["items"]:
            print(line["message"], flush=True)
        after = page["next_after"]
        if not follow:
            return
        if not page["items"]:
            job = call_api(server, "GET", f"/jobs/{job_id}")
            if job["status"] in ("completed", "failed", "cancelled", "paused"):
                return
            time.sleep(1.0)
