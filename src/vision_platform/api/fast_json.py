"""JSON answers of the hot read routes, written by orjson from plain rows.

A route that returns a pydantic model has FastAPI validate it against `response_model` and then
encode it; the hot routes (GET /jobs, GET /jobs/{id}) instead send the rows the query read, as
the schema their `response_model` documents (tests check the two agree)."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import Response

# UTC times end in "Z", as pydantic writes them.
_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS


def dumps(content: Any) -> bytes:
    return orjson.dumps(content, option=_OPTIONS)


class FastJSONResponse(Response):
    """`content` (dicts, lists, datetimes, …) as JSON by orjson."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dumps(content)
