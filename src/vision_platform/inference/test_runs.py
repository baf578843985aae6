"""Test runs: evaluation over a labelled set in the background, kept on disk with progress."""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from vision_platform.errors import NotFoundError
from vision_platform.inference.detection_eval import evaluate_detection
from vision_platform.inference.evaluation import evaluate_classification
from vision_platform.inference.predictor import Predictor
from vision_platform.storage import cache_remote_dataset, is_remote


class TestRunStore:
    """One JSON document per test run in a folder: survives restarts, readable while it runs."""

    __test__ = False  # not a pytest class

    def __init__(
        self,
        folder: Path,
        predictor: Predictor,
        *,
        dataset_cache: Path,
        s3_endpoint_url: str | None = None,
    ) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.predictor = predictor
        self.dataset_cache = dataset_cache.resolve()  # local copies of s3:// data sets
        self.s3_endpoint_url = s3_endpoint_url
        self._lock = threading.Lock()

    def _path(self, run_id: str) -> Path:
        return self.folder / f"{run_id}.json"

    def get(self, run_id: str) -> dict[str, Any]:
        path = self._path(run_id)
        if not run_id.isalnum() or not path.is_file():
            raise NotFoundError(f"test run {run_id!r} not found")
        data: dict[str, Any] = json.loads(path.read_text())
        return data

    def mistake_image(self, run_id: str, index: int) -> tuple[Path, Path]:
        """The image of the run's `index`-th worst mistake (as recorded, unresolved) and the
        run's data set folder; NotFoundError for an unknown run or index.

        Only paths the run itself recorded come out; the caller still checks that the file
        lies in that folder, since files can change after the run. For an s3:// data set the
        folder is the platform's local copy of it (see `is_local_copy`)."""
        run = self.get(run_id)
        mistakes = (run.get("metrics") or {}).get("worst_mistakes") or []
        if not 0 <= index < len(mistakes):
            raise NotFoundError(f"test run {run_id}: no mistake #{index} ({len(mistakes)} listed)")
        dataset = Path(run.get("local_dataset_path") or run["test_dataset_path"])
        folder = dataset if dataset.suffix.lower() not in (".yaml", ".yml") else dataset.parent
        return Path(mistakes[index]["image_path"]), folder

    def is_local_copy(self, folder: Path) -> bool:
        """Whether `folder` is a copy of a remote data set that this store downloaded."""
        return folder.resolve().is_relative_to(self.dataset_cache)

    def _write(self, doc: dict[str, Any]) -> None:
        with self._lock:
            tmp = self._path(doc["id"]).with_suffix(".tmp")
            tmp.write_text(json.dumps(doc))
            tmp.replace(self._path(doc["id"]))

    def start(
        self,
        *,
        job_id: int,
        model_path: Path,
        dataset_path: Path | str,
        conf_threshold: float | None = None,
        dataset: str | None = None,
    ) -> dict[str, Any]:
        """Record a new run and evaluate in a background thread; returns the run as queued.

        `dataset_path` is a local folder (or YOLO yaml), or an s3:// prefix (checked by the
        caller) that is downloaded once into the data set cache, as training does.

        `conf_threshold` is the operating point of a detection run (precision, recall and the
        worst mistakes are reported there); without it the F1-optimal threshold is used.
        `dataset` names the stored data set version (name@version) at `dataset_path`."""
        doc: dict[str, Any] = {
            "id": uuid.uuid4().hex,
            "job_id": job_id,
            "test_dataset_path": str(dataset_path),
            "dataset": dataset,
            "conf_threshold": conf_threshold,
            "status": "running",
            "progress": 0.0,
            "metrics": None,
            "error": None,
            "created_at": datetime.now(UTC).isoformat(),
            "finished_at": None,
        }
        self._write(doc)
        thread = threading.Thread(
            target=self._run,
            args=(doc, model_path, dataset_path),
            name=f"test-run-{doc['id']}",
            daemon=True,
        )
        thread.start()
        return doc

    def _run(self, doc: dict[str, Any], model_path: Path, dataset_path: Path | str) -> None:
        def progress(value: float) -> None:
            self._write({**doc, "progress": round(value, 4)})

        started = time.perf_counter()
        try:
            if is_remote(str(dataset_path)):
                dataset_path = cache_remote_dataset(
                    str(dataset_path),
                    self.dataset_cache,
                    endpoint_url=self.s3_endpoint_url,
                    progress=lambda _message: None,
                )
                doc["local_dataset_path"] = str(dataset_path)
                self._write(doc)
            model = self.predictor.cache.get(model_path, "eager")
            if model.task_type in ("detection", "segmentation"):
                metrics = evaluate_detection(
                    model_path,
                    dataset_path,
                    conf_threshold=doc["conf_threshold"],
                    progress=progress,
                )
            elif model.task_type == "classification":
                class_names = list(getattr(model, "class_names", None) or [])
                metrics = evaluate_classification(
                    model,
                    class_names,
                    dataset_path,
                    progress=progress,
                    conf_threshold=doc["conf_threshold"],
                )
            else:
                raise NotImplementedError(f"test runs of {model.task_type} models")
            metrics["seconds"] = round(time.perf_counter() - started, 3)
            doc.update(status="completed", progress=1.0, metrics=metrics)
        except Exception as e:
            doc.update(status="failed", error=f"{type(e).__name__}: {e}")
        doc["finished_at"] = datetime.now(UTC).isoformat()
        self._write(doc)
