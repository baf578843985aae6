"""What users type comes through as typed (issue 17, point 3): paths, model names and numbers
are taken verbatim or not at all, and what the rules cannot read is said back."""

from __future__ import annotations

import pytest

from vision_platform.intent import RulesParser

from .conftest import needs_ultralytics

PATHS = [
    ("train yolo11s-seg on datasets/cells", "datasets/cells"),
    ("yolo11n detection on dataset/coco8.yaml", "dataset/coco8.yaml"),
    ("resnet18 분류 datasets/flowers로 학습", "datasets/flowers"),
    ("resnet18 classification, data: datasets/pets", "datasets/pets"),
    ("resnet18 classification, dataset datasets/birds/v2", "datasets/birds/v2"),
    ("데이터셋은 data/digits, resnet18 분류", "data/digits"),
]


@pytest.mark.parametrize(("request_text", "path"), PATHS)
def test_a_dataset_path_is_kept_whole(request_text: str, path: str) -> None:
    result = RulesParser().parse(request_text)
    assert result.intent.dataset_path == path


@pytest.mark.parametrize(
    ("request_text", "size"),
    [
        ("resnet18로 분류, 이미지 320, data/x", 320),
        ("resnet18 분류 이미지는 224로 data/x", 224),
        ("resnet18 classification image 256 on data/x", 256),
        ("resnet18 분류 이미지 크기 320 data/x", 320),
    ],
)
def test_an_image_size_without_the_word_size(request_text: str, size: int) -> None:
    result = RulesParser().parse(request_text)
    assert result.intent.image_size == size and not result.issues


def test_a_count_of_images_is_not_an_image_size_and_is_said_back() -> None:
    result = RulesParser().parse("resnet18 분류 이미지 1000장 data/x")
    assert result.intent.image_size is None
    assert [i.code for i in result.issues] == ["not_understood"]
    assert "'이미지 1000장'" in result.issues[0].text


@pytest.mark.parametrize(
    ("request_text", "words"),
    [
        ("resnet18 분류 data/x 3배로 늘려서", "'3배로'"),
        ("yolo11n detection on data/x.yaml top-5", "'top-5'"),
    ],
)
def test_what_the_rules_cannot_read_is_said_not_guessed(request_text: str, words: str) -> None:
    result = RulesParser().parse(request_text)
    assert result.intent.num_epochs is None and result.intent.batch_size is None
    assert result.intent.image_size is None
    notes = [i.text for i in result.issues if i.code == "not_understood"]
    assert len(notes) == 1 and words in notes[0]


@needs_ultralytics
@pytest.mark.parametrize(
    "request_text",
    [
        "yolo11n 탐지 사전학습 가중치로 data/coco.yaml",
        "yolo11s-seg 사전학습 가중치로 datasets/cells 학습",
        "train yolo11n detection from pretrained weights on data/coco.yaml",
    ],
)
def test_pretrained_weights_on_yolo_are_honoured(request_text: str) -> None:
    result = RulesParser().parse(request_text)
    assert result.intent.advanced_config == {"pretrained": True}
    assert not [i for i in result.issues if i.code == "not_honoured"]
