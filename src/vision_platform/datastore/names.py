"""Data set names and references: `name` (its newest version) or `name@version`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from vision_platform.errors import InvalidInputError

NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
VERSION_LENGTH = 12  # hex digits of the content digest: short enough to type, 48 bits
VERSION_PATTERN = rf"^[0-9a-f]{{{VERSION_LENGTH}}}$"
_NAME = re.compile(NAME_PATTERN)
_VERSION = re.compile(VERSION_PATTERN)


@dataclass(frozen=True)
class DatasetRef:
    """A parsed reference; `version` None means the newest version of `name`."""

    name: str
    version: str | None = None

    def __str__(self) -> str:
        return self.name if self.version is None else f"{self.name}@{self.version}"


def check_name(name: str, field: str = "name") -> str:
    """`name` when it is a slug (lower-case letters, digits, '-' and '_', up to 64)."""
    if not _NAME.match(name):
        raise InvalidInputError(
            f"{field}: {name!r} is not a data set name (a slug: lower-case letters, digits, "
            "'-' and '_', starting with a letter or digit, at most 64 characters)"
        )
    return name


def check_version(version: str, field: str = "version") -> str:
    if not _VERSION.match(version):
        raise InvalidInputError(
            f"{field}: {version!r} is not a data set version ({VERSION_LENGTH} hex digits)"
        )
    return version


def parse_ref(ref: str, field: str = "dataset") -> DatasetRef:
    """`name` or `name@version`; InvalidInputError naming `field` for anything else."""
    name, at, version = ref.strip().partition("@")
    check_name(name, field)
    if not at:
        return DatasetRef(name)
    return DatasetRef(name, check_version(version, field))


def version_of(digest: str) -> str:
    """The version id of a content digest (its first hex digits)."""
    return digest[:VERSION_LENGTH]
