"""The Kubernetes manifests: valid against the OpenAPI schema, and what each field is for."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest

from tests.unit.jobs.executors.conftest import NAME, TOKEN, request, settings
from vision_platform.configs import BatchInferenceSpec, TrainingSpec
from vision_platform.errors import InvalidInputError
from vision_platform.jobs.executors.base import ExecutionRequest
from vision_platform.jobs.executors.k8s_manifests import build_manifests, stage_limits
from vision_platform.jobs.executors.kubernetes import KubernetesExecutor
from vision_platform.settings import Settings

K8S_VERSION = "1.30"  # the oldest version we support (podFailurePolicy: beta, on by default)

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
    "high-priority-in-kueue": (
        dataclasses.replace(request(), priority="high"),
        settings(k8s_kueue_queue="team-a"),
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


def test_s3_storage_without_pod_credentials_is_refused_naming_the_settings() -> None:
    bare = settings(k8s_s3_secret_name=None)
    with pytest.raises(InvalidInputError, match=r"VP_K8S_S3_SECRET_NAME.*VP_K8S_POD_IDENTITY"):
        build_manifests(request(), bare)
    with pytest.raises(InvalidInputError, match="VP_K8S_S3_SECRET_NAME"):
        KubernetesExecutor(bare, batch_api=object(), core_api=object())
    # Pods that get credentials from the cluster (IRSA, workload identity): no Secret, no error.
    manifests = build_manifests(request(), settings(k8s_s3_secret_name=None, k8s_pod_identity=True))
    assert "envFrom" not in manifests.job["spec"]["template"]["spec"]["containers"][0]
    # Local storage needs no credentials at all.
    build_manifests(request(), settings(k8s_s3_secret_name=None, storage_uri="/srv/vp/artifacts"))


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


def test_the_priority_names_a_priority_class_and_kueue_admits_a_suspended_job() -> None:
    plain = build_manifests(request(), settings()).job
    assert plain["spec"]["template"]["spec"]["priorityClassName"] == "vision-platform-normal"
    assert "suspend" not in plain["spec"]
    assert "kueue.x-k8s.io/queue-name" not in plain["metadata"]["labels"]
    job = build_manifests(*CASES["high-priority-in-kueue"]).job
    assert job["spec"]["template"]["spec"]["priorityClassName"] == "vision-platform-high"
    assert job["spec"]["suspend"] is True
    assert job["metadata"]["labels"]["kueue.x-k8s.io/queue-name"] == "team-a"
    # The pods carry no queue label: Kueue manages the Job, not its pods one by one.
    assert "kueue.x-k8s.io/queue-name" not in job["spec"]["template"]["metadata"]["labels"]


@pytest.mark.parametrize("case", ["timm-cpu", "high-priority-in-kueue"])
def test_a_held_job_is_valid_suspended_and_keyed_to_its_attempt(case: str) -> None:
    req, conf = CASES[case]
    job = build_manifests(req, conf, hold=True).job
    kubernetes_validate.validate(job, K8S_VERSION, strict=True)
    assert job["spec"]["suspend"] is True
    assert job["metadata"]["labels"]["vision-platform/start"] == "held"
    annotations = job["metadata"]["annotations"]
    key = annotations["vision-platform/attempt-key"]
    assert len(key) == 32 and TOKEN not in key
    other = dataclasses.replace(req, env={**req.env, "VP_JOB_TOKEN": "another attempt's"})
    assert build_manifests(other, conf, hold=True).job["metadata"]["annotations"] != annotations
    # Kueue gets it only once released: it must not admit a Job the scheduler holds.
    assert "kueue.x-k8s.io/queue-name" not in job["metadata"]["labels"]
    # What `vp k8s manifest` prints is not held.
    plain = build_manifests(req, conf).job["metadata"]
    assert "annotations" not in plain and "vision-platform/start" not in plain["labels"]
