"""Errors of the data set store; `api.errors` maps each to one HTTP status code."""

from __future__ import annotations

from vision_platform.errors import DatasetError, PayloadTooLargeError, VisionPlatformError


class UnsafeArchiveError(DatasetError):
    """An archive entry would land outside its folder or is not a plain file or folder."""


class ArchiveTooLargeError(PayloadTooLargeError):
    """An archive unpacks to more than the limits allow (a zip bomb, or just too big)."""


class DatasetInUseError(VisionPlatformError):
    """A data set version cannot be deleted while a job that uses it has not ended."""
