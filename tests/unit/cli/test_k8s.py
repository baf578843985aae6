"""`vp k8s manifest`: prints what the Kubernetes executor submits for `vp train` flags."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.unit.cli.conftest import vp
from vision_platform.configs import TrainingSpec
from vision_platform.jobs.executors.base import ExecutionRequest
from vision_platform.jobs.executors.k8s_manifests import build_manifests


def test_vp_k8s_manifest_prints_what_the_executor_submits(monkeypatch: pytest.MonkeyPatch) -> None:
    from vision_platform.settings import get_settings

    monkeypatch.setenv("VP_CALLBACK_URL", "http://vp-api:8000/api/v1")
    monkeypatch.setenv("VP_K8S_IMAGE_TAG", "9.9.9")
    get_settings.cache_clear()
    try:
        result = vp(
            "k8s", "manifest", "--model_name", "yolo11n", "--dataset-path", "data/shapes",
            "--job-id", "12", "--num-epochs", "5", "--config", '{"mosaic": 0.5}',
            "--max-stage-seconds", "900", "--attempt", "3",
        )  # fmt: skip
        expected = build_manifests(
            ExecutionRequest(
                job_id=12,
                attempt=3,
                spec=TrainingSpec(
                    model_name="yolo11n",
                    dataset_path="data/shapes",
                    job_id="12",
                    num_epochs=5,
                    advanced_config={"mosaic": 0.5},
                    max_stage_seconds=900,
                ),
                work_dir=Path("."),
                env={"VP_CALLBACK_URL": "http://vp-api:8000/api/v1"},
            ),
            get_settings(),
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    docs = list(yaml.safe_load_all(result.stdout))
    assert docs == expected.documents()
    assert docs[-1]["spec"]["template"]["spec"]["containers"][0]["image"].endswith(":9.9.9")


@pytest.mark.parametrize(
    "args",
    [
        ["--model-name", "resnet18", "--dataset-path", "d"],  # no job id
        ["--model-name", "resnet18", "--dataset-path", "d", "--job-id", "1", "--batch-size", "0"],
    ],
)
def test_vp_k8s_manifest_refuses_bad_input_with_exit_2(args: list[str]) -> None:

    result = vp("k8s", "manifest", *args)
    assert result.exit_code == 2
    assert "ERROR" in result.output


def test_vp_k8s_manifest_refuses_s3_storage_pods_cannot_reach(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from vision_platform.settings import get_settings

    monkeypatch.setenv("VP_STORAGE_URI", "s3://vp-artifacts/prod")
    monkeypatch.delenv("VP_K8S_S3_SECRET_NAME", raising=False)
    get_settings.cache_clear()
    try:
        args = ["--model-name", "resnet18", "--dataset-path", "d", "--job-id", "1"]
        result = vp("k8s", "manifest", *args)
        assert result.exit_code == 2
        assert "VP_K8S_S3_SECRET_NAME" in result.output
        monkeypatch.setenv("VP_K8S_POD_IDENTITY", "1")
        get_settings.cache_clear()
        assert vp("k8s", "manifest", *args).exit_code == 0
    finally:
        get_settings.cache_clear()
