"""The model registry on SQLite and PostgreSQL: versions, aliases, refs and what they serve."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.unit.registry.conftest import CompletedJob, NewJob
from vision_platform.datastore.service import AddOptions, DatasetService
from vision_platform.errors import InvalidInputError
from vision_platform.jobs.errors import JobNotFoundError
from vision_platform.jobs.service import JobService
from vision_platform.registry.errors import RegistryConflictError, RegistryNotFoundError
from vision_platform.registry.schemas import ModelRef
from vision_platform.registry.service import ModelRegistry


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_completed_job_becomes_a_numbered_version_with_its_record(
    registry: ModelRegistry, completed_job: CompletedJob, service: JobService
) -> None:
    first = completed_job((0.5, 0.9, 0.75), weights=b"one", learning_rate=0.01)
    second = completed_job(weights=b"two")

    v1 = registry.register("digits", first)
    v2 = registry.register("digits", second)
    assert (v1.version, v1.job_id, v2.version) == (1, first, 2)
    assert v1.checkpoint_sha256 == sha256(b"one")
    assert v1.exports["onnx"].sha256 == sha256(b"onnx of one")
    assert v1.dataset == service.get(first).dataset_path
    assert (v1.best_metric_name, v1.best_metric, v1.best_epoch) == ("val_acc", 0.9, 2)
    assert v1.final_metrics == {"train_loss": pytest.approx(1 / 3), "val_acc": 0.75}
    assert v1.best_metrics["val_acc"] == 0.9
    # The config as the trainer resolves it: defaults, preset, advanced_config, learning rate.
    assert v1.config["model_name"] == "resnet10t" and v1.config["num_epochs"] == 3
    assert v1.config["config"]["learning_rate"] == 0.01
    assert "Registered as version 1 of model 'digits'" in [
        line.message for line in service.logs(first).items
    ]

    model = registry.get_model("digits")
    assert [v.version for v in model.versions] == [1, 2]
    assert (model.latest_version, model.num_versions, model.aliases) == (2, 2, {})
    assert registry.get_version("digits", 2) == v2
    assert [m.name for m in registry.list_models().items] == ["digits"]


def test_a_version_names_the_stored_data_set_version_its_job_trained_on(
    registry: ModelRegistry, completed_job: CompletedJob, service: JobService, tiny_digits: Path
) -> None:
    store = DatasetService(service.db, service.settings)
    stored = store.add_folder("digits", tiny_digits, AddOptions())
    job = completed_job(dataset_path=None, dataset="digits", register_as="digits")
    version = registry.get_version("digits", 1)
    assert version.job_id == job and version.dataset_ref == stored.ref
    assert version.dataset == service.get(job).dataset_path == stored.uri  # the path stays
    by_path = registry.register("digits", completed_job(weights=b"two"))
    assert (by_path.dataset_ref, by_path.dataset) == (None, str(tiny_digits))


def test_only_completed_training_jobs_are_registered_and_each_once(
    registry: ModelRegistry, completed_job: CompletedJob, new_job: NewJob
) -> None:
    done = completed_job()
    pending = new_job()
    with pytest.raises(RegistryConflictError, match="pending: only a completed job"):
        registry.register("digits", pending.id)
    with pytest.raises(JobNotFoundError):
        registry.register("digits", 999)
    with pytest.raises(InvalidInputError, match="lower-case slug"):
        registry.register("Digits!", done)
    registry.register("digits", done)
    with pytest.raises(RegistryConflictError, match="already version 1"):
        registry.register("digits", done)
    assert registry.register("other", done).version == 1  # another model may take it


def test_register_as_registers_the_job_when_it_completes(
    registry: ModelRegistry, completed_job: CompletedJob, service: JobService
) -> None:
    job = completed_job(register_as="digits")
    assert service.get(job).register_as == "digits"
    assert registry.get_model("digits").versions[0].job_id == job

    # A job that completes without a checkpoint stays completed; its log says why.
    bare = completed_job(weights=b"", onnx=False, register_as="digits")
    assert service.get(bare).status == "completed"
    assert registry.get_model("digits").num_versions == 1
    assert any(
        "Could not register as model 'digits'" in line.message and line.level == "warning"
        for line in service.logs(bare).items
    )


def test_aliases_point_at_versions_and_refs_resolve_through_them(
    registry: ModelRegistry, completed_job: CompletedJob
) -> None:
    for weights in (b"one", b"two"):
        registry.register("digits", completed_job(weights=weights))
    with pytest.raises(RegistryNotFoundError, match="has no aliases; set one"):
        registry.resolve(ModelRef.parse("digits"))

    registry.set_alias("digits", "staging", 2)
    with pytest.raises(
        RegistryNotFoundError, match=r"no alias 'production'; its aliases: staging \(v2\)"
    ):
        registry.resolve(ModelRef.parse("digits"))
    registry.set_alias("digits", "production", 1)
    assert registry.resolve(ModelRef.parse("digits")).version == 1
    assert registry.resolve(ModelRef.parse("digits@staging")).version == 2
    assert registry.resolve(ModelRef.parse("digits@v2")).checkpoint_sha256 == sha256(b"two")

    registry.set_alias("digits", "production", 2)  # moved, not added
    assert registry.resolve(ModelRef.parse("digits")).version == 2
    model = registry.get_model("digits")
    assert model.aliases == {"production": 2, "staging": 2}
    assert model.versions[1].aliases == ["production", "staging"]

    registry.delete_alias("digits", "staging")
    with pytest.raises(RegistryNotFoundError, match="its aliases: production"):
        registry.delete_alias("digits", "staging")
    with pytest.raises(InvalidInputError):
        registry.set_alias("digits", "v3", 1)  # would read as a version


def test_unknown_models_versions_and_aliases_are_404_saying_what_there_is(
    registry: ModelRegistry, completed_job: CompletedJob
) -> None:
    with pytest.raises(RegistryNotFoundError, match="the registry is empty"):
        registry.get_model("digits")
    registry.register("digits", completed_job())
    with pytest.raises(RegistryNotFoundError, match="did you mean 'digits'"):
        registry.resolve(ModelRef.parse("digit@v1"))
    with pytest.raises(RegistryNotFoundError, match=r"no version 7 \(versions: v1\)"):
        registry.get_version("digits", 7)
    with pytest.raises(RegistryNotFoundError, match="no version 7"):
        registry.set_alias("digits", "production", 7)


def test_a_version_an_alias_points_at_cannot_be_deleted_and_numbers_are_not_reused(
    registry: ModelRegistry, completed_job: CompletedJob
) -> None:
    for weights in (b"one", b"two"):
        registry.register("digits", completed_job(weights=weights))
    registry.set_alias("digits", "production", 2)
    with pytest.raises(RegistryConflictError, match="production"):
        registry.delete_version("digits", 2)
    registry.delete_alias("digits", "production")
    registry.delete_version("digits", 2)
    assert [v.version for v in registry.get_model("digits").versions] == [1]
    assert registry.register("digits", completed_job(weights=b"three")).version == 3


def test_serving_checks_the_checkpoint_is_the_one_registered(
    registry: ModelRegistry, completed_job: CompletedJob, service: JobService
) -> None:
    job = completed_job(weights=b"one", onnx=False)
    registry.register("digits", job)
    served = registry.resolve(ModelRef.parse("digits@v1"))
    best = registry.model_file(served, "eager")
    assert best.read_bytes() == b"one"
    with pytest.raises(RegistryConflictError, match="no ONNX export"):
        registry.model_file(served, "onnx")
    best.write_bytes(b"replaced")
    with pytest.raises(RegistryConflictError, match="changed since it was registered"):
        registry.model_file(served, "eager")
    best.unlink()
    with pytest.raises(RegistryConflictError, match=r"best\.pt was removed since it was"):
        registry.model_file(served, "eager")


@pytest.mark.parametrize(
    ("text", "ref"),
    [
        ("digits", ModelRef("digits", alias="production")),
        ("digits@staging", ModelRef("digits", alias="staging")),
        ("digits@v3", ModelRef("digits", version=3)),
        ("my-model.2@canary_1", ModelRef("my-model.2", alias="canary_1")),
    ],
)
def test_refs_name_an_alias_or_a_version(text: str, ref: ModelRef) -> None:
    assert ModelRef.parse(text) == ref


@pytest.mark.parametrize(
    "text", ["", "Digits", "digits@", "digits@3", "digits@Prod", "a@b@c", "@v1"]
)
def test_bad_refs_are_refused(text: str) -> None:
    with pytest.raises(InvalidInputError):
        ModelRef.parse(text)
