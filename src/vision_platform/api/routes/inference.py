"""Inference routes: single image (path or upload), NDJSON streaming, test runs."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.requests import ClientDisconnect

from vision_platform.adapters.base import InferenceResult
from vision_platform.api.deps import JobId, Jobs
from vision_platform.api.inference_stream import (
    STREAM_RESPONSES,
    StreamForm,
    openapi_request_body,
)
from vision_platform.api.multipart_stream import BodyReadingStreamingResponse
from vision_platform.api.predictions import (
    json_response,
    predict_uploaded,
    stream_predictions,
    upload_stream,
)
from vision_platform.errors import InvalidInputError
from vision_platform.inference.batching import Thresholds
from vision_platform.inference.images import check_image, image_media_type
from vision_platform.inference.predictor import Backend
from vision_platform.jobs.errors import InvalidJobStateError
from vision_platform.jobs.paths import (
    check_data_path,
    check_dataset,
    check_file_inside,
    check_readable_path,
    check_storage_uri,
)
from vision_platform.jobs.schemas import DATASET
from vision_platform.settings import Settings
from vision_platform.storage import is_remote, store_for

router = APIRouter(tags=["inference"])


class SingleInference(BaseModel):
    """Predict one image that already lies in a data root or the artifact storage."""

    model_config = ConfigDict(extra="forbid")
    job_id: int = Field(ge=0, le=2**31 - 1)
    image_path: str = Field(min_length=1, max_length=4096)
    conf_threshold: float | None = Field(
        default=None, ge=0, le=1, description="Detection confidence floor (default: the model's)"
    )
    iou_threshold: float | None = Field(
        default=None, ge=0, le=1, description="NMS IoU (default: the model's)"
    )
    backend: Backend = "eager"


class TestRunCreate(BaseModel):
    """Evaluate a job's best model on a labelled data set."""

    model_config = ConfigDict(extra="forbid")
    job_id: int = Field(ge=0, le=2**31 - 1)
    test_dataset_path: str | None = Field(default=None, min_length=1, max_length=4096)
    dataset: str | None = Field(default=None, min_length=1, max_length=100, description=DATASET)
    conf_threshold: float | None = Field(default=None, ge=0, le=1)

    @model_validator(mode="after")
    def _one_dataset(self) -> TestRunCreate:
        if (self.test_dataset_path is None) == (self.dataset is None):
            raise ValueError("give exactly one of test_dataset_path and dataset")
        return self


class TestRunOut(BaseModel):
    """A test run: status, progress 0..1, and its metrics once completed."""

    id: str
    job_id: int
    test_dataset_path: str
    dataset: str | None = Field(default=None, description="The stored version it ran on.")
    conf_threshold: float | None = None
    status: Literal["running", "completed", "failed"]
    progress: float
    metrics: dict[str, Any] | None
    error: str | None
    created_at: str
    finished_at: str | None


def _model_path(jobs: Jobs, job_id: int, backend: Backend) -> Path:
    best, onnx = jobs.model_files(job_id)
    if backend == "onnx":
        if onnx is None:
            raise InvalidJobStateError(
                job_id, jobs.get(job_id).status, "use ONNX with it: it has no model.onnx yet"
            )
        return onnx
    return best


@router.post("/test/inference/single", response_model=InferenceResult)
def predict_single(body: SingleInference, request: Request, jobs: Jobs) -> Response:
    """One image by path (a data root or the artifact storage) or by s3:// URI under the
    storage root; concurrent requests are micro-batched into shared forward passes."""
    settings: Settings = request.app.state.settings
    model_path = _model_path(jobs, body.job_id, body.backend)
    with _readable_image(body.image_path, settings) as image:
        check_image(image, name=body.image_path)
        batcher = request.app.state.inference.batcher(model_path, body.backend)
        thresholds = Thresholds(body.conf_threshold, body.iou_threshold)
        result: InferenceResult = batcher.predict(image, thresholds, timeout=300)
    result.image_path = body.image_path
    return json_response(result)


@contextmanager
def _readable_image(path: str, settings: Settings) -> Iterator[Path]:
    """A local file of the image at `path`: confined to the roots, downloaded when remote."""
    if not is_remote(path):
        image = check_readable_path(path, settings)
        if not image.is_file():
            raise InvalidInputError(f"image_path: {path!r} is not a file")
        yield image
        return
    check_storage_uri(path, settings, "image_path")
    store, key = store_for(path, endpoint_url=settings.s3_endpoint_url)
    with tempfile.TemporaryDirectory(prefix="vp-single-") as tmp:
        image = Path(tmp) / f"image{Path(key).suffix}"
        try:
            store.get_file(key, image)
        except FileNotFoundError as e:
            raise InvalidInputError(f"image_path: {path!r} does not exist") from e
        yield image


@router.post("/jobs/{job_id}/predict", response_model=InferenceResult)
def predict_upload(
    job_id: JobId,
    request: Request,
    jobs: Jobs,
    file: Annotated[UploadFile, File()],
    backend: Annotated[Backend, Form()] = "eager",
    conf_threshold: Annotated[float | None, Form(ge=0, le=1)] = None,
    iou_threshold: Annotated[float | None, Form(ge=0, le=1)] = None,
) -> Response:
    """One uploaded image (multipart); 413 over VP_MAX_UPLOAD_MB, 415 when not an image."""
    model_path = _model_path(jobs, job_id, backend)
    thresholds = Thresholds(conf_threshold, iou_threshold)
    return json_response(predict_uploaded(request, file, model_path, backend, thresholds))


@router.post(
    "/inference/stream",
    response_class=BodyReadingStreamingResponse,
    openapi_extra={"requestBody": openapi_request_body()},
    responses=STREAM_RESPONSES,
)
async def predict_stream(request: Request, jobs: Jobs) -> Response:
    """NDJSON: one InferenceResult per uploaded image as soon as it is done; a bad file gives
    an error line for that file and the rest go on. Send the form fields before the files."""
    upload = upload_stream(request, StreamForm)
    try:
        form = await upload.read_form()
    except ClientDisconnect:
        return Response(status_code=400)
    model_path = await run_in_threadpool(_model_path, jobs, form.job_id, form.backend)
    return stream_predictions(request, upload, form, model_path)


@router.post("/test/runs", status_code=202, response_model=TestRunOut)
def start_test_run(body: TestRunCreate, request: Request, jobs: Jobs) -> dict[str, Any]:
    """Evaluate in the background; poll GET /test/runs/{id} for progress and metrics."""
    settings: Settings = request.app.state.settings
    model_path = _model_path(jobs, body.job_id, "eager")
    ref = None
    dataset: Path | str
    if body.dataset is not None:
        version = request.app.state.datasets.resolve(body.dataset, "dataset")
        dataset, ref = version.uri if is_remote(version.uri) else Path(version.uri), version.ref
    else:
        assert body.test_dataset_path is not None  # the validator: exactly one of the two
        dataset = check_dataset(body.test_dataset_path, settings, "test_dataset_path")
    run: dict[str, Any] = request.app.state.inference.test_runs.start(
        job_id=body.job_id,
        model_path=model_path,
        dataset_path=dataset,
        conf_threshold=body.conf_threshold,
        dataset=ref,
    )
    return run


@router.get("/test/runs/{run_id}", response_model=TestRunOut)
def get_test_run(run_id: str, request: Request) -> dict[str, Any]:
    run: dict[str, Any] = request.app.state.inference.test_runs.get(run_id)
    return run


@router.get(
    "/test/runs/{run_id}/mistakes/{index}/image",
    response_class=FileResponse,
    responses={200: {"content": {"image/*": {}}}},
)
def get_test_run_mistake_image(run_id: str, index: int, request: Request) -> FileResponse:
    """The image of a run's `index`-th worst mistake (0-based, as listed in its metrics).

    Only files the run listed, and only while they still lie in the run's data set folder
    inside the data roots (403 otherwise, symlinks out of it too); 404 for an unknown run or
    index; 415 when the file is no longer an image."""
    settings: Settings = request.app.state.settings
    runs = request.app.state.inference.test_runs
    image, folder = runs.mistake_image(run_id, index)
    if runs.is_local_copy(folder):  # the platform's own download of an s3:// data set
        folder = folder.resolve()
    elif runs.get(run_id).get("dataset"):  # a stored version, in the artifact storage
        folder = check_readable_path(str(folder), settings, "dataset")
    else:
        folder = check_data_path(str(folder), settings, "test_dataset_path")
    path = check_file_inside(image, folder)
    return FileResponse(path, media_type=image_media_type(path))
