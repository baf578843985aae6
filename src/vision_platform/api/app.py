"""The FastAPI app factory: database, migrations, job service and scheduler in one lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import anyio
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from vision_platform import __version__
from vision_platform.api import heap
from vision_platform.api.auth import API_PREFIX, AuthenticateFirst
from vision_platform.api.chat_actions import ChatActions
from vision_platform.api.chat_sessions import ChatSessionService
from vision_platform.api.deps import API_SECURITY
from vision_platform.api.errors import ERROR_RESPONSES, install_error_handlers
from vision_platform.api.events import EventHub
from vision_platform.api.frontend import mount_frontend
from vision_platform.api.limits import BodyLimit
from vision_platform.api.metrics import install_metrics
from vision_platform.api.reconnect import RetryOnDisconnect
from vision_platform.api.routes import (
    batch,
    chat,
    compare,
    datasets,
    deployments,
    frameworks,
    inference,
    jobs,
    models,
    queue,
    report,
    weights,
)
from vision_platform.api.routes.jobs import shared_job_reads
from vision_platform.datastore.service import DatasetService
from vision_platform.db.session import Database
from vision_platform.inference.runtime import InferenceRuntime
from vision_platform.intent import ChatService, parser_from_settings
from vision_platform.intent.providers import action_reader_from_settings
from vision_platform.jobs.executors.base import Executor
from vision_platform.jobs.scheduler import Scheduler
from vision_platform.jobs.service import JobService
from vision_platform.registry.service import ModelRegistry
from vision_platform.registry.tracking import tracking_for
from vision_platform.settings import Settings, get_settings

log = logging.getLogger(__name__)


def make_executor(settings: Settings) -> Executor:
    """The executor VP_EXECUTOR names."""
    if settings.executor == "kubernetes":
        from vision_platform.jobs.executors.kubernetes import KubernetesExecutor

        return KubernetesExecutor(settings)
    from vision_platform.jobs.executors.local import LocalExecutor

    return LocalExecutor(grace_seconds=settings.stop_grace_seconds)


def _start_scheduler(
    service: JobService, settings: Settings, callback_url: str | None
) -> Scheduler:
    scheduler = Scheduler(
        service=service,
        executor=make_executor(settings),
        settings=settings,
        callback_url=callback_url,
    )
    scheduler.start()
    return scheduler


@asynccontextmanager
async def _platform(
    app: FastAPI,
    settings: Settings,
    *,
    run_scheduler: bool,
    callback_url: str | None,
    event_poll_seconds: float,
    settle_heap: bool,
) -> AsyncIterator[None]:
    """The services behind the routes, built when the app starts and closed when it stops."""
    db = Database(settings.sqlalchemy_url)
    db.migrate()
    service = JobService(db, settings)
    app.state.settings = settings
    app.state.jobs = service
    app.state.hot_reads = anyio.CapacityLimiter(db.read_slots)
    app.state.shared_reads = shared_job_reads(service, app.state.hot_reads)
    app.state.datasets = DatasetService(db, settings)
    app.state.events = EventHub(
        service, poll_seconds=event_poll_seconds, on_poll=app.state.count_event_poll
    )
    app.state.inference = InferenceRuntime(
        home=settings.home,
        batch_wait_ms=settings.batch_wait_ms,
        s3_endpoint_url=settings.s3_endpoint_url,
    )
    tracking = tracking_for(settings, db)
    app.state.models = ModelRegistry(
        db, service, digest=app.state.inference.predictor.cache.digest, tracking=tracking
    )
    chat = ChatService(parser=parser_from_settings(settings))
    actions = ChatActions(service, models=app.state.models, datasets=app.state.datasets)
    app.state.chat = ChatSessionService(
        db,
        jobs=service,
        chat=chat,
        datasets=app.state.datasets,
        actions=actions,
        reader=action_reader_from_settings(settings),
    )
    # MLflow logs a job's run before its version; rounds register what a crash left undone.
    service.completion_listeners += [tracking.job_completed, app.state.models.register_completed]
    service.reconcilers.append(app.state.models.reconcile)
    scheduler = _start_scheduler(service, settings, callback_url) if run_scheduler else None
    app.state.scheduler = scheduler
    if settle_heap:
        heap.settle()
    try:
        yield
    finally:
        await app.state.events.stop()
        if scheduler is not None:
            scheduler.shutdown()
        app.state.inference.close()
        app.state.models.close()
        tracking.close()
        db.dispose()


def _include_routes(app: FastAPI) -> None:
    # Routes are matched one after another, in this order, each tried costing microseconds:
    # the hot reads (GET /jobs…) first, after compare (which /jobs/{job_id} would take), then
    # predictions by name and by job, then the rest. One level of routers: FastAPI matches
    # each level's routes again.
    for module in (
        compare,
        jobs,
        deployments,
        inference,
        frameworks,
        chat,
        batch,
        models,
        datasets,
        weights,
        queue,
    ):
        app.include_router(
            module.router,
            prefix=API_PREFIX,
            dependencies=[API_SECURITY],
            responses=ERROR_RESPONSES,
        )
    # Trainers authenticate with their job's token, not the API token.
    app.include_router(report.router, prefix=API_PREFIX, responses=ERROR_RESPONSES)

    @app.get(f"{API_PREFIX}/health", tags=["health"])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.get(
        f"{API_PREFIX}/health/ready",
        tags=["health"],
        responses={503: {"description": "Not ready: the database is away or being migrated."}},
    )
    def ready(request: Request) -> JSONResponse:
        """Readiness (no token): the database answers and its schema is this server's."""
        service: JobService = request.app.state.jobs
        try:
            current = service.db.schema_is_current()
        except Exception as e:  # the database is unreachable
            return JSONResponse({"status": "unavailable", "detail": str(e)[:200]}, 503)
        if not current:
            return JSONResponse({"status": "migrating", "version": __version__}, 503)
        return JSONResponse({"status": "ready", "version": __version__})


def create_app(
    settings: Settings | None = None,
    *,
    run_scheduler: bool = True,
    callback_url: str | None = None,
    event_poll_seconds: float = 0.5,
    settle_heap: bool = False,
) -> FastAPI:
    """The platform's app. Nothing is built until it starts (the lifespan), so importing and
    creating it is free of side effects.

    `callback_url` is where trainers report (this server's own /api/v1 URL). `settle_heap`:
    tune this process's garbage collector for serving once the app is built (`api/heap.py`;
    what `vp serve` does, not an app started inside another program, such as a test)."""

    def lifespan(app: FastAPI) -> AbstractAsyncContextManager[None]:
        return _platform(
            app,
            settings or get_settings(),
            run_scheduler=run_scheduler,
            callback_url=callback_url,
            event_poll_seconds=event_poll_seconds,
            settle_heap=settle_heap,
        )

    app = FastAPI(
        title="Vision Platform",
        version=__version__,
        lifespan=lifespan,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url="/docs",
    )
    # The contract names /openapi.json too.
    app.add_api_route("/openapi.json", lambda: app.openapi(), include_in_schema=False)
    install_error_handlers(app)
    app.add_middleware(BodyLimit)  # inside authentication: a caller without a token gets 401
    app.add_middleware(AuthenticateFirst)
    app.state.count_event_poll = install_metrics(app, dependencies=[API_SECURITY])
    app.add_middleware(RetryOnDisconnect)  # outermost: around everything that reads the DB
    _include_routes(app)
    mount_frontend(app)  # last: the UI's fallback must not shadow any API route
    return app


def create_app_from_environment() -> FastAPI:
    """The app as each worker of `vp serve --workers N` builds it: everything from VP_*."""
    settings = get_settings()
    return create_app(settings, callback_url=settings.callback_url, settle_heap=True)
