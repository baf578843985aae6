"""Data set routes: upload or register a version, list and read versions, browse samples,
delete a version no running job uses."""

from __future__ import annotations

from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.openapi.constants import REF_PREFIX
from fastapi.responses import FileResponse
from starlette.requests import ClientDisconnect

from vision_platform.api.dataset_upload import (
    DatasetForm,
    openapi_request_body,
    read_source,
    receive_archive,
)
from vision_platform.api.multipart_stream import multipart_boundary
from vision_platform.datastore.names import NAME_PATTERN, VERSION_PATTERN
from vision_platform.datastore.samples import MAX_PAGE, THUMBNAIL_SIDES
from vision_platform.datastore.schemas import (
    DatasetList,
    DatasetOut,
    SamplePage,
    UploadOut,
    VersionOut,
)
from vision_platform.datastore.service import AddOptions, DatasetService
from vision_platform.errors import InvalidInputError
from vision_platform.jobs.paths import check_data_path, check_remote_dataset
from vision_platform.jobs.states import JobStatus
from vision_platform.settings import Settings
from vision_platform.storage import is_remote

router = APIRouter(prefix="/datasets", tags=["datasets"])


async def get_datasets(request: Request) -> DatasetService:
    service: DatasetService = request.app.state.datasets
    return service


Datasets = Annotated[DatasetService, Depends(get_datasets)]
Name = Annotated[str, Path(pattern=NAME_PATTERN, description="The data set's name.")]
Version = Annotated[str, Path(pattern=VERSION_PATTERN, description="A version id.")]
BUSY = tuple(s.value for s in JobStatus if not s.terminal)

_UPLOAD_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": UploadOut, "description": "This content was already a version: that one."},
    413: {"description": "The archive is over VP_MAX_DATASET_MB, or unpacks to too much."},
    422: {
        "description": "Validation Error",
        "content": {"application/json": {"schema": {"$ref": REF_PREFIX + "HTTPValidationError"}}},
    },
}


def _options(form: DatasetForm) -> AddOptions:
    return AddOptions(
        description=form.description,
        skip_bad_images=form.skip_bad_images,
        task_type=form.task_type,
    )


@router.post(
    "",
    status_code=201,
    response_model=UploadOut,
    openapi_extra={"requestBody": openapi_request_body()},
    responses=_UPLOAD_RESPONSES,
)
async def add_dataset(request: Request, response: Response, datasets: Datasets) -> UploadOut:
    """Add a version: a multipart upload (`name`, `file`: .zip, .tar or .tar.gz; optional
    `description`, `skip_bad_images`, `task_type`), or JSON `{"name", "source"}` naming a
    folder under a data root or an s3:// prefix under the storage root. The format is found
    and checked as training checks it; 201 with the new version, or 200 with the existing one
    when the content is already a version of that name."""
    settings: Settings = request.app.state.settings
    if request.headers.get("content-type", "").startswith("application/json"):
        body = await read_source(request)
        if is_remote(body.source):
            uri = check_remote_dataset(body.source, settings, "source")
            result = await run_in_threadpool(datasets.add_remote, body.name, uri, _options(body))
        else:
            folder = check_data_path(body.source, settings, "source")
            add = datasets.add_folder
            result = await run_in_threadpool(add, body.name, folder, _options(body))
    else:
        result = await _upload(request, datasets, settings)
    response.status_code = 201 if result.created else 200
    return result


async def _upload(request: Request, datasets: DatasetService, settings: Settings) -> UploadOut:
    boundary = multipart_boundary(request)
    with datasets.workdir() as work:
        archive = work / "upload"
        try:
            form = await receive_archive(request, boundary, archive, max_mb=settings.max_dataset_mb)
        except ClientDisconnect as e:  # nobody to answer; the spooled part is removed
            raise InvalidInputError("the upload was cut off: the client went away") from e
        return await run_in_threadpool(datasets.add_archive, form.name, archive, _options(form))


@router.get("", response_model=DatasetList)
def list_datasets(datasets: Datasets) -> DatasetList:
    """Every data set with its newest version."""
    return datasets.list()


@router.get("/{name}", response_model=DatasetOut)
def get_dataset(name: Name, datasets: Datasets) -> DatasetOut:
    """A data set's versions, newest first."""
    return datasets.get(name)


@router.get("/{name}/versions/{version}", response_model=VersionOut)
def get_version(name: Name, version: Version, datasets: Datasets) -> VersionOut:
    """One version with its report: format, task, classes with image and instance counts per
    split, image sizes, and the problems found and skipped."""
    return datasets.version(name, version)


@router.get("/{name}/versions/{version}/samples", response_model=SamplePage)
def get_samples(
    name: Name,
    version: Version,
    request: Request,
    datasets: Datasets,
    split: Annotated[str | None, Query(max_length=20)] = None,
    class_name: Annotated[str | None, Query(alias="class", max_length=200)] = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> SamplePage:
    """Images of the version with their labels (boxes and polygons in fractions of the image
    for YOLO data sets), each with the URL of its thumbnail."""

    def thumbnail_url(index: int) -> str:
        route = "get_sample_thumbnail"
        return request.app.url_path_for(route, name=name, version=version, index=str(index))

    return datasets.samples(
        name,
        version,
        split=split,
        class_name=class_name,
        offset=offset,
        limit=limit,
        thumbnail_url=thumbnail_url,
    )


@router.get(
    "/{name}/versions/{version}/samples/{index}/thumbnail",
    response_class=FileResponse,
    responses={200: {"content": {"image/jpeg": {}}}},
)
def get_sample_thumbnail(
    name: Name,
    version: Version,
    index: Annotated[int, Path(ge=0, le=2**31 - 1)],
    datasets: Datasets,
    size: Annotated[int, Query(ge=1, le=4096, description="Pixels a side, at most.")] = 256,
) -> FileResponse:
    """A sample's image as a JPEG of at most `size` pixels a side."""
    side = next((s for s in THUMBNAIL_SIDES if s >= size), THUMBNAIL_SIDES[-1])
    path: FilePath = datasets.thumbnail(name, version, index, side)
    return FileResponse(path, media_type="image/jpeg")


@router.delete("/{name}/versions/{version}", status_code=204)
def delete_version(name: Name, version: Version, datasets: Datasets) -> Response:
    """Delete a version and its files; 409 while a job that uses it has not ended."""
    datasets.delete(name, version, busy_statuses=BUSY)
    return Response(status_code=204)
