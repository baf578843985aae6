"""The weights store: imported weight files in artifact storage, each with a JSON record."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from vision_platform.errors import CheckpointError
from vision_platform.settings import Settings
from vision_platform.storage import ArtifactStore, file_sha256, is_remote

PREFIX = "weights"
WeightsFormat = Literal["safetensors", "ultralytics"]


class WeightsRecord(BaseModel):
    """One imported weights file, as `vp weights list` and `GET /api/v1/weights` show it."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="The first 16 hex digits of the stored file's sha256.")
    framework: str
    model_name: str
    format: WeightsFormat
    key: str = Field(description="The file's key under the artifact storage root.")
    uri: str
    size: int
    sha256: str = Field(description="sha256 of the stored file.")
    source_name: str = Field(description="The name of the file that was imported.")
    source_sha256: str = Field(description="sha256 of the file as it was imported.")
    source_kind: str = Field(description="state dict, platform checkpoint, …")
    num_classes: int | None = Field(description="The size of the file's classifier head.")
    tensors: int | None = None
    imported_at: datetime


class WeightsStore:
    """Weights under `<root>/weights/<framework>/<model>/<id>.<ext>` (+ `<id>.json`)."""

    def __init__(self, store: ArtifactStore, *, cache_dir: Path) -> None:
        self.store = store
        self.cache_dir = cache_dir

    @classmethod
    def from_settings(cls, settings: Settings) -> WeightsStore:
        root = settings.artifact_root
        return cls(
            ArtifactStore(root, endpoint_url=settings.s3_endpoint_url),
            cache_dir=settings.home / "cache" / "weights",
        )

    @property
    def uri(self) -> str:
        return self.store.uri(PREFIX)

    def put(
        self,
        file: Path,
        *,
        framework: str,
        model_name: str,
        format: WeightsFormat,
        source_name: str,
        source_sha256: str,
        source_kind: str,
        num_classes: int | None,
        tensors: int | None,
    ) -> WeightsRecord:
        """Store `file` (already checked by its adapter) and its record; the record."""
        digest = file_sha256(file)
        ext = ".safetensors" if format == "safetensors" else ".pt"
        key = f"{PREFIX}/{framework}/{model_name}/{digest[:16]}{ext}"
        record = WeightsRecord(
            id=digest[:16],
            framework=framework,
            model_name=model_name,
            format=format,
            key=key,
            uri=self.store.uri(key),
            size=file.stat().st_size,
            sha256=digest,
            source_name=source_name,
            source_sha256=source_sha256,
            source_kind=source_kind,
            num_classes=num_classes,
            tensors=tensors,
            imported_at=datetime.now(UTC),
        )
        self.store.put_file(file, key)
        self.store.write_json(_record_key(key), record.model_dump(mode="json"))
        return record

    def records(
        self, *, framework: str | None = None, model_name: str | None = None
    ) -> list[WeightsRecord]:
        """The stored weights, newest first (of one framework, of one model)."""
        parts = (PREFIX, framework, model_name) if framework else (PREFIX,)
        prefix = "/".join(p for p in parts if p)
        try:
            listing = self.store.listing(prefix)
        except FileNotFoundError:
            return []
        found = [
            WeightsRecord.model_validate(self.store.read_json(f"{prefix}/{row['key']}"))
            for row in listing
            if row["key"].endswith(".json")
        ]
        if model_name is not None:  # a prefix also lists resnet18d under resnet18
            found = [r for r in found if r.model_name == model_name]
        return sorted(found, key=lambda r: r.imported_at, reverse=True)

    def latest(self, framework: str, model_name: str) -> WeightsRecord | None:
        found = self.records(framework=framework, model_name=model_name)
        return found[0] if found else None

    def local_file(self, record: WeightsRecord) -> Path:
        """The record's file on this machine (downloaded once from remote storage), checked
        against its sha256."""
        if not is_remote(self.store.root):
            path = Path(self.store.root) / record.key
        else:
            path = self.cache_dir / Path(record.key).name
            if not path.is_file():
                self.store.get_file(record.key, path)
        if not path.is_file() or file_sha256(path) != record.sha256:
            raise CheckpointError(
                f"stored weights {record.uri} do not match their record's sha256 (corrupt?)"
            )
        return path


def _record_key(key: str) -> str:
    return str(Path(key).with_suffix(".json"))
