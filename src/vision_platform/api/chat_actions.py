"""The chat's actions on what exists, run through the services the API routes use (no second
code path): the job service's status, pause, resume and cancel, its comparison, the data set
store's list; the model registry's side is in `chat_models`.

Pause, cancel and promote are shown on a confirmation card first: the action waits in the
conversation's state (`pending_action`) until a yes runs it or a no drops it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from vision_platform.api.chat_cards import (
    Card,
    ComparedRow,
    ComparisonCard,
    ConfirmCard,
    DatasetRow,
    DatasetsCard,
    StatusCard,
)
from vision_platform.api.chat_models import ModelActions, Predict
from vision_platform.datastore.service import DatasetService
from vision_platform.errors import (
    PayloadTooLargeError,
    UnsupportedImageError,
    VisionPlatformError,
)
from vision_platform.intent.action_texts import duration, say_action, word
from vision_platform.intent.actions import CONFIRMED, ActionRequest
from vision_platform.intent.chat import ChatState
from vision_platform.intent.models import Language
from vision_platform.jobs.compare import compare_jobs
from vision_platform.jobs.schemas import JobSummary
from vision_platform.jobs.service import JobService
from vision_platform.jobs.states import JobStatus
from vision_platform.registry.service import ModelRegistry

_MAX_STATUS = 5
_MAX_COMPARED = 10
# The states each confirmed job action can start from.
_ALLOWED = {
    "pause": {JobStatus.PENDING, JobStatus.RUNNING},
    "cancel": {JobStatus.PENDING, JobStatus.PAUSED, JobStatus.RUNNING},
    "resume": {JobStatus.PAUSED},
}


@dataclass
class ActionReply:
    """The answer to an action: its text, its cards, and the conversation's new state."""

    text: str
    state: ChatState
    cards: list[Card] = field(default_factory=list)


def metric_text(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


class ChatActions:
    """Runs one ActionRequest for a conversation, in the conversation's language."""

    def __init__(
        self,
        jobs: JobService,
        *,
        models: ModelRegistry | None = None,
        datasets: DatasetService | None = None,
    ) -> None:
        self.jobs = jobs
        self.datasets = datasets
        self.models = ModelActions(jobs, models)

    def model_names(self) -> list[str]:
        return self.models.names()

    def run(
        self, action: ActionRequest, state: ChatState, *, predict: Predict | None = None
    ) -> ActionReply:
        """Answer `action` (a confirmation card for pause, cancel and promote)."""
        state = state.model_copy(deep=True)
        state.pending_action = None
        try:
            reply = self._run(action, state, predict)
        except (PayloadTooLargeError, UnsupportedImageError):
            raise  # the upload itself is refused: 413 / 415, as on the prediction routes
        except VisionPlatformError as e:
            reply = ActionReply(say_action("failed", state.language, error=e), state)
        if action.problems:
            unused = say_action("not_used", state.language, problems="; ".join(action.problems))
            reply.text = f"{unused}\n{reply.text}"
        return reply

    def confirmed(self, state: ChatState) -> ActionReply:
        """Run the action waiting for a yes."""
        state = state.model_copy(deep=True)
        action, state.pending_action = state.pending_action, None
        assert action is not None
        try:
            if action.kind == "promote":
                text, card = self.models.promote(action, state)
                return ActionReply(text, state, [card])
            job_id = action.job_ids[0]
            job = self.jobs.pause(job_id) if action.kind == "pause" else self.jobs.cancel(job_id)
        except VisionPlatformError as e:
            return ActionReply(say_action("failed", state.language, error=e), state)
        done = job.status in (JobStatus.PAUSED, JobStatus.CANCELLED)
        key = {"pause": ("paused", "paused_now"), "cancel": ("cancelling", "cancelled")}
        text = say_action(key[action.kind][done], state.language, job_id=job_id)
        return ActionReply(text, state, [self.status_card(job)])

    def declined(self, state: ChatState) -> ActionReply:
        state = state.model_copy(deep=True)
        state.pending_action = None
        return ActionReply(say_action("declined", state.language), state)

    # --- the actions ---------------------------------------------------------------------
    def _run(self, action: ActionRequest, state: ChatState, predict: Predict | None) -> ActionReply:
        lang = state.language
        if action.kind == "datasets":
            return self._datasets(state)
        if action.kind == "compare":
            return self._compare(action, state)
        if action.kind in ("register", "promote", "predict"):
            if action.kind == "predict":
                text, shown = self.models.predict(action, state, predict)
            elif action.kind == "register":
                text, shown = self.models.register(action, state)
            else:
                text, shown = self.models.ask_promote(action, state)
            return ActionReply(text, state, shown)
        jobs = self._jobs_meant(action, state)
        if not jobs:
            return ActionReply(self._which_job(lang), state)
        state.last_job_id = jobs[0].id
        if action.kind == "status":
            cards: list[Card] = [self.status_card(job) for job in jobs[:_MAX_STATUS]]
            return ActionReply("\n".join(self.status_text(job, lang) for job in jobs), state, cards)
        job = jobs[0]
        if JobStatus(job.status) not in _ALLOWED[action.kind]:
            verb = word(f"verb_{action.kind}", lang)
            status = word(job.status, lang)
            return ActionReply(
                say_action("cannot", lang, job_id=job.id, status=status, verb=verb),
                state,
                [self.status_card(job)],
            )
        if action.kind == "resume":
            resumed = self.jobs.resume(job.id, num_epochs=action.num_epochs)
            text = say_action(
                "resumed",
                lang,
                job_id=job.id,
                epoch=resumed.current_epoch,
                num_epochs=resumed.num_epochs,
            )
            return ActionReply(text, state, [self.status_card(resumed)])
        return self._ask(action, job, state)

    def _ask(self, action: ActionRequest, job: JobSummary, state: ChatState) -> ActionReply:
        assert action.kind in CONFIRMED
        lang = state.language
        question = say_action(
            f"confirm_{action.kind}",
            lang,
            job_id=job.id,
            model=job.model_name,
            epoch=job.current_epoch,
            num_epochs=job.num_epochs,
        )
        state.pending_action = action.model_copy(update={"job_ids": [job.id]})
        card = ConfirmCard(action=action.kind, question=question, job_id=job.id)
        return ActionReply(f"{question} {say_action('confirm_hint', lang)}", state, [card])

    def _jobs_meant(self, action: ActionRequest, state: ChatState) -> list[JobSummary]:
        """The jobs the request names, else the one the conversation is about, else the
        newest (for a status, the newest `last` ones)."""
        if action.job_ids:
            return [self.jobs.get(job_id) for job_id in action.job_ids]
        if state.last_job_id is not None and not action.last:
            return [self.jobs.get(state.last_job_id)]
        return self.jobs.list_jobs(limit=action.last or 1, with_total=False).items

    def _which_job(self, lang: Language) -> str:
        recent = self.jobs.list_jobs(limit=5, with_total=False).items
        if not recent:
            return say_action("no_jobs", lang)
        shown = ", ".join(f"#{j.id} {j.model_name} ({word(j.status, lang)})" for j in recent)
        return say_action("which_job", lang, recent=say_action("recent_jobs", lang, jobs=shown))

    def _compare(self, action: ActionRequest, state: ChatState) -> ActionReply:
        lang = state.language
        ids = list(action.job_ids)
        if len(ids) < 2:
            ids = self._compared_ids(action, state, ids)
        if len(ids) < 2:
            return ActionReply(say_action("two_jobs", lang), state)
        comparison = compare_jobs(self.jobs.db, ids[:_MAX_COMPARED])
        summaries = {job_id: self.jobs.get(job_id) for job_id in comparison.job_ids}
        rows = [
            ComparedRow(
                job_id=job.job_id,
                status=job.status,
                model_name=summaries[job.job_id].model_name,
                epochs=summaries[job.job_id].current_epoch,
                best_metric=job.best_metric,
                best_epoch=job.best_epoch,
                final_metrics=job.final_metrics,
            )
            for job in comparison.jobs
        ]
        shown = ", ".join(f"#{i}" for i in comparison.job_ids)
        best = next((r for r in rows if r.job_id == comparison.best_job_id), None)
        if best is None:
            text = say_action("compared_no_best", lang, ids=shown)
        else:
            state.last_job_id = best.job_id
            metric, value = comparison.best_metric_name, metric_text(best.best_metric)
            text = say_action("compared", lang, ids=shown, metric=metric, best=best.job_id,
                              value=value)  # fmt: skip
        card = ComparisonCard(
            job_ids=comparison.job_ids,
            best_metric_name=comparison.best_metric_name,
            best_job_id=comparison.best_job_id,
            rows=rows,
            differences={k: [_plain(v) for v in vs] for k, vs in comparison.differences.items()},
        )
        return ActionReply(text, state, [card])

    def _compared_ids(self, action: ActionRequest, state: ChatState, ids: list[int]) -> list[int]:
        """'compare it with job 5', 'my last two runs', 'which of my digit models is best'."""
        if ids and state.last_job_id is not None and state.last_job_id not in ids:
            return [state.last_job_id, *ids]
        recent = self.jobs.list_jobs(limit=100, with_total=False).items
        if action.hint:
            hint = action.hint.lower()
            recent = [j for j in recent if hint in _about(j)]
            done = [j for j in recent if j.status == JobStatus.COMPLETED]
            return [j.id for j in (done if len(done) >= 2 else recent)]
        count = action.last or (_MAX_COMPARED if action.best else 2)
        return [j.id for j in recent[:count]]

    def _datasets(self, state: ChatState) -> ActionReply:
        lang = state.language
        items = self.datasets.list().items if self.datasets is not None else []
        if not items:
            return ActionReply(say_action("no_datasets", lang), state, [DatasetsCard(items=[])])
        rows = [
            DatasetRow(
                name=d.name,
                version=d.latest.version,
                task_type=d.latest.task_type,
                num_images=d.latest.num_images,
                num_classes=d.latest.num_classes,
                versions=d.versions,
            )
            for d in items
        ]
        names = ", ".join(f"{r.name} ({r.task_type}, {r.num_images})" for r in rows)
        return ActionReply(
            say_action("datasets", lang, names=names), state, [DatasetsCard(items=rows)]
        )

    # --- a job's status ------------------------------------------------------------------
    def status_card(self, job: JobSummary) -> StatusCard:
        points = self.jobs.metrics(job.id).points
        curve = [_number(p.values.get(job.best_metric_name)) for p in points]
        return StatusCard(
            job_id=job.id,
            status=job.status,
            model_name=job.model_name,
            task_type=job.task_type,
            dataset=job.dataset or job.dataset_path,
            epoch=job.current_epoch,
            num_epochs=job.num_epochs,
            progress=min(1.0, job.current_epoch / job.num_epochs) if job.num_epochs else 0.0,
            best_metric_name=job.best_metric_name,
            best_metric=job.best_metric,
            eta_seconds=self._eta(job, [p.created_at for p in points]),
            requested_action=job.requested_action,
            curve=curve,
        )

    def _eta(self, job: JobSummary, times: list[datetime]) -> float | None:
        if job.status != JobStatus.RUNNING or not times or job.current_epoch >= job.num_epochs:
            return None
        if len(times) >= 2:
            per_epoch = (times[-1] - times[0]).total_seconds() / (len(times) - 1)
        elif job.started_at is not None:
            per_epoch = (times[0] - job.started_at).total_seconds()
        else:
            return None
        return max(0.0, per_epoch * (job.num_epochs - job.current_epoch))

    def status_text(self, job: JobSummary, lang: Language) -> str:
        card = self.status_card(job)
        best = ""
        if job.best_metric is not None:
            value = metric_text(job.best_metric)
            best = say_action("best", lang, name=job.best_metric_name, value=value)
        eta = ""
        if card.eta_seconds is not None:
            eta = say_action("eta", lang, eta=duration(card.eta_seconds, lang))
        text = say_action(
            "status",
            lang,
            job_id=job.id,
            model=job.model_name,
            status=word(job.status, lang),
            epoch=job.current_epoch,
            num_epochs=job.num_epochs,
            best=best,
            eta=eta,
        )
        if job.requested_action:
            text += say_action("stopping", lang, action=word(job.requested_action, lang))
        return text


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _plain(value: object) -> str | int | float | bool | None:
    return value if isinstance(value, str | int | float | bool) or value is None else str(value)


def _about(job: JobSummary) -> str:
    return " ".join(
        str(part).lower()
        for part in (job.dataset_path, job.dataset, job.model_name, job.register_as)
        if part
    )
