"""Model names however people write them: the catalogue's exact name, or unknown, never another."""

from __future__ import annotations

import pytest

from tests.unit.intent.conftest import needs_ultralytics
from vision_platform.adapters.registry import registry
from vision_platform.intent import RulesParser
from vision_platform.intent.catalog import find_models, normalise

# request → the model the intent holds
NAMED: list[tuple[str, str]] = [
    # the two reported bugs: resnet10t was not found, resnet-10t became resnet50
    ("resnet10t로 분류 학습해줘", "resnet10t"),
    ("resnet-10t classification", "resnet10t"),
    ("ResNet-10T 로 이미지 분류", "resnet10t"),
    ("resnet 10t, 5 epochs", "resnet10t"),
    ("ResNet-50으로 분류", "resnet50"),
    ("resnet 50 이미지 분류", "resnet50"),
    ("Train RESNET_50 on data/x", "resnet50"),
    ("resnet101로 학습", "resnet101"),
    ("efficientnet_b0 학습해줘", "efficientnet_b0"),
    ("EfficientNet-B0 classifier", "efficientnet_b0"),
    ("efficientnet b3로 분류", "efficientnet_b3"),
    ("vit_tiny_patch16_224로 분류", "vit_tiny_patch16_224"),
    ("ViT-Tiny-Patch16-224 please", "vit_tiny_patch16_224"),
    ("mobilenetv3_small_100 분류", "mobilenetv3_small_100"),
    ("MobileNetV3-Small-100 classification", "mobilenetv3_small_100"),
    ("convnext_atto로 분류", "convnext_atto"),
    ("ConvNeXt-Tiny classification", "convnext_tiny"),
    ("ghostnet_100 분류 학습", "ghostnet_100"),
    ("use hrnet_w18_small for classification", "hrnet_w18_small"),
    ("resnet50d로 학습해줘", "resnet50d"),
    ("densenet 121 classification", "densenet121"),
    ("wide_resnet50_2 분류", "wide_resnet50_2"),
]
ULTRALYTICS_NAMED: list[tuple[str, str]] = [
    ("yolo11n으로 객체 탐지", "yolo11n"),
    ("YOLO11n detection", "yolo11n"),
    ("YOLOv8s로 탐지", "yolov8s"),
    ("yolov8s detection", "yolov8s"),
    ("YOLOv11n 세그멘테이션", "yolo11n-seg"),
    ("yolo11n-seg 학습", "yolo11n-seg"),
    ("YOLO11N-POSE keypoints", "yolo11n-pose"),
    ("yolo 11 s detection", "yolo11s"),
    ("yolo11n.pt로 탐지", "yolo11n"),
    ("yolov5su detection", "yolov5su"),
    ("yolo26m 객체 탐지", "yolo26m"),
]


@pytest.mark.parametrize(("request_text", "model"), NAMED, ids=[c[0] for c in NAMED])
def test_timm_model_named_any_way_is_that_model(request_text: str, model: str) -> None:
    result = RulesParser().parse(request_text)
    assert result.intent.model_name == model
    assert (result.intent.framework, result.intent.task_type) == ("timm", "classification")
    assert result.issues == []


@needs_ultralytics
@pytest.mark.parametrize(
    ("request_text", "model"), ULTRALYTICS_NAMED, ids=[c[0] for c in ULTRALYTICS_NAMED]
)
def test_ultralytics_model_named_any_way_is_that_model(request_text: str, model: str) -> None:
    result = RulesParser().parse(request_text)
    assert result.intent.model_name == model
    assert result.intent.framework == "ultralytics"
    assert result.issues == []


# request → (the question asked, the suggestions offered)
UNKNOWN: list[tuple[str, str, list[str]]] = [
    (
        "resnet-10x로 분류",
        "'resnet-10x' 모델은 알 수 없습니다. 혹시 resnet10t, resnet101, resnet101s 중 하나인가요? "
        "어떤 모델을 사용할까요?",
        ["resnet10t", "resnet101", "resnet101s"],
    ),
    (
        "resnet 10x classification",
        "I don't know the model 'resnet 10x'. Did you mean resnet10t, resnet101, resnet101s? "
        "Which model should I use?",
        ["resnet10t", "resnet101", "resnet101s"],
    ),
    (
        "efficientnet-b9 classifier",
        "I don't know the model 'efficientnet-b9'. Did you mean efficientnet_b8, efficientnet_b7, "
        "efficientnet_b6? Which model should I use?",
        ["efficientnet_b8", "efficientnet_b7", "efficientnet_b6"],
    ),
    (
        "resnet51로 학습",
        "'resnet51' 모델은 알 수 없습니다. 혹시 resnet51q, resnet50, resnet18 중 하나인가요? "
        "어떤 모델을 사용할까요?",
        ["resnet51q", "resnet50", "resnet18"],
    ),
    (
        "model: foo_bar1",
        "I don't know the model 'foo_bar1'. Which model should I use?",
        [],
    ),
]


@pytest.mark.parametrize(
    ("request_text", "question", "hints"), UNKNOWN, ids=[c[0] for c in UNKNOWN]
)
def test_unknown_model_is_asked_about_with_close_names(
    request_text: str, question: str, hints: list[str]
) -> None:
    result = RulesParser().parse(request_text)
    assert result.intent.model_name is None
    assert result.questions == [question]
    assert [(i.code, i.suggestions) for i in result.issues] == [("unknown_model", hints)]


@needs_ultralytics
def test_yolo_version_the_adapter_cannot_build_is_unknown() -> None:
    result = RulesParser().parse("yolov9t detection")
    assert result.intent.model_name is None
    assert result.issues[0].code == "unknown_model" and result.issues[0].blocking


def test_a_family_without_a_variant_is_taken_visibly() -> None:
    result = RulesParser().parse("train a resnet on data/x")
    assert result.intent.model_name == "resnet50"
    assert [(i.code, i.blocking) for i in result.issues] == [("model_assumed", False)]
    assert result.intent.notes == [
        "'resnet' is taken as resnet50; name the exact model if you want another one."
    ]


@pytest.mark.parametrize(
    "request_text", ["train a model for detection", "the model is fast", "image classification"]
)
def test_ordinary_words_are_not_models(request_text: str) -> None:
    result = RulesParser().parse(request_text)
    assert result.intent.model_name is None
    assert not [i for i in result.issues if i.code == "unknown_model"]


def test_every_catalogue_name_is_found_as_itself_and_spelled_differently() -> None:
    names = [name for info in registry.infos() for name in info.model_names()]
    common = {name for info in registry.infos() for name in info.common_models()}
    assert len({normalise(name) for name in names}) == len(names)  # no two names collide
    # A bare word of letters alone (nasnetalarge) is a model only when said to be one.
    plain = [name for name in names if name.isalpha() and name not in common]
    assert len(plain) < 5
    for name in plain:
        assert RulesParser().parse(f"model: {name}").intent.model_name == name
    wrong = {}
    for name in set(names) - set(plain):
        for written in (name, name.upper().replace("_", "-")):
            found = [m.name for m in find_models(f"train {written.lower()} please")]
            if found != [name]:
                wrong[written] = found
    assert wrong == {}
