"""Model registry routes: register jobs as versions, read models and versions, move aliases,
download a version's model."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import FileResponse

from vision_platform.jobs.schemas import MODEL_NAME_PATTERN
from vision_platform.registry.schemas import (
    ALIAS_PATTERN,
    AliasOut,
    AliasSet,
    ModelList,
    ModelOut,
    ModelRef,
    ModelVersionOut,
    VersionCreate,
    parse_version,
)
from vision_platform.registry.service import ModelRegistry

router = APIRouter(prefix="/models", tags=["models"])


async def get_model_registry(request: Request) -> ModelRegistry:
    registry: ModelRegistry = request.app.state.models
    return registry


Models = Annotated[ModelRegistry, Depends(get_model_registry)]
ModelName = Annotated[
    str, Path(pattern=MODEL_NAME_PATTERN, description="The model's name (a lower-case slug).")
]
AliasName = Annotated[
    str, Path(pattern=ALIAS_PATTERN, description="An alias such as production or staging.")
]
Version = Annotated[str, Path(pattern=r"^v?[0-9]{1,9}$", description="A version number: 3 or v3.")]


@router.get("", response_model=ModelList)
def list_models(models: Models) -> ModelList:
    """Every registered model with its aliases and newest version, by name."""
    return models.list_models()


@router.get("/{name}", response_model=ModelOut)
def get_model(name: ModelName, models: Models) -> ModelOut:
    """One model: its aliases and its versions with their metrics."""
    return models.get_model(name)


@router.post("/{name}/versions", status_code=201, response_model=ModelVersionOut)
def register_version(name: ModelName, body: VersionCreate, models: Models) -> ModelVersionOut:
    """Register a completed training job as the model's next version (the model is created
    on first use); 409 when the job has not completed or already is a version of it."""
    return models.register(name, body.job_id)


@router.get("/{name}/versions/{version}", response_model=ModelVersionOut)
def get_version(name: ModelName, version: Version, models: Models) -> ModelVersionOut:
    return models.get_version(name, parse_version(version))


@router.delete("/{name}/versions/{version}", status_code=204)
def delete_version(name: ModelName, version: Version, models: Models) -> Response:
    """Delete a version (its job and files stay); 409 while an alias points at it."""
    models.delete_version(name, parse_version(version))
    return Response(status_code=204)


@router.get(
    "/{name}/versions/{version}/download",
    response_class=FileResponse,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def download_version(
    name: ModelName,
    version: Version,
    models: Models,
    format: Annotated[Literal["pt", "onnx"], Query(description="best.pt or model.onnx")] = "pt",
) -> FileResponse:
    """The version's checkpoint (pt) or ONNX export, checked against its recorded sha256."""
    number = parse_version(version)
    served = models.resolve(ModelRef(name, version=number))
    path = models.model_file(served, "onnx" if format == "onnx" else "eager")
    return FileResponse(
        path, filename=f"{name}-v{number}.{format}", media_type="application/octet-stream"
    )


@router.put("/{name}/aliases/{alias}", response_model=AliasOut)
def set_alias(
    name: ModelName, alias: AliasName, body: AliasSet, models: Models, request: Request
) -> AliasOut:
    """Point the alias at a version. Predictions already running finish on the version they
    started with; those that start after this answer use the new one, whose model is loaded
    in the background now so that they need not wait for it."""
    # The version's checkpoint is checked first: an alias never moves onto a missing model.
    served = models.resolve(ModelRef(name, version=body.version))
    checkpoint = models.model_file(served, "eager")
    moved = models.set_alias(name, alias, body.version)
    request.app.state.inference.warm(checkpoint, "eager")
    return moved


@router.delete("/{name}/aliases/{alias}", status_code=204)
def delete_alias(name: ModelName, alias: AliasName, models: Models) -> Response:
    models.delete_alias(name, alias)
    return Response(status_code=204)
