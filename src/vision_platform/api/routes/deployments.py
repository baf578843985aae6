"""Deployments by name: predict with a registered model's version, named by a ref (`name`,
`name@alias`, `name@v3`), through the same model cache and micro-batchers as the job routes.

A ref is resolved when a request starts, so moving an alias never fails or drops a request:
requests in flight finish on the version they resolved, the next ones use the new one. Every
answer names its version: the `X-Model-Version` header, and `model`/`model_version` fields."""

from __future__ import annotations

from pathlib import Path as FilePath
from typing import Annotated

from fastapi import APIRouter, File, Form, Path, Request, Response, UploadFile
from fastapi.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from vision_platform.adapters.base import InferenceResult
from vision_platform.api.inference_stream import (
    STREAM_RESPONSES,
    StreamOptions,
    openapi_request_body,
)
from vision_platform.api.multipart_stream import BodyReadingStreamingResponse
from vision_platform.api.predictions import (
    json_response,
    predict_uploaded,
    stream_predictions,
    upload_stream,
)
from vision_platform.api.routes.models import Models
from vision_platform.inference.batching import Thresholds
from vision_platform.inference.predictor import Backend
from vision_platform.registry.schemas import ModelInferenceResult, ModelRef
from vision_platform.registry.service import ModelRegistry, ServedVersion

router = APIRouter(prefix="/models", tags=["models"])

Ref = Annotated[
    str,
    Path(
        max_length=200,
        description="`name` (its production alias), `name@alias` or `name@v3`.",
    ),
]
VERSION_HEADERS = {
    "X-Model-Version": {"description": "The version that answered.", "schema": {"type": "integer"}}
}


def _served(models: ModelRegistry, ref: str, backend: Backend) -> tuple[ServedVersion, FilePath]:
    served = models.resolve(ModelRef.parse(ref))
    return served, models.model_file(served, backend)


def _named(served: ServedVersion, result: InferenceResult) -> ModelInferenceResult:
    # Built without validating again: `result` is an InferenceResult already (its fields,
    # read from __dict__: half the time of iterating the model).
    return ModelInferenceResult.model_construct(
        **result.__dict__, model=served.name, model_version=served.version
    )


def _headers(served: ServedVersion) -> dict[str, str]:
    return {"X-Model-Version": str(served.version), "X-Model-Name": served.name}


@router.post(
    "/{ref}/predict",
    response_model=ModelInferenceResult,
    responses={200: {"headers": VERSION_HEADERS}},
)
def predict_by_name(
    ref: Ref,
    request: Request,
    models: Models,
    file: Annotated[UploadFile, File()],
    backend: Annotated[Backend, Form()] = "eager",
    conf_threshold: Annotated[float | None, Form(ge=0, le=1)] = None,
    iou_threshold: Annotated[float | None, Form(ge=0, le=1)] = None,
) -> Response:
    """One uploaded image (multipart `file`, like /jobs/{id}/predict); 404 for an unknown
    model, version or alias (naming the aliases the model has), 413, 415 as for jobs."""
    served, model_path = _served(models, ref, backend)
    thresholds = Thresholds(conf_threshold, iou_threshold)
    result = predict_uploaded(request, file, model_path, backend, thresholds)
    return json_response(_named(served, result), headers=_headers(served))


@router.post(
    "/{ref}/predict/stream",
    response_class=BodyReadingStreamingResponse,
    openapi_extra={"requestBody": openapi_request_body(StreamOptions, "ModelStreamForm")},
    responses=STREAM_RESPONSES,
)
async def predict_stream_by_name(ref: Ref, request: Request, models: Models) -> Response:
    """NDJSON, like /inference/stream (the form fields before the `files`): the whole stream
    is answered by the version `ref` named when it started."""
    upload = upload_stream(request, StreamOptions)
    try:
        form = await upload.read_form()
    except ClientDisconnect:
        return Response(status_code=400)
    served, model_path = await run_in_threadpool(_served, models, ref, form.backend)
    return stream_predictions(
        request,
        upload,
        form,
        model_path,
        render=lambda result: _named(served, result),
        headers=_headers(served),
    )
