"""Preemption end to end, with one slot: a high-priority job preempts a seeded low-priority
20-epoch run, which resumes and ends as if nothing had happened."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from tests.integration.platform_server import PlatformServer
from tests.integration.test_jobs_lifecycle import job_body, metric_epochs

EPOCHS = 20
pytestmark = pytest.mark.slow  # three runs, 42 epochs in all (46 s here; 339 s when loaded)


@pytest.fixture
def server(tmp_path: Path, tiny_digits: Path) -> Iterator[PlatformServer]:
    platform = PlatformServer(
        home=tmp_path / ".vp", data_root=tiny_digits.parent, VP_MAX_CONCURRENT_JOBS="1"
    ).start()
    yield platform
    platform.stop()


def final_weights(job: dict[str, object]) -> dict[str, torch.Tensor]:
    path = Path(str(job["last_checkpoint_uri"]))
    state: dict[str, torch.Tensor] = torch.load(path, map_location="cpu", weights_only=True)[
        "model"
    ]
    return state


def test_a_high_job_preempts_a_low_one_that_resumes_bit_exactly(
    server: PlatformServer, tiny_digits: Path
) -> None:
    low = server.create(**job_body(tiny_digits, num_epochs=EPOCHS, priority="low"))
    server.wait_epoch(low["id"], 1)
    high = server.create(**job_body(tiny_digits, num_epochs=2, priority="high"))

    done_high = server.wait_status(high["id"], "completed", "failed")
    assert done_high["status"] == "completed", server.log_text(high["id"])
    done_low = server.wait_status(low["id"], "completed", "failed")
    assert done_low["status"] == "completed", server.log_text(low["id"])
    logs = server.log_text(low["id"])
    assert f"preempted by job {high['id']} at epoch" in logs, logs
    assert done_low["current_epoch"] < EPOCHS or "Resuming training" in logs
    assert (done_low["attempt_count"], done_low["failure_count"]) == (2, 0), logs
    assert done_high["finished_at"] < done_low["finished_at"]
    assert metric_epochs(server, low["id"]) == list(range(1, EPOCHS + 1))

    # The same run, uninterrupted (nothing of higher priority comes): the same weights.
    alone = server.create(**job_body(tiny_digits, num_epochs=EPOCHS, priority="low"))
    done_alone = server.wait_status(alone["id"], "completed", "failed")
    assert done_alone["attempt_count"] == 1, server.log_text(alone["id"])
    expected, got = final_weights(done_alone), final_weights(done_low)
    different = [k for k in expected if not torch.equal(expected[k], got[k])]
    assert not different, f"weights differ in {len(different)} tensors, e.g. {different[:3]}"
