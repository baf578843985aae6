"""One training run from a TrainingSpec: validate, set up, resume, fit, and map the outcome."""

from __future__ import annotations

import hashlib
import json
import platform
import random
import sys
import traceback
from datetime import datetime
from pathlib import Path
from typing import Any

from vision_platform import __version__
from vision_platform.adapters.base import FitOutcome, RunContext, VisionAdapter
from vision_platform.adapters.registry import registry
from vision_platform.configs import TrainingSpec
from vision_platform.errors import (
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_RESUMABLE,
    CheckpointError,
    VisionPlatformError,
)
from vision_platform.presets import ResolvedConfig, RunFacts
from vision_platform.settings import Settings, get_settings
from vision_platform.storage import (
    ArtifactStore,
    cache_remote_dataset,
    is_remote,
    load_verified,
    manifest_path,
    store_for,
)
from vision_platform.training.checkpoints import CheckpointStore, is_disk_full
from vision_platform.training.reporter import Reporter
from vision_platform.training.uploads import CheckpointUploader
from vision_platform.worker.callback import EventSink, callback_sinks
from vision_platform.worker.interrupts import StopController


def resolve_output_dir(spec: TrainingSpec) -> Path:
    if spec.output_dir:
        return Path(spec.output_dir)
    if spec.job_id:
        return Path("output") / f"job_{spec.job_id}"
    return Path("output") / f"run_{datetime.now():%Y%m%d-%H%M%S}"


def resolve_config(
    adapter_cls: type[VisionAdapter], spec: TrainingSpec, *, train_images: int | None = None
) -> ResolvedConfig:
    """The run's config: the preset resolved for the run's numbers (vision_platform.presets)."""
    return adapter_cls.info().resolve_config(
        preset=spec.preset,
        advanced_config=spec.advanced_config,
        learning_rate=spec.learning_rate,
        run=RunFacts(
            num_epochs=spec.num_epochs,
            batch_size=spec.batch_size,
            image_size=spec.image_size,
            train_images=train_images,
            from_checkpoint=bool(spec.checkpoint_path) and not spec.resume,
        ),
    )


def _versions() -> dict[str, str]:
    import torch

    found = {
        "vision_platform": __version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
    }
    for info in registry.infos():  # the frameworks this run imported
        module = sys.modules.get(info.package)
        if module is not None:
            found[info.package] = getattr(module, "__version__", "?")
    return found


class TrainingRunner:
    """Runs one TrainingSpec to an exit code (0 done, 2 bad input, 75 resumable, 1 error)."""

    def __init__(self, spec: TrainingSpec, *, sinks: list[EventSink] | None = None) -> None:
        self.spec = spec
        self.framework = spec.framework or registry.framework_for_model(spec.model_name)
        self.output_dir = resolve_output_dir(spec)
        self.uploader: CheckpointUploader | None = None
        self.sinks = (
            sinks
            if sinks is not None
            else callback_sinks(job_id=spec.job_id, output_dir=self.output_dir)
        )

    def run(self) -> int:
        # Installed first, so that a SIGTERM during set-up also ends in a clean exit 75.
        stop = StopController(max_stage_seconds=self.spec.max_stage_seconds)
        stop.install()
        try:
            return self._run(stop)
        except VisionPlatformError as e:
            print(f"ERROR: {e}", file=sys.stderr, flush=True)
            return e.exit_code
        except KeyboardInterrupt:
            print("Interrupted", file=sys.stderr, flush=True)
            return EXIT_RESUMABLE
        except Exception as e:
            if is_disk_full(e, self.output_dir):
                print(
                    f"ERROR: no space left on the disk of {self.output_dir} "
                    f"({type(e).__name__}: {e}); the checkpoints saved before are intact: "
                    "free some space, then run again with --resume",
                    file=sys.stderr,
                    flush=True,
                )
            else:
                traceback.print_exc()
            return EXIT_FAILURE
        finally:
            stop.uninstall()

    def _run(self, stop: StopController) -> int:
        spec = self.spec
        settings = get_settings()
        adapter_cls = registry.get(self.framework)
        adapter_cls.check_model_name(spec.model_name)
        resolve_config(adapter_cls, spec)  # bad input is refused before any data is read
        self.output_dir.mkdir(parents=True, exist_ok=True)
        reporter = Reporter(metrics_path=self.output_dir / "metrics.jsonl", sinks=self.sinks)
        dataset_path = spec.dataset_path
        if is_remote(dataset_path):
            dataset_path = str(
                cache_remote_dataset(
                    dataset_path,
                    settings.home / "cache" / "datasets",
                    endpoint_url=settings.s3_endpoint_url,
                    progress=reporter.info,
                )
            )
        dataset = adapter_cls.load_dataset(dataset_path, skip_bad_images=spec.skip_bad_images)
        resolved = resolve_config(
            adapter_cls, spec, train_images=getattr(dataset, "train_images", None)
        )
        for line in resolved.log_lines():
            reporter.info(line)
        for note in [*dataset.warnings, *resolved.notes]:
            reporter.warning(note)
        self.uploader = self._make_uploader(settings, reporter)
        try:
            code = self._train(stop, adapter_cls, resolved, dataset, reporter)
        finally:
            missing = (
                self.uploader.close(settings.upload_wait_seconds)
                if self.uploader is not None
                else []
            )
        if missing and code == EXIT_OK:
            # The job is not done until its weights are stored: a retry resumes from the local
            # files, trains nothing more and uploads them.
            print(
                f"ERROR: training completed, but the artifact store never received "
                f"{', '.join(missing)}; the local files in {self.output_dir / 'weights'} are "
                "complete: run again with --resume to upload them",
                file=sys.stderr,
                flush=True,
            )
            return EXIT_FAILURE
        return code

    def _make_uploader(self, settings: Settings, reporter: Reporter) -> CheckpointUploader | None:
        """An uploader to `<storage>/job_<id>/weights/` when artifact storage is remote."""
        if not is_remote(settings.storage_uri):
            return None
        assert settings.storage_uri is not None
        store = ArtifactStore(settings.storage_uri, endpoint_url=settings.s3_endpoint_url)
        run_name = f"job_{self.spec.job_id}" if self.spec.job_id else self.output_dir.name
        return CheckpointUploader(
            store, f"{run_name}/weights", warn=reporter.warning, info=reporter.info
        )

    def _checkpoint_store(self, config: dict[str, Any]) -> CheckpointStore:
        """The run's weights/ folder; every published file also goes to remote storage."""
        uploader = self.uploader
        return CheckpointStore(
            self.output_dir / "weights",
            framework=self.framework,
            config_digest=hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest(),
            on_publish=None
            if uploader is None
            else (
                lambda path, name, manifest: uploader.enqueue(path, name=name, manifest=manifest)
            ),
            save_period=config.get("save_period", 1),
            save_every_minutes=config.get("save_every_minutes", 0.0),
            write_delay_seconds=get_settings().checkpoint_write_delay_seconds,
        )

    def _train(
        self,
        stop: StopController,
        adapter_cls: type[VisionAdapter],
        resolved: ResolvedConfig,
        dataset: Any,
        reporter: Reporter,
    ) -> int:
        spec, config = self.spec, resolved.config
        store = self._checkpoint_store(config)
        resume_state = self._load_resume_state(adapter_cls, store, reporter)
        seed = self._choose_seed(resume_state)
        adapter = adapter_cls(
            spec.model_name,
            advanced_config=config,
            class_names=dataset.class_names,
            task_type=spec.task_type,
            device=spec.device,
        )
        if resume_state is not None:
            self._check_compatible(resume_state, dataset.class_names)
        reporter.truncate_after(resume_state["epoch"] if resume_state is not None else 0)
        self._write_run_json(resolved, dataset.class_names, seed)
        ctx = RunContext(
            spec=spec,
            config=config,
            class_names=dataset.class_names,
            dataset=dataset,
            output_dir=self.output_dir,
            checkpoints=store,
            stop=stop,
            reporter=reporter,
            seed=seed,
            device=spec.device,
            resume_state=resume_state,
            init_weights=self._local_checkpoint(spec.checkpoint_path)
            if spec.checkpoint_path and not spec.resume
            else None,
        )
        try:
            outcome = adapter.fit(ctx)
            store.wait()  # the end of a run waits for the write in flight, and its error
        finally:
            store.close()
            reporter.close()
        if self.uploader is not None:
            self.uploader.ensure_uploaded(store.dir, ("last.pt", "best.pt"))
        return self._finish(outcome, adapter_cls, store, reporter)

    def _finish(
        self,
        outcome: FitOutcome,
        adapter_cls: type[VisionAdapter],
        store: CheckpointStore,
        reporter: Reporter,
    ) -> int:
        """Say how the run ended (and export model.onnx when asked); the exit code."""
        if outcome.completed:
            reporter.info("Training completed")
            reporter.info(f"Weights: {store.best_path} (best), {store.last_path} (last)")
            if self.spec.export_onnx:
                self._export_onnx(adapter_cls, store.best_path, reporter)
            return EXIT_OK
        reporter.info(
            f"Stopped early ({outcome.stop_reason}) after epoch {outcome.last_epoch}; "
            f"checkpoint saved to {store.last_path}; continue with --resume"
        )
        return EXIT_RESUMABLE

    def _export_onnx(
        self, adapter_cls: type[VisionAdapter], best: Path, reporter: Reporter
    ) -> None:
        """model.onnx beside weights/; a failed export is reported but keeps the run a success."""
        target = self.output_dir / "model.onnx"
        try:
            adapter_cls.from_checkpoint(best).export_onnx(target)
        except Exception as e:
            reporter.warning(f"ONNX export failed: {type(e).__name__}: {e}")
            return
        reporter.info(f"Exported ONNX model: {target}")

    def _load_resume_state(
        self, adapter_cls: type[VisionAdapter], store: CheckpointStore, reporter: Reporter
    ) -> dict[str, Any] | None:
        if not self.spec.resume:
            return None
        reader = adapter_cls.read_checkpoint
        if self.spec.checkpoint_path:
            path = self._local_checkpoint(self.spec.checkpoint_path)
            reporter.info(f"Loading checkpoint from: {path}")
            state = load_verified(path, reader)
        else:
            reporter.info(f"Loading checkpoint from: {store.last_path}")
            found = store.load_latest(reader, warn=reporter.warning)
            if found is None and self.uploader is not None:
                found = self._load_remote(store, reader, reporter)
            if found is None:
                reporter.info("No checkpoint found; starting fresh from epoch 1")
                return None
            path, state = found
            if path != store.last_path:
                reporter.info(f"Loading checkpoint from: {path}")
        task = state.get("task_type") or self.spec.task_type
        metric_name = state.get("best_metric_name") or adapter_cls.info().best_metric(task)
        best = state.get("best_metric")
        reporter.info(
            f"Checkpoint loaded: epoch={state['epoch']}, best_{metric_name}="
            f"{best if best is not None else 'none'}"
        )
        partial = state.get("partial")
        where = f" (batch {partial['step'] + 1})" if partial else ""
        reporter.info(f"Resuming training from epoch {state['epoch'] + 1}{where}")
        return state

    def _load_remote(
        self, store: CheckpointStore, reader: Any, reporter: Reporter
    ) -> tuple[Path, dict[str, Any]] | None:
        """Fetch the job's last.pt (and the one before) from remote storage, then load it."""
        assert self.uploader is not None
        remote = self.uploader
        fetched = False
        for name in ("last.pt", "last.prev.pt"):
            if not remote.store.exists(remote.key(name)):
                continue
            reporter.info(f"Loading checkpoint from: {remote.store.uri(remote.key(name))}")
            local = store.dir / name
            remote.store.get_file(remote.key(name), local)
            if remote.store.exists(remote.key(name) + ".json"):
                remote.store.get_file(remote.key(name) + ".json", manifest_path(local))
            fetched = True
        return store.load_latest(reader, warn=reporter.warning) if fetched else None

    def _local_checkpoint(self, uri: str) -> Path:
        """A local copy of `--checkpoint-path` (downloaded with its manifest when it is a URI)."""
        if not is_remote(uri):
            return Path(uri)
        settings = get_settings()
        store, key = store_for(uri, endpoint_url=settings.s3_endpoint_url)
        local = self.output_dir / "source" / Path(key).name
        store.get_file(key, local)
        if store.exists(f"{key}.json"):
            store.get_file(f"{key}.json", manifest_path(local))
        return local

    def _choose_seed(self, resume_state: dict[str, Any] | None) -> int:
        if resume_state is not None and self.spec.seed is None:
            return int(resume_state["seed"])
        return (
            self.spec.seed
            if self.spec.seed is not None
            else random.SystemRandom().randrange(2**31 - 1)
        )

    def _check_compatible(self, state: dict[str, Any], class_names: list[str]) -> None:
        if state.get("model_name") != self.spec.model_name:
            raise CheckpointError(
                f"checkpoint is of model {state.get('model_name')!r}, not {self.spec.model_name!r}"
            )
        if list(state.get("class_names") or []) != list(class_names):
            raise CheckpointError(
                "checkpoint classes differ from the data set's: "
                f"{state.get('class_names')} vs {class_names}"
            )

    def _write_run_json(self, resolved: ResolvedConfig, class_names: list[str], seed: int) -> None:
        doc = {
            "spec": self.spec.model_dump(mode="json"),
            "framework": self.framework,
            "config": resolved.config,
            "resolution": resolved.record(),
            "class_names": class_names,
            "seed": seed,
            "output_dir": str(self.output_dir),
            "versions": _versions(),
            "written_at": datetime.now().isoformat(timespec="seconds"),
        }
        (self.output_dir / "run.json").write_text(json.dumps(doc, indent=2))
