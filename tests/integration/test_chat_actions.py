"""Real jobs driven through the chat on a real server (tiny digits, resnet10t at 32 px): start,
status, pause, resume to more epochs, compare, register, promote, predict an attached image."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.platform_server import PlatformServer

pytestmark = pytest.mark.slow  # about 90 s: three trainer processes and a prediction

LONG_RUN = 5  # epochs: the pause lands while the run goes on (an epoch takes seconds)


@pytest.fixture
def server(tmp_path: Path, tiny_digits: Path) -> Iterator[PlatformServer]:
    platform = PlatformServer(home=tmp_path / ".vp", data_root=tiny_digits.parent).start()
    yield platform
    platform.stop()


class Conversation:
    def __init__(self, server: PlatformServer) -> None:
        self.server = server
        self.session_id: str | None = None

    def say(self, message: str) -> dict[str, Any]:
        body = {"message": message, "session_id": self.session_id}
        response = self.server.api.post("/chat", json=body)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        self.session_id = answer["session_id"]
        return answer

    def start(self, request: str) -> int:
        assert self.say(request)["needs_confirmation"]
        job_id = self.say("네")["job_id"]
        assert isinstance(job_id, int)
        return job_id


def test_start_status_pause_resume_compare_promote_predict(
    server: PlatformServer, tiny_digits: Path
) -> None:
    chat = Conversation(server)
    base = f"resnet10t 분류, 배치 4, 이미지 크기 32, 데이터 {tiny_digits}"
    long_job = chat.start(f"{base}, 에폭 {LONG_RUN}")
    short_job = Conversation(server).start(f"{base}, 에폭 1")

    server.wait_epoch(long_job, 1)
    status = chat.say("그거 어떻게 되고 있어?")
    [card] = status["cards"]
    assert (card["type"], card["job_id"], card["num_epochs"]) == ("status", long_job, LONG_RUN)
    assert card["epoch"] >= 1 and len(card["curve"]) == card["epoch"]
    assert status["reply"].startswith(f"{long_job}번 작업(resnet10t)은 ")

    asked = chat.say("pause it")
    assert asked["cards"][0]["type"] == "confirm" and asked["cards"][0]["job_id"] == long_job
    assert chat.say("yes")["cards"][0]["requested_action"] == "pause"
    paused = server.wait_status(long_job, "paused", "completed")
    assert paused["status"] == "paused", "the run finished before the pause reached it"

    extended = LONG_RUN + 1
    resumed = chat.say(f"이어서 학습해줘, {extended} 에폭까지")
    assert resumed["cards"][0]["num_epochs"] == extended, resumed["reply"]
    done = server.wait_status(long_job, "completed", "failed")
    assert done["status"] == "completed" and done["current_epoch"] == extended
    assert server.wait_status(short_job, "completed", "failed")["status"] == "completed"

    compared = chat.say(f"compare jobs {long_job} and {short_job}")
    [table] = compared["cards"]
    assert table["type"] == "comparison" and table["job_ids"] == [long_job, short_job]
    best = table["best_job_id"]
    assert best in (long_job, short_job) and f"job {best} is best" in compared["reply"]

    registered = chat.say("register the best one as digits-cls")
    assert registered["cards"][0] == registered["cards"][0] | {"name": "digits-cls", "version": 1}
    assert registered["cards"][0]["job_id"] == best
    asked = chat.say("그 모델을 production으로 올려줘")
    assert asked["cards"][0] | {"action": "promote"} == asked["cards"][0]
    promoted = chat.say("네")
    assert promoted["cards"][0]["aliases"] == ["production"]
    assert server.api.get("/models/digits-cls").json()["aliases"] == {"production": 1}

    image = next(tiny_digits.rglob("*.png"))
    with image.open("rb") as f:
        response = server.api.post(
            "/chat/messages/image",
            data={"message": "이 이미지 뭐야?", "session_id": chat.session_id},
            files={"file": (image.name, f, "image/png")},
        )
    assert response.status_code == 200, response.text
    [prediction] = response.json()["cards"]
    assert prediction["type"] == "prediction" and prediction["source"] == "digits-cls@v1"
    assert prediction["result"]["predicted_label"] in {"0", "1"}
    assert len(prediction["result"]["top5_predictions"]) == 2
