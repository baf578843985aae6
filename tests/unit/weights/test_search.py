"""Where a run looks for pretrained weights: in order, and every place named when none has them."""

from __future__ import annotations

from pathlib import Path

import pytest

from vision_platform.errors import WeightsUnavailableError
from vision_platform.settings import Settings
from vision_platform.weights import search
from vision_platform.weights.search import NotHere, Place, find_weights


def nowhere(why: str) -> Place:
    def look() -> Path:
        raise NotHere(why)

    return Place(f"place {why}", look)


def test_the_first_place_that_has_the_weights_wins(tmp_path: Path) -> None:
    file = tmp_path / "w.safetensors"
    file.write_bytes(b"x")
    later = Place("later", lambda: pytest.fail("looked past the first find"))
    found = find_weights("m", [nowhere("a"), Place("here", lambda: file), later], hint="")
    assert (found.path, found.place) == (file, "here")


def test_no_weights_anywhere_names_every_place_and_how_to_provide_them(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / ".vp")
    places = [
        search.given_file("", "pretrained_path"),
        search.weights_store(settings, "timm", "resnet18"),
        search.pretrained_dir(settings, "resnet18"),
        search.download(settings, "the hub", lambda: pytest.fail("downloaded")),
    ]
    with pytest.raises(WeightsUnavailableError) as caught:
        find_weights("resnet18", places, hint="Import them.")
    text = str(caught.value)
    assert "pretrained_path: not set" in text
    assert f"the weights store: {tmp_path / '.vp' / 'artifacts' / 'weights'} has none" in text
    assert "VP_PRETRAINED_DIR: not set" in text
    assert "the hub: downloads are off (set VP_ALLOW_DOWNLOADS=1" in text
    assert text.endswith("Import them.")


def test_a_named_file_that_is_missing_is_an_error_of_its_own(tmp_path: Path) -> None:
    with pytest.raises(WeightsUnavailableError, match=r"pretrained_path .* is not a file"):
        find_weights("m", [search.given_file(str(tmp_path / "no.pth"), "pretrained_path")], hint="")


def test_the_pretrained_folder_is_searched_by_suffix(tmp_path: Path) -> None:
    (tmp_path / "resnet18.pth").write_bytes(b"x")
    settings = Settings(home=tmp_path / ".vp", pretrained_dir=tmp_path)
    assert search.pretrained_dir(settings, "resnet18").look() == tmp_path / "resnet18.pth"
    with pytest.raises(NotHere, match="has no resnet50"):
        search.pretrained_dir(settings, "resnet50").look()


def test_downloads_run_only_when_allowed_and_their_failure_is_named(tmp_path: Path) -> None:
    allowed = Settings(home=tmp_path / ".vp", allow_downloads=True)
    file = tmp_path / "w.bin"
    assert search.download(allowed, "hub", lambda: file).look() == file

    def offline() -> Path:
        raise OSError("no route to host")

    with pytest.raises(NotHere, match="the download failed: OSError: no route to host"):
        search.download(allowed, "hub", offline).look()
