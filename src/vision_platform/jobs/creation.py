"""Creating jobs: a request checked whole (framework, model, task, config, data set; for batch
jobs the model and the paths) before anything is stored, then a pending row.

The adapter registry is asked here and nowhere else in the jobs service."""

from __future__ import annotations

from pathlib import Path

from vision_platform.adapters.descriptor import AdapterInfo
from vision_platform.adapters.registry import registry
from vision_platform.configs import (
    BatchInferenceSpec,
    effective_config,
    inactive_fields,
    unknown_name_message,
)
from vision_platform.datastore.service import resolve_dataset
from vision_platform.db.session import Database
from vision_platform.errors import InvalidInputError
from vision_platform.jobs import rows
from vision_platform.jobs.errors import InvalidJobStateError
from vision_platform.jobs.mapping import (
    TRAIN,
    BatchJobView,
    new_batch_row,
    new_training_row,
)
from vision_platform.jobs.paths import (
    check_dataset,
    check_input_folder,
    check_output_path,
    check_readable_path,
    job_dir,
)
from vision_platform.jobs.queries import JobQueries
from vision_platform.jobs.schemas import (
    BatchJobCreate,
    BatchJobOut,
    ConfigValidateRequest,
    ConfigValidateResponse,
    JobCreate,
    JobOut,
)
from vision_platform.presets import ResolvedConfig, RunFacts
from vision_platform.settings import Settings


def _resolved(info: AdapterInfo, request: JobCreate, train_images: int | None) -> ResolvedConfig:
    """The config the trainer will resolve for the run; raises naming every bad field."""
    return info.resolve_config(
        preset=request.preset,
        advanced_config=request.advanced_config,
        learning_rate=request.learning_rate,
        run=RunFacts(
            num_epochs=request.num_epochs,
            batch_size=request.batch_size,
            image_size=request.image_size,
            train_images=train_images,
        ),
    )


def check_queue(name: str | None, settings: Settings) -> None:
    """A job's queue must be one VP_QUEUES names (InvalidInputError naming the known ones)."""
    known = list(settings.queue_limits)
    if name is not None and name not in known:
        valid = known or ["(none: VP_QUEUES names no queues)"]
        raise InvalidInputError("queue: " + unknown_name_message("queue", name, valid))


class JobCreation:
    """Checks requests and stores new jobs, training and batch inference."""

    def __init__(self, db: Database, settings: Settings, queries: JobQueries) -> None:
        self.db = db
        self.settings = settings
        self.queries = queries

    def validate_config(self, request: ConfigValidateRequest) -> ConfigValidateResponse:
        """The config a run would use: resolved for the run given its epochs, else nominal."""
        info = registry.info(request.framework)
        if request.num_epochs is None:
            config = effective_config(
                schema=info.config_schema(),
                presets=info.presets(),
                preset=request.preset,
                advanced_config=request.advanced_config,
                learning_rate=request.learning_rate,
            )
            notes = inactive_fields(config, info.config_schema())
            return ConfigValidateResponse(valid=True, config=config, notes=notes)
        resolved = info.resolve_config(
            preset=request.preset,
            advanced_config=request.advanced_config,
            learning_rate=request.learning_rate,
            run=RunFacts(
                num_epochs=request.num_epochs,
                batch_size=request.batch_size,
                image_size=request.image_size,
            ),
        )
        return ConfigValidateResponse(
            valid=True,
            config=resolved.config,
            notes=resolved.notes,
            preset_intent=resolved.intent,
            adjustments=resolved.adjustments,
        )

    def create(self, request: JobCreate) -> JobOut:
        """Check the request (framework, model, task, config, data set) and store a pending job."""
        framework = request.framework or registry.framework_for_model(request.model_name)
        info = registry.info(framework)
        adapter_cls = info.adapter_class()
        adapter_cls.check_model_name(request.model_name)
        task_type = request.task_type or info.default_task(request.model_name)
        if task_type not in info.tasks:
            raise InvalidInputError(
                "task_type: "
                + unknown_name_message(f"{framework} task type", task_type, list(info.tasks))
            )
        check_queue(request.queue, self.settings)
        _resolved(info, request, None)  # bad config is refused before the data set is read
        dataset, ref, train_images = self._dataset(request, info, task_type)
        resolution = _resolved(info, request, train_images).record()
        with self.db.session() as session:
            job = new_training_row(
                request,
                framework=framework,
                task_type=task_type,
                dataset_path=dataset,
                dataset_ref=ref,
                best_metric_name=info.best_metric(task_type),
            )
            job.config_resolution = resolution
            session.add(job)
            session.flush()
            job.output_dir = str(job_dir(self.settings, job.id))
            rows.log(session, job, f"Job created: {framework} {request.model_name}")
            return rows.flushed_out(session, job)

    def _dataset(
        self, request: JobCreate, info: AdapterInfo, task_type: str
    ) -> tuple[str, str | None, int | None]:
        """Where the job's data set lies, the stored version it names (if it names one), and
        its number of training images when known (the run's presets are resolved with it).

        A stored version was checked when it was added: here it only has to fit the task."""
        if request.dataset is not None:
            version = resolve_dataset(self.db, request.dataset, "dataset")
            if version.task_type != task_type:
                raise InvalidInputError(
                    f"dataset: {version.ref} is a {version.task_type} data set; "
                    f"{request.model_name} trains {task_type}"
                )
            splits = version.report.splits if version.report is not None else {}
            return version.uri, version.ref, splits.get("train")
        assert request.dataset_path is not None  # JobCreate: exactly one of the two
        dataset = check_dataset(request.dataset_path, self.settings, "dataset_path")
        train_images = None
        if isinstance(dataset, Path):  # a remote data set is checked where it is downloaded
            loaded = info.adapter_class().load_dataset(str(dataset), skip_bad_images=False)
            train_images = getattr(loaded, "train_images", None)
        return str(dataset), None, train_images

    def create_batch(self, request: BatchJobCreate) -> BatchJobOut:
        """Check the request (model, inputs, output inside the roots) and queue a batch job."""
        source = self.queries.get(request.job_id)
        if source.kind != TRAIN:
            raise InvalidJobStateError(request.job_id, source.status, "predict with it")
        best, onnx = self.queries.model_files(request.job_id)
        if request.backend == "onnx" and onnx is None:
            raise InvalidJobStateError(
                request.job_id,
                source.status,
                "predict with it on ONNX Runtime: it has no model.onnx",
            )
        model = onnx if request.backend == "onnx" and onnx is not None else best
        images = self._input_images(request.input_images)
        prefix, ref = self._input_prefix(request)
        with self.db.session() as session:
            job = new_batch_row(
                source, images=images, prefix=prefix, batch_size=request.batch_size, dataset_ref=ref
            )
            session.add(job)
            session.flush()
            folder = job_dir(self.settings, job.id)
            output = check_output_path(request.output_path, folder / "results.jsonl", self.settings)
            job.output_dir = str(folder)
            batch = BatchJobView(job)
            batch.store_spec(
                BatchInferenceSpec(
                    job_id=str(job.id),
                    model_path=str(model),
                    backend=request.backend,
                    input_images=images,
                    input_prefix=prefix,
                    output_path=output,
                    batch_size=request.batch_size,
                    framework=source.framework,
                )
            )
            rows.log(session, job, f"Batch inference job created with job {source.id}'s model")
            session.flush()
            return batch.out()

    def _input_prefix(self, request: BatchJobCreate) -> tuple[str | None, str | None]:
        """The folder (or s3:// prefix) of the images, and the stored version it is, if any."""
        if request.dataset is not None:
            version = resolve_dataset(self.db, request.dataset, "dataset")
            return version.uri, version.ref
        if request.input_prefix is None:
            return None, None
        return check_input_folder(request.input_prefix, self.settings), None

    def _input_images(self, paths: list[str] | None) -> list[str] | None:
        if paths is None:
            return None
        return [
            str(check_readable_path(path, self.settings, f"input_images[{i}]"))
            for i, path in enumerate(paths)
        ]
