"""Stored data sets named in a request: read against the names the caller passes in."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import pytest

from vision_platform.intent import ChatService, RulesParser, TrainingIntent

KNOWN = ["digits", "shapes"]
TASKS = {"digits": "classification", "shapes": "segmentation"}  # as the chat passes them
VERSION = "0123456789ab"

# request, the names the caller knows (None: it passes none), what the intent then says
CASES: list[tuple[str, Collection[str] | None, dict[str, Any]]] = [
    ("digits 데이터셋으로 학습해줘", KNOWN, {"dataset": "digits", "missing": ["model_name"]}),
    # told each data set's task, the request needs no model: the task's default trains it
    (
        "digits 데이터셋으로 학습해줘",
        TASKS,
        {"dataset": "digits", "task_type": "classification", "framework": "timm", "missing": []},
    ),
    (
        "train on the shapes dataset",
        TASKS,
        {"dataset": "shapes", "task_type": "segmentation", "model_name": None, "missing": []},
    ),
    ("digits데이터셋으로 resnet18 학습", KNOWN, {"dataset": "digits", "model_name": "resnet18"}),
    (
        "train resnet18 on the digits dataset",
        KNOWN,
        {"dataset": "digits", "model_name": "resnet18", "missing": []},
    ),
    ("train on the 'shapes' data set with yolo11n", KNOWN, {"dataset": "shapes"}),
    (f"데이터셋은 shapes@{VERSION}, yolo11n으로 탐지", KNOWN, {"dataset": f"shapes@{VERSION}"}),
    ("use the dataset named digits, 5 epochs", KNOWN, {"dataset": "digits", "num_epochs": 5}),
    ("resnet18, dataset digits, 5 epochs", KNOWN, {"dataset": "digits", "num_epochs": 5}),
    ("shapes 데이터로 yolo11n 탐지 학습", KNOWN, {"dataset": "shapes"}),
    # a path is a path, names or not
    ("digits 데이터셋 말고 /data/flowers로 분류", KNOWN, {"dataset_path": "/data/flowers"}),
    # words that only stand where a name would
    ("train resnet18 on my dataset for 5 epochs", KNOWN, {"missing": ["dataset_path"]}),
    ("resnet18 on the training data set", KNOWN, {"missing": ["dataset_path"]}),
    # a word after "dataset" that is no data set is only a guess: dropped without a question
    ("train resnet18, dataset foo", KNOWN, {"missing": ["dataset_path"]}),
    # without the names (`vp parse`), nothing is read as one
    ("train resnet18 on the digits dataset", None, {"missing": ["dataset_path"]}),
]


@pytest.mark.parametrize(("request_text", "known", "expected"), CASES)
def test_a_named_data_set_is_read_when_the_caller_knows_it(
    request_text: str, known: Collection[str] | None, expected: dict[str, Any]
) -> None:
    result = RulesParser().parse(request_text, datasets=known)
    got = result.intent.model_dump()
    assert {k: got[k] for k in expected} == expected, got
    if "dataset" not in expected:
        assert got["dataset"] is None
    assert not [i for i in result.issues if i.code == "unknown_dataset"]


# request, the names known, the question asked, the names it suggests
UNKNOWN: list[tuple[str, list[str], str, list[str]]] = [
    (
        "train resnet18 on the mnist dataset",
        KNOWN,
        "There is no data set named 'mnist'. Uploaded data sets: digits, shapes.",
        [],
    ),
    (
        "train on the digit dataset",
        KNOWN,
        "There is no data set named 'digit'. Uploaded data sets: digits, shapes.",
        ["digits"],
    ),
    (
        "mnist 데이터셋으로 학습해줘",
        KNOWN,
        "'mnist'(이)라는 데이터셋이 없습니다. 업로드된 데이터셋: digits, shapes.",
        [],
    ),
    (
        "train resnet18 on the digits dataset",
        [],
        "There is no data set named 'digits': none is uploaded yet (the Data sets page takes "
        "archives), so please give a path.",
        [],
    ),
]


@pytest.mark.parametrize(("request_text", "known", "question", "suggestions"), UNKNOWN)
def test_a_data_set_said_plainly_but_unknown_is_a_question(
    request_text: str, known: list[str], question: str, suggestions: list[str]
) -> None:
    result = RulesParser().parse(request_text, datasets=known)
    assert result.intent.dataset is None and "dataset_path" in result.intent.missing
    [issue] = [i for i in result.issues if i.code == "unknown_dataset"]
    assert (issue.text, issue.blocking, issue.suggestions) == (question, True, suggestions)
    assert result.questions == [question]


# the settings so far, the request, the data set and path after it
SWITCHES: list[tuple[dict[str, Any], str, str | None, str | None]] = [
    ({"dataset": "digits"}, "use the shapes dataset instead", "shapes", None),
    ({"dataset": "digits"}, "데이터는 /data/flowers로 바꿔줘", None, "/data/flowers"),
    ({"dataset_path": "/data/flowers"}, "digits 데이터셋으로 바꿔줘", "digits", None),
    # a data set deleted since it was chosen is asked for again
    ({"dataset": "gone"}, "에폭 3으로", None, None),
]


@pytest.mark.parametrize(("context", "request_text", "dataset", "path"), SWITCHES)
def test_a_data_set_replaces_a_path_and_back(
    context: dict[str, Any], request_text: str, dataset: str | None, path: str | None
) -> None:
    base = TrainingIntent(model_name="resnet18", framework="timm", task_type="classification")
    start = base.model_copy(update=context)
    intent = RulesParser().parse(request_text, context=start, datasets=KNOWN).intent
    assert (intent.dataset, intent.dataset_path) == (dataset, path)
    assert intent.missing == ([] if dataset or path else ["dataset_path"])


def test_the_chat_offers_the_names_and_takes_one_as_the_answer() -> None:
    chat = ChatService()
    first = chat.respond(None, "resnet18로 이미지 분류 학습해줘", datasets=KNOWN)
    assert first.reply.endswith(
        "어떤 데이터셋으로 학습할까요? 데이터셋 경로를 알려주세요.\n"
        "이름으로 고를 수 있는 업로드된 데이터셋: digits, shapes."
    )
    answered = chat.respond(first.state, "digits", datasets=KNOWN)
    assert (answered.intent.dataset, answered.intent.dataset_path) == ("digits", None)
    assert answered.needs_confirmation and "- 데이터셋: digits" in answered.reply
    done = chat.respond(answered.state, "네", datasets=KNOWN)
    assert done.spec is not None and done.spec.dataset_path == "digits"  # the platform pins it


def test_without_names_a_bare_answer_stays_a_path() -> None:
    chat = ChatService()
    first = chat.respond(None, "train resnet18 for image classification")
    assert first.reply.endswith("Which data set should I train on? Please give its path.")
    answered = chat.respond(first.state, "digits")
    assert (answered.intent.dataset, answered.intent.dataset_path) == (None, "digits")


# the settings so far, the request: a model that cannot train the data set named is a question
MISMATCHES: list[tuple[dict[str, Any], str, str]] = [
    (
        {},
        "train resnet18 on the shapes dataset",
        "The shapes data set is for segmentation, but resnet18 trains image classification: "
        "choose a model for segmentation (e.g. yolo11n-seg) or another data set.",
    ),
    (
        {"dataset": "shapes", "task_type": "segmentation"},
        "이미지 분류로 바꿔줘",
        "shapes 데이터셋은 세그멘테이션용인데 resnet18은(는) 이미지 분류 모델입니다. "
        "세그멘테이션 모델(예: yolo11n-seg)이나 다른 데이터셋을 골라 주세요.",
    ),
]


@pytest.mark.parametrize(("context", "request_text", "question"), MISMATCHES)
def test_a_model_for_another_task_than_the_data_set_is_a_question(
    context: dict[str, Any], request_text: str, question: str
) -> None:
    start = TrainingIntent(**context) if context else None
    result = RulesParser().parse(request_text, context=start, datasets=TASKS)
    assert result.questions == [question]
    assert result.issues[0].suggestions == ["yolo11n-seg"]
    assert result.intent.dataset == "shapes"  # kept: the model or the data set may change
