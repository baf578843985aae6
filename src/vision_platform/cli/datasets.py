"""`vp datasets …`: stored data sets on a running platform server, a thin client of its API."""

from __future__ import annotations

import os
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, BinaryIO

import typer

from vision_platform.cli.common import DEFAULT_SERVER, ServerOpt, call_api, fail, print_json

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

datasets_app = typer.Typer(no_args_is_help=True, help="Stored data sets: upload, list, show.")
UPLOAD_TIMEOUT_S = 3600.0  # the server checks every image before it answers
_ARCHIVES = (".zip", ".tar", ".tar.gz", ".tgz")


class _ProgressReader:
    """A file whose reads advance a progress bar; at its end the bar says it is checking."""

    def __init__(self, file: BinaryIO, advance: Callable[[int], None], done: Callable[[], None]):
        self._file = file
        self._advance = advance
        self._done = done

    def read(self, size: int = -1) -> bytes:
        data = self._file.read(size)
        if data:
            self._advance(len(data))
        else:
            self._done()
        return data


def _stderr() -> Console:
    from rich.console import Console

    return Console(stderr=True)


def _progress(console: Console) -> Progress:
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TransferSpeedColumn,
    )

    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=console,
        transient=True,
    )


def _pack(folder: Path, work: Path) -> Path:
    """The folder as an uncompressed tar (images do not compress), for the upload."""
    archive = work / f"{folder.name}.tar"
    with tarfile.open(archive, "w") as tar:
        tar.add(folder, arcname=folder.name)
    return archive


def _send(server: str, name: str, archive: Path, fields: dict[str, str]) -> Any:
    console = _stderr()
    with _progress(console) as progress, open(archive, "rb") as f:
        task = progress.add_task(f"Uploading {archive.name}", total=archive.stat().st_size)

        def checking() -> None:
            progress.update(task, description="Checking the data set on the server")

        reader = _ProgressReader(f, lambda n: progress.advance(task, n), checking)
        return call_api(
            server,
            "POST",
            "/datasets",
            data={"name": name, **fields},
            files={"file": (archive.name, reader, "application/octet-stream")},
            timeout=UPLOAD_TIMEOUT_S,
        )


@datasets_app.command("upload")
def datasets_upload(
    name: Annotated[str, typer.Argument(help="The data set's name (a slug).")],
    source: Annotated[
        str, typer.Argument(help="An archive (.zip, .tar, .tar.gz), a folder or an s3:// prefix.")
    ],
    server: ServerOpt = DEFAULT_SERVER,
    description: Annotated[str | None, typer.Option("--description")] = None,
    skip_bad_images: Annotated[
        bool, typer.Option("--skip-bad-images", help="Leave corrupt images out.")
    ] = False,
    task_type: Annotated[str | None, typer.Option("--task-type")] = None,
    register: Annotated[
        bool,
        typer.Option(
            "--register", help="A folder the server reads itself (in its data roots): no upload."
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the version as JSON.")] = False,
) -> None:
    """Add a version of NAME from an archive, a folder or an s3:// prefix.

    An archive is uploaded with a progress bar (a folder is packed first); --register and
    s3:// prefixes have the server read the data where it lies."""
    given = {"description": description, "task_type": task_type}
    fields = {k: v for k, v in given.items() if v is not None}
    if skip_bad_images:
        fields["skip_bad_images"] = "true"
    path = Path(source).expanduser()
    if register or source.startswith("s3://"):
        where = source if source.startswith("s3://") else os.path.abspath(path)
        body: dict[str, Any] = {"name": name, "source": where, **fields}
        body["skip_bad_images"] = skip_bad_images
        with _stderr().status("Checking the data set on the server"):
            added = call_api(server, "POST", "/datasets", json=body, timeout=UPLOAD_TIMEOUT_S)
    elif path.is_dir():
        with tempfile.TemporaryDirectory(prefix="vp-upload-") as tmp:
            with _stderr().status(f"Packing {path}"):
                archive = _pack(path, Path(tmp))
            added = _send(server, name, archive, fields)
    elif path.is_file():
        if not path.name.lower().endswith(_ARCHIVES):
            raise fail(f"{source}: not an archive ({', '.join(_ARCHIVES)}) or a folder")
        added = _send(server, name, path, fields)
    else:
        raise fail(f"{source}: no such file or folder")
    if as_json:
        print_json(added)
        return
    state = "new version" if added["created"] else "already stored as"
    print(f"{added['ref']} ({state}): {_summary(added)}")
    _print_report(added["report"])


def _summary(version: dict[str, Any]) -> str:
    return (
        f"{version['format']}, {version['task_type']}, {version['num_images']} images, "
        f"{version['num_classes']} classes, {version['size_bytes'] / 2**20:.1f} MB"
    )


def _print_report(report: dict[str, Any] | None) -> None:
    if not report:
        return
    from rich.table import Table

    splits = sorted(report["splits"])
    table = Table("class", *(f"{s} images" for s in splits), *(f"{s} objects" for s in splits))
    for stats in report["classes"]:
        images = [str(stats["images"].get(s, 0)) for s in splits]
        objects = [str(stats["instances"].get(s, 0)) for s in splits]
        table.add_row(stats["name"], *images, *objects)
    console = _console()
    console.print(table)
    for problem in report["problems"]:
        console.print(f"skipped {problem['file']}: {problem['problem']}")
    for warning in report["warnings"]:
        console.print(f"WARNING: {warning}")


def _console() -> Console:
    from rich.console import Console

    return Console()


@datasets_app.command("list")
def datasets_list(
    server: ServerOpt = DEFAULT_SERVER,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the data sets with their newest versions."""
    found = call_api(server, "GET", "/datasets")
    if as_json:
        print_json(found)
        return
    from rich.table import Table

    table = Table("name", "versions", "format", "task", "images", "classes")
    table.add_column("newest", no_wrap=True)
    for item in found["items"]:
        latest = item["latest"]
        table.add_row(
            item["name"],
            str(item["versions"]),
            latest["format"],
            latest["task_type"],
            str(latest["num_images"]),
            str(latest["num_classes"]),
            latest["version"],
        )
    _console().print(table)


@datasets_app.command("show")
def datasets_show(
    name: Annotated[str, typer.Argument(help="A data set name, or name@version.")],
    server: ServerOpt = DEFAULT_SERVER,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """A data set's versions (newest first) and the report of the newest (or the named) one."""
    base, _, wanted = name.partition("@")
    dataset = call_api(server, "GET", f"/datasets/{base}")
    version = wanted or dataset["versions"][0]["version"]
    detail = call_api(server, "GET", f"/datasets/{base}/versions/{version}")
    if as_json:
        print_json({**dataset, "shown": detail})
        return
    for v in dataset["versions"]:
        mark = "*" if v["version"] == version else " "
        print(f"{mark} {v['ref']}  {v['created_at'][:19]}  {_summary(v)}")
    print(f"\n{detail['ref']}: {detail['uri']}")
    _print_report(detail["report"])
