"""The chat routes in process (no scheduler): a conversation over HTTP ends in exactly its job."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from vision_platform.adapters.registry import registry
from vision_platform.api.app import create_app
from vision_platform.presets import RunFacts
from vision_platform.settings import Settings

TOKEN = "chat-token"


@pytest.fixture(scope="module")
def data_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The one folder the server may read data sets from, holding a tiny digits set."""
    from vision_platform.datasets.digits import make_digits

    root = tmp_path_factory.mktemp("allowed")
    make_digits(root / "digits", num_classes=2, per_class=6, size=16)
    return root


@pytest.fixture(scope="module")
def digits(data_root: Path) -> Path:
    return (data_root / "digits").resolve()


@pytest.fixture(scope="module")
def outside_digits(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A good data set in a folder outside the data roots."""
    from vision_platform.datasets.digits import make_digits

    folder = tmp_path_factory.mktemp("elsewhere") / "digits"
    return make_digits(folder, num_classes=2, per_class=6, size=16).resolve()


def make_client(database_url: str, data_root: Path, home: Path, **extra: Any) -> TestClient:
    settings = Settings(home=home, database_url=database_url, data_roots=str(data_root), **extra)
    return TestClient(create_app(settings, run_scheduler=False))


@pytest.fixture
def client(database_url: str, data_root: Path, tmp_path: Path) -> Iterator[TestClient]:
    with make_client(database_url, data_root, tmp_path / ".vp") as c:
        yield c


def say(client: TestClient, message: str, session_id: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"message": message}
    if session_id is not None:
        body["session_id"] = session_id
    response = client.post("/api/v1/chat", json=body)
    assert response.status_code == 200, response.text
    doc: dict[str, Any] = response.json()
    return doc


def job_count(client: TestClient) -> int:
    total: int = client.get("/api/v1/jobs").json()["total"]
    return total


def test_korean_conversation_creates_exactly_the_agreed_job(
    client: TestClient, digits: Path
) -> None:
    first = say(client, "ResNet-18으로 이미지 분류 학습해줘. 난이도는 medium으로. 에폭 3, 배치 4")
    sid = first["session_id"]
    assert first["missing"] == ["dataset_path"] and not first["needs_confirmation"]
    assert first["reply"].endswith("어떤 데이터셋으로 학습할까요? 데이터셋 경로를 알려주세요.")
    assert first["intent"]["model_name"] == "resnet18" and first["job_id"] is None

    given = say(client, str(digits), sid)
    assert given["session_id"] == sid and given["missing"] == []
    assert given["needs_confirmation"] and given["reply"].endswith("이대로 진행할까요?")
    assert f"- 데이터셋: {digits}" in given["reply"]

    changed = say(client, "learning rate는 0.0005로 바꿔줘", sid)
    assert changed["intent"]["learning_rate"] == 0.0005 and changed["needs_confirmation"]
    assert "- 옵티마이저 / 학습률: adamw (프리셋) / 0.0005" in changed["reply"]
    assert job_count(client) == 0  # nothing is created before the user confirms

    done = say(client, "네", sid)
    job_id = done["job_id"]
    assert isinstance(job_id, int) and not done["needs_confirmation"]
    assert f"학습 작업 {job_id}을(를) 만들었습니다" in done["reply"]

    job = client.get(f"/api/v1/jobs/{job_id}").json()
    assert {k: job[k] for k in ("status", "model_name", "framework", "task_type")} == {
        "status": "pending",
        "model_name": "resnet18",
        "framework": "timm",
        "task_type": "classification",
    }
    assert (job["preset"], job["num_epochs"], job["batch_size"]) == ("medium", 3, 4)
    assert (job["learning_rate"], job["image_size"]) == (0.0005, None)
    assert job["dataset_path"] == str(digits) and job["advanced_config"] == {}
    assert job_count(client) == 1

    stored = client.get(f"/api/v1/chat/{sid}").json()
    assert stored["job_id"] == job_id and stored["stage"] == "confirmed"
    assert stored["language"] == "ko" and stored["state"]["intent"]["learning_rate"] == 0.0005
    assert [t["role"] for t in stored["turns"]] == ["user", "assistant"] * 4
    assert stored["turns"][6]["text"] == "네" and stored["turns"][7]["text"] == done["reply"]

    # a confirmed conversation is done: it never makes a second job
    again = client.post("/api/v1/chat", json={"message": "네", "session_id": sid})
    assert again.status_code == 409 and f"job {job_id}" in again.json()["detail"]
    assert client.post(f"/api/v1/chat/{sid}/confirm").status_code == 409
    assert job_count(client) == 1


def test_the_response_carries_the_settings_the_job_is_created_with(
    client: TestClient, digits: Path
) -> None:
    assert say(client, "hello")["settings"] is None  # nothing to resolve yet
    request = f"resnet18 분류, 난이도 medium, 학습률 0.0005, 에폭 3, 배치 4, 데이터 {digits}"
    first = say(client, request)
    settings = first["settings"]

    def setting(value: Any, source: str) -> dict[str, Any]:
        return {"value": value, "source": source, "applies": True}

    assert (settings["model_name"], settings["framework"]) == (
        setting("resnet18", "request"),
        "timm",
    )
    assert settings["preset"] == setting("medium", "request")
    assert settings["optimizer"] == setting("adamw", "preset")
    assert settings["learning_rate"] == setting(0.0005, "request")
    # the preset's 5 warm-up epochs and its mixup do not fit a 3-epoch run: resolved, with why
    assert settings["warmup_epochs"] == setting(0, "resolved")
    assert settings["preset_intent"].startswith("balanced")
    assert [a["message"] for a in settings["adjustments"]] == [
        "warm-up 5 → 0 epochs: the run has 3 epochs; warm-up is kept to 10% of a run",
        "mixup on → off: the run has 3 epochs; heavy augmentation pays off from about 20 "
        "(off below 5)",
        "crop_scale_min 0.5 → 0.8: the run has 3 epochs; crops this tight pay off from about 20",
    ]
    augmentations = {a["name"]: (a["value"], a["source"]) for a in settings["augmentations"]}
    assert augmentations == {
        "aug_enabled": (True, "preset"),
        "crop_scale_min": (0.8, "resolved"),
        "random_flip": (True, "preset"),
        "color_jitter": (0.4, "preset"),
    }
    assert (settings["num_epochs"], settings["batch_size"]) == (
        setting(3, "request"),
        setting(4, "request"),
    )
    assert settings["image_size"] == setting(None, "default")
    assert settings["dataset_path"] == setting(str(digits), "request")
    # the reply text above the card says the same
    assert "- 옵티마이저 / 학습률: adamw (프리셋) / 0.0005" in first["reply"]
    assert "color_jitter 0.4 (프리셋)" in first["reply"]
    assert "- 이번 실행에 맞게 조정: warm-up 5 → 0 epochs: the run has 3 epochs" in first["reply"]

    done = say(client, "네", first["session_id"])
    job = client.get(f"/api/v1/jobs/{done['job_id']}").json()
    # the job shows the same resolution, and the trainer resolves the same config
    assert job["adjustments"] == settings["adjustments"]
    assert job["preset_intent"] == settings["preset_intent"]
    config = (
        registry.info("timm")
        .resolve_config(
            preset=job["preset"],
            advanced_config=job["advanced_config"],
            learning_rate=job["learning_rate"],
            run=RunFacts(num_epochs=job["num_epochs"], batch_size=job["batch_size"]),
        )
        .config
    )
    assert config["optimizer_type"] == settings["optimizer"]["value"]
    assert config["learning_rate"] == settings["learning_rate"]["value"]
    assert config["warmup_epochs"] == settings["warmup_epochs"]["value"]
    assert all(config[name] == value for name, (value, _) in augmentations.items())
    assert not config["cutmix"] and not config["mixup"]
    assert (job["model_name"], job["num_epochs"], job["batch_size"], job["image_size"]) == (
        "resnet18",
        3,
        4,
        None,
    )


def test_english_conversation_confirms_with_yes(client: TestClient, digits: Path) -> None:
    first = say(client, "Train resnet18 for image classification, 2 epochs, batch 4")
    sid = first["session_id"]
    assert first["reply"].endswith("Which data set should I train on? Please give its path.")
    given = say(client, f"the data set is at {digits}", sid)
    assert given["needs_confirmation"] and given["reply"].endswith("Shall I start?")
    changed = say(client, "use SGD with momentum 0.8", sid)
    assert changed["intent"]["advanced_config"] == {"optimizer_type": "sgd", "momentum": 0.8}

    done = say(client, "yes", sid)
    assert done["reply"].endswith(f"Job {done['job_id']} is created and waits for the scheduler.")
    job = client.get(f"/api/v1/jobs/{done['job_id']}").json()
    assert (job["model_name"], job["num_epochs"], job["batch_size"]) == ("resnet18", 2, 4)
    assert job["advanced_config"] == {"optimizer_type": "sgd", "momentum": 0.8}
    assert job["learning_rate"] is None and job["preset"] is None


def test_confirm_route_creates_the_job_once(client: TestClient, digits: Path) -> None:
    ready = say(client, f"resnet18 classification on {digits}, 1 epoch, batch 2")
    assert ready["needs_confirmation"]
    sid = ready["session_id"]
    created = client.post(f"/api/v1/chat/{sid}/confirm")
    assert created.status_code == 201, created.text
    job = created.json()
    assert (job["model_name"], job["num_epochs"], job["batch_size"]) == ("resnet18", 1, 2)
    assert client.get(f"/api/v1/jobs/{job['id']}").json()["status"] == "pending"
    assert client.get(f"/api/v1/chat/{sid}").json()["job_id"] == job["id"]
    again = client.post(f"/api/v1/chat/{sid}/confirm")
    assert again.status_code == 409 and "already confirmed" in again.json()["detail"]
    assert job_count(client) == 1


def test_confirm_is_refused_while_something_is_missing_or_unclear(
    client: TestClient, digits: Path
) -> None:
    unclear = say(client, f"resnet51 classification on {digits}")
    assert unclear["questions"] and not unclear["needs_confirmation"]
    refused = client.post(f"/api/v1/chat/{unclear['session_id']}/confirm")
    assert refused.status_code == 409
    assert unclear["questions"][0] in refused.json()["detail"]

    no_data = say(client, "resnet18 classification")
    refused = client.post(f"/api/v1/chat/{no_data['session_id']}/confirm")
    assert refused.status_code == 409 and "Which data set" in refused.json()["detail"]
    # a refused confirm changes nothing: the conversation goes on where it was
    state = client.get(f"/api/v1/chat/{no_data['session_id']}").json()
    assert state["stage"] == "collecting" and len(state["turns"]) == 2
    assert job_count(client) == 0


def test_a_data_set_outside_the_data_roots_is_asked_for_again(
    client: TestClient, digits: Path, outside_digits: Path
) -> None:
    ready = say(client, f"resnet18 classification on {outside_digits}, 2 epochs")
    sid = ready["session_id"]
    assert ready["needs_confirmation"]

    # the confirm route answers like POST /jobs, and the conversation stays as it was
    forbidden = client.post(f"/api/v1/chat/{sid}/confirm")
    assert forbidden.status_code == 403
    assert "outside the allowed data folders" in forbidden.json()["detail"]
    assert client.get(f"/api/v1/chat/{sid}").json()["stage"] == "confirming"

    # in the conversation, a "yes" gets the reason and the question for another data set
    answered = say(client, "yes", sid)
    assert answered["job_id"] is None and answered["missing"] == ["dataset_path"]
    assert "outside the allowed data folders" in answered["questions"][0]
    assert answered["reply"].endswith("Which data set should I train on? Please give its path.")
    assert answered["intent"]["num_epochs"] == 2  # nothing else is forgotten
    assert job_count(client) == 0

    fixed = say(client, str(digits), sid)
    assert fixed["needs_confirmation"] and fixed["questions"] == []
    done = say(client, "yes", sid)
    job = client.get(f"/api/v1/jobs/{done['job_id']}").json()
    assert job["dataset_path"] == str(digits) and job["num_epochs"] == 2


def test_unknown_sessions_and_bad_bodies(client: TestClient) -> None:
    unknown = "0b7f9a52-0000-4000-8000-000000000000"
    missing = client.post("/api/v1/chat", json={"message": "hi", "session_id": unknown})
    assert missing.status_code == 404 and unknown in missing.json()["detail"]
    assert client.post(f"/api/v1/chat/{unknown}/confirm").status_code == 404
    assert client.get(f"/api/v1/chat/{unknown}").status_code == 404

    for bad in (
        {},
        {"message": ""},
        {"message": "x" * 4001},
        {"message": "resnet18", "model_name": "resnet18"},
        {"message": 3},
    ):
        response = client.post("/api/v1/chat", json=bad)
        assert response.status_code == 422, bad
    assert client.get("/api/v1/chat/" + "x" * 65).status_code == 422


def test_chat_needs_the_api_token_when_set(
    database_url: str, data_root: Path, tmp_path: Path
) -> None:
    with make_client(database_url, data_root, tmp_path / ".vp", api_token=TOKEN) as client:
        assert client.post("/api/v1/chat", json={"message": "resnet18"}).status_code == 401
        auth = {"Authorization": f"Bearer {TOKEN}"}
        ok = client.post("/api/v1/chat", json={"message": "resnet18"}, headers=auth)
        assert ok.status_code == 200
        sid = ok.json()["session_id"]
        assert client.get(f"/api/v1/chat/{sid}").status_code == 401
        assert client.post(f"/api/v1/chat/{sid}/confirm").status_code == 401
        assert client.get(f"/api/v1/chat/{sid}", headers=auth).status_code == 200
