"""`vp jobs …` against a running server: what it sends, what it prints, how it fails."""

from __future__ import annotations

import json
from pathlib import Path

from tests.unit.cli.conftest import vp


def test_create_show_list_cancel(platform: str, tiny_digits: Path, tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text('{"mixup": true}')
    created = vp(
        "jobs", "create", "--model_name", "resnet18", "--dataset-path", str(tiny_digits),
        "--num_epochs", "2", "--batch-size", "4", "--config", f"@{config}", "--server", platform,
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    job = json.loads(created.stdout)
    assert (job["status"], job["num_epochs"], job["batch_size"]) == ("pending", 2, 4)
    assert job["advanced_config"]["mixup"] is True
    shown = json.loads(vp("jobs", "show", str(job["id"]), "--server", platform).stdout)
    assert shown["id"] == job["id"]
    listed = json.loads(vp("jobs", "list", "--json", "--server", platform).stdout)
    assert [j["id"] for j in listed["items"]] == [job["id"]]
    table = vp("jobs", "list", "--server", platform)
    assert table.exit_code == 0 and "resnet18" in table.stdout
    cancelled = json.loads(vp("jobs", "cancel", str(job["id"]), "--server", platform).stdout)
    assert cancelled["status"] == "cancelled"


def test_a_refused_request_exits_2_with_the_server_s_reason(platform: str) -> None:
    result = vp("jobs", "show", "99", "--server", platform)
    assert result.exit_code == 2
    assert result.stderr.startswith("ERROR (404):")


def test_a_server_that_is_not_there_exits_1() -> None:
    result = vp("jobs", "list", "--server", "http://127.0.0.1:9")
    assert result.exit_code == 1
    assert "cannot reach the platform at http://127.0.0.1:9" in result.stderr


def test_bad_config_json_names_the_option_and_exits_2(platform: str, tiny_digits: Path) -> None:
    result = vp(
        "jobs", "create", "--model-name", "resnet18", "--dataset-path", str(tiny_digits),
        "--config", "{mixup", "--server", platform,
    )  # fmt: skip
    assert result.exit_code == 2
    assert "ERROR: --config is not valid JSON" in result.stderr


def test_resume_extends_the_run(platform: str, tiny_digits: Path) -> None:
    created = vp(
        "jobs", "create", "--model-name", "resnet18", "--dataset-path", str(tiny_digits),
        "--num-epochs", "2", "--batch-size", "4", "--server", platform,
    )  # fmt: skip
    job_id = str(json.loads(created.stdout)["id"])
    assert (
        json.loads(vp("jobs", "pause", job_id, "--server", platform).stdout)["status"] == "paused"
    )
    refused = vp("jobs", "resume", job_id, "--num-epochs", "0", "--server", platform)
    assert refused.exit_code == 2 and "num_epochs" in refused.stderr
    resumed = json.loads(
        vp("jobs", "resume", job_id, "--num-epochs", "5", "--server", platform).stdout
    )
    assert (resumed["status"], resumed["num_epochs"]) == ("pending", 5)
