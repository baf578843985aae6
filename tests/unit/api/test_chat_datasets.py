"""The chat names stored data sets: the session service passes the store's names to the
conversation, and the job it creates trains on (and records) the version."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from vision_platform.api.app import create_app
from vision_platform.settings import Settings


@pytest.fixture
def client(database_url: str, tiny_digits: Path, tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(
        home=tmp_path / ".vp", database_url=database_url, data_roots=str(tiny_digits.parent)
    )
    with TestClient(create_app(settings, run_scheduler=False)) as c:
        yield c


def register(client: TestClient, name: str, folder: Path) -> dict[str, Any]:
    answer = client.post("/api/v1/datasets", json={"name": name, "source": str(folder)})
    assert answer.status_code == 201, answer.text
    version: dict[str, Any] = answer.json()
    return version


def say(client: TestClient, message: str, session_id: str | None = None) -> dict[str, Any]:
    body = {"message": message, **({"session_id": session_id} if session_id else {})}
    answer = client.post("/api/v1/chat", json=body)
    assert answer.status_code == 200, answer.text
    doc: dict[str, Any] = answer.json()
    return doc


@pytest.mark.parametrize(
    ("request_text", "confirm"),
    [
        ("digits 데이터셋으로 학습해줘, 에폭 2", "네"),
        ("train resnet18 on the digits dataset for 2 epochs", "yes"),
    ],
)
def test_a_named_data_set_trains_the_job_on_its_newest_version(
    client: TestClient, tiny_digits: Path, request_text: str, confirm: str
) -> None:
    version = register(client, "digits", tiny_digits)
    first = say(client, request_text)
    assert first["intent"]["dataset"] == "digits" and first["missing"] == []
    assert first["needs_confirmation"], first["reply"]
    assert first["settings"]["dataset_path"]["value"] == "digits"
    done = say(client, confirm, first["session_id"])
    job = client.get(f"/api/v1/jobs/{done['job_id']}").json()
    assert (job["dataset"], job["dataset_path"]) == (version["ref"], version["uri"])
    assert (job["model_name"], job["task_type"], job["num_epochs"]) == (
        "resnet18",
        "classification",
        2,
    )
    stored = client.get(f"/api/v1/chat/{first['session_id']}").json()
    assert stored["state"]["spec"]["dataset_path"] == version["uri"]  # where it really lies


def test_the_chat_lists_the_data_sets_and_asks_again_for_an_unknown_one(
    client: TestClient, tiny_digits: Path
) -> None:
    register(client, "digits", tiny_digits)
    first = say(client, "train resnet18 for image classification")
    assert first["reply"].endswith(
        "Which data set should I train on? Please give its path.\n"
        "Uploaded data sets you can name: digits."
    )
    typo = say(client, "use the digitz dataset", first["session_id"])
    assert typo["questions"] == ["There is no data set named 'digitz'. Uploaded data sets: digits."]
    answered = say(client, "digits", first["session_id"])
    assert answered["intent"]["dataset"] == "digits" and answered["needs_confirmation"]


def test_a_version_deleted_before_the_yes_is_asked_for_again(
    client: TestClient, tiny_digits: Path
) -> None:
    version = register(client, "digits", tiny_digits)
    first = say(client, "digits 데이터셋으로 resnet18 학습해줘")
    assert first["needs_confirmation"]
    gone = client.delete(f"/api/v1/datasets/digits/versions/{version['version']}")
    assert gone.status_code == 204
    answer = say(client, "네", first["session_id"])
    assert answer["job_id"] is None and answer["intent"]["dataset"] is None
    assert answer["missing"] == ["dataset_path"]
    assert "학습 작업을 만들 수 없습니다" in answer["reply"]
