"""Stored data sets named in a request ("the digits dataset", "digits 데이터셋으로").

The intent layer does not read the data set store: the caller passes in the names it knows
(the chat session service asks the store), as a mapping to each one's task where it can.
Without them a name is left unread, as before."""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, get_args

from vision_platform.intent import catalog
from vision_platform.intent.models import IntentTask, TrainingIntent
from vision_platform.intent.texts import label

if TYPE_CHECKING:
    from vision_platform.intent.resolve import IntentResolver

# A data set reference as the platform spells it: a slug, optionally @ a 12-digit version.
REF = r"[a-z0-9][a-z0-9_-]{0,63}(?:@[0-9a-f]{12})?"
_REF = re.compile(rf"^{REF}$")
# Words that stand where a name would ("on my dataset", "dataset for 5 epochs"): not names.
_NOT_NAMES = (
    "a an the my our your this that these its new own same custom whole full entire image "
    "images training train test validation labelled labeled on in with for from using use to "
    "of at by and or as is"
)
NOT_NAMES = frozenset(_NOT_NAMES.split())


def name_of(ref: str) -> str:
    return ref.partition("@")[0]


def is_known(ref: str, known: Collection[str] | None) -> bool:
    return known is not None and _REF.match(ref) is not None and name_of(ref) in known


def apply_dataset(
    resolver: IntentResolver,
    intent: TrainingIntent,
    *,
    path: str | None,
    names: list[str],
    said: int,
) -> str | None:
    """Put the request's data set on `intent`: a path, or a stored data set the caller knows
    (one replaces the other); the task of the data set named, where the caller told it.

    Of `names`, the first `said` were said plainly ("the X data set"): one the caller does not
    know is a question; the others are guesses, dropped."""
    if path is not None:
        intent.dataset_path, intent.dataset = path, None
        return None
    known = resolver.datasets
    if known is None or not names:
        return None
    found = [n for n in names if is_known(n, known)]
    ref = resolver.single("dataset", found)
    if ref is not None:
        intent.dataset, intent.dataset_path = ref, None
        return _task_of(ref, known)
    if not found and said:
        _unknown(resolver, names[0], known)
    return None


def check_dataset(resolver: IntentResolver, intent: TrainingIntent) -> None:
    """A "path" that is a stored data set's name (a bare answer, an LLM's reading) is that data
    set; a name the caller no longer knows is asked for again."""
    known = resolver.datasets
    if known is None:
        return
    if intent.dataset_path and is_known(intent.dataset_path, known):
        intent.dataset, intent.dataset_path = intent.dataset_path, None
    if intent.dataset and not is_known(intent.dataset, known):
        _unknown(resolver, intent.dataset, known)
        intent.dataset = None
    held = _task_of(intent.dataset, known) if intent.dataset else None
    if held is not None and intent.task_type and intent.task_type != held:
        _task_mismatch(resolver, intent, held)


def _task_of(ref: str, known: Collection[str]) -> str | None:
    """The task of a data set the caller told it for (a mapping of names to tasks)."""
    task = known.get(name_of(ref)) if isinstance(known, Mapping) else None
    return task if task in get_args(IntentTask) else None


def _task_mismatch(resolver: IntentResolver, intent: TrainingIntent, held: str) -> None:
    assert intent.task_type is not None
    lang = resolver.language
    suggestion = catalog.default_model(held)
    resolver.issue(
        "contradiction",
        "dataset_task",
        field="dataset",
        blocking=True,
        suggestions=[suggestion],
        name=intent.dataset,
        data_task=label(held, lang),
        model=intent.model_name or catalog.default_model(intent.task_type),
        task=label(intent.task_type, lang),
        suggestion=suggestion,
    )


def _unknown(resolver: IntentResolver, name: str, known: Collection[str]) -> None:
    close = difflib.get_close_matches(name_of(name), sorted(known), n=3, cutoff=0.6)
    shown = ", ".join(sorted(known)[:10])
    resolver.issue(
        "unknown_dataset",
        "unknown_dataset" if known else "no_datasets",
        field="dataset",
        blocking=True,
        suggestions=close,
        name=name,
        known=shown,
    )
