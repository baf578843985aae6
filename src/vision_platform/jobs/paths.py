"""Which folders the server may read data sets from, and where a job's files go."""

from __future__ import annotations

from pathlib import Path

from vision_platform.errors import InvalidInputError, NotFoundError
from vision_platform.jobs.errors import PathNotAllowedError
from vision_platform.settings import Settings
from vision_platform.storage import store_for


def data_roots(settings: Settings) -> list[Path]:
    """VP_DATA_ROOTS (':'-separated), or else ./data and the platform's demo data folder."""
    if settings.data_roots:
        raw = [p for p in settings.data_roots.split(":") if p.strip()]
    else:
        raw = ["data", str(settings.home / "data")]
    return [Path(p).expanduser().resolve() for p in raw]


def check_data_path(path: str, settings: Settings, field: str = "dataset_path") -> Path:
    """The resolved `path` when it lies inside a data root; PathNotAllowedError otherwise.

    A URI is never a local path: callers that take s3:// data sets check those with
    `check_storage_uri` first."""
    if "://" in path:
        raise PathNotAllowedError(f"{field}: {path!r} is a URI, not a folder in the data roots")
    resolved = Path(path).expanduser().resolve()
    roots = data_roots(settings)
    if not any(resolved == root or resolved.is_relative_to(root) for root in roots):
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


def check_file_inside(path: Path, folder: Path) -> Path:
    """`path` resolved (symlinks too) when it is a file inside `folder` (resolved by the caller).

    PathNotAllowedError (403) when it resolves elsewhere; NotFoundError (404) when it is gone."""
    resolved = path.resolve()
    if not resolved.is_relative_to(folder):
        raise PathNotAllowedError(f"{str(path)!r} lies outside the data set folder {folder}")
    if not resolved.is_file():
        raise NotFoundError(f"{str(path)!r} is no longer there")
    return resolved


def job_dir(settings: Settings, job_id: int) -> Path:
    """The folder of one job's outputs (weights, metrics, logs)."""
    return (settings.home / "jobs" / f"job_{job_id}").resolve()


def check_readable_path(path: str, settings: Settings) -> Path:
    """`path` resolved (symlinks too) when it lies in a data root or the artifact storage.

    PathNotAllowedError (403) for anything else: `../` tricks, absolute paths elsewhere and
    symlinks pointing out of the roots all resolve outside."""
    resolved = Path(path).expanduser().resolve()
    roots = [*data_roots(settings), (settings.home / "jobs").resolve()]
    if "://" not in settings.artifact_root:
        roots.append(Path(settings.artifact_root).expanduser().resolve())
    if not any(resolved == root or resolved.is_relative_to(root) for root in roots):
        raise PathNotAllowedError(
            f"image_path: {path!r} is outside the data folders and the artifact storage"
        )
    return resolved
