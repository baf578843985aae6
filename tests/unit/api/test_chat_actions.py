"""The chat's actions over HTTP, on jobs written straight to the database (no trainer): the
typed cards, the confirmation step, "it" from the conversation, answers in the user's language."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from vision_platform.db.models import MetricPoint, TrainingJob, utcnow
from vision_platform.jobs.paths import job_dir

from .conftest import insert_jobs
from .test_chat_routes import data_root, digits, make_client  # noqa: F401


@pytest.fixture
def client(database_url: str, data_root: Path, tmp_path: Path) -> Iterator[TestClient]:  # noqa: F811
    with make_client(database_url, data_root, tmp_path / ".vp") as c:
        yield c


def say(client: TestClient, message: str, session_id: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"message": message, "session_id": session_id}
    response = client.post("/api/v1/chat", json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def running_job(client: TestClient, *, accuracies: list[float]) -> int:
    """A running 10-epoch job with one metric point per finished epoch, a minute apart."""
    db = client.app.state.jobs.db  # type: ignore[attr-defined]
    [job_id] = insert_jobs(db, 1, status="running")
    start = utcnow() - timedelta(minutes=len(accuracies))
    with db.session() as session:
        job = session.get(TrainingJob, job_id)
        job.current_epoch, job.started_at = len(accuracies), start
        job.best_metric = max(accuracies) if accuracies else None
        for epoch, acc in enumerate(accuracies, start=1):
            at = start + timedelta(minutes=epoch)
            session.add(
                MetricPoint(job_id=job_id, epoch=epoch, values={"val_acc": acc}, created_at=at)
            )
    return job_id


def test_status_card_has_progress_best_metric_eta_and_curve(client: TestClient) -> None:
    job_id = running_job(client, accuracies=[0.5, 0.7, 0.6, 0.8])
    answer = say(client, f"{job_id}번 작업 어떻게 되고 있어?")
    assert answer["action"] == "status" and not answer["needs_confirmation"]
    [card] = answer["cards"]
    assert card["type"] == "status" and card["job_id"] == job_id
    assert (card["epoch"], card["num_epochs"], card["progress"]) == (4, 10, 0.4)
    assert card["best_metric"] == 0.8 and card["curve"] == [0.5, 0.7, 0.6, 0.8]
    assert card["eta_seconds"] == pytest.approx(6 * 60, rel=0.01)
    assert answer["reply"] == (
        f"{job_id}번 작업(resnet18)은 학습 중 상태입니다: 에폭 4/10, 최고 val_acc 0.8, 약 6분 남음."
    )
    # "it" is the job the conversation is about; English gets English.
    again = say(client, "how is it going?", answer["session_id"])
    assert again["cards"][0]["job_id"] == job_id
    assert again["reply"].startswith(f"Job {job_id} (resnet18) is running: epoch 4/10")


def test_pause_waits_for_a_yes_and_a_no_drops_it(client: TestClient) -> None:
    job_id = running_job(client, accuracies=[0.5])
    asked = say(client, f"pause job {job_id}")
    [card] = asked["cards"]
    assert (card["type"], card["action"], card["job_id"]) == ("confirm", "pause", job_id)
    assert client.get(f"/api/v1/jobs/{job_id}").json()["requested_action"] is None
    dropped = say(client, "no", asked["session_id"])
    assert dropped["reply"] == "OK, nothing was changed." and dropped["cards"] == []
    assert client.get(f"/api/v1/jobs/{job_id}").json()["requested_action"] is None

    asked = say(client, "그거 일시 정지해줘", asked["session_id"])
    assert asked["cards"][0]["action"] == "pause"
    done = say(client, "네", asked["session_id"])
    assert done["reply"] == f"{job_id}번 작업을 일시 정지합니다. 저장한 뒤 멈춥니다."
    assert done["cards"][0]["requested_action"] == "pause"
    assert client.get(f"/api/v1/jobs/{job_id}").json()["requested_action"] == "pause"


def test_an_action_a_job_cannot_take_is_refused_without_a_card(client: TestClient) -> None:
    [job_id] = insert_jobs(client.app.state.jobs.db, 1)  # type: ignore[attr-defined]
    answer = say(client, f"cancel job {job_id}")
    assert answer["reply"] == f"Job {job_id} is completed, so it cannot be cancelled."
    assert [c["type"] for c in answer["cards"]] == ["status"]
    missing = say(client, "job 999 status")
    assert missing["reply"].startswith("I could not do that: job 999")
    huge = say(client, "status of job 99999999999")
    assert huge["reply"].startswith("Not used: job_ids 99999999999: ")
    assert huge["cards"][0]["job_id"] == job_id  # then: the newest job


def test_compare_names_the_best_job_and_the_differences(client: TestClient) -> None:
    first = running_job(client, accuracies=[0.5, 0.6])
    second = running_job(client, accuracies=[0.7, 0.9])
    answer = say(client, "compare my last two runs")
    [card] = answer["cards"]
    assert card["type"] == "comparison" and sorted(card["job_ids"]) == [first, second]
    assert card["best_job_id"] == second and card["best_metric_name"] == "val_acc"
    assert {r["job_id"]: r["best_metric"] for r in card["rows"]} == {first: 0.6, second: 0.9}
    assert f"job {second} is best (0.9)" in answer["reply"]
    korean = say(client, f"{first}번과 {second}번 비교해줘")
    assert korean["cards"][0]["job_ids"] == [first, second]
    assert f"{second}번 작업이 가장 좋습니다" in korean["reply"]


def test_datasets_are_listed_and_a_training_request_still_trains(
    client: TestClient,
    digits: Path,  # noqa: F811
) -> None:
    listed = say(client, "what datasets do I have?")
    assert listed["action"] == "datasets" and listed["cards"][0]["items"] == []
    train = say(client, f"resnet18 classification on {digits}, 1 epoch", listed["session_id"])
    assert train["action"] is None and train["needs_confirmation"]


def test_predict_without_an_image_asks_for_one(client: TestClient) -> None:
    answer = say(client, "이 이미지 뭐야?")
    assert answer["reply"] == "이미지를 채팅에 끌어다 놓고 다시 물어봐 주세요."


def test_a_failing_llm_provider_falls_back_to_the_rules_and_says_so(
    database_url: str,
    data_root: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    pytest.importorskip("openai", reason="the openai SDK (dev extra) is not installed")
    unreachable = {"llm_provider": "openai", "llm_base_url": "http://127.0.0.1:9/v1",
                   "llm_timeout_seconds": 1.0}  # fmt: skip
    with make_client(database_url, data_root, tmp_path / ".vp", **unreachable) as client:
        [job_id] = insert_jobs(client.app.state.jobs.db, 1)  # type: ignore[attr-defined]
        answer = say(client, f"{job_id}번 작업 상태 알려줘")
    first, status = answer["reply"].split("\n")
    assert first.startswith("openai 제공자가 실패해(APIConnectionError")
    assert status.startswith(f"{job_id}번 작업(resnet18)은 완료 상태입니다")
    assert answer["cards"][0]["job_id"] == job_id


def test_after_a_job_the_conversation_goes_on_with_another_request(
    client: TestClient,
    digits: Path,  # noqa: F811
) -> None:
    first = say(client, f"resnet18 classification on {digits}, 1 epoch, batch 2")
    sid = first["session_id"]
    made = say(client, "yes", sid)["job_id"]
    assert say(client, "how is it going?", sid)["cards"][0]["job_id"] == made
    again = client.post("/api/v1/chat", json={"message": "yes", "session_id": sid})
    assert again.status_code == 409  # the settings of the first job make no second one
    second = say(client, f"resnet10t classification on {digits}, 2 epochs", sid)
    assert second["needs_confirmation"] and second["intent"]["num_epochs"] == 2
    assert second["intent"]["batch_size"] is None  # nothing carried over from the first job
    created = client.post(f"/api/v1/chat/{sid}/confirm")
    assert created.status_code == 201 and created.json()["id"] != made
    assert client.get(f"/api/v1/chat/{sid}").json()["job_id"] == created.json()["id"]


def test_an_attachment_that_is_no_image_is_415(client: TestClient) -> None:
    jobs = client.app.state.jobs  # type: ignore[attr-defined]
    [job_id] = insert_jobs(jobs.db, 1)
    weights = job_dir(jobs.settings, job_id) / "weights"
    weights.mkdir(parents=True)
    (weights / "best.pt").write_bytes(b"a checkpoint")  # the upload is checked first
    answer = client.post(
        "/api/v1/chat/messages/image",
        data={"message": f"predict with job {job_id}"},
        files={"file": ("notes.png", b"not an image", "image/png")},
    )
    assert answer.status_code == 415, answer.text
