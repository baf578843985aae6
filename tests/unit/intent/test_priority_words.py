"""Priority words of a request (Korean, English) → the intent's `priority`."""

from __future__ import annotations

import pytest

from vision_platform.intent import RulesParser


@pytest.mark.parametrize(
    ("request_text", "priority", "preset"),
    [
        ("resnet18로 digits 급하게 학습해줘", "high", None),
        ("긴급: resnet18 분류 학습", "high", None),
        ("train resnet18 on digits, urgent", "high", None),
        ("high priority resnet18 classification", "high", None),
        ("천천히 해도 돼, resnet18 분류 10 에폭", "low", None),
        ("resnet18 분류, 급하지 않아요", "low", None),
        ("low priority resnet18, quickly", "low", "easy"),
        ("not urgent: resnet18 fast", "low", "easy"),
        ("resnet18 빠르게 학습", None, "easy"),  # fast is a preset, not a priority
    ],
)
def test_priority_words(request_text: str, priority: str | None, preset: str | None) -> None:
    intent = RulesParser().parse(request_text).intent
    assert (intent.priority, intent.preset) == (priority, preset)


def test_a_priority_alone_changes_only_the_priority() -> None:
    first = RulesParser().parse("resnet18 classification, 3 epochs").intent
    later = RulesParser().parse("actually it is urgent", context=first).intent
    assert later.priority == "high"
    assert (later.model_name, later.num_epochs) == ("resnet18", 3)
