"""Requests that act on what exists (a job's status, pause, resume, cancel, compare, register,
promote, predict, list data sets), read by offline rules in Korean and English.

`read_action` answers None for anything else (a training request goes on to the training
rules). What it reads is what the request says, verbatim: job ids, model names and epoch
counts, never a guess; "it" / "그거" / "the last one" set `refers_back`, which the caller
resolves from the conversation (the job or model it is about)."""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

ActionKind = Literal[
    "status", "pause", "resume", "cancel", "compare", "register", "promote", "predict", "datasets"
]
# The actions that change state: each is shown on a confirmation card before it runs.
CONFIRMED: frozenset[str] = frozenset({"pause", "cancel", "promote"})
DEFAULT_ALIAS = "production"
MODEL_REF = r"[a-z0-9][a-z0-9._-]{0,99}"


class ActionRequest(BaseModel):
    """One action a message asks for; null / empty: the message does not say."""

    model_config = ConfigDict(extra="forbid")

    kind: ActionKind
    job_ids: list[Annotated[int, Field(ge=0, le=2**31 - 1)]] = Field(
        default_factory=list, description="Jobs named by number."
    )
    last: int | None = Field(
        default=None, ge=1, le=20, description="'my last two runs': the newest N jobs."
    )
    refers_back: bool = Field(
        default=False, description="'it', '그거', 'the last one': what the conversation is about."
    )
    model: str | None = Field(default=None, description="A registered model's name.")
    version: int | None = Field(default=None, ge=1, description="A version of `model`.")
    alias: str | None = Field(default=None, description="promote: the alias to move.")
    name: str | None = Field(default=None, description="register: the model's name.")
    num_epochs: int | None = Field(
        default=None, ge=1, le=100_000, description="resume: train on to this many epochs."
    )
    best: bool = Field(default=False, description="'the best one': the best of those meant.")
    hint: str | None = Field(
        default=None, description="compare: a word the jobs' data set or model holds ('digit')."
    )
    problems: list[str] = Field(
        default_factory=list, description="What the request said that cannot be used, and why."
    )


_A = r"(?<![a-z])"
_Z = r"(?![a-z])"
# kind → the words that ask for it, in the order they are tried (the first that matches wins).
_KINDS: tuple[tuple[ActionKind, str], ...] = (
    (
        "resume",
        rf"{_A}(?:resume|continue|carry\s+on|keep\s+(?:going|training)|extend|restart){_Z}"
        r"|이어서|이어\s*(?:가|서|학습)|재개|다시\s*시작|계속\s*(?:해|학습|진행)|연장",
    ),
    (
        "pause",
        rf"{_A}(?:pause|hold|suspend){_Z}|일시\s*정지|일시\s*중지|잠깐\s*멈|멈춰|멈추|중지해|정지",
    ),
    (
        "cancel",
        rf"{_A}(?:cancel|abort|kill|terminate|stop){_Z}|취소|중단|그만|끝내|없애",
    ),
    (
        "promote",
        rf"{_A}(?:promote|deploy|ship|release|move\s+(?:production|staging)){_Z}|배포|승격"
        r"|(?:production|staging|프로덕션|운영)\s*(?:으로|로|에)\s*(?:올려|옮겨|지정|설정|보내|반영)",
    ),
    (
        "register",
        rf"{_A}(?:register|publish|save\s+(?:it\s+|job\s+\d+\s+)?as\s+(?:a\s+)?model){_Z}"
        r"|등록|모델로\s*(?:저장|만들)",
    ),
    (
        "compare",
        rf"{_A}(?:compare|comparison|versus|vs\.?|side\s+by\s+side|which\b.*\b(?:best|better)"
        rf"|(?:the\s+)?best\s+(?:one|model|run|job)s?){_Z}"
        r"|비교|(?:가장|제일|젤)\s*(?:좋은|나은|잘\s*된|성능)|어느\s*(?:게|것이|쪽이)\s*(?:더\s*)?나"
        r"|누가\s*더",
    ),
    (
        "datasets",
        rf"{_A}(?:(?:list|show|which|what)\b.*\bdata[\s_-]*sets?|data[\s_-]*sets?\s+(?:list|do\s+"
        rf"(?:i|we)\s+have)|my\s+data[\s_-]*sets?){_Z}"
        r"|데이터\s*셋\s*(?:목록|리스트|보여|알려|뭐|어떤|무엇|몇)|(?:어떤|무슨)\s*데이터\s*셋"
        r"|데이터\s*셋\s*(?:은|이)\s*(?:뭐|뭐가|어떤)",
    ),
    (
        "predict",
        rf"{_A}(?:predict|prediction|infer|inference|what\s+is\s+(?:this|in\s+this|it)|what'?s"
        rf"\s+(?:this|in\s+this)|classify\s+this|detect\s+(?:in\s+)?this|recogni[sz]e){_Z}"
        r"|예측|추론|뭐야|뭐예요|뭔가요|무엇인가요|무엇일까|뭘까|뭐가\s*(?:있|보)|이\s*(?:이미지|사진|그림)",
    ),
    (
        "status",
        rf"{_A}(?:status|progress|how(?:'s|\s+is|\s+are|\s+far|\s+long)|going|eta|doing|state"
        rf"|check\s+on|update\s+on|where\s+is){_Z}"
        r"|상태|진행\s*(?:상황|상태|률|도|정도|중이)|어떻게\s*진행|어떻게\s*(?:되|돼|됐|하고)|어때|얼마나|몇\s*(?:에폭|에포크)|언제\s*끝|남았|어디까지"
        r"|잘\s*(?:되|돼)",
    ),
)
# A request to train something new (not an action), unless a word above says otherwise.
_TRAINING = re.compile(
    rf"{_A}(?:train|fine[\s-]*tune){_Z}|학습(?:해|시켜|을|하고|하자)|훈련|파인\s*튜닝",
    re.IGNORECASE,
)
_JOB_WORD = r"(?:jobs?|runs?|training\s+jobs?|experiments?|작업|잡|실험|학습|런)"
_ID_LIST = (
    r"#?\d+(?:\s*(?:,|&|and|or|vs\.?|versus|와|과|하고|랑|이랑|및|번|번과|번이랑|번하고)\s*#?\d+)*"
)
_VERBS = r"pause|hold|suspend|resume|continue|restart|cancel|abort|kill|stop|terminate|register"
_IDS = (
    rf"{_A}{_JOB_WORD}\s*(?:id\s*)?(?:no\.?\s*)?({_ID_LIST})(?!\d)",
    rf"{_A}(?:{_VERBS}|publish|ship|deploy|promote)\s+({_ID_LIST})(?![\d.])",
    rf"(?<![\w.@/-])({_ID_LIST})\s*번(?!\s*(?:째|에폭))",
    r"(?<![\w.@/-])#(\d+)",
    rf"(?<![\w.@/-])({_ID_LIST})\s*(?:번\s*)?{_JOB_WORD}",
)
_EPOCHS = (
    r"(?<![\d.])(\d+)\s*(?:epochs?|에폭|에포크)",
    r"(?:epochs?|에폭|에포크)\s*(?:수\s*)?(?:을|를|은|는|to|:|=)?\s*(\d+)(?![\d.])",
)
_NUMBER_WORDS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "두": 2, "세": 3, "네": 4, "다섯": 5,
}  # fmt: skip
_LAST = re.compile(
    rf"{_A}(?:last|latest|recent|newest)\s+(\d+|two|three|four|five){_Z}"
    r"|(?:최근|마지막|최신)\s*(\d+|두|세|네|다섯)\s*(?:개|번|작업|학습|런|실험)?"
    r"|(\d+|두|세|네|다섯)\s*(?:개의?\s*)?(?:최근|마지막)"
)
_BACK = re.compile(
    rf"{_A}(?:it|that(?:\s+(?:one|job|run|model))?|this\s+(?:one|job|run|model)|the\s+last"
    rf"\s+(?:one|job|run|model)|the\s+(?:latest|newest|same)\s+(?:one|job|run|model)){_Z}"
    r"|그거|그것|그\s*(?:작업|모델|잡|학습|런|버전)|이거|이것|방금|마지막\s*(?:거|것|작업|모델)"
    r"|아까|최근\s*(?:거|것|작업)",
    re.IGNORECASE,
)
_VERSION = re.compile(rf"(?:@v|{_A}v|{_A}version\s*|버전\s*)(\d+)(?![\d.])|(\d+)\s*버전")
_ALIAS = re.compile(
    rf"{_A}(?:to|as|into|on)\s+(?:the\s+)?([a-z][a-z0-9_-]{{0,49}})(?:\s+alias)?{_Z}"
    r"|([a-z][a-z0-9_-]{0,49})\s*(?:으로|로|에)\s*(?:올려|옮겨|지정|설정|배포|승격|보내|반영)"
)
_ALIAS_WORDS = {
    "production": "production", "prod": "production", "프로덕션": "production",
    "운영": "production", "staging": "staging", "스테이징": "staging",
}  # fmt: skip
_NOT_ALIASES = frozenset({"the", "it", "job", "run", "model", "version", "best", "one", "this"})
_NAME = re.compile(
    rf"{_A}(?:as\s+(?:a\s+model\s+)?(?:called\s+|named\s+)?|named\s+|called\s+|name\s+)"
    rf"[`'\"]?({MODEL_REF})[`'\"]?"
    rf"|[`'\"]?({MODEL_REF})[`'\"]?\s*(?:이라는\s*|라는\s*)?(?:모델\s*)?(?:으로|로|이름으로)\s*등록"
    rf"|(?:이름은?|모델\s*이름은?)\s*[`'\"]?({MODEL_REF})"
)
_BEST = re.compile(rf"{_A}(?:best|top|highest){_Z}|가장\s*좋|제일\s*좋|최고|젤\s*좋")
_HINT = re.compile(
    rf"{_A}(?:my|the|our)\s+([a-z][a-z0-9_-]{{1,40}}?)s?\s+(?:models?|runs?|jobs?){_Z}"
    r"|([a-z][a-z0-9_-]{1,40})\s*(?:모델|작업|학습)\s*(?:중|들\s*중|끼리)"
)


def _kind(low: str) -> ActionKind | None:
    for kind, words in _KINDS:
        if re.search(words, low):
            return kind
    return None


def _ints(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"\d+", text)]


def _job_ids(low: str) -> list[int]:
    ids: list[int] = []
    for pattern in _IDS:
        for m in re.finditer(pattern, low):
            ids.extend(n for n in _ints(m.group(1)) if n not in ids)
    return ids


def _first_int(patterns: tuple[str, ...] | re.Pattern[str], low: str) -> int | None:
    for pattern in patterns if isinstance(patterns, tuple) else (patterns,):
        m = re.search(pattern, low)
        if m is not None:
            word = next(g for g in m.groups() if g)
            return int(word) if word.isdigit() else _NUMBER_WORDS.get(word)
    return None


def _model(low: str, models: Collection[str]) -> str | None:
    """The registered model the request names (the longest name it holds as a word)."""
    for name in sorted(models, key=len, reverse=True):
        if re.search(rf"(?<![a-z0-9_.-]){re.escape(name)}(?![a-z0-9_-]|\.[a-z0-9])", low):
            return name
    return None


def _alias(low: str, model: str | None) -> str | None:
    for word, alias in _ALIAS_WORDS.items():
        if re.search(rf"(?<![a-z가-힣]){word}(?![a-z])", low):
            return alias
    for m in _ALIAS.finditer(low):
        word = m.group(1) or m.group(2)
        if word != model and word not in _NOT_ALIASES:
            return word
    return None


def read_action(text: str, *, models: Collection[str] = ()) -> ActionRequest | None:
    """The action `text` asks for, or None when it asks for none (e.g. a training request);
    `models`: the registered models' names the caller knows."""
    low = text.lower()
    kind = _kind(low)
    if kind is None:
        return None
    # "train resnet18 … and stop early", "학습해줘": a new run, not an action on one.
    acting = kind in ("resume", "register", "promote")
    if _TRAINING.search(low) and not acting and not re.search(_IDS[0], low):
        return None
    model = _model(low, models)
    without_model = low.replace(model, " ") if model else low
    epochs = _first_int(_EPOCHS, without_model) if kind == "resume" else None
    stripped = re.sub(_EPOCHS[0], " ", re.sub(_EPOCHS[1], " ", without_model))
    stripped = re.sub(_VERSION, " ", stripped)
    last = _first_int(_LAST, stripped)
    if last is not None:
        stripped = _LAST.sub(" ", stripped)
    return checked(
        {
            "kind": kind,
            "job_ids": _job_ids(stripped),
            "last": last,
            "refers_back": _BACK.search(low) is not None,
            "model": model,
            "version": _first_int(_VERSION, without_model),
            "alias": _alias(low, model) if kind == "promote" else None,
            "name": _register_name(low) if kind == "register" else None,
            "num_epochs": epochs,
            "best": _BEST.search(low) is not None,
            "hint": _hint(low) if kind == "compare" and not model else None,
        }
    )


def checked(fields: dict[str, Any]) -> ActionRequest:
    """The request with the values it gave; one out of range is left out and named in
    `problems` ("num_epochs 0: …"), never replaced by another."""
    try:
        return ActionRequest.model_validate(fields)
    except ValidationError as e:
        bad = {str(err["loc"][0]): f"{err['input']}: {err['msg']}" for err in e.errors()}
        if "kind" in bad:
            raise
        kept = {k: v for k, v in fields.items() if k not in bad}
        kept["problems"] = [f"{k} {problem}" for k, problem in bad.items()]
        return ActionRequest.model_validate(kept)


def _register_name(low: str) -> str | None:
    m = _NAME.search(low)
    return next((g for g in m.groups() if g), None) if m else None


def _hint(low: str) -> str | None:
    m = _HINT.search(low)
    word = next((g for g in m.groups() if g), None) if m else None
    return None if word in ("last", "latest", "recent", "two", "best", "all") else word
