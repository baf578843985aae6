"""Reading jobs: one job, pages of jobs, what changed, metrics, logs and a job's model files."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, TypedDict, Unpack

from pydantic import AliasChoices
from sqlalchemy import bindparam, func, select

from vision_platform.db.models import LogLine, MetricPoint, TrainingJob, utcnow
from vision_platform.db.session import Database
from vision_platform.jobs import marker
from vision_platform.jobs.errors import InvalidJobStateError, JobNotFoundError
from vision_platform.jobs.mapping import TRAIN, BatchJobView
from vision_platform.jobs.paths import job_dir
from vision_platform.jobs.queue_view import QueueReader
from vision_platform.jobs.rows import find_job
from vision_platform.jobs.schemas import (
    BatchJobOut,
    JobLogs,
    JobMetrics,
    JobOut,
    JobPage,
    JobSummary,
    LogLineOut,
    MetricPointOut,
)
from vision_platform.jobs.states import JobStatus
from vision_platform.settings import Settings

_KNOWN_JOBS_MAX = 100_000


# The columns the API shows, read as plain rows: the hot reads skip the ORM and validation.
def _column(field: str) -> Any:
    """The column a JobSummary field is read from, labelled with the field's name (a field
    whose column is named otherwise, like `dataset` ← dataset_ref, names it in its alias)."""
    columns = TrainingJob.__table__.c
    if field in columns:
        return columns[field]
    alias = JobSummary.model_fields[field].validation_alias
    choices = alias.choices if isinstance(alias, AliasChoices) else [alias]
    return next(columns[c] for c in choices if isinstance(c, str) and c in columns).label(field)


_SUMMARY = tuple(_column(name) for name in JobSummary.model_fields)
_FULL = (
    *_SUMMARY,
    TrainingJob.__table__.c.advanced_config,
    TrainingJob.__table__.c.config_resolution,
)
# With the jobs table's marker, which a waiting job's standing is kept under: one round trip.
# One job by `=` (an IN list is written out anew on every execution), several by IN.
_ONE_JOB = select(*_FULL, *marker.COLUMNS).where(TrainingJob.id == bindparam("job_id"))
_SOME_JOBS = select(*_FULL, *marker.COLUMNS).where(
    TrainingJob.id.in_(bindparam("job_ids", expanding=True))
)
_MARKER_KEYS = frozenset((marker.CHANGED_AT, marker.LAST_ID))


@lru_cache(maxsize=16)
def _page_statements(
    by_kind: bool, by_status: bool, by_cursor: bool, with_marker: bool = False
) -> tuple[Any, Any]:
    """A page's query and its count, with the filters as parameters: built once, not on
    every request (building a statement costs about as much as running it). `with_marker`:
    the page's rows carry the jobs table's marker, which the count is kept under."""
    where = []
    if by_kind:
        where.append(TrainingJob.kind == bindparam("kind"))
    if by_status:
        where.append(TrainingJob.status == bindparam("status"))
    count = select(func.count()).select_from(TrainingJob).where(*where)
    if by_cursor:
        where.append(TrainingJob.id < bindparam("cursor"))
    page = (
        select(*_SUMMARY, *(marker.COLUMNS if with_marker else ()))
        .where(*where)
        .order_by(TrainingJob.id.desc())
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )
    return page, count


class PageQuery(TypedDict, total=False):
    """What `list_jobs` and `list_page` take (keywords, all optional)."""

    status: JobStatus | None
    limit: int
    offset: int
    cursor: int | None
    with_total: bool
    kind: str | None


def page_key(query: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    """A page's query (`list_page`'s keywords) as the key its body is kept under."""
    return tuple(sorted(query.items()))


class JobQueries:
    """Reads jobs; writes nothing."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        # Ids of jobs seen to exist. Jobs are never deleted, so a prediction with a known job
        # needs no database round trip (bounded: cleared when it grows past _KNOWN_JOBS_MAX).
        self._known_jobs: set[int] = set()
        self.queue = QueueReader(db, settings)
        # The totals of the jobs lists, by (kind, status), while the jobs table is unchanged.
        self._totals: marker.Kept[int] = marker.Kept()
        self._pages: marker.Kept[bytes] = marker.Kept(seconds=marker.PAGE_SECONDS)

    def get(self, job_id: int) -> JobOut:
        return JobOut.model_validate(self.get_doc(job_id))

    def get_doc(self, job_id: int, *, with_standing: bool = False) -> dict[str, Any]:
        """The job as a JobOut's fields (JSON-ready with datetimes: what GET /jobs/{id} sends);
        `with_standing`: a waiting job's place in the queue and why it waits, too."""
        found = self.get_docs([job_id], with_standing=with_standing)[job_id]
        if isinstance(found, JobNotFoundError):
            raise found
        return found

    def get_docs(
        self, job_ids: list[int], *, with_standing: bool = False
    ) -> dict[int, dict[str, Any] | JobNotFoundError]:
        """`get_doc` of each job in one statement (the requests for jobs that wait at once,
        read together); a JobNotFoundError for each id that names no job."""
        with self.db.read() as connection:
            if len(job_ids) == 1:
                rows = connection.execute(_ONE_JOB, {"job_id": job_ids[0]}).all()
            else:
                rows = connection.execute(_SOME_JOBS, {"job_ids": job_ids}).all()
        docs: dict[int, dict[str, Any] | JobNotFoundError] = {
            job_id: JobNotFoundError(job_id) for job_id in job_ids
        }
        for row in rows:
            doc = {k: v for k, v in row._mapping.items() if k not in _MARKER_KEYS}
            resolution = doc.pop("config_resolution") or {}
            doc["preset_intent"] = resolution.get("intent")
            doc["adjustments"] = list(resolution.get("adjustments", []))
            doc["config_notes"] = list(resolution.get("notes", []))
            waits = with_standing and doc["status"] == JobStatus.PENDING
            standing = self.queue.standing(doc["id"], marker.of_row(row)) if waits else None
            doc["queue_position"] = standing.position if standing else None
            doc["waiting_reason"] = standing.reason if standing else None
            docs[doc["id"]] = doc
        return docs

    def get_batch(self, batch_id: int) -> BatchJobOut:
        """A batch inference job (JobNotFoundError for a job of another kind)."""
        with self.db.session() as session:
            batch = BatchJobView.of(find_job(session, batch_id))
            if batch is None:
                raise JobNotFoundError(batch_id)
            return batch.out()

    def output_dir(self, job_id: int) -> Path:
        with self.db.session() as session:
            return Path(find_job(session, job_id).output_dir)

    def model_files(self, job_id: int) -> tuple[Path, Path | None]:
        """The job's best.pt and its model.onnx (None until exported); 409 before any epoch."""
        folder = job_dir(self.settings, job_id)
        best = folder / "weights" / "best.pt"
        if job_id not in self._known_jobs or not best.is_file():
            with self.db.session() as session:  # one column: this runs on every prediction
                status = session.scalar(select(TrainingJob.status).where(TrainingJob.id == job_id))
            if status is None:
                raise JobNotFoundError(job_id)
            if len(self._known_jobs) >= _KNOWN_JOBS_MAX:
                self._known_jobs.clear()
            self._known_jobs.add(job_id)
            if not best.is_file():
                raise InvalidJobStateError(
                    job_id, status, "predict with it: it has no checkpoint yet"
                )
        onnx = folder / "model.onnx"
        return best, onnx if onnx.is_file() else None

    def list_jobs(self, **query: Unpack[PageQuery]) -> JobPage:
        """Jobs newest first: training jobs unless `kind` names another kind (None: every kind)."""
        return JobPage.model_validate(self.list_page(**query))

    def list_page(
        self,
        *,
        status: JobStatus | None = None,
        limit: int = 50,
        offset: int = 0,
        cursor: int | None = None,
        with_total: bool = True,
        kind: str | None = TRAIN,
    ) -> dict[str, Any]:
        """`list_jobs` as a JobPage's fields (what GET /jobs sends). `cursor`: the jobs older
        than that id (keyset: `WHERE id < cursor`, on the kind/status/id indexes).

        The total is counted once and kept while the jobs table's marker (read with the page,
        in the same statement) stands: one round trip for a page, however many jobs match."""
        page, count = _page_statements(
            kind is not None, status is not None, cursor is not None, with_total
        )
        params = {
            "kind": kind,
            "status": status.value if status is not None else None,
            "cursor": cursor,
            "limit": limit,
            "offset": offset,
        }
        with self.db.read() as connection:
            result = connection.execute(page, params)
            keys = tuple(result.keys())
            rows = result.all()
            shown = len(keys) - (2 if with_total else 0)  # the marker's columns come last
            items = [dict(zip(keys[:shown], row[:shown], strict=True)) for row in rows]
            total = None
            if with_total:
                # No row, no marker: an empty page is counted each time (it is rare and cheap).
                mark = marker.of_row(rows[0]) if rows else None
                key = (kind, params["status"])
                total = self._totals.get(key, mark) if mark is not None else None
                if total is None:
                    total = connection.scalar(count, params) or 0
                    if mark is not None:
                        self._totals.put(key, mark, total)
        more = len(items) == limit
        return {
            "items": items,
            "total": total,
            "limit": limit,
            "offset": offset,
            "next_cursor": str(items[-1]["id"]) if more else None,
        }

    def marker(self) -> tuple[Any, Any]:
        """The jobs table's marker now (two index lookups)."""
        return marker.read(self.db)

    def kept_page(self, mark: tuple[Any, Any], **query: Any) -> bytes | None:
        """The body `rendered_page` kept for `query` under `mark`, if it did."""
        return self._pages.get(page_key(query), mark)

    def rendered_page(
        self,
        render: Callable[[dict[str, Any]], bytes],
        mark: tuple[Any, Any] | None = None,
        **query: Any,
    ) -> bytes:
        """`list_page(**query)` as `render` writes it (GET /jobs' body), kept while the jobs
        table's marker (`mark`, read here when not given) stands: a page asked for again (a
        team's dashboards and browser tabs polling the first page) costs a read of the marker,
        not the page's rows, their conversion and their JSON."""
        if mark is None:
            mark = self.marker()
        key = page_key(query)
        body = self._pages.get(key, mark)
        if body is None:  # the page is read after the marker: a write between them is in it
            body = render(self.list_page(**query))
            self._pages.put(key, mark, body)
        return body

    def changed_since(self, since: datetime, *, kind: str | None = TRAIN) -> list[JobSummary]:
        """Jobs whose row was written at or after `since` (of any status), oldest write first."""
        query = select(*_SUMMARY).where(TrainingJob.updated_at >= since)
        if kind is not None:
            query = query.where(TrainingJob.kind == kind)
        with self.db.session() as session:
            found = session.execute(query.order_by(TrainingJob.updated_at, TrainingJob.id))
            return [JobSummary.model_validate(row._mapping) for row in found]

    def status_counts(self) -> list[tuple[str, str, int]]:
        """(kind, status, number of jobs) of every kind and status there are jobs of."""
        query = select(TrainingJob.kind, TrainingJob.status, func.count()).group_by(
            TrainingJob.kind, TrainingJob.status
        )
        with self.db.session() as session:
            return [(r[0], r[1], int(r[2])) for r in session.execute(query)]

    def report_lags(self) -> list[tuple[int, float]]:
        """(job id, seconds since its row was last written) of each running job: a trainer
        reports every few seconds, so a growing lag is a trainer (or a scheduler) gone quiet."""
        query = select(TrainingJob.id, TrainingJob.updated_at).where(
            TrainingJob.status == JobStatus.RUNNING.value
        )
        now = utcnow()
        with self.db.session() as session:
            rows = session.execute(query.order_by(TrainingJob.id)).all()
        return [(r[0], max(0.0, (now - r[1]).total_seconds())) for r in rows]

    def metrics(self, job_id: int, *, after: int = 0) -> JobMetrics:
        with self.db.session() as session:
            job = find_job(session, job_id)
            points = session.scalars(
                select(MetricPoint)
                .where(MetricPoint.job_id == job_id, MetricPoint.id > after)
                .order_by(MetricPoint.epoch, MetricPoint.id)
            ).all()
            return JobMetrics(
                job_id=job_id,
                best_metric_name=job.best_metric_name,
                best_metric=job.best_metric,
                points=[MetricPointOut.model_validate(p) for p in points],
            )

    def logs(self, job_id: int, *, after: int = 0, limit: int = 1000) -> JobLogs:
        with self.db.session() as session:
            find_job(session, job_id)
            lines = session.scalars(
                select(LogLine)
                .where(LogLine.job_id == job_id, LogLine.id > after)
                .order_by(LogLine.id)
                .limit(limit)
            ).all()
            items = [LogLineOut.model_validate(line) for line in lines]
            return JobLogs(job_id=job_id, items=items, next_after=items[-1].id if items else after)
