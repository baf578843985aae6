"""The data set store: add a version (from an archive, a folder or a bucket prefix), list and
read versions, resolve `name[@version]` for jobs, delete a version no running job uses."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Select, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer

from vision_platform.datastore.archive import ExtractLimits, extract_archive
from vision_platform.datastore.errors import DatasetInUseError
from vision_platform.datastore.files import REPORT, SAMPLES, VersionFiles
from vision_platform.datastore.inspection import Inspection, inspect_dataset
from vision_platform.datastore.layout import (
    content_digest,
    content_files,
    copy_folder,
    find_root,
)
from vision_platform.datastore.names import check_name, check_version, parse_ref, version_of
from vision_platform.datastore.samples import SampleGallery
from vision_platform.datastore.schemas import (
    DatasetList,
    DatasetOut,
    DatasetReport,
    DatasetSummary,
    SamplePage,
    UploadOut,
    VersionOut,
)
from vision_platform.db.models import DatasetVersion, TrainingJob
from vision_platform.db.session import Database
from vision_platform.errors import DatasetError, NotFoundError
from vision_platform.settings import Settings
from vision_platform.storage import store_for

MB = 2**20


@dataclass(frozen=True)
class AddOptions:
    """How to add a version: its description, whether corrupt images are skipped (listed in
    the report) instead of failing the upload, and the task when the labels do not say."""

    description: str | None = None
    skip_bad_images: bool = False
    task_type: str | None = None


def _versions(name: str, version: str | None = None) -> Select[DatasetVersion]:
    """The versions of `name` (or the one `version`), newest first."""
    query = select(DatasetVersion).where(DatasetVersion.name == name)
    if version is not None:
        query = query.where(DatasetVersion.version == version)
    return query.order_by(DatasetVersion.created_at.desc(), DatasetVersion.id.desc())


def version_out(row: DatasetVersion, *, with_report: bool = False) -> VersionOut:
    return VersionOut(
        name=row.name,
        version=row.version,
        ref=f"{row.name}@{row.version}",
        digest=row.digest,
        format=row.format,
        task_type=row.task_type,
        description=row.description,
        num_images=row.num_images,
        num_classes=row.num_classes,
        size_bytes=row.size_bytes,
        uri=row.uri,
        created_at=row.created_at,
        report=DatasetReport.model_validate(row.report) if with_report else None,
    )


class DatasetService:
    """Data set versions: files in artifact storage, one database row each."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        cache = settings.home / "cache" / "dataset-versions"
        self.files = VersionFiles(
            settings.artifact_root, endpoint_url=settings.s3_endpoint_url, cache=cache
        )
        self.gallery = SampleGallery(self.files, cache)
        self.tmp = settings.home / "tmp"

    @contextmanager
    def workdir(self) -> Iterator[Path]:
        """A scratch folder for one upload, removed afterwards whatever happens."""
        self.tmp.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix="dataset-", dir=self.tmp))
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    @property
    def limits(self) -> ExtractLimits:
        s = self.settings
        return ExtractLimits(
            max_bytes=int(s.max_dataset_extracted_mb * MB), max_ratio=s.max_dataset_ratio
        )

    # --- adding versions ----------------------------------------------------------------------

    def add_archive(self, name: str, archive: Path, options: AddOptions) -> UploadOut:
        """Unpack an uploaded archive safely, check it and store it as a version."""
        check_name(name)
        with self.workdir() as work:
            extract_archive(archive, work / "raw", self.limits)
            return self._add(name, find_root(work / "raw"), work, options)

    def add_folder(self, name: str, folder: Path, options: AddOptions) -> UploadOut:
        """Copy a folder the server may read (checked by the caller) into a version."""
        check_name(name)
        if not folder.is_dir():
            raise DatasetError(f"source: {folder} is not a folder")
        with self.workdir() as work:
            copy_folder(folder, work / "raw", max_bytes=self.limits.max_bytes)
            return self._add(name, work / "raw", work, options)

    def add_remote(self, name: str, uri: str, options: AddOptions) -> UploadOut:
        """Download an s3:// prefix (checked by the caller), check it and store it."""
        check_name(name)
        store, prefix = store_for(uri.rstrip("/"), endpoint_url=self.settings.s3_endpoint_url)
        with self.workdir() as work:
            listing = store.listing(prefix)
            if not listing:
                raise DatasetError(f"source: no objects under {uri}")
            for row in listing:
                store.get_file(f"{prefix}/{row['key']}", work / "raw" / row["key"])
            return self._add(name, work / "raw", work, options)

    def _add(self, name: str, root: Path, work: Path, options: AddOptions) -> UploadOut:
        inspection = inspect_dataset(
            root, work, skip_bad_images=options.skip_bad_images, task_type=options.task_type
        )
        files, ignored = content_files(inspection.root, exclude=inspection.exclude)
        digest = content_digest(files)
        version = version_of(digest)
        existing = self._existing(name, version, digest)
        if existing is not None:
            return existing
        report = inspection.report
        report.files, report.bytes, report.ignored_files = (
            len(files),
            sum(f.size for f in files),
            ignored,
        )
        row = self._row(name, version, digest, inspection, options)
        meta = {REPORT: report.model_dump(mode="json"), SAMPLES: _samples_doc(inspection)}
        row.uri = self.files.publish(name, version, files, meta)
        return self._insert(row)

    def _row(
        self, name: str, version: str, digest: str, inspection: Inspection, options: AddOptions
    ) -> DatasetVersion:
        report = inspection.report
        return DatasetVersion(
            name=name,
            version=version,
            digest=digest,
            format=report.format,
            task_type=report.task_type,
            description=options.description,
            num_images=sum(report.splits.values()),
            num_classes=len(report.class_names),
            size_bytes=report.bytes,
            uri="",
            report=report.model_dump(mode="json"),
        )

    def _existing(self, name: str, version: str, digest: str) -> UploadOut | None:
        with self.db.session() as session:
            row = session.scalar(_versions(name, version))
            if row is None:
                return None
            if row.digest != digest:  # 48 bits of the digest agree, the rest does not
                raise DatasetError(f"{name}@{version}: another content has this version id")
            return UploadOut(**version_out(row, with_report=True).model_dump(), created=False)

    def _insert(self, row: DatasetVersion) -> UploadOut:
        try:
            with self.db.session() as session:
                session.add(row)
                session.flush()
                return UploadOut(**version_out(row, with_report=True).model_dump(), created=True)
        except IntegrityError:
            # The same content, uploaded at the same moment, was committed first.
            found = self._existing(row.name, row.version, row.digest)
            if found is None:
                raise
            return found

    # --- reading ------------------------------------------------------------------------------

    def list(self) -> DatasetList:
        """Every data set with its newest version and its number of versions."""
        query = (
            select(DatasetVersion)
            .options(defer(DatasetVersion.report))
            .order_by(
                DatasetVersion.name, DatasetVersion.created_at.desc(), DatasetVersion.id.desc()
            )
        )
        with self.db.session() as session:
            rows = list(session.scalars(query))
        summaries: dict[str, DatasetSummary] = {}
        for row in rows:
            if row.name in summaries:
                summaries[row.name].versions += 1
            else:
                summaries[row.name] = DatasetSummary(
                    name=row.name, versions=1, latest=version_out(row)
                )
        return DatasetList(items=list(summaries.values()))

    def get(self, name: str) -> DatasetOut:
        check_name(name)
        with self.db.session() as session:
            rows = session.scalars(_versions(name).options(defer(DatasetVersion.report)))
            versions = [version_out(r) for r in rows]
        if not versions:
            raise NotFoundError(f"data set {name!r} not found")
        return DatasetOut(name=name, versions=versions)

    def version(self, name: str, version: str) -> VersionOut:
        """One version with its report; NotFoundError (404) when there is no such version."""
        check_name(name)
        check_version(version)
        with self.db.session() as session:
            row = session.scalar(_versions(name, version))
            if row is None:
                raise NotFoundError(f"data set {name!r} has no version {version!r}")
            return version_out(row, with_report=True)

    def resolve(self, ref: str, field: str = "dataset") -> VersionOut:
        return resolve_dataset(self.db, ref, field)

    def samples(
        self,
        name: str,
        version: str,
        *,
        split: str | None = None,
        class_name: str | None = None,
        offset: int = 0,
        limit: int = 50,
        thumbnail_url: Callable[[int], str] = lambda index: "",
    ) -> SamplePage:
        """A page of a version's images with their labels (see SampleGallery.page)."""
        found = self.version(name, version)
        return self.gallery.page(
            found,
            split=split,
            class_name=class_name,
            offset=offset,
            limit=limit,
            thumbnail_url=thumbnail_url,
        )

    def thumbnail(self, name: str, version: str, index: int, side: int = 256) -> Path:
        return self.gallery.thumbnail(self.version(name, version), index, side)

    # --- deleting -----------------------------------------------------------------------------

    def delete(self, name: str, version: str, *, busy_statuses: Iterable[str]) -> None:
        """Delete a version unless a job in one of `busy_statuses` names it (409 then)."""
        self.version(name, version)
        ref = f"{name}@{version}"
        with self.db.session() as session:
            users = list(
                session.scalars(
                    select(TrainingJob.id)
                    .where(TrainingJob.dataset_ref == ref)
                    .where(TrainingJob.status.in_(list(busy_statuses)))
                    .order_by(TrainingJob.id)
                )
            )
            if users:
                listed = ", ".join(map(str, users))
                raise DatasetInUseError(
                    f"data set {ref} is used by job(s) {listed} that have not ended; cancel "
                    "them or wait for them to end"
                )
            session.execute(
                delete(DatasetVersion)
                .where(DatasetVersion.name == name)
                .where(DatasetVersion.version == version)
            )
        self.files.remove(name, version)


def resolve_dataset(db: Database, ref: str, field: str = "dataset") -> VersionOut:
    """The version `name` (its newest) or `name@version` names, for a job; DatasetError
    (422) naming `field` when there is none."""
    parsed = parse_ref(ref, field)
    with db.session() as session:
        query = _versions(parsed.name, parsed.version).limit(1)
        row = session.scalars(query).first()
        if row is None:
            what = "no version" if parsed.version is None else f"no version {parsed.version}"
            raise DatasetError(f"{field}: data set {parsed.name!r} has {what}")
        return version_out(row)


def _samples_doc(inspection: Inspection) -> dict[str, object]:
    return {
        "samples": [
            s.model_dump(mode="json", exclude={"class_names", "thumbnail_url", "index"})
            for s in inspection.samples
        ]
    }
