"""Checkpoint files: atomic last/best writes, checksummed manifests, verified loading."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO, Protocol, cast

from vision_platform.errors import (
    CheckpointError,
    CheckpointWriteError,
    DiskFullError,
    VisionPlatformError,
)
from vision_platform.storage import (
    Reader,
    checkpoint_manifest,
    load_verified,
    manifest_path,
    torch_reader,
    verify,
)
from vision_platform.training.writer import BackgroundWriter, Snapshots


class Sink(Protocol):
    """What a checkpoint is serialized into (torch.save needs only `write`)."""

    def write(self, data: Any, /) -> int: ...

    def flush(self) -> None: ...


class _HashingFile:
    """A file that hashes what is written to it: the manifest's sha256 without reading the
    file back."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.sha256 = hashlib.sha256()

    def write(self, data: Any, /) -> int:
        self.sha256.update(data)
        return self._raw.write(data)

    def flush(self) -> None:
        self._raw.flush()


# Less free space than this after a failed write: the disk was full (torch's zip writer says
# only "unexpected pos", without an errno).
_FULL_BELOW_BYTES = 4 * 1024 * 1024


def is_disk_full(error: BaseException, folder: Path) -> bool:
    """Whether `error`, raised writing into `folder`, came from a full disk or quota."""
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    try:
        return shutil.disk_usage(folder).free < _FULL_BELOW_BYTES
    except OSError:
        return False


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class CheckpointStore:
    """The `weights/` folder of a run: `last.pt` every epoch, `best.pt` on improvement.

    A new file is written beside the target and renamed over it, so `last.pt` is always either
    the previous or the new complete checkpoint. The one before it is kept as `last.prev.pt`,
    the fallback when `last.pt` turns out truncated or corrupt. Each file has a manifest
    (`<name>.json`: sha256, size, epoch) that loading checks.

    With `background=True` a save takes a snapshot of the state and returns: one writer
    thread writes, fsyncs, hashes and publishes it while training goes on. At most one write
    is in flight (the next save waits for it first), and the first checkpoint of a folder is
    always written at once (until one is published there is nothing to fall back on). A
    write that failed is raised by the next save or `wait()`, before anything else is
    published.
    """

    def __init__(
        self,
        weights_dir: Path,
        *,
        framework: str,
        config_digest: str | None = None,
        on_publish: Callable[[Path, str, dict[str, Any]], None] | None = None,
        save_period: int = 1,
        save_every_minutes: float = 0.0,
        write_delay_seconds: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.dir = weights_dir
        self.framework = framework
        self.config_digest = config_digest  # sha256 of the resolved config, in every manifest
        self.on_publish = on_publish  # e.g. the remote uploader: (file, name, manifest)
        self.save_period, self.save_every_minutes = save_period, save_every_minutes
        self.write_delay_seconds = write_delay_seconds  # a test hook: background writes only
        self._clock = clock
        self._last_saved = clock()
        self._writer = BackgroundWriter()
        self._snapshots = Snapshots()
        self.dir.mkdir(parents=True, exist_ok=True)
        self.last_path = self.dir / "last.pt"
        self.prev_path = self.dir / "last.prev.pt"
        self.best_path = self.dir / "best.pt"
        self._published = False  # whether this store published a last.pt (see _temp_file)

    def temp_path(self) -> Path:
        return self.dir / f".last.pt.{os.getpid()}.tmp"

    def due(self, epoch: int) -> bool:
        """Whether `epoch`'s checkpoint is due by `save_period` or `save_every_minutes`."""
        if self.save_period > 0 and epoch % self.save_period == 0:
            return True
        minutes = self.save_every_minutes
        return minutes > 0 and self._clock() - self._last_saved >= minutes * 60

    def save(
        self, state: dict[str, Any], *, epoch: int, is_best: bool, background: bool = False
    ) -> None:
        """Serialize `state` with torch.save and publish it as last.pt (and best.pt)."""
        import torch

        self.wait()
        background = background and self.last_path.exists()
        kept = self._snapshots.take(state) if background else state  # after the wait
        self._write(
            lambda f: torch.save(kept, cast(BinaryIO, f)),  # torch.save needs only write()
            epoch=epoch,
            is_best=is_best,
            background=background,
        )

    def save_bytes(
        self, data: bytes, *, epoch: int, is_best: bool, background: bool = False
    ) -> None:
        """Publish an already serialized checkpoint (Ultralytics makes its own bytes)."""
        self.wait()
        background = background and self.last_path.exists()
        self._write(lambda f: f.write(data), epoch=epoch, is_best=is_best, background=background)

    def wait(self) -> None:
        """Wait for the write in flight; raise its error (DiskFullError, CheckpointWriteError)."""
        self._writer.wait()

    def when_published(self, fn: Callable[[], None]) -> None:
        """Run `fn` once the checkpoint being written is published (at once when none is in
        flight; never when its write fails): an epoch is reported after its checkpoint."""
        self._writer.when_done(fn)

    def close(self) -> None:
        """Let the write in flight finish (its error, if any, is `wait`'s to raise)."""
        self._writer.close()

    def _write(
        self, serialize: Callable[[Sink], Any], *, epoch: int, is_best: bool, background: bool
    ) -> None:
        self._last_saved = self._clock()
        if background:
            delay = self.write_delay_seconds
            self._writer.submit(
                lambda: self._write_now(serialize, epoch=epoch, is_best=is_best, delay=delay)
            )
        else:
            self._write_now(serialize, epoch=epoch, is_best=is_best)

    def _write_now(
        self,
        serialize: Callable[[Sink], Any],
        *,
        epoch: int,
        is_best: bool,
        delay: float = 0.0,
    ) -> None:
        tmp = self._temp_file()
        try:
            try:
                with open(tmp, "r+b" if tmp.exists() else "wb") as raw:
                    f = _HashingFile(raw)
                    serialize(f)
                    raw.truncate()  # a recycled file may have been longer
                    raw.flush()
                    os.fsync(raw.fileno())
            except Exception as e:
                full = is_disk_full(e, self.dir)  # asked before the partial file frees its space
                tmp.unlink(missing_ok=True)
                if full:
                    raise self._disk_full(epoch, e) from e
                raise
            if delay:
                time.sleep(delay)  # the test hook: written, not yet published
            self.publish(tmp, epoch=epoch, is_best=is_best, sha256=f.sha256.hexdigest())
        except VisionPlatformError:
            raise
        except Exception as e:
            raise CheckpointWriteError(
                f"writing the checkpoint of epoch {epoch} in {self.dir} failed "
                f"({type(e).__name__}: {e}); {self._still_there()}. The run stops here; "
                "run again with --resume"
            ) from e

    def _temp_file(self) -> Path:
        """Where the next checkpoint is written. Once this store has published a last.pt, the
        file of last.prev.pt is recycled when nothing else links to it (not best.pt, not an
        upload waiting): writing over pages the page cache holds costs the writer about a
        fifth of the CPU of filling a new file, on a machine whose cores training uses. The
        newest checkpoint, last.pt, stays in place while it is written."""
        tmp = self.temp_path()
        tmp.unlink(missing_ok=True)
        if self._published:
            with contextlib.suppress(OSError):
                if self.prev_path.stat().st_nlink == 1:
                    manifest_path(self.prev_path).unlink(missing_ok=True)
                    os.replace(self.prev_path, tmp)
        return tmp

    def publish(
        self, written: Path, *, epoch: int, is_best: bool, sha256: str | None = None
    ) -> Path:
        """Make a fully written file the new last.pt (and best.pt), with its manifest
        (`sha256`: the file's, when the writer hashed it while writing).

        Everything that needs space (the manifests, best.pt's copy) is written under temporary
        names first; only renames follow, so a full disk leaves last.pt as it was."""
        manifest = checkpoint_manifest(
            written,
            epoch=epoch,
            framework=self.framework,
            config_digest=self.config_digest,
            sha256=sha256,
        )
        staged = [(written, self.last_path)]
        try:
            staged.append(self._stage_manifest(self.last_path, manifest))
            if is_best:
                staged.append((self._stage_copy(written, self.best_path), self.best_path))
                staged.append(self._stage_manifest(self.best_path, manifest))
        except Exception as e:
            full = is_disk_full(e, self.dir)
            for tmp, _ in staged:
                tmp.unlink(missing_ok=True)
            if full:
                raise self._disk_full(epoch, e) from e
            raise
        if self.last_path.exists():
            os.replace(self.last_path, self.prev_path)
            if manifest_path(self.last_path).exists():
                os.replace(manifest_path(self.last_path), manifest_path(self.prev_path))
        for tmp, target in staged:
            os.replace(tmp, target)
        _fsync_dir(self.dir)
        self._published = True
        if self.on_publish is not None:
            self.on_publish(self.last_path, "last.pt", manifest)
            if is_best:
                self.on_publish(self.best_path, "best.pt", manifest)
        return self.last_path

    def _stage_copy(self, src: Path, dst: Path) -> Path:
        tmp = dst.with_name(f".{dst.name}.{os.getpid()}.tmp")
        tmp.unlink(missing_ok=True)
        try:
            os.link(src, tmp)  # same bytes: a hard link costs nothing; last.pt is never edited
        except OSError:
            shutil.copyfile(src, tmp)
        return tmp

    def _stage_manifest(self, checkpoint: Path, manifest: dict[str, Any]) -> tuple[Path, Path]:
        target = manifest_path(checkpoint)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            tmp.write_text(json.dumps(manifest, indent=1))
        except Exception:
            tmp.unlink(missing_ok=True)
            raise
        return tmp, target

    def _disk_full(self, epoch: int, error: BaseException) -> DiskFullError:
        """What a run says when a checkpoint does not fit: what is lost, what is still there."""
        return DiskFullError(
            f"no space left to write the checkpoint of epoch {epoch} in {self.dir} "
            f"({type(error).__name__}: {error}); {self._still_there()}. "
            "Free some space, then run again with --resume"
        )

    def _still_there(self) -> str:
        """Which checkpoint a failed write left in place."""
        if verify(self.last_path) is None and manifest_path(self.last_path).is_file():
            kept = json.loads(manifest_path(self.last_path).read_text()).get("epoch")
            return f"{self.last_path} still holds epoch {kept}, verified"
        if self.last_path.is_file():
            return f"{self.last_path} is unchanged"
        return "no earlier checkpoint exists"

    def load_latest(
        self, reader: Reader = torch_reader, warn: Callable[[str], None] = print
    ) -> tuple[Path, dict[str, Any]] | None:
        """The newest checkpoint that verifies and loads (last.pt, else last.prev.pt), or None."""
        for path in (self.last_path, self.prev_path):
            if not path.exists():
                continue
            try:
                return path, load_verified(path, reader)
            except CheckpointError as e:
                warn(f"WARNING: {e}; trying the previous checkpoint")
        return None
