"""The files of data set versions in artifact storage, `datasets/<name>/<version>/`.

In a local folder a version appears at once (written beside it, then renamed); in a bucket
its objects are uploaded in parallel and the database row written afterwards is what makes
it visible. The store's own files (report, sample index) lie in the version's hidden `.vp/`
folder, which the data set loaders skip and the content digest leaves out.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

from vision_platform.datastore.layout import META_DIR, ContentFile
from vision_platform.storage import ArtifactStore, is_remote

SAMPLES = f"{META_DIR}/samples.json"
REPORT = f"{META_DIR}/report.json"


class VersionFiles:
    """Publish, read and remove the files of data set versions under one storage root."""

    def __init__(self, root: str, *, endpoint_url: str | None, cache: Path) -> None:
        self.remote = is_remote(root)
        self.root = root.rstrip("/") if self.remote else str(Path(root).expanduser().resolve())
        self.store = ArtifactStore(self.root, endpoint_url=endpoint_url)
        self.cache = cache  # local copies of remote files (sample images)

    @staticmethod
    def key(name: str, version: str) -> str:
        return f"datasets/{name}/{version}"

    def uri(self, name: str, version: str) -> str:
        """Where a version lies: an absolute folder, or an s3:// prefix (what trainers read)."""
        return self.store.uri(self.key(name, version))

    def publish(
        self,
        name: str,
        version: str,
        files: list[ContentFile],
        meta: dict[str, Any],
    ) -> str:
        """Store a version's files and its meta documents (key → JSON); returns its URI.

        The files are the store's own scratch copies: in a local store they are moved, not
        copied. A version that is already there (the same content, uploaded at the same time)
        is left as it is."""
        if self.remote:
            self._upload(name, version, files, meta)
        else:
            self._place(name, version, files, meta)
        return self.uri(name, version)

    def _place(
        self, name: str, version: str, files: list[ContentFile], meta: dict[str, Any]
    ) -> None:
        target = Path(self.uri(name, version))
        if target.is_dir():
            return
        staging = target.with_name(f".{version}.{uuid.uuid4().hex[:8]}.partial")
        try:
            for item in files:
                dest = staging / item.relative
                dest.parent.mkdir(parents=True, exist_ok=True)
                try:
                    os.replace(item.path, dest)
                except OSError:  # another file system
                    shutil.copyfile(item.path, dest)
            for key, doc in meta.items():
                (staging / key).parent.mkdir(parents=True, exist_ok=True)
                (staging / key).write_text(json.dumps(doc))
            try:
                staging.rename(target)
            except OSError:
                if not target.is_dir():  # not a concurrent twin's finished copy
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _upload(
        self, name: str, version: str, files: list[ContentFile], meta: dict[str, Any]
    ) -> None:
        base = self.key(name, version)
        self.store.put_files([(f.path, f"{base}/{f.relative}") for f in files])
        for key, doc in meta.items():
            self.store.write_json(f"{base}/{key}", doc)

    def remove(self, name: str, version: str) -> None:
        """Delete a version's files (and the local copies made of them); missing is fine."""
        if self.remote:
            self.store.delete_prefix(self.key(name, version))
        else:
            shutil.rmtree(self.uri(name, version), ignore_errors=True)
        shutil.rmtree(self.cache / name / version, ignore_errors=True)

    def read_json(self, name: str, version: str, key: str) -> Any:
        return self.store.read_json(f"{self.key(name, version)}/{key}")

    def local_file(self, name: str, version: str, relative: str) -> Path:
        """A file of a version on this machine: in place, or downloaded once into the cache."""
        if not self.remote:
            return Path(self.uri(name, version)) / relative
        local = self.cache / name / version / "files" / relative
        if not local.is_file():
            self.store.get_file(f"{self.key(name, version)}/{relative}", local)
        return local
