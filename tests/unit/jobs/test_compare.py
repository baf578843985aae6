"""Jobs side by side: resolved settings, what differs, curves aligned by epoch, the best job."""

from __future__ import annotations

import pytest

from tests.unit.jobs.conftest import NewJob, claim_one, events
from vision_platform.errors import InvalidInputError
from vision_platform.jobs.compare import compare_jobs, parse_job_ids
from vision_platform.jobs.errors import JobNotFoundError
from vision_platform.jobs.service import JobService


def run(service: JobService, new_job: NewJob, val_accs: list[float], **overrides: object) -> int:
    """A job that has reported `val_accs` as its epochs (and is still running)."""
    job = new_job(num_epochs=len(val_accs), **overrides)
    claim = claim_one(service)
    service.record_report(
        job.id,
        claim.token,
        events(*((i, "epoch", {"epoch": i, "val_acc": v}) for i, v in enumerate(val_accs, 1))),
    )
    return job.id


def test_two_jobs_side_by_side(service: JobService, new_job: NewJob) -> None:
    short = run(service, new_job, [0.5, 0.9], learning_rate=0.01)
    long = run(service, new_job, [0.4, 0.6, 0.8], advanced_config={"optimizer_type": "sgd"})
    compared = compare_jobs(service.db, [short, long])

    assert compared.job_ids == [short, long] and compared.epochs == [1, 2, 3]
    assert compared.differences["num_epochs"] == [2, 3]
    assert compared.differences["config.learning_rate"][0] == 0.01
    assert compared.differences["config.optimizer_type"] == ["adamw", "sgd"]
    assert "model_name" not in compared.differences and "batch_size" not in compared.differences
    first, second = compared.jobs
    assert first.curves["val_acc"] == [0.5, 0.9, None]  # aligned by epoch
    assert second.curves["val_acc"] == [0.4, 0.6, 0.8]
    assert (first.best_epoch, first.best_metric, first.final_metrics) == (2, 0.9, {"val_acc": 0.9})
    assert first.config["config"]["learning_rate"] == 0.01
    assert (compared.best_metric_name, compared.best_job_id) == ("val_acc", short)


def test_the_first_epoch_reaching_the_best_is_the_best_one(
    service: JobService, new_job: NewJob
) -> None:
    a = run(service, new_job, [0.7, 0.7])
    b = run(service, new_job, [0.7])
    compared = compare_jobs(service.db, [b, a])
    assert compared.jobs[1].best_epoch == 1
    assert compared.best_job_id == b  # a tie: the job listed first


def test_unknown_jobs_and_bad_id_lists_are_refused(service: JobService, new_job: NewJob) -> None:
    job = new_job()
    with pytest.raises(JobNotFoundError):
        compare_jobs(service.db, [job.id, 999])
    assert parse_job_ids("3, 7,3") == [3, 7]
    for bad in ("3", "3,x", ",".join(map(str, range(30))), f"1,{2**31}"):
        with pytest.raises(InvalidInputError, match="ids"):
            parse_job_ids(bad)
