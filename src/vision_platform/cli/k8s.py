"""`vp k8s …`: the Kubernetes objects the executor would submit, for review and for GitOps."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from vision_platform.cli.common import fail
from vision_platform.cli.train import parse_train_flags, training_spec
from vision_platform.errors import InvalidInputError

k8s_app = typer.Typer(no_args_is_help=True, help="Kubernetes: the Jobs the platform submits.")


@k8s_app.command(
    "manifest",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def manifest(
    ctx: typer.Context,
    attempt: Annotated[int, typer.Option("--attempt", min=1, help="Attempt number.")] = 1,
    stage: Annotated[int | None, typer.Option("--stage", min=1, help="Stage label.")] = None,
    priority: Annotated[
        str, typer.Option("--priority", help="low | normal | high: the PriorityClass.")
    ] = "normal",
) -> None:
    """Print the ConfigMap and Job (YAML) the Kubernetes executor submits for `vp train` flags.

    Takes every `vp train` flag: --model-name, --dataset-path, --spec FILE, …

    --job-id is required: the platform's job id (a number) names the Job.

    The VP_K8S_* settings give the namespace, images and resources.
    """
    import yaml

    from vision_platform.jobs.executors.base import ExecutionRequest
    from vision_platform.jobs.executors.k8s_manifests import build_manifests
    from vision_platform.settings import get_settings

    if priority not in ("low", "normal", "high"):
        raise fail(f"--priority: {priority!r} is not one of low, normal, high")
    spec = training_spec(parse_train_flags(ctx.args, prog="vp k8s manifest"))
    if spec.job_id is None or not spec.job_id.isdigit():
        raise fail("--job-id: give the platform's job id (a number); it names the Job")
    settings = get_settings()
    # No per-job token here: the platform makes one per attempt and keeps it in a Secret.
    env = {"VP_CALLBACK_URL": settings.callback_url} if settings.callback_url else {}
    request = ExecutionRequest(
        job_id=int(spec.job_id),
        attempt=attempt,
        spec=spec,
        work_dir=Path(spec.output_dir or "."),
        env=env,
        priority=priority,
    )
    try:
        documents = build_manifests(request, settings, stage=stage).documents()
    except InvalidInputError as e:
        raise fail(str(e)) from e
    sys.stdout.write(yaml.safe_dump_all(documents, sort_keys=False, explicit_start=True))
