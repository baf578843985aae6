"""Requests the rules cannot honour as written: each gets the exact clarifying question."""

from __future__ import annotations

import pytest

from vision_platform.intent import RulesParser

CASES: list[tuple[str, list[str]]] = [
    (
        "hello there",
        [
            "I could not find training settings in that. What would you like to train (model or "
            "task, e.g. 'ResNet-50 image classification')?"
        ],
    ),
    (
        "안녕하세요",
        [
            "요청에서 학습 설정을 찾지 못했습니다. 어떤 모델이나 작업으로 학습할까요? "
            "(예: 'ResNet-50으로 이미지 분류')"
        ],
    ),
    (
        "resnet51 classification",
        [
            "I don't know the model 'resnet51'. Did you mean resnet51q, resnet50, resnet18? "
            "Which model should I use?"
        ],
    ),
    (
        "yolov7로 객체 탐지",
        [
            "'yolov7' 모델은 알 수 없습니다. 혹시 yolov8x, yolov8s, yolov8n 중 하나인가요? "
            "어떤 모델을 사용할까요?"
        ],
    ),
    (
        "resnet50으로 객체 탐지",
        [
            "resnet50(timm) 모델은 객체 탐지 모델이 아닙니다 (지원: 이미지 분류). 객체 탐지에는 "
            "yolo11n 모델을 쓸 수 있습니다. 어느 쪽으로 할까요?"
        ],
    ),
    (
        "resnet50 or efficientnet b0 classification",
        ["You named more than one model: resnet50, efficientnet_b0. Which one should I train?"],
    ),
    (
        "이미지 분류랑 객체 탐지 둘 다",
        ["작업이 여러 개 언급되었습니다: classification, detection. 어떤 작업을 원하시나요?"],
    ),
    (
        "resnet18 빠르고 정확하게",
        ["서로 다른 프리셋을 가리킵니다: easy, advanced. 어떤 프리셋으로 할까요?"],
    ),
    (
        "resnet18, 50 epochs, no wait 80 epochs",
        ["You gave two values for num_epochs: 50, 80. Which one should I use?"],
    ),
    (
        "resnet18 with lr 5 and batch 0",
        [
            "batch_size = 0 is not allowed (allowed: 1 ~ 4096). What value should I use?",
            "learning_rate = 5.0 is not allowed (allowed: 1e-07 ~ 1). What value should I use?",
        ],
    ),
    (
        "resnet18 에폭 0, 웜업 500 에폭",
        [
            "num_epochs = 0 값은 허용되지 않습니다 (허용: 1 ~ 100000). 어떤 값으로 할까요?",
            "warmup_epochs = 500 값은 허용되지 않습니다 (허용: 0 ~ 100). 어떤 값으로 할까요?",
        ],
    ),
    (
        "resnet50 label smoothing 0.9",
        ["label_smoothing = 0.9 is not allowed (allowed: 0 ~ 0.5). What value should I use?"],
    ),
    (
        "resnet50 이미지 크기 10000",
        ["image_size = 10000 값은 허용되지 않습니다 (허용: 8 ~ 4096). 어떤 값으로 할까요?"],
    ),
]


@pytest.mark.parametrize(("request_text", "questions"), CASES, ids=[c[0] for c in CASES])
def test_request_gets_clarifying_questions(request_text: str, questions: list[str]) -> None:
    result = RulesParser().parse(request_text)
    assert result.questions == questions
    assert all(q in result.intent.notes for q in questions)


def test_out_of_range_value_is_left_out_not_kept() -> None:
    intent = RulesParser().parse("resnet18 with lr 5 and batch 0, 20 epochs").intent
    assert (intent.learning_rate, intent.batch_size, intent.num_epochs) == (None, None, 20)


def test_option_the_framework_lacks_is_reported_not_dropped() -> None:
    result = RulesParser().parse("resnet50 classification with mosaic")
    assert result.intent.advanced_config is None
    assert result.intent.notes == ["mosaic is not available for timm, so it is not applied."]
    assert result.questions == []


def test_korean_request_gets_korean_note() -> None:
    notes = RulesParser().parse("resnet50 분류, 모자이크 써줘").intent.notes
    assert notes == ["mosaic은(는) timm에서 지원하지 않아 적용하지 않았습니다."]


def test_warmup_without_a_schedule_that_uses_it_is_noted() -> None:
    notes = RulesParser().parse("resnet18, no lr scheduler, warmup 3 epochs").intent.notes
    assert len(notes) == 1 and notes[0].startswith("warmup_epochs=3 has no effect")


def test_unknown_model_keeps_what_was_understood() -> None:
    intent = RulesParser().parse("resnet51 on /data/x for 5 epochs").intent
    assert (intent.model_name, intent.dataset_path, intent.num_epochs) == (None, "/data/x", 5)
    assert intent.missing == []
