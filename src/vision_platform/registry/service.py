"""The model registry service: register completed jobs as versions, move aliases, resolve refs."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from vision_platform.configs import unknown_name_message
from vision_platform.db.models import (
    REGISTER_PENDING,
    ModelAlias,
    ModelVersion,
    RegisteredModel,
    TrainingJob,
    utcnow,
)
from vision_platform.db.session import Database
from vision_platform.errors import InvalidInputError, VisionPlatformError
from vision_platform.jobs import rows
from vision_platform.jobs.mapping import TRAIN
from vision_platform.jobs.paths import job_dir
from vision_platform.jobs.runs import run_record
from vision_platform.jobs.schemas import MODEL_NAME_PATTERN
from vision_platform.jobs.service import JobService
from vision_platform.jobs.states import JobStatus
from vision_platform.registry.errors import (
    AlreadyRegisteredError,
    RegistryConflictError,
    RegistryNotFoundError,
)
from vision_platform.registry.generation import GenerationCache, GenerationWatch, bump
from vision_platform.registry.schemas import (
    AliasOut,
    ModelList,
    ModelOut,
    ModelRef,
    ModelVersionOut,
    check_alias,
)
from vision_platform.registry.tracking import NoTracking, Tracking
from vision_platform.registry.versions import Digest, new_version_row, summary_fields, version_out
from vision_platform.storage import file_sha256

log = logging.getLogger(__name__)
_REGISTER_TRIES = 3  # two registrations racing for a new name or number: the loser tries again
# A model is read with its versions and aliases (two more queries, not one per row).
_CHILDREN = (selectinload(RegisteredModel.versions), selectinload(RegisteredModel.aliases))
# What `resolve` runs, built once: a version by alias or by number, with what serving needs.
_SERVED = select(
    ModelVersion.version, ModelVersion.job_id, ModelVersion.checkpoint_sha256, ModelVersion.exports
).join(RegisteredModel, RegisteredModel.id == ModelVersion.model_id)
_BY_ALIAS = (
    _SERVED.join(ModelAlias, ModelAlias.version_id == ModelVersion.id)
    .where(RegisteredModel.name == bindparam("name"))
    .where(ModelAlias.alias == bindparam("alias"))
)
_BY_NUMBER = _SERVED.where(RegisteredModel.name == bindparam("name")).where(
    ModelVersion.version == bindparam("version")
)
# The completed jobs whose register_as is still to be done (on the partial index of them).
_PENDING = (
    select(TrainingJob.id, TrainingJob.register_as)
    .where(text(REGISTER_PENDING))
    .order_by(TrainingJob.id)
    .limit(100)
)


@dataclass(frozen=True)
class ServedVersion:
    """The version a ref resolved to, with what serving it needs to check."""

    name: str
    version: int
    job_id: int
    checkpoint_sha256: str
    onnx_sha256: str | None
    folder: Path  # the job's folder, where its best.pt and model.onnx lie


class ModelRegistry:
    """Named models, their versions (completed jobs) and aliases, over the platform database.

    `digest` hashes a model file; the server passes its model cache's, which remembers each
    file's hash, so that checking a version's checkpoint on every prediction costs a stat.
    `tracking` hears of each new version (MLflow, when configured).

    What refs resolve to is kept until the registry's generation moves (`generation.py`):
    every write here bumps it in its own transaction, whichever process makes it."""

    def __init__(
        self,
        db: Database,
        jobs: JobService,
        *,
        digest: Digest = file_sha256,
        tracking: Tracking | None = None,
    ) -> None:
        self.db = db
        self.jobs = jobs
        self.digest = digest
        self.tracking = tracking or NoTracking()
        self._generation = GenerationWatch(db)
        self._served: GenerationCache[ModelRef, ServedVersion] = GenerationCache()

    # --- versions ------------------------------------------------------------------------
    def register(self, name: str, job_id: int) -> ModelVersionOut:
        """Make the completed training job `job_id` the next version of `name` (created on
        first use): 404 unknown job, 409 not completed or already a version of `name`."""
        _check_name(name)
        with self.db.session() as session:
            job = rows.find_job(session, job_id)
            if job.kind != TRAIN:
                raise InvalidInputError(
                    f"job_id: job {job_id} is a {job.kind} job, not a training run"
                )
            if job.status != JobStatus.COMPLETED:
                raise RegistryConflictError(
                    f"job {job_id} is {job.status}: only a completed job can be registered"
                )
        checkpoint, onnx = self.jobs.model_files(job_id)
        for attempt in range(_REGISTER_TRIES):
            try:
                version = self._add_version(name, job_id, checkpoint, onnx)
                break
            except IntegrityError:
                if attempt == _REGISTER_TRIES - 1:
                    raise
        self.tracking.version_registered(version)
        return version

    def _add_version(
        self, name: str, job_id: int, checkpoint: Path, onnx: Path | None
    ) -> ModelVersionOut:
        with self.db.session() as session:
            job = rows.find_job(session, job_id)
            model = self._model(session, name, create=True)
            existing = session.scalar(
                select(ModelVersion.version).where(
                    ModelVersion.model_id == model.id, ModelVersion.job_id == job_id
                )
            )
            if existing is not None:
                raise AlreadyRegisteredError(
                    f"job {job_id} is already version {existing} of model {name!r}"
                )
            record = run_record(session, job)
            row = new_version_row(
                model, job, record, checkpoint=checkpoint, onnx=onnx, digest=self.digest
            )
            model.next_version += 1
            model.updated_at = utcnow()
            if job.register_as == name and job.register_settled_at is None:
                job.register_settled_at = utcnow()  # its register_as, done with the version
            session.add(row)
            session.flush()
            bump(session)
            rows.log(session, job, f"Registered as version {row.version} of model {name!r}")
            return version_out(model, row)

    def register_completed(self, job_id: int) -> None:
        """Register a job that has just completed under its `register_as`, if it has one.

        A completion listener of the jobs service: a failure never reaches the scheduler (the
        job stays completed). What this leaves undone (the server died first, the database
        was away) `reconcile` does on a later round."""
        with self.db.session() as session:
            name = session.scalar(
                select(TrainingJob.register_as).where(
                    TrainingJob.id == job_id, TrainingJob.register_settled_at.is_(None)
                )
            )
        if name:
            self._register_as(job_id, name)

    def reconcile(self) -> None:
        """Register every completed job whose `register_as` is not settled yet: what a server
        that died between a completion and its registration left undone.

        The leading scheduler runs it on each round (so also first thing after a restart).
        It is idempotent: a job becomes a version of its model once (the unique job per model,
        and the settled mark written with the version); one whose registration cannot succeed
        (no checkpoint) is settled with a line in its log saying why, and tried no more."""
        with self.db.read() as connection:
            pending = connection.execute(_PENDING).all()
        for job_id, name in pending:
            self._register_as(job_id, str(name))

    def _register_as(self, job_id: int, name: str) -> None:
        try:
            self.register(name, job_id)
        except AlreadyRegisteredError:
            self._settle(job_id, None)  # registered by another server, or by hand
        except VisionPlatformError as e:  # for good: no checkpoint, not a training run, …
            log.warning("job %s: could not register it as model %r: %s", job_id, name, e)
            self._settle(job_id, f"Could not register as model {name!r}: {e}")
        except Exception as e:  # passing (the database away or busy): tried again next round
            log.warning(
                "job %s: registering it as model %r failed (%s); will retry", job_id, name, e
            )

    def _settle(self, job_id: int, warning: str | None) -> None:
        with self.db.session() as session:
            settled = session.execute(
                update(TrainingJob)
                .where(TrainingJob.id == job_id, TrainingJob.register_settled_at.is_(None))
                .values(register_settled_at=utcnow())
            )
            if warning is not None and settled.rowcount == 1:  # type: ignore[attr-defined]
                rows.log(session, rows.find_job(session, job_id), warning, level="warning")

    def delete_version(self, name: str, version: int) -> None:
        """Delete a version (its job and files stay); 409 while an alias points at it."""
        with self.db.session() as session:
            model = self._model(session, name, lock=True)
            row = _version(model, version)
            pointing = [a.alias for a in model.aliases if a.version_id == row.id]
            if pointing:
                raise RegistryConflictError(
                    f"version {version} of model {name!r} is what alias(es) "
                    f"{', '.join(pointing)} point at; move or delete them first"
                )
            session.delete(row)
            model.updated_at = utcnow()
            bump(session)

    # --- aliases -------------------------------------------------------------------------
    def set_alias(self, name: str, alias: str, version: int) -> AliasOut:
        """Point `alias` at `version`: predictions by `name@alias` that start after this use it."""
        check_alias(alias)
        with self.db.session() as session:
            model = self._model(session, name, lock=True)
            row = _version(model, version)
            current = next((a for a in model.aliases if a.alias == alias), None)
            if current is None:
                model.aliases.append(ModelAlias(alias=alias, version_id=row.id))
            else:
                current.version_id = row.id
                current.updated_at = utcnow()
            model.updated_at = utcnow()
            bump(session)
        return AliasOut(name=name, alias=alias, version=version)

    def delete_alias(self, name: str, alias: str) -> None:
        with self.db.session() as session:
            model = self._model(session, name, lock=True)
            current = next((a for a in model.aliases if a.alias == alias), None)
            if current is None:
                raise _no_alias(model, alias)
            model.aliases.remove(current)
            model.updated_at = utcnow()
            bump(session)

    # --- reading -------------------------------------------------------------------------
    def list_models(self) -> ModelList:
        with self.db.session() as session:
            query = select(RegisteredModel).options(*_CHILDREN).order_by(RegisteredModel.name)
            models = session.scalars(query).all()
            return ModelList(items=[summary_fields(m) for m in models])

    def get_model(self, name: str) -> ModelOut:
        with self.db.session() as session:
            model = self._model(session, name)
            versions = [version_out(model, v) for v in model.versions]
            return ModelOut(**summary_fields(model).model_dump(), versions=versions)

    def get_version(self, name: str, version: int) -> ModelVersionOut:
        with self.db.session() as session:
            model = self._model(session, name)
            return version_out(model, _version(model, version))

    # --- serving -------------------------------------------------------------------------
    def resolve(self, ref: ModelRef) -> ServedVersion:
        """The version `ref` names now (this runs on every prediction by name): from this
        process's cache while the registry's generation is the one it was resolved under,
        else in one query."""
        generation = self._generation.read()
        if generation is not None:
            served = self._served.get(ref, generation)
            if served is not None:
                return served
        served = self._resolve_now(ref)
        if generation is not None:
            self._served.put(ref, generation, served)
        return served

    def _resolve_now(self, ref: ModelRef) -> ServedVersion:
        params: dict[str, str | int | None]
        if ref.alias is not None:
            query, params = _BY_ALIAS, {"name": ref.name, "alias": ref.alias}
        else:
            query, params = _BY_NUMBER, {"name": ref.name, "version": ref.version}
        with self.db.engine.connect() as connection:
            found = connection.execute(query, params).first()
        if found is None:
            raise self._unresolved(ref)
        version, job_id, sha256, exports = found
        onnx = exports.get("onnx") or {}
        folder = job_dir(self.jobs.settings, job_id)
        return ServedVersion(ref.name, version, job_id, sha256, onnx.get("sha256"), folder)

    def model_file(self, served: ServedVersion, backend: str) -> Path:
        """The file to serve `served` from on `backend` (eager: best.pt, onnx: model.onnx),
        checked against the hash recorded when it was registered (409 if it changed or is
        gone). This runs on every prediction by name: the check is a stat (`digest` keeps
        each file's hash by its stat), the folder was found with the ref."""
        label = f"version {served.version} of model {served.name!r}"
        if backend == "onnx":
            if served.onnx_sha256 is None:
                raise RegistryConflictError(f"{label} has no ONNX export")
            path, expected = served.folder / "model.onnx", served.onnx_sha256
        else:
            path, expected = served.folder / "weights" / "best.pt", served.checkpoint_sha256
        try:
            found = self.digest(path)
        except FileNotFoundError:
            found = None
        if found != expected:
            happened = "changed" if found is not None else "was removed"
            raise RegistryConflictError(
                f"{label}: job {served.job_id}'s {path.name} {happened} since it was registered"
            )
        return path

    def close(self) -> None:
        """Give back the connection the generation is read on (the server stops)."""
        self._generation.close()

    # --- rows ----------------------------------------------------------------------------
    def _model(
        self, session: Session, name: str, *, lock: bool = False, create: bool = False
    ) -> RegisteredModel:
        query = select(RegisteredModel).options(*_CHILDREN).where(RegisteredModel.name == name)
        if (lock or create) and self.db.dialect == "postgresql":
            query = query.with_for_update(of=RegisteredModel)
        model = session.scalars(query).one_or_none()
        if model is not None:
            return model
        if not create:
            raise RegistryNotFoundError(self._unknown_model(session, name))
        model = RegisteredModel(name=name, next_version=1)
        session.add(model)
        session.flush()  # a name created at the same time by another request: IntegrityError
        return model

    def _unknown_model(self, session: Session, name: str) -> str:
        names = list(session.scalars(select(RegisteredModel.name).order_by(RegisteredModel.name)))
        if not names:
            return f"model {name!r} not found: the registry is empty"
        return unknown_name_message("model", name, names)

    def _unresolved(self, ref: ModelRef) -> RegistryNotFoundError:
        with self.db.session() as session:
            model = self._model(session, ref.name)
            if ref.alias is not None:
                return _no_alias(model, ref.alias)
            return _no_version(model, ref.version or 0)


def _check_name(name: str) -> None:
    if not re.match(MODEL_NAME_PATTERN, name):
        raise InvalidInputError(
            f"model {name!r}: a name is a lower-case slug ({MODEL_NAME_PATTERN})"
        )


def _version(model: RegisteredModel, version: int) -> ModelVersion:
    found = next((v for v in model.versions if v.version == version), None)
    if found is None:
        raise _no_version(model, version)
    return found


def _no_version(model: RegisteredModel, version: int) -> RegistryNotFoundError:
    have = ", ".join(f"v{v.version}" for v in model.versions) or "none"
    return RegistryNotFoundError(
        f"model {model.name!r} has no version {version} (versions: {have})"
    )


def _no_alias(model: RegisteredModel, alias: str) -> RegistryNotFoundError:
    by_id = {v.id: v.version for v in model.versions}
    have = ", ".join(f"{a.alias} (v{by_id.get(a.version_id)})" for a in model.aliases)
    hint = (
        f"its aliases: {have}"
        if have
        else f"it has no aliases; set one with PUT /models/{model.name}/aliases/{alias}"
    )
    return RegistryNotFoundError(f"model {model.name!r} has no alias {alias!r}; {hint}")
