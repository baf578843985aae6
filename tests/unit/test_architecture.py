"""The rooms of the code keep their shape: import rules (import-linter), file and function sizes."""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

from tests.conftest import VENV_BIN

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "vision_platform"
MAX_FILE_LINES = 400
MAX_FUNCTION_LINES = 60
# Generated files: Alembic migrations are written once and never edited.
GENERATED = ("db/migrations/versions/",)


def _sources() -> list[Path]:
    return [
        p
        for p in sorted(SRC.rglob("*.py"))
        if not any(p.relative_to(SRC).as_posix().startswith(g) for g in GENERATED)
    ]


def test_the_import_contracts_hold() -> None:
    done = subprocess.run(
        [str(VENV_BIN / "lint-imports"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_no_source_file_is_over_the_limit() -> None:
    long = {
        str(p.relative_to(SRC)): n
        for p in _sources()
        if (n := len(p.read_text().splitlines())) > MAX_FILE_LINES
    }
    assert not long, f"files over {MAX_FILE_LINES} lines: {long}"


def test_no_function_is_over_the_limit() -> None:
    long = {}
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long[f"{path.relative_to(SRC)}:{node.name}"] = lines
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines: {long}"
