"""The one way from an upload to a model's micro-batcher, shared by the routes that predict by
job (/jobs/{id}/predict, /inference/stream) and by registered name (/models/{ref}/predict…)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from fastapi import Request, Response, UploadFile
from pydantic import BaseModel

from vision_platform.adapters.base import InferenceResult
from vision_platform.api.inference_stream import Form, UploadStream
from vision_platform.api.multipart_stream import BodyReadingStreamingResponse, multipart_boundary
from vision_platform.inference.batching import Thresholds
from vision_platform.inference.images import check_image, check_size
from vision_platform.inference.predictor import Backend
from vision_platform.settings import Settings

# What a stream line shows of a result (the plain InferenceResult, or one naming its model).
Render = Callable[[InferenceResult], BaseModel]


def json_response(result: BaseModel, headers: dict[str, str] | None = None) -> Response:
    """The result as it is: FastAPI would validate a returned model against `response_model`
    again, in a worker thread for a plain `def` route (a hop on every prediction)."""
    return Response(result.model_dump_json(), media_type="application/json", headers=headers)


def _save_upload(upload: UploadFile, folder: Path, settings: Settings) -> Path:
    name = Path(upload.filename or "upload").name
    data = upload.file.read(int(settings.max_upload_mb * 2**20) + 1)
    check_size(len(data), max_mb=settings.max_upload_mb, name=name)
    target = folder / name
    target.write_bytes(data)
    check_image(target, name=name)
    return target


def predict_uploaded(
    request: Request,
    upload: UploadFile,
    model_path: Path,
    backend: Backend,
    thresholds: Thresholds,
) -> InferenceResult:
    """One uploaded image through the model's micro-batcher; 413 over VP_MAX_UPLOAD_MB, 415
    when it is not an image."""
    settings: Settings = request.app.state.settings
    with tempfile.TemporaryDirectory(prefix="vp-upload-") as tmp:
        image = _save_upload(upload, Path(tmp), settings)
        batcher = request.app.state.inference.batcher(model_path, backend)
        result: InferenceResult = batcher.predict(image, thresholds, timeout=300)
    result.image_path = image.name
    return result


def upload_stream(request: Request, form_model: type[Form]) -> UploadStream[Form]:
    """The request's multipart body, to be read part by part."""
    settings: Settings = request.app.state.settings
    return UploadStream(
        request,
        multipart_boundary(request),
        max_upload_mb=settings.max_upload_mb,
        form_model=form_model,
    )


def stream_predictions(
    request: Request,
    upload: UploadStream[Form],
    form: Form,
    model_path: Path,
    *,
    render: Render | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """NDJSON: one line per file of `upload` (its form already read) as soon as it is done.

    The batcher's thread runs the model, as for single requests: files of concurrent streams
    and single requests share forward passes, and no request thread runs torch itself."""
    batcher = request.app.state.inference.batcher(model_path, form.backend)
    thresholds = Thresholds(form.conf_threshold, form.iou_threshold)

    def predict(image: Path, name: str) -> str:
        check_image(image, name=name)
        result: InferenceResult = batcher.predict(image, thresholds, timeout=300)
        result.image_path = name
        shown = render(result) if render is not None else result
        return shown.model_dump_json() + "\n"

    return BodyReadingStreamingResponse(
        upload.lines(predict), media_type="application/x-ndjson", headers=headers
    )
