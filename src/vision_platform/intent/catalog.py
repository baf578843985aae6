"""The model names the platform knows, and finding them in a request however they are written.

The catalogue is the adapters' own: each framework's descriptor gives the names it serves
(the common ones without importing the framework, all of them from its adapter), other
spellings of them and the family words that stand for one (`AdapterInfo.aliases`,
`implied_models`). A request's words are matched against it after normalising case and
separators ("ResNet-50", "resnet 50" and "resnet_50" are all `resnet50`); the longest exact
match wins, so "resnet-10t" is resnet10t, never resnet50. A name that matches nothing is
reported as unknown (with the closest catalogue names), never replaced by another model.

Loading timm imports torch (seconds), so the common names are matched without it; the
whole catalogue is loaded only when a request holds a model-like word those do not cover.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass
from typing import get_args

from vision_platform.adapters.descriptor import AdapterInfo
from vision_platform.adapters.registry import registry
from vision_platform.errors import UnknownNameError
from vision_platform.intent.models import IntentTask

INTENT_TASKS: tuple[str, ...] = get_args(IntentTask)


def normalise(name: str) -> str:
    """`name` compared without case and separators: "ResNet-50" → "resnet50"."""
    return re.sub(r"[\s_.\-/]+", "", name.lower())


@dataclass(frozen=True)
class _Entry:
    name: str
    implied: bool = False


class _Index:
    """Normalised spelling → catalogue name; exact catalogue names win over other spellings."""

    def __init__(
        self, names: list[str], *, aliases: dict[str, str], implied: dict[str, str]
    ) -> None:
        self.names = sorted(set(names))
        self.entries: dict[str, _Entry] = {}
        for name in self.names:
            self.entries.setdefault(normalise(name), _Entry(name))
        for spelling, name in aliases.items():
            self.entries.setdefault(normalise(spelling), _Entry(name))
        for spelling, name in implied.items():
            self.entries.setdefault(spelling, _Entry(name, implied=True))
        # The leading letters of every name and family word: "vit", "yolov", "mobilenetv".
        self.stems = {_stem(name) for name in [*self.names, *implied]} - _NOT_STEMS

    def get(self, key: str) -> _Entry | None:
        return self.entries.get(key)


# Leading words of timm names that are also ordinary words in requests.
_NOT_STEMS = {"", "test", "tiny", "wide", "legacy", "res", "tf", "nf", "dm", "cs", "gc"}


def _stem(word: str) -> str:
    return re.match(r"[a-z]*", word.lower()).group(0)  # type: ignore[union-attr]


def _all_names(info: AdapterInfo) -> list[str]:
    try:
        return info.model_names()
    except (UnknownNameError, ImportError):
        return []


def _index(*, full: bool) -> _Index:
    infos = registry.infos()
    names = [name for info in infos for name in info.common_models()]
    if full:
        names += [name for info in infos for name in _all_names(info)]
    aliases: dict[str, str] = {}
    implied: dict[str, str] = {}
    for info in infos:
        aliases.update(info.aliases())
        implied.update(info.implied_models())
    return _Index(names, aliases=aliases, implied=implied)


@functools.cache
def _cached_index(version: int, *, full: bool) -> _Index:
    return _index(full=full)


def _common_index() -> _Index:
    """The names matched without importing a framework."""
    return _cached_index(registry.version, full=False)


def _full_index() -> _Index:
    return _cached_index(registry.version, full=True)


def canonical_name(name: str) -> str | None:
    """The catalogue name `name` spells (any case and separators), or None when it is unknown."""
    key = normalise(name)
    entry = _common_index().get(key) or _full_index().get(key)
    return entry.name if entry is not None and not entry.implied else None


def is_known(name: str) -> bool:
    """Whether `name` is exactly a catalogue name."""
    return name in _common_index().names or name in _full_index().names


def suggestions(name: str, *, limit: int = 3) -> list[str]:
    """The catalogue names closest to `name` (compared normalised), best first."""
    index = _full_index()
    by_key = {normalise(n): n for n in index.names}
    close = difflib.get_close_matches(normalise(name), list(by_key), n=limit, cutoff=0.6)
    return [by_key[key] for key in close]


# --- finding models in a request ----------------------------------------------------------------
@dataclass(frozen=True)
class ModelMention:
    """A model named in a request: its catalogue name (or, unknown, the words as written)."""

    name: str
    written: str
    start: int
    end: int
    known: bool = True
    implied: bool = False


_WORD = re.compile(r"(?<![a-z0-9_.\-/])[a-z0-9]+(?:[-_.][a-z0-9]+)*")
_WEIGHTS_SUFFIX = re.compile(r"\.pth?$")
# A word that may continue a model name after a space: "resnet 50", "vit small", "yolo v8".
_VARIANT = re.compile(r"v?\d+[a-z]{0,3}|[a-z]\d+[a-z]?|[nsmlxt]|tiny|small|base|large|huge")
# A word that may be a model the common names miss: letters, then a digit or a separator.
_MODEL_LIKE = re.compile(r"[a-z][a-z0-9_.\-]*[\d_.\-][a-z0-9_.\-]*")
# "model: X", "모델은 X_1": a name given as one; a plain word after "model" ("a model for") is not.
_EXPLICIT = re.compile(
    r"(?:model(?:\s*name)?|모델(?:\s*이름)?)\s*(?:(?::|=)\s*([a-z][a-z0-9_.-]*[a-z0-9])"
    r"|(?:은|는|을|를|is)?\s*([a-z][a-z0-9]*[\d_.-][a-z0-9_.-]*[a-z0-9]))(?![a-z0-9])"
)
_MAX_WORDS = 4


@dataclass(frozen=True)
class _Word:
    text: str
    start: int
    end: int


def _words(text: str) -> list[_Word]:
    words = []
    for m in _WORD.finditer(text):
        word = _WEIGHTS_SUFFIX.sub("", m.group(0))
        words.append(_Word(word, m.start(), m.start() + len(word)))
    return words


def _joined(text: str, words: list[_Word], i: int, j: int) -> bool:
    """Whether words i..j are separated by spaces only (one name written in several words)."""
    return all(not text[words[k].end : words[k + 1].start].strip() for k in range(i, j))


class _Matcher:
    """One pass over a request's words with one index: longest exact matches, then leftovers."""

    def __init__(self, text: str, index: _Index) -> None:
        self.text = text
        self.index = index
        self.words = _words(text)
        self.found: list[ModelMention] = []
        self.leftover: list[int] = []

    def run(self) -> _Matcher:
        i = 0
        while i < len(self.words):
            i = self._match_at(i)
        return self

    def _match_at(self, i: int) -> int:
        words = self.words
        last = min(len(words), i + _MAX_WORDS) - 1
        for j in range(last, i - 1, -1):
            if not _joined(self.text, words, i, j):
                continue
            entry = self.index.get("".join(normalise(w.text) for w in words[i : j + 1]))
            if entry is None:
                continue
            if entry.implied and self._variant_follows(j):
                break  # "resnet 10x": a variant nothing knows, not the family's default
            start, end = words[i].start, words[j].end
            self.found.append(
                ModelMention(entry.name, self.text[start:end], start, end, implied=entry.implied)
            )
            return j + 1
        self.leftover.append(i)
        return i + 1

    def _variant_follows(self, j: int) -> bool:
        nxt = j + 1
        return (
            nxt < len(self.words)
            and _joined(self.text, self.words, j, nxt)
            and _VARIANT.fullmatch(self.words[nxt].text) is not None
        )

    def needs_more(self) -> bool:
        """Whether a leftover word may name a model that only the whole catalogue knows."""
        for i in self.leftover:
            word = self.words[i].text
            if _MODEL_LIKE.fullmatch(word) and len(word) >= 4:
                return True
            if _stem(word) in self.index.stems:
                return True
        return False

    def unknown(self) -> list[ModelMention]:
        """Leftover words that look like a model of a family we know, as the user wrote them."""
        out = []
        for i in self.leftover:
            word = self.words[i]
            stem = _stem(word.text)
            if stem not in self.index.stems:
                continue
            end = word.end
            if word.text == stem and self._variant_follows(i):
                end = self.words[i + 1].end  # "resnet 10x"
            elif word.text == stem:
                continue  # a family word alone that no implied name covers
            written = self.text[word.start : end]
            out.append(ModelMention(written, written, word.start, end, known=False))
        return out


def _explicit(text: str, found: list[ModelMention]) -> list[ModelMention]:
    """'model: X' / '모델은 X' where X is nothing the catalogue knows."""
    out = []
    for m in _EXPLICIT.finditer(text):
        group = 1 if m.group(1) else 2
        name, start = m.group(group), m.start(group)
        if not any(f.start <= start < f.end for f in found):
            out.append(ModelMention(name, name, start, m.end(group), known=False))
    return out


def find_models(text: str) -> list[ModelMention]:
    """Every model a (lower-cased) request names, in order, each name once."""
    matcher = _Matcher(text, _common_index()).run()
    if matcher.needs_more():
        matcher = _Matcher(text, _full_index()).run()
    found = [*matcher.found, *matcher.unknown()]
    found.extend(_explicit(text, found))
    found.sort(key=lambda mention: mention.start)
    unique: dict[str, ModelMention] = {}
    for mention in found:
        unique.setdefault(mention.name, mention)
    return list(unique.values())


# --- what a name implies ------------------------------------------------------------------------
def task_of(name: str) -> IntentTask | None:
    """The task a model name implies, when it is one a request can ask for."""
    task = registry.info_for_model(name).task_of(name)
    return task if task in INTENT_TASKS else None  # type: ignore[return-value]


def with_task(name: str, task: str) -> str:
    """`name` turned into its variant for `task` (yolo11n + segmentation → yolo11n-seg)."""
    return registry.info_for_model(name).variant_for(name, task)


def default_model(task: str) -> str:
    """The model a request for `task` that names none gets."""
    return registry.default_model(task)
