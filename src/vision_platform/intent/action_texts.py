"""Every sentence the chat's actions say (status, pause, resume, compare, …), in English and
Korean; `say_action` fills one in."""

from __future__ import annotations

from typing import Any

from vision_platform.intent.models import Language

ACTION_MESSAGES: dict[str, tuple[str, str]] = {
    "status": (
        "Job {job_id} ({model}) is {status}: epoch {epoch}/{num_epochs}{best}{eta}.",
        "{job_id}번 작업({model})은 {status} 상태입니다: 에폭 {epoch}/{num_epochs}{best}{eta}.",
    ),
    "best": (", best {name} {value}", ", 최고 {name} {value}"),
    "eta": (", about {eta} left", ", 약 {eta} 남음"),
    "stopping": (" ({action} requested)", " ({action} 요청됨)"),
    "confirm_pause": (
        "Pause job {job_id} ({model}, epoch {epoch}/{num_epochs})? It saves a checkpoint and "
        "stops; you can resume it later.",
        "{job_id}번 작업({model}, 에폭 {epoch}/{num_epochs})을 일시 정지할까요? 체크포인트를 "
        "저장하고 멈추며, 나중에 이어서 학습할 수 있습니다.",
    ),
    "confirm_cancel": (
        "Cancel job {job_id} ({model}, epoch {epoch}/{num_epochs})? A cancelled job cannot be "
        "resumed.",
        "{job_id}번 작업({model}, 에폭 {epoch}/{num_epochs})을 취소할까요? 취소한 작업은 이어서 "
        "학습할 수 없습니다.",
    ),
    "confirm_promote": (
        "Point {alias} of {name} at version {version} (job {job_id}, {metric})?{was}",
        "{name}의 {alias}을(를) 버전 {version}(작업 {job_id}, {metric})으로 지정할까요?{was}",
    ),
    "alias_was": (" It points at version {version} now.", " 지금은 버전 {version}입니다."),
    "confirm_hint": ("Answer yes or no.", "네 또는 아니요로 답해 주세요."),
    "declined": ("OK, nothing was changed.", "알겠습니다. 아무것도 바꾸지 않았습니다."),
    "paused": (
        "Job {job_id} is pausing: the trainer saves and stops.",
        "{job_id}번 작업을 일시 정지합니다. 저장한 뒤 멈춥니다.",
    ),
    "paused_now": ("Job {job_id} is paused.", "{job_id}번 작업을 일시 정지했습니다."),
    "cancelled": ("Job {job_id} is cancelled.", "{job_id}번 작업을 취소했습니다."),
    "cancelling": (
        "Job {job_id} is being cancelled: its trainer is stopped.",
        "{job_id}번 작업을 취소하는 중입니다.",
    ),
    "resumed": (
        "Job {job_id} is resumed from epoch {epoch} and trains to epoch {num_epochs}.",
        "{job_id}번 작업을 에폭 {epoch}부터 이어서 에폭 {num_epochs}까지 학습합니다.",
    ),
    "cannot": (
        "Job {job_id} is {status}, so it cannot be {verb}.",
        "{job_id}번 작업은 {status} 상태라 {verb} 수 없습니다.",
    ),
    "compared": (
        "Compared jobs {ids} by {metric}: job {best} is best ({value}).",
        "작업 {ids}를 {metric} 기준으로 비교했습니다: {best}번 작업이 가장 좋습니다 ({value}).",
    ),
    "compared_no_best": (
        "Compared jobs {ids}; they have no shared metric to rank them yet.",
        "작업 {ids}를 비교했습니다. 아직 순위를 매길 공통 지표가 없습니다.",
    ),
    "registered": (
        "Job {job_id} is registered as {name} version {version}.",
        "{job_id}번 작업을 {name} 버전 {version}(으)로 등록했습니다.",
    ),
    "promoted": (
        "{alias} of {name} now points at version {version}.",
        "{name}의 {alias}이(가) 이제 버전 {version}을(를) 가리킵니다.",
    ),
    "predicted": (
        "{source} says: {label} ({confidence}).",
        "{source}의 예측: {label} ({confidence}).",
    ),
    "detected": (
        "{source} found {count} object(s){top}.",
        "{source}이(가) 객체 {count}개를 찾았습니다{top}.",
    ),
    "datasets": ("Stored data sets: {names}.", "저장된 데이터셋: {names}."),
    "no_datasets": (
        "No data set is stored yet; upload one on the Data sets page.",
        "아직 저장된 데이터셋이 없습니다. 데이터셋 페이지에서 올릴 수 있습니다.",
    ),
    "which_job": (
        "Which job do you mean? Say its number, e.g. 'job 3'.{recent}",
        "어느 작업인가요? 번호로 알려 주세요 (예: '3번 작업').{recent}",
    ),
    "recent_jobs": (" Recent jobs: {jobs}.", " 최근 작업: {jobs}."),
    "no_jobs": ("There are no jobs yet.", "아직 작업이 없습니다."),
    "two_jobs": (
        "Comparing needs two or more jobs; name them, e.g. 'compare jobs 3 and 5'.",
        "비교하려면 작업이 두 개 이상 필요합니다 (예: '3번과 5번 비교해줘').",
    ),
    "which_name": (
        "Under which model name should job {job_id} be registered? e.g. 'register it as "
        "digits-cls'.",
        "{job_id}번 작업을 어떤 모델 이름으로 등록할까요? (예: 'digits-cls로 등록해줘')",
    ),
    "which_model": (
        "Which registered model do you mean?{known}",
        "어느 등록 모델인가요?{known}",
    ),
    "known_models": (" Registered: {names}.", " 등록된 모델: {names}."),
    "not_a_version": (
        "Job {job_id} is not a registered version yet; register it first, e.g. 'register job "
        "{job_id} as NAME'.",
        "{job_id}번 작업은 아직 등록된 버전이 아닙니다. 먼저 등록해 주세요 (예: '{job_id}번 "
        "작업을 NAME으로 등록해줘').",
    ),
    "attach_image": (
        "Attach an image (drop it on the chat) and ask again.",
        "이미지를 채팅에 끌어다 놓고 다시 물어봐 주세요.",
    ),
    "not_used": ("Not used: {problems}.", "반영하지 않은 값: {problems}."),
    "failed": ("I could not do that: {error}", "실행하지 못했습니다: {error}"),
}

STATUS_WORDS: dict[str, tuple[str, str]] = {
    "pending": ("pending", "대기"),
    "running": ("running", "학습 중"),
    "paused": ("paused", "일시 정지"),
    "completed": ("completed", "완료"),
    "not_used": ("Not used: {problems}.", "반영하지 않은 값: {problems}."),
    "failed": ("failed", "실패"),
    "cancelled": ("cancelled", "취소"),
    "pause": ("pause", "일시 정지"),
    "cancel": ("cancel", "취소"),
    "verb_pause": ("paused", "일시 정지할"),
    "verb_resume": ("resumed", "이어서 학습할"),
    "verb_cancel": ("cancelled", "취소할"),
}


def say_action(key: str, language: Language, **values: Any) -> str:
    """The action message `key` in `language`, filled with `values`."""
    english, korean = ACTION_MESSAGES[key]
    return (korean if language == "ko" else english).format(**values)


def word(key: str, language: Language) -> str:
    """A status or verb in `language`."""
    english, korean = STATUS_WORDS.get(key, (key, key))
    return korean if language == "ko" else english


def duration(seconds: float, language: Language) -> str:
    """'3 min' / '3분', '1 h 5 min' / '1시간 5분', '40 s' / '40초'."""
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if language == "ko":
        parts = [f"{hours}시간"] * bool(hours) + [f"{minutes}분"] * bool(minutes)
        return " ".join(parts) or f"{secs}초"
    parts = [f"{hours} h"] * bool(hours) + [f"{minutes} min"] * bool(minutes)
    return " ".join(parts) or f"{secs} s"
