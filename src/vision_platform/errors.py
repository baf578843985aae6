"""The platform's domain errors; the CLI maps them to exit codes, the API to HTTP status codes."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_INVALID_INPUT = 2
EXIT_RESUMABLE = 75  # EX_TEMPFAIL: stopped early on purpose, resume with --resume


class VisionPlatformError(Exception):
    """Base class of every error the platform raises on purpose."""

    exit_code = EXIT_FAILURE


class InvalidInputError(VisionPlatformError):
    """The user's input (config, data set, model name, file) cannot be used; retrying won't help."""

    exit_code = EXIT_INVALID_INPUT


class ConfigValidationError(InvalidInputError):
    """One or more config fields are invalid; `errors` maps each field name to its problem."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        lines = "\n".join(f"  {name}: {problem}" for name, problem in self.errors.items())
        super().__init__(f"invalid config ({len(self.errors)} field(s)):\n{lines}")


class DatasetError(InvalidInputError):
    """The data set is missing, malformed or unusable; the message names the file or folder."""


class UnknownNameError(InvalidInputError):
    """A name (model, framework, preset) is not registered; the message lists the valid ones."""


class WeightsUnavailableError(InvalidInputError):
    """Pretrained or checkpoint weights were asked for but cannot be read offline."""


class CheckpointError(InvalidInputError):
    """A checkpoint file is unreadable, corrupt or does not match the run."""


class UnsupportedImageError(InvalidInputError):
    """An upload or file is not an image the platform can read (or is a decompression bomb)."""


class PayloadTooLargeError(InvalidInputError):
    """An upload is larger than VP_MAX_UPLOAD_MB."""


class DiskFullError(VisionPlatformError):
    """A file of a run could not be written for want of space; what was saved before is intact.

    Exit 1 (not 75): the platform retries with --resume a bounded number of times, instead of
    running stage after stage into the same full disk."""


class CheckpointWriteError(VisionPlatformError):
    """A checkpoint could not be written (an I/O error other than a full disk); the run stops
    before it publishes another, and the checkpoint published before is intact."""


class NotFoundError(VisionPlatformError):
    """A named thing (test run, …) does not exist."""
