"""`deploy/`: every Kubernetes file against the OpenAPI schema, kustomizations complete, the Role
enough for the executor, and Dockerfiles that run pinned and non-root."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from unittest.mock import create_autospec

import kubernetes_validate
import pytest
import yaml
from kubernetes import client as k8s

from vision_platform.configs import TrainingSpec
from vision_platform.jobs.executors.base import ExecutionRequest
from vision_platform.jobs.executors.kubernetes import KubernetesExecutor
from vision_platform.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S_VERSION = "1.30"
KUSTOMIZATIONS = sorted(DEPLOY.glob("k8s/**/kustomization.yaml"))
RESOURCE_FILES = sorted(p for p in DEPLOY.glob("k8s/**/*.yaml") if p.name != "kustomization.yaml")
DOCKERFILES = sorted(DEPLOY.glob("docker/*.Dockerfile"))


def documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def test_the_deploy_tree_is_there() -> None:
    assert {p.parent.relative_to(DEPLOY).as_posix() for p in KUSTOMIZATIONS} == {
        "k8s/base",
        "k8s/overlays/kind",
    }
    assert {p.name for p in DOCKERFILES} == {
        "trainer-base.Dockerfile",
        "trainer-timm.Dockerfile",
        "trainer-ultralytics.Dockerfile",
        "api.Dockerfile",
    }


@pytest.mark.parametrize("path", RESOURCE_FILES, ids=lambda p: p.relative_to(DEPLOY).as_posix())
def test_every_resource_file_is_valid_kubernetes(path: Path) -> None:
    docs = documents(path)
    assert docs
    for doc in docs:
        # A patch is a partial object; it must still use only real fields (strict).
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


@pytest.mark.parametrize("path", KUSTOMIZATIONS, ids=lambda p: p.parent.name)
def test_every_file_a_kustomization_lists_exists(path: Path) -> None:
    kustomization = yaml.safe_load(path.read_text())
    listed = [*kustomization.get("resources", [])]
    listed += [patch["path"] for patch in kustomization.get("patches", [])]
    assert listed
    for entry in listed:
        target = path.parent / entry
        assert target.is_file() or (target / "kustomization.yaml").is_file(), entry
    # Every resource file in the folder is used by its kustomization.
    here = {p.name for p in path.parent.glob("*.yaml")} - {"kustomization.yaml"}
    assert here <= set(listed)


def test_example_secrets_are_marked_and_hold_no_real_values() -> None:
    secrets = [
        (path, doc) for path in RESOURCE_FILES for doc in documents(path) if doc["kind"] == "Secret"
    ]
    assert secrets
    for path, secret in secrets:
        assert "example" in path.name
        assert secret["metadata"]["annotations"]["vision-platform/example"] == "true"
        for value in secret["stringData"].values():
            assert "example-only" in value


# Which Role rule a client method needs: (API group, resource, verb).
_VERBS = {"create": "create", "read": "get", "list": "list", "delete": "delete", "patch": "patch"}
_RESOURCES = {
    "job": ("batch", "jobs"),
    "pod": ("", "pods"),
    "pod_log": ("", "pods/log"),
    "config_map": ("", "configmaps"),
    "secret": ("", "secrets"),
}


def _needed(method: str) -> tuple[str, str, str]:
    verb, _, kind = method.partition("_namespaced_")
    group, resource = _RESOURCES[kind]
    return group, resource, _VERBS[verb]


def test_the_role_allows_every_call_the_executor_makes() -> None:
    batch = create_autospec(k8s.BatchV1Api, instance=True)
    core = create_autospec(k8s.CoreV1Api, instance=True)
    batch.create_namespaced_job.return_value = k8s.V1Job(
        metadata=k8s.V1ObjectMeta(name="vp-job-1-a1", uid="u")
    )
    batch.read_namespaced_job.return_value = k8s.V1Job(metadata=k8s.V1ObjectMeta(name="j"))
    running = k8s.V1Pod(
        metadata=k8s.V1ObjectMeta(name="p"), status=k8s.V1PodStatus(phase="Running")
    )
    batch.list_namespaced_job.return_value = k8s.V1JobList(items=[])
    core.list_namespaced_pod.return_value = k8s.V1PodList(items=[])
    core.read_namespaced_pod_log.return_value = "Epoch 1/1"
    executor = KubernetesExecutor(Settings(), batch_api=batch, core_api=core)
    spec = TrainingSpec(model_name="resnet18", dataset_path="d")
    handle = executor.submit(
        ExecutionRequest(job_id=1, attempt=1, spec=spec, work_dir=ROOT, env={"VP_JOB_TOKEN": "t"})
    )
    core.list_namespaced_pod.return_value = k8s.V1PodList(items=[running])
    executor.go(handle)
    executor.status(handle)
    executor.logs(handle)
    executor.end_orphans({})
    executor.stop(handle)
    executor.cancel(handle, grace_seconds=0)
    core.list_namespaced_pod.return_value = k8s.V1PodList(items=[])
    executor.release(handle, grace_seconds=0)  # deletes what is left

    (role,) = documents(DEPLOY / "k8s/base/role.yaml")
    allowed = {
        (group, resource, verb)
        for rule in role["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }
    calls = {name for api in (batch, core) for name, *_ in api.method_calls}
    assert calls  # the executor did talk to the API
    missing = {method for method in calls if _needed(method) not in allowed}
    assert not missing
    assert role["kind"] == "Role"  # namespaced, never a ClusterRole


def test_the_api_runs_as_the_service_account_the_role_is_bound_to() -> None:
    (binding,) = documents(DEPLOY / "k8s/base/rolebinding.yaml")
    (deployment,) = documents(DEPLOY / "k8s/base/api-deployment.yaml")
    pod = deployment["spec"]["template"]["spec"]
    assert binding["subjects"][0]["name"] == pod["serviceAccountName"]
    container = pod["containers"][0]
    for probe in ("startupProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["path"] == "/api/v1/health"
    # Traffic only once the schema is this version's (not while a migration runs).
    assert container["readinessProbe"]["httpGet"]["path"] == "/api/v1/health/ready"


def test_the_api_runs_replicated_and_a_disruption_leaves_one_serving() -> None:
    """Two replicas (one schedules, by the lease), rolled one at a time, and a budget that
    keeps one up through a drain."""
    (deployment,) = documents(DEPLOY / "k8s/base/api-deployment.yaml")
    (budget,) = documents(DEPLOY / "k8s/base/api-pdb.yaml")
    spec = deployment["spec"]
    assert spec["replicas"] == 2
    assert spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    assert budget["kind"] == "PodDisruptionBudget"
    assert budget["spec"]["minAvailable"] == 1
    assert budget["spec"]["minAvailable"] < spec["replicas"]  # a drain can still proceed
    labels = spec["template"]["metadata"]["labels"]
    assert budget["spec"]["selector"]["matchLabels"].items() <= labels.items()
    args = spec["template"]["spec"]["containers"][0]["args"]
    assert args[:2] == ["vp", "serve"] and "--workers" in args
    annotations = spec["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/path"] == "/metrics"


@pytest.mark.parametrize("path", DOCKERFILES, ids=lambda p: p.name)
def test_dockerfiles_are_pinned_and_non_root(path: Path) -> None:
    text = path.read_text()
    for image in re.findall(r"^FROM\s+(\S+)", text, re.MULTILINE):
        # An exact tag (with a patch version) or a digest; our own base is pinned by ARG.
        assert image.startswith("${") or re.search(r":\d+\.\d+\.\d+|@sha256:", image), image
    for arg_image in re.findall(r"^ARG BASE_IMAGE=(\S+)", text, re.MULTILINE):
        assert re.search(r":\d+\.\d+\.\d+$", arg_image), arg_image
    users = re.findall(r"^USER\s+(\S+)", text, re.MULTILINE)
    if "FROM ${" not in text or users:
        assert users and users[-1] not in ("root", "0"), "the image must end as a non-root user"
    for install in re.findall(r"pip install[^\n]*", text):
        assert "--constraint requirements.lock" in install, install


def test_ci_workflows_run_make_test_and_the_cluster_test() -> None:
    ci = yaml.safe_load((ROOT / ".github/workflows/ci.yml").read_text())
    steps = [step.get("run", "") for job in ci["jobs"].values() for step in job["steps"]]
    assert any("make test" in run for run in steps)
    k8s_flow = (ROOT / ".github/workflows/k8s.yml").read_text()
    assert "kind" in k8s_flow
    assert "tests/e2e/test_k8s_cluster.py" in k8s_flow
    for dockerfile in DOCKERFILES:
        assert dockerfile.name in k8s_flow


def test_one_priority_class_per_job_priority_highest_highest() -> None:
    from vision_platform.jobs.executors.k8s_manifests import priority_class
    from vision_platform.jobs.queue import PRIORITIES

    classes = {
        doc["metadata"]["name"]: doc
        for doc in documents(DEPLOY / "k8s/base/priorityclasses.yaml")
        if doc["kind"] == "PriorityClass"
    }
    names = [priority_class(p) for p in PRIORITIES]  # low, normal, high
    assert sorted(classes) == sorted(names)
    values = [classes[name]["value"] for name in names]
    assert values == sorted(values) and len(set(values)) == 3
    assert not any(doc.get("globalDefault") for doc in classes.values())
    base = yaml.safe_load((DEPLOY / "k8s/base/kustomization.yaml").read_text())
    assert "priorityclasses.yaml" in base["resources"]
