"""The `vp` command: one module per command or command group, put together here.

Only light modules are imported here; each command imports what it needs when it runs.
"""

from __future__ import annotations

import typer

from vision_platform.cli.chat import chat, parse
from vision_platform.cli.config import config_app
from vision_platform.cli.data import data_app
from vision_platform.cli.datasets import datasets_app
from vision_platform.cli.jobs import jobs_app
from vision_platform.cli.k8s import k8s_app
from vision_platform.cli.models import models_app
from vision_platform.cli.predict import export, infer_batch, predict
from vision_platform.cli.serve import serve
from vision_platform.cli.train import train
from vision_platform.cli.weights import weights_app

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="Vision Platform: train and serve vision models as resumable jobs.",
)
# `vp --help` lists commands in this order, then the groups.
app.command("serve")(serve)
app.command("chat")(chat)
app.command("train")(train)
app.command("predict")(predict)
app.command("infer-batch")(infer_batch)
app.command("export")(export)
app.command("parse")(parse)
app.add_typer(data_app, name="data")
app.add_typer(datasets_app, name="datasets")
app.add_typer(config_app, name="config")
app.add_typer(jobs_app, name="jobs")
app.add_typer(models_app, name="models")
app.add_typer(k8s_app, name="k8s")
app.add_typer(weights_app, name="weights")


def main() -> None:
    app()


__all__ = ["app", "main"]
