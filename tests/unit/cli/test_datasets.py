"""`vp datasets …` against a running server: upload (archive, folder, registered folder),
list and show, and how it fails."""

from __future__ import annotations

import json
from pathlib import Path

from tests.archives import zip_folder
from tests.unit.cli.conftest import vp


def test_upload_a_folder_then_the_same_archive_list_and_show(
    platform: str, tiny_digits: Path, tmp_path: Path
) -> None:
    packed = vp("datasets", "upload", "digits", str(tiny_digits), "--json", "--server", platform)
    assert packed.exit_code == 0, packed.output
    version = json.loads(packed.stdout)
    assert version["created"] and version["ref"].startswith("digits@")

    archive = zip_folder(tiny_digits, tmp_path / "digits.zip")
    again = vp("datasets", "upload", "digits", str(archive), "--server", platform)
    assert again.exit_code == 0, again.output
    assert f"{version['ref']} (already stored as)" in again.stdout
    assert "train images" in again.stdout  # the report's class table

    registered = vp(
        "datasets", "upload", "digits", str(tiny_digits), "--register", "--json",
        "--server", platform,
    )  # fmt: skip
    assert json.loads(registered.stdout)["version"] == version["version"]

    listed = vp("datasets", "list", "--server", platform)
    assert listed.exit_code == 0 and version["version"] in listed.stdout
    shown = vp("datasets", "show", "digits", "--server", platform)
    assert shown.exit_code == 0
    assert f"* {version['ref']}" in shown.stdout and "imagefolder" in shown.stdout
    as_json = json.loads(
        vp("datasets", "show", version["ref"], "--json", "--server", platform).stdout
    )
    assert as_json["shown"]["report"]["class_names"] == ["0", "1"]


def test_refusals_exit_2_with_the_reason(platform: str, tmp_path: Path) -> None:
    missing = vp("datasets", "upload", "digits", str(tmp_path / "nope"), "--server", platform)
    assert missing.exit_code == 2 and "no such file or folder" in missing.stderr
    (tmp_path / "notes.txt").write_text("hello")
    not_archive = vp(
        "datasets", "upload", "digits", str(tmp_path / "notes.txt"), "--server", platform
    )
    assert not_archive.exit_code == 2 and "not an archive" in not_archive.stderr
    bad = zip_folder(tmp_path, tmp_path.parent / "bad.zip")
    refused = vp("datasets", "upload", "digits", str(bad), "--server", platform)
    assert refused.exit_code == 2 and "ERROR (422)" in refused.stderr
    unknown = vp("datasets", "show", "nothing", "--server", platform)
    assert unknown.exit_code == 2 and "ERROR (404)" in unknown.stderr
