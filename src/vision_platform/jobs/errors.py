"""Domain errors of the jobs service; `api.errors` maps each to one HTTP status code."""

from __future__ import annotations

from vision_platform.errors import InvalidInputError, VisionPlatformError


class JobError(VisionPlatformError):
    """Base class of the errors about one job."""


class JobNotFoundError(JobError):
    """No job has this id."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        super().__init__(f"job {job_id} not found")


class InvalidJobStateError(JobError):
    """The job's state does not allow the action (resume a running job, …); `action` says
    what with the job: "pause it", "predict with it"."""

    def __init__(self, job_id: int, status: str, action: str) -> None:
        self.job_id, self.status, self.action = job_id, status, action
        super().__init__(f"job {job_id} is {status}: cannot {action}")


class ArtifactNotFoundError(JobError):
    """The job has no such artifact (yet)."""


class PathNotAllowedError(InvalidInputError):
    """A path lies outside the data roots and the storage root the server may read."""


class JobTokenError(JobError):
    """A trainer's report carried no token, or not the token of the job's current attempt."""


class FencedOutError(JobError):
    """A scheduler write was refused: its lease is no longer the current one (another server
    took over), or the attempt it names is over. The write changed nothing."""

    def __init__(self, job_id: int, attempt: int) -> None:
        self.job_id, self.attempt = job_id, attempt
        super().__init__(
            f"job {job_id} attempt {attempt}: not this scheduler's to change "
            "(its lease moved on, or the attempt is over)"
        )
