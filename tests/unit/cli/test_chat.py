"""`vp chat`: a conversation with a running server that ends in exactly the job agreed on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.unit.cli.conftest import vp


def test_vp_chat_talks_to_a_running_server_until_the_job_exists(
    platform: str, tiny_digits: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VP_API_TOKEN", raising=False)
    lines = f"resnet18 classification, 1 epoch, batch 2\n{tiny_digits}\nyes\nnever read\n"
    result = vp("chat", "--server", platform, input=lines)
    assert result.exit_code == 0, result.output
    assert "Which data set should I train on?" in result.output
    assert "Shall I start?" in result.output
    assert "Job 1 is created" in result.output
    assert "vp jobs logs 1 --follow" in result.output
    job = json.loads(vp("jobs", "show", "1", "--server", platform).output)
    assert (job["num_epochs"], job["dataset_path"]) == (1, str(tiny_digits))


def test_vp_chat_ends_on_an_empty_line_without_a_job(platform: str) -> None:
    result = vp("chat", "--server", platform, input="\n")
    assert result.exit_code == 0, result.output
    assert json.loads(vp("jobs", "list", "--json", "--server", platform).output)["total"] == 0
