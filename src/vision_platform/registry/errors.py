"""Domain errors of the model registry; `api.errors` maps each to one HTTP status code."""

from __future__ import annotations

from vision_platform.errors import NotFoundError, VisionPlatformError


class RegistryNotFoundError(NotFoundError):
    """No model, version or alias of that name (404); the message says what there is."""


class RegistryConflictError(VisionPlatformError):
    """The registry's state does not allow the change (409): a version an alias points at,
    a job registered twice under one name, a checkpoint changed since it was registered."""


class AlreadyRegisteredError(RegistryConflictError):
    """The job already is a version of that model (409): registering it again adds none."""
