"""Importing Ultralytics offline leaves the process as it was."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_importing_ultralytics_leaves_pil_and_torch_as_they_were(tmp_path: Path) -> None:
    """Ultralytics patches PIL.Image.open and torch.save on import; the platform undoes it, so
    a non-image still raises PIL's own error (not a ModuleNotFoundError for pi_heif)."""
    bad = tmp_path / "not-an-image.png"
    bad.write_bytes(b"plain text")
    code = (
        "import PIL.Image, torch\n"
        "before = (PIL.Image.open, torch.save)\n"
        "from vision_platform.adapters.ultralytics.shim import import_ultralytics\n"
        "import_ultralytics()\n"
        "assert (PIL.Image.open, torch.save) == before\n"
        "try:\n"
        f"    PIL.Image.open({str(bad)!r})\n"
        "except PIL.UnidentifiedImageError:\n"
        "    print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "VP_HOME": str(tmp_path / ".vp")},
        check=False,
    )
    assert result.stdout.splitlines()[-1:] == ["ok"], result.stdout + result.stderr
