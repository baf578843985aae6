"""Every sentence the intent package says to a user, in English and Korean."""

from __future__ import annotations

import re
from typing import Any

from vision_platform.intent.models import Language

_HANGUL = re.compile(r"[\uac00-\ud7a3]")

MESSAGES: dict[str, tuple[str, str]] = {
    "unknown_model": (
        "I don't know the model {name!r}.{hint} Which model should I use?",
        "'{name}' 모델은 알 수 없습니다.{hint} 어떤 모델을 사용할까요?",
    ),
    "unknown_model_hint": (" Did you mean {names}?", " 혹시 {names} 중 하나인가요?"),
    "model_assumed": (
        "'{written}' is taken as {name}; name the exact model if you want another one.",
        "'{written}'은(는) {name} 모델로 해석했습니다. "
        "다른 모델을 원하면 정확한 이름을 알려주세요.",
    ),
    "out_of_range": (
        "{field} = {value} is not allowed (allowed: {allowed}). What value should I use?",
        "{field} = {value} 값은 허용되지 않습니다 (허용: {allowed}). 어떤 값으로 할까요?",
    ),
    "two_values": (
        "You gave two values for {field}: {values}. Which one should I use?",
        "{field} 값이 두 가지입니다: {values}. 어느 쪽으로 할까요?",
    ),
    "two_models": (
        "You named more than one model: {values}. Which one should I train?",
        "모델이 여러 개 언급되었습니다: {values}. 어떤 모델로 학습할까요?",
    ),
    "two_tasks": (
        "You asked for more than one task: {values}. Which task do you want?",
        "작업이 여러 개 언급되었습니다: {values}. 어떤 작업을 원하시나요?",
    ),
    "two_presets": (
        "The request points to different presets: {values}. Which preset should I use?",
        "서로 다른 프리셋을 가리킵니다: {values}. 어떤 프리셋으로 할까요?",
    ),
    "task_mismatch": (
        "{model} ({framework}) does not do {task}; it does {supported}. "
        "For {task}, {suggestion} would fit. Which should I use?",
        "{model}({framework}) 모델은 {task} 모델이 아닙니다 (지원: {supported}). "
        "{task}에는 {suggestion} 모델을 쓸 수 있습니다. 어느 쪽으로 할까요?",
    ),
    "not_honoured": (
        "{option} is not available for {framework}, so it is not applied.",
        "{option}은(는) {framework}에서 지원하지 않아 적용하지 않았습니다.",
    ),
    "on_off_only": (
        "{framework}'s {field} is on/off (no probability), so {field} {value} means {field} on.",
        "{framework}의 {field}은(는) 켜기/끄기만 있어(확률 없음) {field} {value}은(는) "
        "{field} 켜기로 적용했습니다.",
    ),
    "framework_unavailable": (
        "The {framework} adapter is not available here ({error}); not applied: {options}.",
        "{framework} 어댑터를 사용할 수 없어({error}) 적용하지 못했습니다: {options}.",
    ),
    "inactive": ("{detail}", "{detail}"),
    "run_conflict": (
        "{fields}: {problem}. What should I change?",
        "{fields}: {problem}. 어떻게 바꿀까요?",
    ),
    "no_framework": (
        "{options}: kept until the model or task is known.",
        "{options}: 모델이나 작업이 정해지면 적용합니다.",
    ),
    "unparseable": (
        "I could not find training settings in that. What would you like to train "
        "(model or task, e.g. 'ResNet-50 image classification')?",
        "요청에서 학습 설정을 찾지 못했습니다. 어떤 모델이나 작업으로 학습할까요? "
        "(예: 'ResNet-50으로 이미지 분류')",
    ),
    "not_understood": (
        "I did not understand {words}, so nothing was taken from it; say it another way "
        "(e.g. 'image size 320', 'data set path data/cells').",
        "{words} 부분은 이해하지 못해 반영하지 않았습니다. 다르게 말해 주세요 "
        "(예: '이미지 크기 320', '데이터 경로 data/cells').",
    ),
    "llm_fallback": (
        "The {provider} provider failed ({error}); the offline rules parser was used instead.",
        "{provider} 제공자가 실패해({error}) 오프라인 규칙 파서로 대신 해석했습니다.",
    ),
    "ask_dataset_path": (
        "Which data set should I train on? Please give its path.",
        "어떤 데이터셋으로 학습할까요? 데이터셋 경로를 알려주세요.",
    ),
    "ask_dataset_names": (
        "Uploaded data sets you can name: {names}.",
        "이름으로 고를 수 있는 업로드된 데이터셋: {names}.",
    ),
    "unknown_dataset": (
        "There is no data set named '{name}'. Uploaded data sets: {known}.",
        "'{name}'(이)라는 데이터셋이 없습니다. 업로드된 데이터셋: {known}.",
    ),
    "dataset_task": (
        "The {name} data set is for {data_task}, but {model} trains {task}: choose a model "
        "for {data_task} (e.g. {suggestion}) or another data set.",
        "{name} 데이터셋은 {data_task}용인데 {model}은(는) {task} 모델입니다. {data_task} 모델"
        "(예: {suggestion})이나 다른 데이터셋을 골라 주세요.",
    ),
    "no_datasets": (
        "There is no data set named '{name}': none is uploaded yet (the Data sets page takes "
        "archives), so please give a path.",
        "'{name}'(이)라는 데이터셋이 없습니다. 아직 업로드된 데이터셋이 없으니 (데이터셋 "
        "페이지에서 압축 파일을 올릴 수 있습니다) 경로를 알려주세요.",
    ),
    "ask_model_name": (
        "Which model or task do you want (e.g. resnet50 classification, yolo11n detection)?",
        "어떤 모델이나 작업을 원하시나요? (예: resnet50 이미지 분류, yolo11n 객체 탐지)",
    ),
    "summary_title": ("Here are the settings I will use:", "다음 설정으로 학습합니다:"),
    "adjusted": ("Resolved for this run: {message}", "이번 실행에 맞게 조정: {message}"),
    "confirm": ("Shall I start?", "이대로 진행할까요?"),
    "started": (
        "Confirmed. The training spec is ready to run.",
        "확인했습니다. 학습 설정이 준비되었습니다.",
    ),
    "what_to_change": ("What would you like to change?", "어떤 설정을 바꿀까요?"),
    "default_model": ("{model} (default for {task})", "{model} ({task} 기본값)"),
    "not_ready": (
        "I still need an answer before I can start.",
        "시작하기 전에 답이 필요한 항목이 있습니다.",
    ),
}

LABELS: dict[str, tuple[str, str]] = {
    "model": ("Model", "모델"),
    "task": ("Task", "작업"),
    "preset": ("Preset", "프리셋"),
    "dataset": ("Data set", "데이터셋"),
    "optimizer": ("Optimizer / learning rate", "옵티마이저 / 학습률"),
    "warmup": ("Warm-up epochs", "웜업 에폭"),
    "augmentation": ("Augmentation", "증강"),
    "epochs": ("Epochs", "에폭"),
    "batch": ("Batch size", "배치 크기"),
    "image_size": ("Image size", "이미지 크기"),
    "classes": ("Classes", "클래스"),
    "none": ("none", "없음"),
    "source_request": ("asked", "요청"),
    "source_preset": ("preset", "프리셋"),
    "source_default": ("default", "기본값"),
    "source_resolved": ("resolved for the run", "실행에 맞춤"),
    "weights": ("Pretrained weights", "사전학습 가중치"),
    "not_used": ("not used", "적용 안 됨"),
    "auto": ("auto, from the model", "자동, 모델 기준"),
    "from_data": ("from the data set", "데이터셋에서 읽음"),
    "classification": ("image classification", "이미지 분류"),
    "detection": ("object detection", "객체 탐지"),
    "segmentation": ("segmentation", "세그멘테이션"),
    "pose": ("pose estimation", "포즈 추정"),
}


def say(key: str, language: Language, **values: Any) -> str:
    """The message `key` in `language`, filled with `values`."""
    english, korean = MESSAGES[key]
    return (korean if language == "ko" else english).format(**values)


def label(key: str, language: Language) -> str:
    """A short label (summary line names, task names) in `language`."""
    english, korean = LABELS[key]
    return korean if language == "ko" else english


def detect_language(text: str) -> Language:
    """Korean when the text holds any Hangul syllable, else English."""
    return "ko" if _HANGUL.search(text) else "en"
