"""`GET /metrics` for Prometheus: requests and latency per route, and what the database says.

Request metrics are counted where the request is served. With `vp serve --workers N` each
worker writes them to files under PROMETHEUS_MULTIPROC_DIR (prometheus-client's multiprocess
mode) and a scrape, whichever worker answers it, adds up all of them. Jobs by status, the queue,
the scheduler leader and trainer report lag are read from the database at each scrape, so they
are the same from every worker and every replica."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vision_platform.api.errors import ErrorOut
from vision_platform.jobs.leader import current_leader
from vision_platform.jobs.service import JobService

_PARAM = re.compile(r"{(\w+)(?::[^}]*)?}")
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass(frozen=True)
class ProcessMetrics:
    """The metrics this process counts itself (built once, on first use: never at import)."""

    registry: Any  # this process's own registry (one-process mode)
    requests: Any
    latency: Any
    event_polls: Any
    event_reads: Any
    gc_pauses: Any


@lru_cache(maxsize=1)
def process_metrics() -> ProcessMetrics:
    from prometheus_client import CollectorRegistry, Counter, Histogram

    registry = CollectorRegistry()
    return ProcessMetrics(
        registry=registry,
        requests=Counter(
            "vp_http_requests",
            "HTTP requests answered, by route template and status code.",
            ["method", "route", "status"],
            registry=registry,
        ),
        latency=Histogram(
            "vp_http_request_duration_seconds",
            "Time to the response's start (a stream's first byte), by route template.",
            ["method", "route"],
            buckets=_BUCKETS,
            registry=registry,
        ),
        event_polls=Counter(
            "vp_event_polls", "Database polls of the SSE event hub.", registry=registry
        ),
        event_reads=Counter(
            "vp_event_poll_reads",
            "Database reads of the SSE event hub: one a poll, plus three for each followed job "
            "that changed; none for each open stream.",
            registry=registry,
        ),
        gc_pauses=Histogram(
            "vp_gc_pause_seconds",
            "Garbage collections of a serving process, by generation (2: a full collection), "
            "each a pause of every request the process holds.",
            ["generation"],
            buckets=_BUCKETS,
            registry=registry,
        ),
    )


def count_event_poll(reads: int) -> None:
    """The event hub's hook: one poll that made `reads` database reads."""
    metrics = process_metrics()
    metrics.event_polls.inc()
    metrics.event_reads.inc(reads)


class RequestMetrics:
    """ASGI middleware: count each HTTP request and time it to its response's start."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.metrics = process_metrics()
        self._prefixes: dict[int, str] = {}  # id(route) → the prefix of the router above it

    def route_of(self, scope: Scope) -> str:
        """The matched route's full template (`/api/v1/jobs/{job_id}`): a bounded label.

        A route included under a prefix knows only its own part, so the prefix is found once
        per route: the request's path less the route's part with the parameters filled in."""
        route = scope.get("route")
        template = getattr(route, "path", None)
        if not isinstance(template, str):
            return "unmatched"
        prefix = self._prefixes.get(id(route))
        if prefix is None:
            params = scope.get("path_params", {})
            filled = _PARAM.sub(lambda m: str(params.get(m.group(1), m.group(0))), template)
            path = scope["path"]
            prefix = path[: -len(filled)] if filled and path.endswith(filled) else ""
            self._prefixes[id(route)] = prefix
        return prefix + template

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [500]

        async def timed_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                route = self.route_of(scope)
                self.metrics.latency.labels(scope["method"], route).observe(
                    time.perf_counter() - started
                )
            await send(message)

        try:
            await self.app(scope, receive, timed_send)
        finally:
            route = self.route_of(scope)
            self.metrics.requests.labels(scope["method"], route, str(status[0])).inc()


def scrape(service: JobService) -> bytes:
    """The text Prometheus reads: this server's (or all its workers') counts, then the
    database's gauges."""
    from prometheus_client import CollectorRegistry, generate_latest, multiprocess

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        workers = CollectorRegistry()
        multiprocess.MultiProcessCollector(workers)
        counted = generate_latest(workers)
    else:
        counted = generate_latest(process_metrics().registry)
    database = CollectorRegistry()
    database.register(DatabaseGauges(service))
    return counted + generate_latest(database)


class DatabaseGauges:
    """Gauges read from the database at scrape time."""

    def __init__(self, service: JobService) -> None:
        self.service = service

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        jobs = GaugeMetricFamily("vp_jobs", "Jobs by kind and status.", labels=["kind", "status"])
        queued = 0
        for kind, status, count in self.service.queries.status_counts():
            jobs.add_metric([kind, status], count)
            queued += count if status == "pending" else 0
        yield jobs
        yield GaugeMetricFamily("vp_queue_length", "Jobs waiting to start.", value=queued)
        holder, epoch, valid = current_leader(self.service.db)
        leader = GaugeMetricFamily(
            "vp_scheduler_leader",
            "1 for the server (host:pid) holding a valid scheduler lease.",
            labels=["holder"],
        )
        if holder is not None and valid:
            leader.add_metric([holder], 1)
        yield leader
        yield GaugeMetricFamily(
            "vp_scheduler_lease_epoch", "Times the scheduler lease changed hands.", value=epoch
        )
        lags = self.service.queries.report_lags()
        lag = GaugeMetricFamily(
            "vp_trainer_report_lag_seconds",
            "Seconds since each running job's trainer (or its scheduler) last wrote to it.",
            labels=["job_id"],
        )
        for job_id, seconds in lags:
            lag.add_metric([str(job_id)], seconds)
        yield lag
        yield GaugeMetricFamily(
            "vp_trainer_report_lag_max_seconds",
            "The largest trainer report lag of the running jobs (0: none runs).",
            value=max((seconds for _, seconds in lags), default=0.0),
        )


def install_metrics(app: FastAPI, *, dependencies: list[Any]) -> Callable[[int], None]:
    """Count every request, serve GET /metrics; returns the event hub's hook."""
    app.add_middleware(RequestMetrics)

    @app.get(
        "/metrics",
        tags=["health"],
        dependencies=dependencies,
        response_class=Response,
        responses={200: {"content": {"text/plain": {}}}, 401: {"model": ErrorOut}},
    )
    def metrics(request: Request) -> Response:
        """Prometheus metrics (text exposition format)."""
        from prometheus_client import CONTENT_TYPE_LATEST

        return Response(scrape(request.app.state.jobs), media_type=CONTENT_TYPE_LATEST)

    return count_event_poll
