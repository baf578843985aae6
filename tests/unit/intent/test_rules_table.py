"""The offline rules parser, request by request: the exact intent each request gives."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.intent.conftest import needs_ultralytics
from vision_platform.intent import RulesParser, TrainingIntent

NO_DATA = ["dataset_path"]


def intent(**given: Any) -> dict[str, Any]:
    """The full expected intent: what is not given is null, the data set is missing."""
    expected = TrainingIntent(**given).model_dump()
    if "missing" not in given:
        expected["missing"] = [] if given.get("dataset_path") else NO_DATA
    return expected


def ko_assumed(written: str, name: str) -> list[str]:
    """The note a family name (no exact model) gets in Korean."""
    return [
        f"'{written}'은(는) {name} 모델로 해석했습니다. "
        "다른 모델을 원하면 정확한 이름을 알려주세요."
    ]


def en_assumed(written: str, name: str) -> list[str]:
    """The note a family name (no exact model) gets in English."""
    return [f"'{written}' is taken as {name}; name the exact model if you want another one."]


RESNET50 = {"model_name": "resnet50", "framework": "timm", "task_type": "classification"}
RESNET18 = {"model_name": "resnet18", "framework": "timm", "task_type": "classification"}
EFFB0 = {"model_name": "efficientnet_b0", "framework": "timm", "task_type": "classification"}
CLS = {"framework": "timm", "task_type": "classification"}

TIMM_CASES: list[tuple[str, dict[str, Any]]] = [
    # Korean
    (
        "ResNet-50으로 이미지 분류 학습해줘. 난이도는 medium으로.",
        intent(**RESNET50, preset="medium"),
    ),
    ("resnet50 분류 모델 만들어줘", intent(**RESNET50)),
    ("EfficientNet B0로 빠르게 학습해줘", intent(**EFFB0, preset="easy")),
    (
        "efficientnet_b3로 정확하게 학습, 에폭 100",
        intent(
            model_name="efficientnet_b3",
            framework="timm",
            task_type="classification",
            preset="advanced",
            num_epochs=100,
        ),
    ),
    (
        "이미지 분류 학습해줘. 데이터는 /data/flowers, 에폭 50, 배치 32",
        intent(**CLS, dataset_path="/data/flowers", num_epochs=50, batch_size=32),
    ),
    (
        "resnet18로 학습률 0.001, 이미지 크기 224",
        intent(**RESNET18, learning_rate=0.001, image_size=224),
    ),
    (
        "ResNet 보통 난이도로",
        intent(**RESNET50, preset="medium", notes=ko_assumed("resnet", "resnet50")),
    ),
    (
        "MobileNet v3로 분류, 옵티마이저는 SGD, 모멘텀 0.9",
        intent(
            model_name="mobilenetv3_large_100",
            framework="timm",
            task_type="classification",
            advanced_config={"optimizer_type": "sgd", "momentum": 0.9},
            notes=ko_assumed("mobilenet v3", "mobilenetv3_large_100"),
        ),
    ),
    (
        "resnet34, 코사인 스케줄러, 웜업 3 에폭, 에폭 40",
        intent(
            model_name="resnet34",
            framework="timm",
            task_type="classification",
            num_epochs=40,
            advanced_config={"scheduler_type": "cosine", "warmup_epochs": 3},
        ),
    ),
    (
        "ViT로 최고 성능 분류 모델",
        intent(
            model_name="vit_base_patch16_224",
            framework="timm",
            task_type="classification",
            preset="advanced",
            notes=ko_assumed("vit", "vit_base_patch16_224"),
        ),
    ),
    (
        "convnext tiny로 ./data/pets 학습, 라벨 스무딩 0.1",
        intent(
            model_name="convnext_tiny",
            framework="timm",
            task_type="classification",
            dataset_path="./data/pets",
            advanced_config={"label_smoothing": 0.1},
        ),
    ),
    (
        "resnet50 학습해줘. mixup이랑 cutmix 써줘",
        intent(**RESNET50, advanced_config={"mixup": True, "cutmix": True}),
    ),
    (
        "efficientnet b0, 배치 크기는 64, lr 1e-3, AdamW",
        intent(
            **EFFB0, batch_size=64, learning_rate=0.001, advanced_config={"optimizer_type": "adamw"}
        ),
    ),
    (
        "densenet121로 분류, 에폭 수는 20, weight decay 0.0005",
        intent(
            model_name="densenet121",
            framework="timm",
            task_type="classification",
            num_epochs=20,
            advanced_config={"weight_decay": 0.0005},
        ),
    ),
    (
        "resnet18 쉽게, 좌우 반전 끄고 회전 15도",
        intent(
            **RESNET18, preset="easy", advanced_config={"random_flip": False, "random_rotation": 15}
        ),
    ),
    (
        "이미지 분류, 클래스는 고양이, 강아지, 새",
        intent(**CLS, class_names=["고양이", "강아지", "새"]),
    ),
    ("resnet50 사전학습된 가중치로 학습", intent(**RESNET50, advanced_config={"pretrained": True})),
    (
        "resnet18로 사전학습 가중치로 학습해줘",
        intent(**RESNET18, advanced_config={"pretrained": True}),
    ),
    ("resnet18 파인튜닝 해줘", intent(**RESNET18, advanced_config={"pretrained": True})),
    ("resnet18 전이학습으로 학습", intent(**RESNET18, advanced_config={"pretrained": True})),
    (
        "train resnet18 from ImageNet weights",
        intent(**RESNET18, advanced_config={"pretrained": True}),
    ),
    ("fine-tune resnet18", intent(**RESNET18, advanced_config={"pretrained": True})),
    (
        "resnet18 without pretrained weights",
        intent(**RESNET18, advanced_config={"pretrained": False}),
    ),
    (
        "efficientnet_b0 학습률 0.0005, 에폭 30, 데이터셋은 data/cats_dogs",
        intent(**EFFB0, learning_rate=0.0005, num_epochs=30, dataset_path="data/cats_dogs"),
    ),
    # English
    (
        "Train ResNet-50 for image classification on /data/flowers for 30 epochs",
        intent(**RESNET50, dataset_path="/data/flowers", num_epochs=30),
    ),
    ("resnet50 classification, medium preset", intent(**RESNET50, preset="medium")),
    ("quick EfficientNet B0 run", intent(**EFFB0, preset="easy")),
    (
        "efficientnet-b2 with the best accuracy, 100 epochs",
        intent(
            model_name="efficientnet_b2",
            framework="timm",
            task_type="classification",
            preset="advanced",
            num_epochs=100,
        ),
    ),
    (
        "classify images in ./data/birds, batch size 32, lr 3e-4",
        intent(**CLS, dataset_path="./data/birds", batch_size=32, learning_rate=0.0003),
    ),
    (
        "resnet18 with learning rate 0.01 and image size 128",
        intent(**RESNET18, learning_rate=0.01, image_size=128),
    ),
    (
        "train a resnet with SGD, momentum 0.95, weight decay 1e-4",
        intent(
            **RESNET50,
            advanced_config={"optimizer_type": "sgd", "momentum": 0.95, "weight_decay": 0.0001},
            notes=en_assumed("resnet", "resnet50"),
        ),
    ),
    (
        "resnet101, cosine schedule, warmup 5 epochs, 60 epochs",
        intent(
            model_name="resnet101",
            framework="timm",
            task_type="classification",
            num_epochs=60,
            advanced_config={"scheduler_type": "cosine", "warmup_epochs": 5},
        ),
    ),
    (
        "vit small classifier, advanced preset",
        intent(
            model_name="vit_small_patch16_224",
            framework="timm",
            task_type="classification",
            preset="advanced",
            notes=en_assumed("vit small", "vit_small_patch16_224"),
        ),
    ),
    (
        "convnext_tiny on data/pets with label smoothing",
        intent(
            model_name="convnext_tiny",
            framework="timm",
            task_type="classification",
            dataset_path="data/pets",
            advanced_config={"label_smoothing": 0.1},
        ),
    ),
    (
        "resnet50 with mixup and cutmix",
        intent(**RESNET50, advanced_config={"mixup": True, "cutmix": True}),
    ),
    (
        "efficientnet b0, batch 64, lr 0.001, optimizer adamw",
        intent(
            **EFFB0, batch_size=64, learning_rate=0.001, advanced_config={"optimizer_type": "adamw"}
        ),
    ),
    (
        "DenseNet 121 image classification, 20 epochs, rmsprop",
        intent(
            model_name="densenet121",
            framework="timm",
            task_type="classification",
            num_epochs=20,
            advanced_config={"optimizer_type": "rmsprop"},
        ),
    ),
    (
        "easy resnet18 without flips, rotation 10 degrees",
        intent(
            **RESNET18, preset="easy", advanced_config={"random_flip": False, "random_rotation": 10}
        ),
    ),
    (
        "image classification, classes: cat, dog, bird",
        intent(**CLS, class_names=["cat", "dog", "bird"]),
    ),
    (
        "pretrained resnet50 on '/mnt/my data/cats'",
        intent(**RESNET50, dataset_path="/mnt/my data/cats", advanced_config={"pretrained": True}),
    ),
    (
        "resnet18, no lr scheduler, 15 epochs, mixed precision",
        intent(
            **RESNET18,
            num_epochs=15,
            advanced_config={"scheduler_type": "none", "mixed_precision": True},
        ),
    ),
    (
        "mobilenet v2 classification with color jitter 0.3",
        intent(
            model_name="mobilenetv2_100",
            framework="timm",
            task_type="classification",
            advanced_config={"color_jitter": 0.3},
            notes=en_assumed("mobilenet v2", "mobilenetv2_100"),
        ),
    ),
]

YOLO11N = {"model_name": "yolo11n", "framework": "ultralytics", "task_type": "detection"}
YOLO_CASES: list[tuple[str, dict[str, Any]]] = [
    # Korean
    (
        "YOLOv11으로 객체 탐지 학습해줘. optimizer는 AdamW, learning rate 0.001, warmup 5 epoch, "
        "augmentation은 mosaic이랑 mixup 써줘.",
        intent(
            **YOLO11N,
            learning_rate=0.001,
            advanced_config={
                "optimizer_type": "AdamW",
                "warmup_epochs": 5,
                "mosaic": 1.0,
                "mixup": 0.1,
            },
            notes=ko_assumed("yolov11", "yolo11n"),
        ),
    ),
    (
        "YOLO11로 객체 탐지, 에폭 50, 배치 16, 이미지 크기 640",
        intent(
            **YOLO11N,
            num_epochs=50,
            batch_size=16,
            image_size=640,
            notes=ko_assumed("yolo11", "yolo11n"),
        ),
    ),
    (
        "yolo v8로 세그멘테이션",
        intent(
            model_name="yolov8n-seg",
            framework="ultralytics",
            task_type="segmentation",
            notes=ko_assumed("yolo v8", "yolov8n-seg"),
        ),
    ),
    (
        "yolo11n 분할 학습, 데이터는 data/coco8-seg/data.yaml",
        intent(
            model_name="yolo11n-seg",
            framework="ultralytics",
            task_type="segmentation",
            dataset_path="data/coco8-seg/data.yaml",
        ),
    ),
    (
        "YOLOv11n 포즈 추정 학습",
        intent(model_name="yolo11n-pose", framework="ultralytics", task_type="pose"),
    ),
    (
        "yolov8s로 물체 검출, mixup 0.15, mosaic은 끄고",
        intent(
            model_name="yolov8s",
            framework="ultralytics",
            task_type="detection",
            advanced_config={"mixup": 0.15, "mosaic": 0.0},
        ),
    ),
    (
        "객체 탐지 빠르게 해줘. 데이터셋 경로는 /data/shapes",
        intent(
            framework="ultralytics",
            task_type="detection",
            preset="easy",
            dataset_path="/data/shapes",
        ),
    ),
    (
        "yolo11m으로 탐지, 옵티마이저 SGD, 학습률 0.01, 코사인",
        intent(
            model_name="yolo11m",
            framework="ultralytics",
            task_type="detection",
            learning_rate=0.01,
            advanced_config={"optimizer_type": "SGD", "cos_lr": True},
        ),
    ),
    (
        "yolov8n 탐지, 조기 종료 patience 20, 카피 페이스트 0.3",
        intent(
            model_name="yolov8n",
            framework="ultralytics",
            task_type="detection",
            advanced_config={"patience": 20, "copy_paste": 0.3},
        ),
    ),
    (
        "YOLO26로 객체 탐지 정확하게, 에폭 200",
        intent(
            model_name="yolo26n",
            framework="ultralytics",
            task_type="detection",
            preset="advanced",
            num_epochs=200,
            notes=ko_assumed("yolo26", "yolo26n"),
        ),
    ),
    (
        "yolo11s 세그멘테이션, 좌우 반전 끄고 회전 10도",
        intent(
            model_name="yolo11s-seg",
            framework="ultralytics",
            task_type="segmentation",
            advanced_config={"fliplr": 0.0, "degrees": 10.0},
        ),
    ),
    (
        "yolov5로 객체 탐지 보통",
        intent(
            model_name="yolov5nu",
            framework="ultralytics",
            task_type="detection",
            preset="medium",
            notes=ko_assumed("yolov5", "yolov5nu"),
        ),
    ),
    # English
    (
        "Train YOLOv11 for object detection with AdamW, lr 0.001, warmup 5 epochs, mosaic and "
        "mixup",
        intent(
            **YOLO11N,
            learning_rate=0.001,
            advanced_config={
                "optimizer_type": "AdamW",
                "warmup_epochs": 5,
                "mosaic": 1.0,
                "mixup": 0.1,
            },
            notes=en_assumed("yolov11", "yolo11n"),
        ),
    ),
    (
        "yolo11 detection on ./data/shapes/data.yaml, 50 epochs, batch 16, image size 640",
        intent(
            **YOLO11N,
            dataset_path="./data/shapes/data.yaml",
            num_epochs=50,
            batch_size=16,
            image_size=640,
            notes=en_assumed("yolo11", "yolo11n"),
        ),
    ),
    (
        "yolo v8 instance segmentation",
        intent(
            model_name="yolov8n-seg",
            framework="ultralytics",
            task_type="segmentation",
            notes=en_assumed("yolo v8", "yolov8n-seg"),
        ),
    ),
    (
        "YOLOv11n segmentation",
        intent(model_name="yolo11n-seg", framework="ultralytics", task_type="segmentation"),
    ),
    (
        "yolo11n-pose keypoint training",
        intent(model_name="yolo11n-pose", framework="ultralytics", task_type="pose"),
    ),
    (
        "yolov8s detector, mixup 0.15, no mosaic",
        intent(
            model_name="yolov8s",
            framework="ultralytics",
            task_type="detection",
            advanced_config={"mixup": 0.15, "mosaic": 0.0},
        ),
    ),
    (
        "fast object detection on s3://bucket/shapes",
        intent(
            framework="ultralytics",
            task_type="detection",
            preset="easy",
            dataset_path="s3://bucket/shapes",
        ),
    ),
    (
        "yolo11m detection, optimizer sgd, lr 0.01, cosine lr",
        intent(
            model_name="yolo11m",
            framework="ultralytics",
            task_type="detection",
            learning_rate=0.01,
            advanced_config={"optimizer_type": "SGD", "cos_lr": True},
        ),
    ),
    (
        "yolov8n detect, early stopping patience 20, copy-paste 0.3",
        intent(
            model_name="yolov8n",
            framework="ultralytics",
            task_type="detection",
            advanced_config={"patience": 20, "copy_paste": 0.3},
        ),
    ),
    (
        "yolo26 detection, most accurate, 200 epochs",
        intent(
            model_name="yolo26n",
            framework="ultralytics",
            task_type="detection",
            preset="advanced",
            num_epochs=200,
            notes=en_assumed("yolo26", "yolo26n"),
        ),
    ),
    (
        "yolo11s segmentation without flips, rotation 10",
        intent(
            model_name="yolo11s-seg",
            framework="ultralytics",
            task_type="segmentation",
            advanced_config={"fliplr": 0.0, "degrees": 10.0},
        ),
    ),
    (
        "pose estimation, balanced",
        intent(framework="ultralytics", task_type="pose", preset="medium"),
    ),
]


@pytest.mark.parametrize(("request_text", "expected"), TIMM_CASES, ids=[c[0] for c in TIMM_CASES])
def test_timm_request_gives_exact_intent(request_text: str, expected: dict[str, Any]) -> None:
    assert RulesParser().parse(request_text).intent.model_dump() == expected


@needs_ultralytics
@pytest.mark.parametrize(("request_text", "expected"), YOLO_CASES, ids=[c[0] for c in YOLO_CASES])
def test_ultralytics_request_gives_exact_intent(
    request_text: str, expected: dict[str, Any]
) -> None:
    assert RulesParser().parse(request_text).intent.model_dump() == expected


def test_table_is_big_and_bilingual() -> None:
    requests = [text for text, _ in TIMM_CASES + YOLO_CASES]
    korean = [t for t in requests if any("\uac00" <= ch <= "\ud7a3" for ch in t)]
    assert len(requests) >= 60
    assert len(korean) >= 30 and len(requests) - len(korean) >= 30
