"""The server's path policy: which folders and URIs a request may read from or write to, and
where a job's files go. Job creation, batch jobs and the inference routes all check here."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from vision_platform.errors import InvalidInputError, NotFoundError
from vision_platform.jobs.errors import PathNotAllowedError
from vision_platform.settings import Settings
from vision_platform.storage import is_remote, store_for


def data_roots(settings: Settings) -> list[Path]:
    """VP_DATA_ROOTS (':'-separated), or else ./data and the platform's demo data folder."""
    if settings.data_roots:
        raw = [p for p in settings.data_roots.split(":") if p.strip()]
    else:
        raw = ["data", str(settings.home / "data")]
    return [Path(p).expanduser().resolve() for p in raw]


def storage_folders(settings: Settings) -> list[Path]:
    """The platform's own folders: the jobs folder, and the artifact storage when it is local."""
    roots = [_jobs_folder(settings.home)]
    if "://" not in settings.artifact_root:
        roots.append(Path(settings.artifact_root).expanduser().resolve())
    return roots


@lru_cache(maxsize=16)
def _jobs_folder(home: Path) -> Path:
    """The jobs folder, symlinks resolved (a system call per path component: once a home)."""
    return (home / "jobs").resolve()


def job_dir(settings: Settings, job_id: int) -> Path:
    """The folder of one job's outputs (weights, metrics, logs): the platform names it, under
    the resolved jobs folder."""
    return _jobs_folder(settings.home) / f"job_{job_id}"


def _no_nul(path: str, field: str) -> None:
    if "\x00" in path:  # no file system path holds one; resolve() would raise a bare ValueError
        raise InvalidInputError(f"{field}: a path cannot contain a NUL character")


def _resolved(path: str, field: str) -> Path:
    """`path` made absolute, symlinks resolved: `../` tricks and links out of a root show."""
    _no_nul(path, field)
    return Path(path).expanduser().resolve()


def _inside(path: Path, roots: list[Path]) -> bool:
    return any(path.is_relative_to(root) for root in roots)


def check_data_path(path: str, settings: Settings, field: str = "dataset_path") -> Path:
    """The resolved `path` when it lies inside a data root; PathNotAllowedError otherwise.

    A URI is never a local path: callers that take s3:// data sets check those with
    `check_storage_uri` first."""
    if "://" in path:
        raise PathNotAllowedError(f"{field}: {path!r} is a URI, not a folder in the data roots")
    resolved = _resolved(path, field)
    roots = data_roots(settings)
    if not _inside(resolved, roots):
        shown = ", ".join(map(str, roots))
        raise PathNotAllowedError(
            f"{field}: {path!r} is outside the allowed data folders ({shown}); "
            "set VP_DATA_ROOTS to allow another folder"
        )
    return resolved


def check_storage_uri(uri: str, settings: Settings, field: str) -> str:
    """`uri` (s3://…) when it lies under the storage root VP_STORAGE_URI; 403 otherwise."""
    root = settings.storage_uri
    if not root or "://" not in root or not uri.startswith(root.rstrip("/") + "/"):
        raise PathNotAllowedError(
            f"{field}: {uri!r} is not under the storage root ({root or 'none'})"
        )
    if "/../" in f"{uri}/" or "/./" in f"{uri}/":
        raise PathNotAllowedError(f"{field}: {uri!r}: '.' and '..' are not allowed in URIs")
    return uri


def check_remote_dataset(uri: str, settings: Settings, field: str) -> str:
    """`uri` without its trailing '/' when it is an s3:// prefix under the storage root that
    holds files: 403 outside the root (see `check_storage_uri`), 422 when it holds nothing.
    The files themselves are checked where they are downloaded."""
    check_storage_uri(uri, settings, field)
    prefix = uri.rstrip("/")
    store, key = store_for(prefix, endpoint_url=settings.s3_endpoint_url)
    if not store.listing(key):
        raise InvalidInputError(f"{field}: {uri!r} holds no files")
    return prefix


def check_dataset(path: str, settings: Settings, field: str) -> Path | str:
    """A data set's place: a folder in a data root (a Path), or an s3:// prefix under the
    storage root that holds files (a str; whoever downloads it checks its files)."""
    if is_remote(path):
        return check_remote_dataset(path, settings, field)
    return check_data_path(path, settings, field)


def check_readable_path(path: str, settings: Settings, field: str = "image_path") -> Path:
    """`path` resolved (symlinks too) when it lies in a data root or the platform's storage.

    PathNotAllowedError (403) for anything else: `../` tricks, absolute paths elsewhere and
    symlinks pointing out of the roots all resolve outside."""
    resolved = _resolved(path, field)
    if not _inside(resolved, [*data_roots(settings), *storage_folders(settings)]):
        raise PathNotAllowedError(
            f"{field}: {path!r} is outside the data folders and the artifact storage"
        )
    return resolved


def check_input_folder(prefix: str, settings: Settings, field: str = "input_prefix") -> str:
    """A folder of images to read: local (see `check_readable_path`) or under the storage root."""
    if is_remote(prefix):
        return check_storage_uri(prefix, settings, field)
    folder = check_readable_path(prefix, settings, field)
    if not folder.is_dir():
        raise InvalidInputError(f"{field}: {prefix!r} is not a folder")
    return str(folder)


def check_output_path(
    given: str | None, default: Path, settings: Settings, field: str = "output_path"
) -> str:
    """Where results go: inside the platform's storage folders or under the storage root,
    never a data root (those are for reading) and never over an existing file (a run would
    take its lines for its own and skip those images)."""
    if given is None:
        return str(default)
    _no_nul(given, field)
    if not given.endswith(".jsonl"):
        raise InvalidInputError(f"{field}: {given!r} must end in .jsonl")
    if is_remote(given):
        check_storage_uri(given, settings, field)
        store, key = store_for(given, endpoint_url=settings.s3_endpoint_url)
        if store.exists(key):
            raise InvalidInputError(f"{field}: {given!r} already exists")
        return given
    resolved = _resolved(given, field)
    roots = storage_folders(settings)
    if not _inside(resolved, roots):
        shown = ", ".join(map(str, roots))
        raise PathNotAllowedError(f"{field}: {given!r} is outside the storage ({shown})")
    if resolved.exists():
        raise InvalidInputError(f"{field}: {given!r} already exists")
    return str(resolved)


def check_file_inside(path: Path, folder: Path) -> Path:
    """`path` resolved (symlinks too) when it is a file inside `folder` (resolved by the caller).

    PathNotAllowedError (403) when it resolves elsewhere; NotFoundError (404) when it is gone."""
    resolved = path.resolve()
    if not resolved.is_relative_to(folder):
        raise PathNotAllowedError(f"{str(path)!r} lies outside the data set folder {folder}")
    if not resolved.is_file():
        raise NotFoundError(f"{str(path)!r} is no longer there")
    return resolved
