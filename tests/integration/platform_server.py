"""A real `vp serve` subprocess for integration tests, and helpers to wait on its jobs."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import vp_command, vp_env

WAIT_S = 240.0  # a generous bound for a stuck job to fail the test, not a timing check


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PlatformServer:
    """`vp serve` on a free port with its own home, database and data root."""

    def __init__(
        self, *, home: Path, data_root: Path, serve_args: tuple[str, ...] = (), **env: str
    ) -> None:
        self.serve_args = serve_args  # e.g. ("--workers", "2")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = vp_env(
            VP_HOME=str(home),
            VP_DATA_ROOTS=str(data_root),
            VP_SCHEDULER_POLL_SECONDS="0.2",
            VP_STOP_GRACE_SECONDS="20",
            **env,
        )
        self.log_path = home / "serve.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.api = httpx.Client(base_url=f"{self.url}/api/v1", timeout=30, trust_env=False)

    def start(self) -> PlatformServer:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                vp_command(
                    "serve", "--port", str(self.port), "--log-level", "warning", *self.serve_args
                ),
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_for(lambda: self._healthy(), what="the server to start", server=self)
        return self

    def _healthy(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"vp serve exited:\n{self.log_path.read_text()}")
        try:
            return self.api.get("/health").status_code == 200
        except httpx.HTTPError:
            return False

    def kill(self) -> None:
        """SIGKILL the server (a crash): its trainers go on running on their own."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        """Ctrl+C: the server stops its trainers (they save) and exits."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            self.process.wait(timeout=120)
        self.api.close()

    def create(self, **body: Any) -> dict[str, Any]:
        response = self.api.post("/jobs", json=body)
        assert response.status_code == 201, response.text
        job: dict[str, Any] = response.json()
        return job

    def train_tiny_classifier(self, folder: Path | None, **fields: Any) -> int:
        """The id of a resnet10t job this server trained for one epoch on `folder` (or on
        what `fields` name: `dataset="name@version"`, with `register_as` and so on)."""
        job = self.create(
            model_name="resnet10t",
            num_epochs=1,
            batch_size=4,
            image_size=32,
            seed=0,
            **({"dataset_path": str(folder)} if folder is not None else {}),
            **fields,
        )
        done = self.wait_status(job["id"], "completed", "failed")
        assert done["status"] == "completed", self.log_text(job["id"])
        return int(job["id"])

    def create_with_model(self, checkpoint: Path, *, dataset_path: Path) -> int:
        """A classification job whose folder holds `checkpoint` as its best.pt, as a completed
        job's does (with VP_MAX_CONCURRENT_JOBS=0 the job itself never runs)."""
        job = self.create(
            model_name="resnet18",
            dataset_path=str(dataset_path),
            num_epochs=1,
            batch_size=4,
            image_size=32,
        )
        weights = Path(self.env["VP_HOME"]) / "jobs" / f"job_{job['id']}" / "weights"
        weights.mkdir(parents=True, exist_ok=True)
        shutil.copy(checkpoint, weights / "best.pt")
        return int(job["id"])

    def upload_dataset(self, name: str, archive: Path) -> dict[str, Any]:
        """The data set version `POST /datasets` made of `archive` (201)."""
        with open(archive, "rb") as f:
            answer = self.api.post(
                "/datasets", data={"name": name}, files={"file": (archive.name, f)}
            )
        assert answer.status_code == 201, answer.text
        created: dict[str, Any] = answer.json()
        return created

    def job(self, job_id: int) -> dict[str, Any]:
        response = self.api.get(f"/jobs/{job_id}")
        assert response.status_code == 200, response.text
        job: dict[str, Any] = response.json()
        return job

    def wait_status(self, job_id: int, *statuses: str) -> dict[str, Any]:
        found: dict[str, Any] = {}

        def reached() -> bool:
            found.update(self.job(job_id))
            return found["status"] in statuses

        wait_for(reached, what=f"job {job_id} to be {'/'.join(statuses)}", server=self)
        return found

    def wait_epoch(self, job_id: int, epoch: int) -> None:
        wait_for(
            lambda: self.job(job_id)["current_epoch"] >= epoch,
            what=f"job {job_id} to finish epoch {epoch}",
            server=self,
        )

    def log_text(self, job_id: int) -> str:
        lines = self.api.get(f"/jobs/{job_id}/logs").json()["items"]
        return "\n".join(line["message"] for line in lines)

    def diagnostics(self) -> str:
        return self.log_path.read_text() if self.log_path.is_file() else ""


def wait_for(
    condition: Callable[[], bool], *, what: str, server: PlatformServer | None = None
) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(
                f"gave up waiting for {what}\n{server.diagnostics() if server else ''}"
            )
        time.sleep(0.2)


def trainer_pids(job_dir: Path, command: str = "train") -> list[int]:
    """The pids of live `vp <command>` processes running a spec from `job_dir`."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().decode(errors="replace")
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if str(job_dir) in cmdline and command in cmdline and state != "Z":
            found.append(int(proc.name))
    return found
