"""Weights routes: import pretrained weights into the store, and list them."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool

from vision_platform.adapters.registry import registry
from vision_platform.settings import Settings
from vision_platform.weights.importing import import_weights, save_upload
from vision_platform.weights.store import WeightsRecord, WeightsStore

router = APIRouter(tags=["weights"])


def _store(request: Request) -> tuple[Settings, WeightsStore]:
    settings: Settings = request.app.state.settings
    return settings, WeightsStore.from_settings(settings)


def _take_in(
    request: Request, upload: UploadFile, model_name: str, framework: str | None
) -> WeightsRecord:
    settings, store = _store(request)
    adapter_cls = registry.get(framework or registry.framework_for_model(model_name))
    name = upload.filename or "weights"
    with tempfile.TemporaryDirectory(prefix="vp-weights-upload-") as tmp:
        path = save_upload(upload.file, Path(tmp), name=name, max_mb=settings.max_weights_mb)
        return import_weights(
            store,
            adapter_cls,
            model_name=model_name,
            file=path,
            source_name=name,
            max_mb=settings.max_weights_mb,
            trusted=False,  # an upload is read as tensors only, never unpickled
        )


@router.post("/weights", response_model=WeightsRecord, status_code=201)
async def upload_weights(
    request: Request,
    file: Annotated[UploadFile, File(description=".safetensors, or a .pth/.pt state dict")],
    model_name: Annotated[str, Form(min_length=1, max_length=200)],
    framework: Annotated[str | None, Form(max_length=50)] = None,
) -> WeightsRecord:
    """201 with the stored record (sha256 of the file as sent and as stored); 413 over
    VP_MAX_WEIGHTS_MB; 422 naming the file when it does not hold weights of the model."""
    return await run_in_threadpool(_take_in, request, file, model_name, framework)


@router.get("/weights", response_model=list[WeightsRecord])
def list_weights(
    request: Request,
    model_name: Annotated[str | None, Query(max_length=200)] = None,
    framework: Annotated[str | None, Query(max_length=50)] = None,
) -> list[WeightsRecord]:
    """The imported weights, newest first."""
    _, store = _store(request)
    return store.records(framework=framework, model_name=model_name)
