"""Test-wide set-up: no network, small real data, and a helper to run `vp` as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

NETGUARD = Path(__file__).parent / "netguard"
sys.path.insert(0, str(NETGUARD))
import netguard  # noqa: E402

netguard.install()
# MLflow 3 starts a usage-telemetry client on import (the bridge's tests import it in process).
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

VENV_BIN = Path(sys.executable).parent


def vp_env(**extra: str) -> dict[str, str]:
    """The environment for `vp` subprocesses: network blocked, no user config leaking in."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(NETGUARD), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    env["HF_HUB_OFFLINE"] = "1"
    env.update(extra)
    return env


def vp_command(*args: str) -> list[str]:
    return [str(VENV_BIN / "vp"), *args]


def run_vp(
    *args: str, cwd: Path | None = None, timeout: float = 300, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run `vp ARGS…` to completion and return its exit code and output."""
    return subprocess.run(
        vp_command(*args),
        cwd=cwd,
        env=vp_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_vp(*args: str, **env: str) -> subprocess.Popen[str]:
    """Start `vp ARGS…` with its output (stdout and stderr) readable line by line."""
    return subprocess.Popen(
        vp_command(*args),
        env=vp_env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    )


def run_until(proc: subprocess.Popen[str], pattern: str) -> list[str]:
    """Read the process's output until a line matches `pattern`; returns the lines read."""
    import re

    lines = []
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line)
        if re.search(pattern, line):
            return lines
    raise AssertionError(f"{pattern!r} never printed; output:\n{''.join(lines)}")


@pytest.fixture(scope="session")
def digits_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small real data set: 3 digit classes, 20 images each, 32 px, train/ and val/."""
    from vision_platform.datasets.digits import make_digits

    return make_digits(tmp_path_factory.mktemp("digits"), size=32, num_classes=3, per_class=20)


@pytest.fixture(scope="session")
def two_class_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed's tiny 2-class set."""
    from vision_platform.datasets.digits import make_digits

    return make_digits(tmp_path_factory.mktemp("two"), size=32, num_classes=2, per_class=10)


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Each test gets its own platform home, and no VP_* variables from the developer's shell."""
    for key in list(os.environ):
        if key.startswith("VP_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("VP_HOME", str(tmp_path / ".vp"))
    from vision_platform.settings import get_settings

    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def trained_classifier(tmp_path_factory: pytest.TempPathFactory, digits_dir: Path) -> Path:
    """best.pt of a resnet18 trained for one epoch on `digits_dir` (a real `vp train` run)."""
    out = tmp_path_factory.mktemp("trained")
    result = run_vp(
        "train",
        "--model-name",
        "resnet18",
        "--dataset-path",
        str(digits_dir),
        "--num-epochs",
        "1",
        "--batch-size",
        "4",
        "--image-size",
        "32",
        "--output-dir",
        str(out),
        "--seed",
        "0",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return out / "weights" / "best.pt"
