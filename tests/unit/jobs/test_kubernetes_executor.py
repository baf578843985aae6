"""The Kubernetes executor: its manifests against the OpenAPI schema, its status mapping from real
client objects, and its calls against the client's API (autospec fakes, no cluster)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest.mock import call, create_autospec

import kubernetes_validate
import pytest
import yaml
from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException
from typer.testing import CliRunner

from vision_platform.configs import BatchInferenceSpec, TrainingSpec
from vision_platform.jobs.executors.base import ExecutionRequest
from vision_platform.jobs.executors.kubernetes import (
    KubernetesExecutor,
    KubernetesExecutorError,
    build_manifests,
    map_status,
    stage_limits,
)
from vision_platform.settings import Settings

K8S_VERSION = "1.30"  # the oldest version we support (podFailurePolicy: beta, on by default)
TOKEN = "s3cr3t-job-token"
NAME = "vp-job-7-a2"
HANDLE = f"k8s:vision-platform/{NAME}"


def request(
    model: str = "resnet18", *, device: str = "auto", stage_seconds: float | None = None
) -> ExecutionRequest:
    spec = TrainingSpec(
        model_name=model,
        dataset_path="s3://bucket/data/digits",
        num_epochs=3,
        device=device,
        max_stage_seconds=stage_seconds,
        output_dir="/srv/vp/jobs/job_7",
        job_id="7",
    )
    env = {"VP_CALLBACK_URL": "http://vp-api:8000/api/v1", "VP_JOB_TOKEN": TOKEN}
    return ExecutionRequest(job_id=7, attempt=2, spec=spec, work_dir=Path("/srv"), env=env)


def settings(**overrides: Any) -> Settings:
    base: dict[str, Any] = {
        "k8s_image_registry": "ghcr.io/acme",
        "k8s_image_tag": "1.2.3",
        "k8s_s3_secret_name": "vp-s3",
        "storage_uri": "s3://vp-artifacts/prod",
        "s3_endpoint_url": "https://acct.r2.cloudflarestorage.com",
    }
    return Settings(**{**base, **overrides})


# --- manifests -------------------------------------------------------------------------------
CASES = {
    "timm-cpu": (request(device="cpu"), settings()),
    "timm-gpu-setting": (request(), settings(k8s_gpu_count=1)),
    "timm-stage-from-spec": (request(stage_seconds=600), settings()),
    "yolo-gpu-indices": (request("yolo11n", device="0,1"), settings()),
    "yolo-stage-from-settings": (
        request("yolo11n-seg", device="cuda", stage_seconds=7200),
        settings(k8s_stage_seconds=3600, k8s_work_volume_claim="vp-work"),
    ),
    "no-token-no-secret": (
        ExecutionRequest(
            job_id=1,
            attempt=1,
            spec=TrainingSpec(model_name="resnet18", dataset_path="d"),
            work_dir=Path("/srv"),
        ),
        Settings(),
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_every_manifest_is_valid_kubernetes(case: str) -> None:
    req, conf = CASES[case]
    manifests = build_manifests(req, conf)
    for doc in manifests.documents():
        # strict: an unknown or misspelt field is an error, as `kubectl apply` would make it.
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
    job = manifests.job["spec"]
    assert job["template"]["spec"]["restartPolicy"] == "Never"
    assert job["backoffLimit"] == 3
    assert job["podFailurePolicy"]["rules"][0]["action"] == "Ignore"


def test_the_schema_check_can_fail() -> None:
    job = build_manifests(*CASES["timm-cpu"]).job
    job["spec"]["backoffLimit"] = "three"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(job, K8S_VERSION, strict=True)
    job = build_manifests(*CASES["timm-cpu"]).job
    job["spec"]["podFailurePolicy"]["rules"][1]["onExitCode"] = {}  # misspelt
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(job, K8S_VERSION, strict=True)


def test_pod_failure_policy_fails_on_2_and_75_and_ignores_disruptions() -> None:
    rules = build_manifests(*CASES["timm-cpu"]).job["spec"]["podFailurePolicy"]["rules"]
    # A drained node's trainer exits 75 too: the disruption rule must come first.
    assert rules[0] == {
        "action": "Ignore",
        "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}],
    }
    assert [(r["action"], r["onExitCodes"]["values"]) for r in rules[1:]] == [
        ("FailJob", [2]),
        ("FailJob", [75]),
    ]


def container(manifests: Any) -> dict[str, Any]:
    return manifests.job["spec"]["template"]["spec"]["containers"][0]


@pytest.mark.parametrize(
    ("model", "image"),
    [
        ("resnet18", "ghcr.io/acme/vision-platform/trainer-timm:1.2.3"),
        ("yolo11n", "ghcr.io/acme/vision-platform/trainer-ultralytics:1.2.3"),
    ],
)
def test_image_per_framework_and_args_always_resume(model: str, image: str) -> None:
    c = container(build_manifests(request(model), settings()))
    assert c["image"] == image
    assert [*c["command"], *c["args"]] == ["vp", "train", "--spec", "/etc/vp/spec.json", "--resume"]


def test_spec_config_map_runs_in_the_pod_folder_with_resume() -> None:
    manifests = build_manifests(request(stage_seconds=600), settings())
    spec = TrainingSpec.model_validate_json(manifests.config_map["data"]["spec.json"])
    assert spec.output_dir == "/work/job_7"
    assert spec.resume is True
    assert spec.framework == "timm"
    assert spec.max_stage_seconds == 600
    mounts = {m["mountPath"]: m["name"] for m in container(manifests)["volumeMounts"]}
    volumes = {v["name"]: v for v in manifests.job["spec"]["template"]["spec"]["volumes"]}
    assert (
        volumes[mounts["/etc/vp"]]["configMap"]["name"] == manifests.config_map["metadata"]["name"]
    )


def test_gpus_are_limits_with_a_toleration_and_cpu_asks_for_none() -> None:
    cpu = build_manifests(*CASES["timm-cpu"])
    assert "nvidia.com/gpu" not in container(cpu)["resources"]["limits"]
    assert "tolerations" not in cpu.job["spec"]["template"]["spec"]
    gpu = build_manifests(*CASES["yolo-gpu-indices"])
    assert container(gpu)["resources"]["limits"]["nvidia.com/gpu"] == "2"
    assert gpu.job["spec"]["template"]["spec"]["tolerations"][0]["key"] == "nvidia.com/gpu"
    # GPUs 3 and 5 on the node are 0 and 1 inside the pod.
    pod_spec = json.loads(
        build_manifests(request(device="3,5"), settings()).config_map["data"]["spec.json"]
    )
    assert pod_spec["device"] == "0,1"


@pytest.mark.parametrize(
    ("spec_seconds", "deadline_setting", "trainer", "deadline"),
    [
        (None, None, None, None),
        (600, None, 600, 720),  # 120 s margin
        (36000, None, 36000, 39600),  # 10 % margin
        (None, 3600, 3240, 3600),
        (7200, 3600, 3240, 3600),  # the shorter limit wins
        (None, 60, 30, 60),  # a short stage still leaves the trainer half of it
    ],
)
def test_stage_deadline_a_margin_after_the_trainer_stops(
    spec_seconds: float | None,
    deadline_setting: float | None,
    trainer: float | None,
    deadline: int | None,
) -> None:
    assert stage_limits(spec_seconds, deadline_setting) == (trainer, deadline)
    manifests = build_manifests(
        request(stage_seconds=spec_seconds), settings(k8s_stage_seconds=deadline_setting)
    )
    assert manifests.job["spec"].get("activeDeadlineSeconds") == deadline


def test_credentials_come_from_secrets_never_plain_values() -> None:
    manifests = build_manifests(*CASES["timm-cpu"])
    assert TOKEN not in json.dumps(manifests.job)
    assert TOKEN not in json.dumps(manifests.config_map)
    assert manifests.secret is not None
    assert manifests.secret["stringData"] == {"VP_JOB_TOKEN": TOKEN}
    env = {e["name"]: e for e in container(manifests)["env"]}
    assert env["VP_JOB_TOKEN"]["valueFrom"]["secretKeyRef"] == {
        "name": f"{NAME}-token",
        "key": "VP_JOB_TOKEN",
    }
    assert env["VP_CALLBACK_URL"]["value"] == "http://vp-api:8000/api/v1"
    assert env["VP_STORAGE_URI"]["value"] == "s3://vp-artifacts/prod"
    assert container(manifests)["envFrom"] == [{"secretRef": {"name": "vp-s3"}}]
    pod = manifests.job["spec"]["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True


def test_labels_name_job_attempt_and_stage() -> None:
    manifests = build_manifests(request(), settings(), stage=3)
    for doc in (manifests.job, manifests.config_map, manifests.job["spec"]["template"]):
        labels = doc["metadata"]["labels"]
        assert labels["vision-platform/job-id"] == "7"
        assert labels["vision-platform/attempt"] == "2"
        assert labels["vision-platform/stage"] == "3"
        assert labels["app.kubernetes.io/managed-by"] == "vision-platform"
    assert manifests.job["metadata"]["name"] == NAME
    assert manifests.job["spec"]["ttlSecondsAfterFinished"] == 3600


def test_vp_k8s_manifest_prints_what_the_executor_submits(monkeypatch: pytest.MonkeyPatch) -> None:
    from vision_platform import cli
    from vision_platform.settings import get_settings

    monkeypatch.setenv("VP_CALLBACK_URL", "http://vp-api:8000/api/v1")
    monkeypatch.setenv("VP_K8S_IMAGE_TAG", "9.9.9")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(
            cli.app,
            [
                "k8s",
                "manifest",
                "--model_name",
                "yolo11n",
                "--dataset-path",
                "data/shapes",
                "--job-id",
                "12",
                "--num-epochs",
                "5",
                "--config",
                '{"mosaic": 0.5}',
                "--max-stage-seconds",
                "900",
                "--attempt",
                "3",
            ],
        )
        expected = build_manifests(
            ExecutionRequest(
                job_id=12,
                attempt=3,
                spec=TrainingSpec(
                    model_name="yolo11n",
                    dataset_path="data/shapes",
                    job_id="12",
                    num_epochs=5,
                    advanced_config={"mosaic": 0.5},
                    max_stage_seconds=900,
                ),
                work_dir=Path("."),
                env={"VP_CALLBACK_URL": "http://vp-api:8000/api/v1"},
            ),
            get_settings(),
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    docs = list(yaml.safe_load_all(result.stdout))
    assert docs == expected.documents()
    assert docs[-1]["spec"]["template"]["spec"]["containers"][0]["image"].endswith(":9.9.9")


@pytest.mark.parametrize(
    "args",
    [
        ["--model-name", "resnet18", "--dataset-path", "d"],  # no job id
        ["--model-name", "resnet18", "--dataset-path", "d", "--job-id", "1", "--batch-size", "0"],
    ],
)
def test_vp_k8s_manifest_refuses_bad_input_with_exit_2(args: list[str]) -> None:
    from vision_platform import cli

    result = CliRunner().invoke(cli.app, ["k8s", "manifest", *args])
    assert result.exit_code == 2
    assert "ERROR" in result.output


# --- status mapping from real client objects -------------------------------------------------
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def v1_job(
    condition: str | None = None,
    reason: str | None = None,
    message: str | None = None,
    *,
    deleting: bool = False,
) -> k8s.V1Job:
    conditions = (
        [k8s.V1JobCondition(type=condition, status="True", reason=reason, message=message)]
        if condition
        else None
    )
    return k8s.V1Job(
        metadata=k8s.V1ObjectMeta(name=NAME, deletion_timestamp=T0 if deleting else None),
        status=k8s.V1JobStatus(conditions=conditions),
    )


def v1_pod(
    n: int,
    *,
    phase: str = "Running",
    running: bool = False,
    exit_code: int | None = None,
    term_reason: str | None = None,
    waiting: str | None = None,
    conditions: list[k8s.V1PodCondition] | None = None,
) -> k8s.V1Pod:
    state = k8s.V1ContainerState(
        running=k8s.V1ContainerStateRunning(started_at=T0) if running else None,
        terminated=(
            k8s.V1ContainerStateTerminated(exit_code=exit_code, reason=term_reason)
            if exit_code is not None
            else None
        ),
        waiting=k8s.V1ContainerStateWaiting(reason=waiting, message=f"{waiting} detail")
        if waiting
        else None,
    )
    status = k8s.V1ContainerStatus(
        name="trainer", image="img", image_id="", ready=running, restart_count=0, state=state
    )
    return k8s.V1Pod(
        metadata=k8s.V1ObjectMeta(name=f"{NAME}-{n}", creation_timestamp=T0 + timedelta(n)),
        status=k8s.V1PodStatus(phase=phase, container_statuses=[status], conditions=conditions),
    )


def policy_message(code: int) -> str:
    return (
        f"Container trainer for pod vision-platform/{NAME}-0 failed with exit code {code} "
        f"matching FailJob rule at index {1 if code == 2 else 2}"
    )


UNSCHEDULABLE = k8s.V1PodCondition(
    type="PodScheduled",
    status="False",
    reason="Unschedulable",
    message="0/3 nodes are available: 3 Insufficient nvidia.com/gpu.",
)
DISRUPTED = k8s.V1PodCondition(
    type="DisruptionTarget", status="True", reason="EvictionByEvictionAPI", message="drained"
)

STATUS_CASES: dict[str, tuple[k8s.V1Job, list[k8s.V1Pod], bool, int | None, str | None]] = {
    # name: (job, pods, running, exit code, reason)
    "pending": (v1_job(), [], True, None, None),
    "running": (v1_job(), [v1_pod(0, running=True)], True, None, None),
    "succeeded": (
        v1_job("Complete"),
        [v1_pod(0, phase="Succeeded", exit_code=0)],
        False,
        0,
        None,
    ),
    "exit-2": (
        v1_job("Failed", "PodFailurePolicy", policy_message(2)),
        [v1_pod(0, phase="Failed", exit_code=2)],
        False,
        2,
        "PodFailurePolicy",
    ),
    "exit-2-pod-gone": (
        v1_job("Failed", "PodFailurePolicy", policy_message(2)),
        [],
        False,
        2,
        "PodFailurePolicy",
    ),
    "exit-75-stage-ended": (
        v1_job("Failed", "PodFailurePolicy", policy_message(75)),
        [v1_pod(0, phase="Failed", exit_code=75)],
        False,
        75,
        "StageEnded",
    ),
    "oom-killed-retrying": (
        v1_job(),
        [
            v1_pod(0, phase="Failed", exit_code=137, term_reason="OOMKilled"),
            v1_pod(1, running=True),
        ],
        True,
        None,
        "OOMKilled",
    ),
    "oom-killed-out-of-retries": (
        v1_job("Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit"),
        [v1_pod(i, phase="Failed", exit_code=137, term_reason="OOMKilled") for i in range(4)],
        False,
        137,
        "BackoffLimitExceeded",
    ),
    "crash-out-of-retries": (
        v1_job("Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit"),
        [v1_pod(i, phase="Failed", exit_code=1) for i in range(4)],
        False,
        1,
        "BackoffLimitExceeded",
    ),
    "image-pull-backoff": (
        v1_job(),
        [v1_pod(0, phase="Pending", waiting="ImagePullBackOff")],
        True,
        None,
        "ImagePullBackOff",
    ),
    "err-image-pull": (
        v1_job(),
        [v1_pod(0, phase="Pending", waiting="ErrImagePull")],
        True,
        None,
        "ErrImagePull",
    ),
    "unschedulable": (
        v1_job(),
        [v1_pod(0, phase="Pending", conditions=[UNSCHEDULABLE])],
        True,
        None,
        "Unschedulable",
    ),
    "deadline-exceeded-after-training": (
        v1_job("Failed", "DeadlineExceeded", "Job was active longer than specified deadline"),
        [v1_pod(0, phase="Failed", exit_code=75)],
        False,
        75,
        "DeadlineExceeded",
    ),
    "deadline-exceeded-never-started": (
        v1_job("Failed", "DeadlineExceeded", "Job was active longer than specified deadline"),
        [v1_pod(0, phase="Pending", waiting="ImagePullBackOff")],
        False,
        1,
        "DeadlineExceeded",
    ),
    "disrupted-and-replaced": (
        v1_job(),
        [v1_pod(0, phase="Failed", exit_code=75, conditions=[DISRUPTED]), v1_pod(1, running=True)],
        True,
        None,
        "Disrupted (EvictionByEvictionAPI)",
    ),
    "cancelled-pods-gone": (v1_job(deleting=True), [], False, 143, "Cancelled"),
    "cancelled-pod-terminating": (
        v1_job(deleting=True),
        [v1_pod(0, running=True)],
        True,
        None,
        None,
    ),
}


@pytest.mark.parametrize("case", STATUS_CASES)
def test_status_from_job_and_pod_conditions(case: str) -> None:
    job, pods, running, code, reason = STATUS_CASES[case]
    status = map_status(job, pods)
    assert status.state.running is running
    assert status.state.exit_code == code
    assert status.reason == reason


def test_reasons_carry_what_a_user_needs_to_act() -> None:
    job, pods, *_ = STATUS_CASES["unschedulable"]
    assert "Insufficient nvidia.com/gpu" in (map_status(job, pods).describe() or "")
    job, pods, *_ = STATUS_CASES["oom-killed-out-of-retries"]
    assert "VP_K8S_MEMORY_LIMIT" in (map_status(job, pods).describe() or "")
    job, pods, *_ = STATUS_CASES["deadline-exceeded-never-started"]
    assert "ImagePullBackOff" in (map_status(job, pods).describe() or "")


# --- the executor's calls, checked against the client's API ----------------------------------
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


def test_submit_creates_spec_token_and_job_and_makes_the_job_own_them(apis: Any) -> None:
    batch, core = apis
    req = request()
    handle = executor(apis).submit(req)
    assert handle == HANDLE
    expected = build_manifests(req, settings())
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
    batch.create_namespaced_job.side_effect = ApiException(status=409, reason="AlreadyExists")
    with pytest.raises(KubernetesExecutorError, match="job 7: could not create"):
        executor(apis).submit(request())
    core.delete_namespaced_config_map.assert_called_once_with(
        name=f"{NAME}-spec", namespace="vision-platform"
    )
    core.delete_namespaced_secret.assert_called_once_with(
        name=f"{NAME}-token", namespace="vision-platform"
    )


def test_status_reads_the_job_and_its_pods(apis: Any) -> None:
    batch, core = apis
    job, pods, *_ = STATUS_CASES["exit-75-stage-ended"]
    batch.read_namespaced_job.return_value = job
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


def test_kubernetes_runs_a_batch_job_with_the_model_frameworks_image() -> None:
    spec = BatchInferenceSpec(
        job_id="9",
        model_path="s3://vp-artifacts/prod/job_3/weights/best.pt",
        input_prefix="s3://vp-artifacts/prod/inbox",
        output_path="/work/job_9/results.jsonl",
        framework="ultralytics",
        device="0",
    )
    request = ExecutionRequest(
        job_id=9,
        attempt=1,
        spec=spec,
        work_dir=Path("/srv"),
        env={"VP_CALLBACK_URL": "http://vp-api:8000/api/v1", "VP_JOB_TOKEN": "t"},
    )
    settings = Settings(k8s_image_registry="ghcr.io/acme", k8s_image_tag="1.2.3")
    manifests = build_manifests(request, settings)
    for doc in manifests.documents():
        kubernetes_validate.validate(doc, "1.30", strict=True)
    (container,) = manifests.job["spec"]["template"]["spec"]["containers"]
    assert container["image"] == "ghcr.io/acme/vision-platform/trainer-ultralytics:1.2.3"
    assert container["args"] == ["infer-batch", "--spec", "/etc/vp/spec.json"]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == "1"
    sent = BatchInferenceSpec.model_validate_json(manifests.config_map["data"]["spec.json"])
    assert sent.model_copy(update={"device": "0"}) == spec
    assert "activeDeadlineSeconds" not in manifests.job["spec"]
