"""`vp k8s …`: the Kubernetes objects the executor would submit, for review and for GitOps."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

k8s_app = typer.Typer(no_args_is_help=True, help="Kubernetes: the Jobs the platform submits.")


def _train_params(args: list[str]) -> dict[str, Any]:
    """`args` parsed exactly as `vp train` parses them (same flags, spellings and types)."""
    from typer.main import get_command

    from vision_platform import cli

    train = get_command(cli.app).commands["train"]  # type: ignore[attr-defined]
    with train.make_context("vp k8s manifest", list(args)) as ctx:
        return dict(ctx.params)


def _spec_document(params: dict[str, Any]) -> dict[str, Any]:
    """The TrainingSpec document `vp train` builds: --spec first, the flags given override it."""
    from vision_platform import cli

    doc: dict[str, Any] = {}
    spec_file = params.pop("spec_file", None)
    if spec_file is not None:
        where = "@/dev/stdin" if spec_file == "-" else f"@{spec_file}"
        doc = cli._read_json_arg(where, "--spec")
    config = params.pop("config", None)
    if config is not None:
        params["advanced_config"] = cli._read_json_arg(config, "--config")
    # Unset flags are None and unset switches False: neither overrides the --spec document.
    doc.update({k: v for k, v in params.items() if v is not None and v is not False})
    return doc


@k8s_app.command(
    "manifest",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def manifest(
    ctx: typer.Context,
    attempt: Annotated[int, typer.Option("--attempt", min=1, help="Attempt number.")] = 1,
    stage: Annotated[int | None, typer.Option("--stage", min=1, help="Stage label.")] = None,
) -> None:
    """Print the ConfigMap and Job (YAML) the Kubernetes executor submits for `vp train` flags.

    Takes every `vp train` flag: --model-name, --dataset-path, --spec FILE, …

    --job-id is required: the platform's job id (a number) names the Job.

    The VP_K8S_* settings give the namespace, images and resources.
    """
    import yaml
    from pydantic import ValidationError

    from vision_platform import cli
    from vision_platform.configs import TrainingSpec
    from vision_platform.jobs.executors.base import ExecutionRequest
    from vision_platform.jobs.executors.kubernetes import build_manifests
    from vision_platform.settings import get_settings

    doc = _spec_document(_train_params(ctx.args))
    try:
        spec = TrainingSpec.model_validate(doc)
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(map(str, err['loc']))}: {err['msg']}" for err in e.errors()
        )
        raise cli._fail(f"invalid training spec: {problems}") from e
    if spec.job_id is None or not spec.job_id.isdigit():
        raise cli._fail("--job-id: give the platform's job id (a number); it names the Job")
    settings = get_settings()
    # No per-job token here: the platform makes one per attempt and keeps it in a Secret.
    env = {"VP_CALLBACK_URL": settings.callback_url} if settings.callback_url else {}
    request = ExecutionRequest(
        job_id=int(spec.job_id),
        attempt=attempt,
        spec=spec,
        work_dir=Path(spec.output_dir or "."),
        env=env,
    )
    documents = build_manifests(request, settings, stage=stage).documents()
    sys.stdout.write(yaml.safe_dump_all(documents, sort_keys=False, explicit_start=True))
