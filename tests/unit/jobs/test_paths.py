"""The path policy: what a request may read (data roots, the platform's storage) and write."""

from __future__ import annotations

from pathlib import Path

import pytest

from vision_platform.errors import InvalidInputError
from vision_platform.jobs.errors import PathNotAllowedError
from vision_platform.jobs.paths import (
    check_data_path,
    check_dataset,
    check_output_path,
    check_readable_path,
    data_roots,
)
from vision_platform.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    (tmp_path / "data" / "set").mkdir(parents=True)
    return Settings(home=tmp_path / ".vp", data_roots=f"{tmp_path / 'data'}:{tmp_path / 'more'}")


def test_data_roots_come_from_the_setting_or_the_defaults(
    settings: Settings, tmp_path: Path
) -> None:
    assert data_roots(settings) == [tmp_path / "data", tmp_path / "more"]
    defaults = data_roots(Settings(home=tmp_path / ".vp"))
    assert defaults == [Path("data").resolve(), tmp_path / ".vp" / "data"]


def test_reads_stay_in_the_roots_links_and_dots_too(settings: Settings, tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert check_dataset(str(data / "set"), settings, "dataset_path") == data / "set"
    (data / "out").symlink_to(tmp_path)
    with pytest.raises(PathNotAllowedError, match="test_dataset_path"):
        check_data_path(str(data / "out"), settings, "test_dataset_path")
    with pytest.raises(PathNotAllowedError, match=r"image_path: .* outside the data folders"):
        check_readable_path(str(data / ".." / "x.png"), settings)
    jobs = settings.home / "jobs" / "job_1" / "x.png"
    assert check_readable_path(str(jobs), settings, "input_images[0]") == jobs.resolve()
    with pytest.raises(InvalidInputError, match="image_path: a path cannot contain a NUL"):
        check_readable_path(f"{data}/\x00", settings)


def test_a_remote_data_set_must_lie_under_the_storage_root(settings: Settings) -> None:
    with pytest.raises(PathNotAllowedError, match="not under the storage root"):
        check_dataset("s3://elsewhere/set", settings, "dataset_path")
    with pytest.raises(PathNotAllowedError, match="is a URI"):
        check_data_path("file:///data/set", settings)


def test_results_go_to_new_files_in_the_platforms_storage(
    settings: Settings, tmp_path: Path
) -> None:
    default = tmp_path / ".vp" / "jobs" / "job_1" / "results.jsonl"
    assert check_output_path(None, default, settings) == str(default)
    mine = settings.home / "artifacts" / "r.jsonl"
    assert check_output_path(str(mine), default, settings) == str(mine.resolve())
    with pytest.raises(InvalidInputError, match=r"must end in \.jsonl"):
        check_output_path(str(mine.with_suffix(".json")), default, settings)
    with pytest.raises(PathNotAllowedError, match="outside the storage"):
        check_output_path(str(tmp_path / "data" / "r.jsonl"), default, settings)
    with pytest.raises(PathNotAllowedError, match="not under the storage root"):
        check_output_path("s3://b/r.jsonl", default, settings)
