"""The S3 endpoint goes away during training (moto's S3 server, stopped and started again)."""

from __future__ import annotations

import json
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import run_until, start_vp
from vision_platform.storage import ArtifactStore

BUCKET = "vp-faults"


class S3Endpoint:
    """moto's S3 server on a fixed loopback port; its objects outlive a stop and a start."""

    def __init__(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: object | None = None

    def start(self) -> None:
        from moto.server import ThreadedMotoServer

        self._server = server = ThreadedMotoServer(
            ip_address="127.0.0.1", port=self.port, verbose=False
        )
        server.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[S3Endpoint]:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "test-key",
        "AWS_SECRET_ACCESS_KEY": "test-secret",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    endpoint = S3Endpoint()
    endpoint.start()
    store = ArtifactStore(f"s3://{BUCKET}", endpoint_url=endpoint.url)
    if not store.fs.exists(BUCKET):
        store.fs.mkdir(BUCKET)
    yield endpoint
    endpoint.stop()


def train(
    s3: S3Endpoint, data: Path, out: Path, epochs: int, *extra: str, **env: str
) -> subprocess.Popen[str]:
    return start_vp(
        "train",
        "--model-name",
        "resnet10t",
        "--dataset-path",
        str(data),
        "--job-id",
        "9",
        "--num-epochs",
        str(epochs),
        "--batch-size",
        "4",
        "--image-size",
        "32",
        "--output-dir",
        str(out),
        "--seed",
        "3",
        *extra,
        VP_STORAGE_URI=f"s3://{BUCKET}/artifacts",
        VP_S3_ENDPOINT_URL=s3.url,
        **env,
    )


def stored_sha256(s3: S3Endpoint, name: str) -> tuple[int, str]:
    store = ArtifactStore(f"s3://{BUCKET}/artifacts/job_9/weights", endpoint_url=s3.url)
    store.fs.invalidate_cache()
    manifest = store.read_json(f"{name}.json")
    return manifest["epoch"], manifest["sha256"]


def local_sha256(out: Path, name: str) -> tuple[int, str]:
    manifest = json.loads((out / "weights" / f"{name}.json").read_text())
    return manifest["epoch"], manifest["sha256"]


@pytest.mark.slow
def test_training_goes_on_while_the_store_is_away_and_every_checkpoint_lands(
    s3: S3Endpoint, tiny_digits: Path, tmp_path: Path
) -> None:
    out = tmp_path / "job_9"
    proc = train(s3, tiny_digits, out, 5)
    lines = run_until(proc, r"Epoch 1/5 done")
    s3.stop()
    lines += run_until(proc, r"Epoch 3/5 done")  # two epochs later
    s3.start()
    rest, _ = proc.communicate(timeout=300)
    output = "".join(lines) + rest
    assert proc.returncode == 0, output
    assert "retrying until the store is back" in output
    assert "Training completed" in output
    for name in ("last.pt", "best.pt"):
        assert stored_sha256(s3, name) == local_sha256(out, name), output
    assert stored_sha256(s3, "last.pt")[0] == 5


@pytest.mark.slow
def test_a_store_that_never_comes_back_is_named_and_resume_works_from_local_files(
    s3: S3Endpoint, tiny_digits: Path, tmp_path: Path
) -> None:
    out = tmp_path / "job_9"
    proc = train(s3, tiny_digits, out, 2, VP_UPLOAD_WAIT_SECONDS="2")
    lines = run_until(proc, r"Epoch 1/2 done")
    s3.stop()
    rest, _ = proc.communicate(timeout=300)
    output = "".join(lines) + rest
    assert proc.returncode == 1, output
    assert "Training completed" in output
    assert "ERROR: training completed, but the artifact store never received" in output
    assert "last.pt (epoch 2)" in output and "--resume" in output
    assert "Traceback" not in output

    again = train(s3, tiny_digits, out, 3, "--resume", VP_UPLOAD_WAIT_SECONDS="2")
    output, _ = again.communicate(timeout=300)
    assert "Checkpoint loaded: epoch=2" in output, output  # from the local last.pt
    assert "Resuming training from epoch 3" in output and "Epoch 3/3 done" in output
    assert again.returncode == 1 and "last.pt (epoch 3)" in output
