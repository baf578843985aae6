"""One namespace of a Kubernetes cluster in memory, behind autospec'd `BatchV1Api` and
`CoreV1Api` (every call is checked against the client's signatures): Jobs, the pods their
controller makes, ConfigMaps and Secrets, answered as the API server answers (real `V1Job` and
`V1Pod` objects, 404 NotFound, 409 AlreadyExists).

Nothing runs by itself: `kubelet()` starts a pod for each Job that may run (not suspended, not
finished, none running yet) and counts the trainers alive per platform job; `finish()` ends one.
`at(when, method, hook)` runs `hook` once, before or after the next call of `method` (a hook
that raises `Crash` is a server dying there; one that runs another scheduler's round is a
server paused there)."""

from __future__ import annotations

import copy
import itertools
import json
from collections import Counter
from collections.abc import Callable
from typing import Any
from unittest.mock import create_autospec

from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException

JOB_ID_LABEL = "vision-platform/job-id"
_STAMP = "2025-01-01T00:00:{:02d}Z"


class Crash(BaseException):
    """The server dies at this call: nothing in the platform catches it (not an Exception)."""


def autospec_apis() -> tuple[Any, Any]:
    """Autospecs of the two APIs (slow for CoreV1Api's hundreds of methods: build them once)."""
    return (
        create_autospec(k8s.BatchV1Api, instance=True),
        create_autospec(k8s.CoreV1Api, instance=True),
    )


class _Response:
    def __init__(self, data: Any) -> None:
        self.data = json.dumps(data)


def _as(kind: str, obj: Any) -> Any:
    return k8s.ApiClient().deserialize(_Response(obj), kind)


def _matches(labels: dict[str, str], selector: str) -> bool:
    wanted = dict(part.split("=", 1) for part in selector.split(",") if part)
    return all(labels.get(k) == v for k, v in wanted.items())


def _merge(into: dict[str, Any], patch: dict[str, Any]) -> None:
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = copy.deepcopy(value)


def _missing(name: str) -> ApiException:
    return ApiException(status=404, reason=f"NotFound: {name}")


class FakeCluster:
    """The namespace's objects, and the two API objects that serve them."""

    def __init__(self, apis: tuple[Any, Any]) -> None:
        self.batch, self.core = apis
        for api in apis:
            api.reset_mock(return_value=True, side_effect=True)
        self.jobs: dict[str, dict[str, Any]] = {}
        self.pods: dict[str, dict[str, Any]] = {}
        self.objects: dict[tuple[str, str], dict[str, Any]] = {}  # (kind, name) → body
        self.created: list[str] = []  # every Job name ever created, in order
        self.most_alive: Counter[int] = Counter()  # platform job id → most trainers at once
        self._hooks: dict[tuple[str, str], Callable[[], None]] = {}
        self._clock = itertools.count()
        serve: list[tuple[Any, str, Callable[..., Any]]] = [
            (self.batch, "create_namespaced_job", self._create_job),
            (self.batch, "read_namespaced_job", self._read_job),
            (self.batch, "list_namespaced_job", self._list_jobs),
            (self.batch, "patch_namespaced_job", self._patch_job),
            (self.batch, "delete_namespaced_job", self._delete_job),
            (self.core, "list_namespaced_pod", self._list_pods),
            (self.core, "delete_namespaced_pod", self._delete_pod),
            (self.core, "read_namespaced_pod_log", lambda **kw: ""),
        ]
        for kind in ("config_map", "secret"):
            serve.append((self.core, f"create_namespaced_{kind}", self._creator(kind)))
            serve.append((self.core, f"patch_namespaced_{kind}", self._patcher(kind)))
            serve.append((self.core, f"delete_namespaced_{kind}", self._deleter(kind)))
        for api, method, answer in serve:
            getattr(api, method).side_effect = self._hooked(method, answer)

    # -- the test's controls --
    def at(self, when: str, method: str, hook: Callable[[], None]) -> None:
        """Run `hook` once, `when` ("before" or "after") the next call of `method`."""
        self._hooks[(when, method)] = hook

    def kubelet(self) -> None:
        """Start a trainer pod for every Job that may run and has none; count who is alive."""
        for name, job in self.jobs.items():
            if job["spec"].get("suspend") or job["metadata"].get("deletionTimestamp"):
                continue
            if job["status"].get("conditions") or self._live(name):
                continue
            pod_name = f"{name}-{next(self._clock)}"
            labels = {**job["spec"]["template"]["metadata"]["labels"], "job-name": name}
            self.pods[pod_name] = {
                "metadata": {"name": pod_name, "labels": labels, "creationTimestamp": self._now()},
                "status": {"phase": "Running", "containerStatuses": [self._trainer(None)]},
            }
        alive = Counter(
            int(pod["metadata"]["labels"][JOB_ID_LABEL])
            for name in self.pods
            if (pod := self.pods[name])["status"]["phase"] == "Running"
        )
        for job_id, count in alive.items():
            self.most_alive[job_id] = max(self.most_alive[job_id], count)

    def finish(self, name: str, exit_code: int = 0) -> None:
        """The Job's trainer exits with `exit_code` (0: the Job completes)."""
        for pod in self._live(name):
            pod["status"] = {
                "phase": "Succeeded" if exit_code == 0 else "Failed",
                "containerStatuses": [self._trainer(exit_code)],
            }
        kind = "Complete" if exit_code == 0 else "Failed"
        self.jobs[name]["status"]["conditions"] = [{"type": kind, "status": "True"}]

    def live_jobs(self) -> list[str]:
        """The Jobs that exist, are not finished and are not being deleted."""
        return [n for n, j in self.jobs.items() if not j["status"].get("conditions")]

    def running(self) -> list[str]:
        """The Jobs whose trainer runs now."""
        return [n for n in self.jobs if self._live(n)]

    # -- the API server --
    def _hooked(self, method: str, answer: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            if hook := self._hooks.pop(("before", method), None):
                hook()
            result = answer(*args, **kwargs)
            if hook := self._hooks.pop(("after", method), None):
                hook()
            return result

        return call

    def _now(self) -> str:
        return _STAMP.format(next(self._clock) % 60)

    @staticmethod
    def _trainer(exit_code: int | None) -> dict[str, Any]:
        state = {"running": {}} if exit_code is None else {"terminated": {"exitCode": exit_code}}
        fields = {"name": "trainer", "image": "i", "imageID": "", "ready": True}
        return {**fields, "restartCount": 0, "state": state}

    def _live(self, job: str) -> list[dict[str, Any]]:
        return [
            p
            for p in self.pods.values()
            if p["metadata"]["labels"]["job-name"] == job and p["status"]["phase"] == "Running"
        ]

    def _create_job(self, namespace: str, body: dict[str, Any], **_: Any) -> Any:
        name = body["metadata"]["name"]
        if name in self.jobs:
            raise ApiException(status=409, reason=f"AlreadyExists: {name}")
        job = copy.deepcopy(body)
        job["metadata"] |= {"uid": f"uid-{name}", "creationTimestamp": self._now()}
        job["status"] = {}
        self.jobs[name] = job
        self.created.append(name)
        return _as("V1Job", job)

    def _read_job(self, name: str, namespace: str, **_: Any) -> Any:
        if name not in self.jobs:
            raise _missing(name)
        return _as("V1Job", self.jobs[name])

    def _list_jobs(self, namespace: str, label_selector: str = "", **_: Any) -> Any:
        found = [j for j in self.jobs.values() if _matches(j["metadata"]["labels"], label_selector)]
        return _as("V1JobList", {"items": found})

    def _patch_job(self, name: str, namespace: str, body: dict[str, Any], **_: Any) -> Any:
        if name not in self.jobs:
            raise _missing(name)
        _merge(self.jobs[name], body)
        return _as("V1Job", self.jobs[name])

    def _delete_job(self, name: str, namespace: str, **_: Any) -> None:
        if self.jobs.pop(name, None) is None:
            raise _missing(name)
        for pod in [n for n, p in self.pods.items() if p["metadata"]["labels"]["job-name"] == name]:
            del self.pods[pod]  # the garbage collector, at once
        for kind in ("config_map", "secret"):  # owned by the Job
            self.objects.pop((kind, f"{name}-{'spec' if kind == 'config_map' else 'token'}"), None)

    def _list_pods(self, namespace: str, label_selector: str = "", **_: Any) -> Any:
        found = [p for p in self.pods.values() if _matches(p["metadata"]["labels"], label_selector)]
        return _as("V1PodList", {"items": found})

    def _delete_pod(self, name: str, namespace: str, **_: Any) -> None:
        pod = self.pods.pop(name, None)
        if pod is None:
            raise _missing(name)
        job = self.jobs.get(pod["metadata"]["labels"]["job-name"])
        if job is not None and not job["metadata"].get("deletionTimestamp"):
            # The trainer saved on SIGTERM and exited 75: the podFailurePolicy fails the Job.
            message = "Container trainer failed with exit code 75 matching FailJob rule"
            failed = {"type": "Failed", "status": "True", "reason": "PodFailurePolicy"}
            job["status"]["conditions"] = [{**failed, "message": message}]

    def _creator(self, kind: str) -> Callable[..., Any]:
        def create(namespace: str, body: dict[str, Any], **_: Any) -> None:
            key = (kind, body["metadata"]["name"])
            if key in self.objects:
                raise ApiException(status=409, reason=f"AlreadyExists: {key[1]}")
            self.objects[key] = copy.deepcopy(body)

        return create

    def _patcher(self, kind: str) -> Callable[..., Any]:
        def patch(name: str, namespace: str, body: dict[str, Any], **_: Any) -> None:
            if (kind, name) not in self.objects:
                raise _missing(name)
            _merge(self.objects[(kind, name)], body)

        return patch

    def _deleter(self, kind: str) -> Callable[..., Any]:
        def delete(name: str, namespace: str, **_: Any) -> None:
            if self.objects.pop((kind, name), None) is None:
                raise _missing(name)

        return delete
