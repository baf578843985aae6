"""The Kubernetes executor's calls, checked against the client's API (autospec fakes)."""

from __future__ import annotations

import dataclasses
from typing import Any
from unittest.mock import call, create_autospec

import pytest
from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException

from tests.unit.jobs.executors.conftest import (
    HANDLE,
    NAME,
    policy_message,
    request,
    settings,
    v1_job,
    v1_pod,
)
from tests.unit.jobs.executors.fake_cluster import FakeCluster
from vision_platform.jobs.executors import kubernetes
from vision_platform.jobs.executors.base import ExecutionRequest, ExecutionState
from vision_platform.jobs.executors.k8s_attempts import ForeignJobError
from vision_platform.jobs.executors.k8s_manifests import build_manifests
from vision_platform.jobs.executors.kubernetes import KubernetesExecutor, KubernetesExecutorError


@pytest.fixture(scope="module")
def autospec_apis() -> tuple[Any, Any]:
    # Built once: an autospec of CoreV1Api's hundreds of methods takes a while.
    return create_autospec(k8s.BatchV1Api, instance=True), create_autospec(
        k8s.CoreV1Api, instance=True
    )


@pytest.fixture
def apis(autospec_apis: tuple[Any, Any]) -> tuple[Any, Any]:
    batch, core = autospec_apis
    for api in (batch, core):
        api.reset_mock(return_value=True, side_effect=True)
    created = k8s.V1Job(metadata=k8s.V1ObjectMeta(name=NAME, uid="uid-1"))
    batch.create_namespaced_job.return_value = created
    batch.list_namespaced_job.return_value = k8s.V1JobList(items=[])
    core.list_namespaced_pod.return_value = k8s.V1PodList(items=[])
    return batch, core


def executor(apis: tuple[Any, Any]) -> KubernetesExecutor:
    batch, core = apis
    return KubernetesExecutor(settings(), batch_api=batch, core_api=core)


def only_namespaced_calls(*mocks: Any) -> None:
    # A namespaced Role is all the executor gets: no cluster-wide call may appear.
    for mock in mocks:
        for name, *_ in mock.method_calls:
            assert "namespaced" in name, name


def test_submit_creates_spec_token_and_a_held_job_and_makes_the_job_own_them(apis: Any) -> None:
    batch, core = apis
    req = request()
    ex = executor(apis)
    assert ex.planned_handle(7, 2) == HANDLE  # known before anything is created
    handle = ex.submit(req)
    assert handle == HANDLE
    expected = build_manifests(req, settings(), hold=True)
    assert expected.job["spec"]["suspend"] is True
    batch.list_namespaced_job.assert_called_once_with(
        namespace="vision-platform", label_selector="vision-platform/job-id=7"
    )
    core.create_namespaced_config_map.assert_called_once_with(
        namespace="vision-platform", body=expected.config_map
    )
    core.create_namespaced_secret.assert_called_once_with(
        namespace="vision-platform", body=expected.secret
    )
    batch.create_namespaced_job.assert_called_once_with(
        namespace="vision-platform", body=expected.job
    )
    owner = {"apiVersion": "batch/v1", "kind": "Job", "name": NAME, "uid": "uid-1"}
    body = {"metadata": {"ownerReferences": [owner]}}
    core.patch_namespaced_config_map.assert_called_once_with(
        name=f"{NAME}-spec", namespace="vision-platform", body=body
    )
    core.patch_namespaced_secret.assert_called_once_with(
        name=f"{NAME}-token", namespace="vision-platform", body=body
    )
    only_namespaced_calls(batch, core)


def test_submit_that_fails_leaves_nothing_behind(apis: Any) -> None:
    batch, core = apis
    batch.create_namespaced_job.side_effect = ApiException(status=500, reason="timed out")
    with pytest.raises(KubernetesExecutorError, match="job 7: could not create"):
        executor(apis).submit(request())
    # The Job may have been made, its answer lost: it is deleted too.
    batch.delete_namespaced_job.assert_called_once_with(
        name=NAME, namespace="vision-platform", propagation_policy="Foreground"
    )
    core.delete_namespaced_config_map.assert_called_once_with(
        name=f"{NAME}-spec", namespace="vision-platform"
    )
    core.delete_namespaced_secret.assert_called_once_with(
        name=f"{NAME}-token", namespace="vision-platform"
    )


def test_status_reads_the_job_and_its_pods(apis: Any) -> None:
    batch, core = apis
    batch.read_namespaced_job.return_value = v1_job(
        "Failed", "PodFailurePolicy", policy_message(75)
    )
    pods = [v1_pod(0, phase="Failed", exit_code=75)]
    core.list_namespaced_pod.return_value = k8s.V1PodList(items=pods)
    state = executor(apis).status(HANDLE)
    assert (state.running, state.exit_code) == (False, 75)
    batch.read_namespaced_job.assert_called_once_with(name=NAME, namespace="vision-platform")
    core.list_namespaced_pod.assert_called_once_with(
        namespace="vision-platform", label_selector=f"job-name={NAME}"
    )


def test_a_job_that_is_gone_is_lost_unless_it_was_cancelled(apis: Any) -> None:
    batch, _ = apis
    batch.read_namespaced_job.side_effect = ApiException(status=404, reason="Not Found")
    ex = executor(apis)
    assert ex.status(HANDLE).lost is True
    ex.cancel(HANDLE, grace_seconds=10)
    state = ex.status(HANDLE)
    assert (state.running, state.lost, state.exit_code) == (False, False, 143)


def test_an_api_outage_is_an_error_not_a_lost_job(apis: Any) -> None:
    batch, _ = apis
    batch.read_namespaced_job.side_effect = ApiException(status=503, reason="Unavailable")
    with pytest.raises(KubernetesExecutorError, match=NAME):
        executor(apis).status(HANDLE)


def test_logs_tail_the_newest_pod_and_say_why_it_is_stuck(apis: Any) -> None:
    batch, core = apis
    pods = [v1_pod(1, phase="Pending", waiting="ImagePullBackOff"), v1_pod(0, phase="Failed")]
    core.list_namespaced_pod.return_value = k8s.V1PodList(items=pods)
    core.read_namespaced_pod_log.side_effect = ApiException(status=400, reason="waiting")
    batch.read_namespaced_job.return_value = v1_job()
    lines = executor(apis).logs(HANDLE, tail=50)
    core.read_namespaced_pod_log.assert_called_once_with(
        name=f"{NAME}-1", namespace="vision-platform", container="trainer", tail_lines=50
    )
    assert lines == [f"[kubernetes] Job {NAME}: ImagePullBackOff: ImagePullBackOff detail"]

    core.read_namespaced_pod_log.side_effect = None
    core.read_namespaced_pod_log.return_value = "Epoch 1/3\nEpoch 2/3\n"
    batch.read_namespaced_job.return_value = v1_job()
    core.list_namespaced_pod.return_value = k8s.V1PodList(items=[v1_pod(0, running=True)])
    assert executor(apis).logs(HANDLE, tail=50) == ["Epoch 1/3", "Epoch 2/3"]


def test_stop_deletes_live_pods_with_a_grace_period(apis: Any) -> None:
    batch, core = apis
    pods = [v1_pod(0, phase="Failed", exit_code=1), v1_pod(1, running=True)]
    core.list_namespaced_pod.return_value = k8s.V1PodList(items=pods)
    executor(apis).stop(HANDLE)
    core.delete_namespaced_pod.assert_called_once_with(
        name=f"{NAME}-1", namespace="vision-platform", grace_period_seconds=30
    )
    batch.delete_namespaced_job.assert_not_called()


def test_cancel_deletes_the_job_in_the_foreground_and_its_pods(apis: Any) -> None:
    batch, core = apis
    core.list_namespaced_pod.return_value = k8s.V1PodList(items=[v1_pod(0, running=True)])
    executor(apis).cancel(HANDLE, grace_seconds=5)
    batch.delete_namespaced_job.assert_called_once_with(
        name=NAME, namespace="vision-platform", propagation_policy="Foreground"
    )
    core.delete_namespaced_pod.assert_called_once_with(
        name=f"{NAME}-0", namespace="vision-platform", grace_period_seconds=5
    )


def test_release_removes_every_leftover(apis: Any) -> None:
    batch, core = apis
    batch.delete_namespaced_job.side_effect = ApiException(status=404, reason="Not Found")
    executor(apis).release(HANDLE, grace_seconds=1)
    assert (
        core.method_calls.count(
            call.delete_namespaced_config_map(name=f"{NAME}-spec", namespace="vision-platform")
        )
        == 1
    )
    core.delete_namespaced_secret.assert_called_once_with(
        name=f"{NAME}-token", namespace="vision-platform"
    )
    only_namespaced_calls(batch, core)
    # Not ours: a local executor's handle is left alone.
    executor(apis).release("local:123:456:/tmp/x.log", grace_seconds=1)


# --- one trainer per job: the hold, adoption, other attempts, orphans (the in-memory cluster) ---


@pytest.fixture
def cluster(autospec_apis: tuple[Any, Any]) -> FakeCluster:
    return FakeCluster(autospec_apis)


def on(cluster: FakeCluster, **overrides: Any) -> KubernetesExecutor:
    return KubernetesExecutor(settings(**overrides), batch_api=cluster.batch, core_api=cluster.core)


def attempt(n: int, token: str = "t") -> ExecutionRequest:
    return dataclasses.replace(request(), attempt=n, env={"VP_JOB_TOKEN": f"{token}{n}"})


def test_a_held_job_runs_only_once_it_is_let_go(cluster: FakeCluster) -> None:
    ex = on(cluster)
    handle = ex.submit(attempt(1))
    cluster.kubelet()
    assert cluster.running() == []
    state = ex.describe(handle)
    assert (state.state.running, state.state.held, state.reason) == (True, True, "Held")
    ex.go(handle)
    cluster.kubelet()
    assert cluster.running() == ["vp-job-7-a1"]
    assert ex.status(handle) == ExecutionState(running=True)


def test_with_kueue_a_released_job_joins_its_queue_and_stays_suspended(
    cluster: FakeCluster,
) -> None:
    ex = on(cluster, k8s_kueue_queue="team-a")
    handle = ex.submit(attempt(1))
    labels = cluster.jobs["vp-job-7-a1"]["metadata"]["labels"]
    assert "kueue.x-k8s.io/queue-name" not in labels  # not Kueue's to admit while held
    ex.go(handle)
    job = cluster.jobs["vp-job-7-a1"]
    assert job["metadata"]["labels"]["kueue.x-k8s.io/queue-name"] == "team-a"
    assert job["spec"]["suspend"] is True  # Kueue unsuspends it once admitted
    assert ex.describe(handle).reason == "Suspended"


def test_submit_ends_another_attempts_job_before_it_creates_one(cluster: FakeCluster) -> None:
    ex = on(cluster)
    old = ex.submit(attempt(1))
    ex.go(old)
    cluster.kubelet()
    ex.submit(attempt(2))
    assert "vp-job-7-a1" not in cluster.jobs and ("config_map", "vp-job-7-a1-spec") not in (
        cluster.objects
    )
    assert cluster.created == ["vp-job-7-a1", "vp-job-7-a2"]


def test_submit_refuses_while_another_attempts_trainer_will_not_end(
    cluster: FakeCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    ex = on(cluster, stop_grace_seconds=0.01)
    ex.go(ex.submit(attempt(1)))
    cluster.kubelet()
    cluster.core.delete_namespaced_pod.side_effect = None  # the pod ignores its deletion
    cluster.batch.delete_namespaced_job.side_effect = None
    monkeypatch.setattr(kubernetes, "_GONE_WAIT_S", 0.0)
    monkeypatch.setattr(kubernetes, "_POLL_S", 0.01)
    with pytest.raises(KubernetesExecutorError, match="of an earlier attempt would not end"):
        ex.submit(attempt(2))
    assert cluster.created == ["vp-job-7-a1"]


def test_a_job_of_this_attempt_made_by_an_earlier_submit_is_adopted(cluster: FakeCluster) -> None:
    ex = on(cluster)
    first = ex.submit(attempt(1))
    assert ex.submit(attempt(1)) == first  # e.g. the first answer was lost
    assert cluster.created == ["vp-job-7-a1"]


def test_a_job_of_the_same_name_made_for_another_attempt_is_left_alone(
    cluster: FakeCluster,
) -> None:
    on(cluster).submit(attempt(1, token="old-database-"))
    before = dict(cluster.jobs["vp-job-7-a1"]["metadata"]["annotations"])
    with pytest.raises(ForeignJobError, match="vp-job-7-a1 exists but was not made for this"):
        on(cluster).submit(attempt(1))
    assert cluster.jobs["vp-job-7-a1"]["metadata"]["annotations"] == before


def test_orphans_are_the_held_jobs_of_attempts_that_do_not_run(cluster: FakeCluster) -> None:
    ex = on(cluster)
    handles = {
        job_id: ex.submit(dataclasses.replace(attempt(1), job_id=job_id)) for job_id in (7, 8, 9)
    }
    ex.go(handles[9])  # released: the scheduler follows (or the next submit ends) it
    applied = build_manifests(dataclasses.replace(request(), job_id=10, attempt=1), settings())
    cluster.batch.create_namespaced_job(namespace="vision-platform", body=applied.job)
    cluster.batch.list_namespaced_job.reset_mock()
    # Job 7 runs attempt 2 now (its held attempt 1 is an orphan); job 8's attempt 1 is being
    # started (held, live); job 9 and the Job applied by hand (job 10) are not held.
    ended = ex.end_orphans({7: 2, 8: 1})
    assert ended == ["k8s:vision-platform/vp-job-7-a1"]
    assert sorted(cluster.jobs) == ["vp-job-10-a1", "vp-job-8-a1", "vp-job-9-a1"]
    assert ("secret", "vp-job-7-a1-token") not in cluster.objects
    (listed,) = cluster.batch.list_namespaced_job.call_args_list  # one list, of held Jobs
    assert listed.kwargs["label_selector"].endswith("vision-platform/start=held")
    assert ex.end_orphans({}) == ["k8s:vision-platform/vp-job-8-a1"]
