"""Where a run with `pretrained: true` looks for weights, in order, and the error naming each.

Each framework lists its places (`Place`): the run's own file, the weights store,
VP_PRETRAINED_DIR, its library's local cache and, only when VP_ALLOW_DOWNLOADS=1, its hub
through the library's own download code. The first place that has the weights wins; when
none has them, WeightsUnavailableError says what each place answered and how to provide them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from vision_platform.errors import WeightsUnavailableError
from vision_platform.settings import Settings
from vision_platform.weights.store import WeightsStore

SUFFIXES = (".safetensors", ".pth", ".pt", ".bin")


class NotHere(Exception):
    """A place does not have the weights; the message says what it found instead."""


@dataclass(frozen=True)
class Place:
    """One place to look: its name, and a look-up returning a local file or raising NotHere."""

    name: str
    look: Callable[[], Path]


@dataclass(frozen=True)
class FoundWeights:
    """Weights found for a run: the local file, and the place (for the log and the chat card)."""

    path: Path
    place: str


def find_weights(model_name: str, places: Sequence[Place], *, hint: str) -> FoundWeights:
    """The first place's file; else WeightsUnavailableError naming every place looked."""
    answers = []
    for place in places:
        try:
            return FoundWeights(place.look(), place.name)
        except NotHere as e:
            answers.append(f"{place.name}: {e}")
    looked = "; ".join(answers)
    raise WeightsUnavailableError(
        f"no pretrained weights for {model_name!r}. Looked in: {looked}. {hint}"
    )


def given_file(path: str, field: str) -> Place:
    """The file the run names itself (pretrained_path, weights_path)."""

    def look() -> Path:
        if not path:
            raise NotHere("not set")
        file = Path(path).expanduser()
        if not file.is_file():
            raise WeightsUnavailableError(f"{field} {file} is not a file")
        return file

    return Place(field, look)


def weights_store(settings: Settings, framework: str, model_name: str) -> Place:
    """The latest weights imported for the model (`vp weights import`, POST /weights)."""
    store = WeightsStore.from_settings(settings)

    def look() -> Path:
        record = store.latest(framework, model_name)
        if record is None:
            raise NotHere(f"{store.uri} has none for {model_name}")
        return store.local_file(record)

    return Place("the weights store", look)


def pretrained_dir(
    settings: Settings, model_name: str, suffixes: Sequence[str] = SUFFIXES
) -> Place:
    """`<VP_PRETRAINED_DIR>/<model><suffix>`."""

    def look() -> Path:
        folder = settings.pretrained_dir
        if folder is None:
            raise NotHere("not set")
        for suffix in suffixes:
            candidate = Path(folder) / f"{model_name}{suffix}"
            if candidate.is_file():
                return candidate
        raise NotHere(f"{folder} has no {model_name}{{{','.join(suffixes)}}}")

    return Place("VP_PRETRAINED_DIR", look)


def download(settings: Settings, what: str, fetch: Callable[[], Path]) -> Place:
    """The hub, through the library's own download code, only when VP_ALLOW_DOWNLOADS=1."""

    def look() -> Path:
        if not settings.allow_downloads:
            raise NotHere("downloads are off (set VP_ALLOW_DOWNLOADS=1 to allow them)")
        try:
            return fetch()
        except Exception as e:  # the library's own errors: offline, no such file, HTTP …
            raise NotHere(f"the download failed: {type(e).__name__}: {e}") from e

    return Place(what, look)
