"""Write the platform's OpenAPI document to frontend/openapi.json without starting a server."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from vision_platform.api.app import create_app

OPENAPI_PATH = Path(__file__).resolve().parents[1] / "openapi.json"


def openapi_text() -> str:
    """The schema as the UI's type generator reads it: sorted keys, stable across runs."""
    schema = create_app(run_scheduler=False).openapi()
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> None:
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else OPENAPI_PATH
    target.write_text(openapi_text(), encoding="utf-8")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
