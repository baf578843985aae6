"""Reading a Korean or English request into framework-neutral pieces (no schema knowledge)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from vision_platform.intent.catalog import ModelMention, find_models
from vision_platform.intent.datasets import NOT_NAMES, REF

OptionValue = bool | float | str

_NUM = r"(\d+(?:\.\d+)?(?:e[-+]?\d+)?|\.\d+)"
_INT = r"(?<![\d.])(\d+)(?!\.?\d)"
_SEP = r"\s*(?:수|크기|사이즈)?\s*(?:은|는|을|를|이|가|:|=|of|to|as|at|is)?\s*"
_A = r"(?<![a-z])"
_Z = r"(?![a-z])"

_PATH_PATTERNS = (
    re.compile(r"[`'\"]([^`'\"\s]*(?:/|\.ya?ml)[^`'\"]*)[`'\"]"),
    re.compile(r"((?:s3|gs|r2|https?)://[^\s'\"`,]+)"),
    re.compile(r"(?<![\w/.~])((?:\.{1,2}/|~/|/)[A-Za-z0-9_.\-/]+)"),
    # "data: foo/bar", "데이터셋은 foo/bar"; whole words only, so "datasets/cells" is left
    # whole for the last pattern (not "data" + "s/cells").
    re.compile(
        r"(?<![A-Za-z])(?i:data\s*sets?|datasets?|data|데이터\s*셋|데이터)(?![A-Za-z])\s*"
        r"(?:은|는|을|를|:|=|is|at|in)?\s*([A-Za-z0-9_.\-]+/[A-Za-z0-9_.\-/]*)"
    ),
    re.compile(r"(?<![\w/.])([A-Za-z0-9_.\-/]+\.ya?ml)(?![\w])"),
    re.compile(r"(?<![\w/.])((?:data|datasets?)/[A-Za-z0-9_.\-/]+)"),
)

# A stored data set's name beside the word for data set: "the digits dataset", "digits
# 데이터셋으로", "dataset named digits", "데이터셋은 digits" (said plainly: `names`), or just
# "dataset digits" (a guess: a word that follows is not always a name).
_DATA_WORD = r"(?:data[\s_-]*sets?|데이터\s*셋|데이터)"
_NAME_PATTERNS = (
    rf"(?<![\w@/.-])[`'\"]?({REF})[`'\"]?\s*{_DATA_WORD}(?![a-z])",
    rf"{_DATA_WORD}\s*(?:named|called|은|는|:|=)\s*[`'\"]?({REF})(?![\w@/.-])",
)
_NAME_GUESS = rf"(?<![a-z]){_DATA_WORD}\s+[`'\"]?({REF})(?![\w@/.-])"

# field → patterns whose group 1 is the value; order matters: warm-up before epochs.
_NUMBER_PATTERNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "warmup_epochs",
        (
            rf"(?:warm[\s_-]*up|웜업|워밍업)(?:[\s_-]*epochs?)?{_SEP}{_INT}\s*"
            r"(?:epochs?|에폭|에포크)?",
            rf"{_INT}\s*(?:epochs?|에폭|에포크)\s*(?:의\s*|of\s*)?(?:warm[\s_-]*up|웜업|워밍업)",
        ),
    ),
    (
        "image_size",
        (
            rf"(?:image[\s_-]*size|img[\s_-]*size|imgsz|input[\s_-]*size|resolution|"
            rf"이미지\s*(?:크기|사이즈)|입력\s*(?:크기|사이즈)|해상도){_SEP}{_INT}"
            r"(?:\s*[x×*]\s*\d+)?",
            rf"{_INT}\s*(?:px|pixels?|픽셀)",
            # "이미지 320", "image 320": a size said without the word for size (not a count).
            rf"(?:{_A}image|{_A}img|이미지|입력){_SEP}{_INT}(?!\s*(?:장|개|번|%|images?|"
            r"epochs?|에폭|에포크|classes|클래스|batch|배치))",
        ),
    ),
    (
        "num_epochs",
        (
            rf"(?:num[_\s]epochs|epochs?|에폭|에포크){_SEP}{_INT}",
            rf"{_INT}\s*(?:번의\s*)?(?:epochs?|에폭|에포크)",
        ),
    ),
    (
        "batch_size",
        (
            rf"(?:batch(?:[\s_-]*size)?|배치(?:\s*(?:크기|사이즈))?){_SEP}{_INT}",
            rf"{_INT}\s*(?:의\s*)?(?:batch[\s_-]*size|배치\s*(?:크기|사이즈))",
        ),
    ),
    ("learning_rate", (rf"{_A}(?:learning[\s_-]*rate|lr0?|학습률|러닝\s*레이트){_SEP}{_NUM}",)),
    ("weight_decay", (rf"{_A}(?:weight[\s_-]*decay|wd|가중치\s*감쇠){_SEP}{_NUM}",)),
    ("momentum", (rf"(?:momentum|모멘텀){_SEP}{_NUM}",)),
    ("patience", (rf"(?:patience|early[\s_-]*stopping|조기\s*종료){_SEP}{_INT}",)),
    (
        "rotation",
        (
            rf"(?:rotation|rotate|회전){_SEP}{_INT}\s*(?:도|degrees?|°)?",
            rf"{_INT}\s*(?:도|degrees?|°)\s*(?:회전|rotation)",
        ),
    ),
)

# neutral option → the words that name it (on/off or a number follow).
_SWITCH_WORDS: dict[str, str] = {
    "mosaic": r"mosaic|모자이크",
    "mixup": r"mix\s*-?\s*up|믹스업",
    "cutmix": r"cut\s*-?\s*mix|컷믹스",
    "copy_paste": r"copy[\s_-]*paste|카피\s*페이스트",
    "label_smoothing": r"label[\s_-]*smoothing|라벨\s*스무딩|레이블\s*스무딩",
    "flip": r"(?:horizontal\s*)?flips?|좌우\s*반전|뒤집기|플립",
    "color_jitter": r"colou?r[\s_-]*jitter|색상\s*(?:변화|변형|지터)|컬러\s*지터",
    "pretrained": r"pre[\s-]*trained|사전\s*학습(?:된)?|프리트레인(?:드)?|(?:from\s+)?imagenet"
    r"(?:\s+weights)?|fine[\s-]*tun\w*|transfer[\s-]*learning|파인\s*튜닝|미세\s*조정|전이\s*학습",
    "mixed_precision": r"mixed[\s_-]*precision|amp|혼합\s*정밀도",
}
_NEGATION_AFTER = (
    r"\S*\s*(?:은|는|을|를)?\s*(?:off|끄|꺼|빼|제외|없이|사용\s*(?:하지|안)|쓰지|안\s*(?:써|쓰|함)"
    r"|disabled?|false)"
)
_NEGATION_BEFORE = r"(?:no|without|disable|turn\s*off|don'?t\s*use|skip)\s+(?:the\s+)?"
_VALUE_AFTER = rf"\s*(?:prob(?:ability)?|확률|비율|강도)?\s*(?:은|는|을|를|:|=|to|at|of)?\s*{_NUM}"

_OPTIMIZERS = re.compile(rf"{_A}(adamw|adam|sgd|rmsprop){_Z}|(?:optimizer|옵티마이저){_SEP}(auto)")
_SCHEDULERS: dict[str, str] = {
    "none": r"(?:no|without)\s+(?:lr\s+)?schedul\w*|스케줄러\s*(?:없이|끄|사용\s*안)",
    "cosine": r"cosine|코사인|cos[_\s]lr",
    "step": r"step\s*(?:lr|scheduler|schedule|decay)|스텝\s*(?:스케줄|감쇠)",
    "linear": rf"{_A}linear{_Z}|선형",
    "plateau": r"plateau|플래토",
    "exponential": r"exponential|지수\s*감쇠",
}
_TASKS: dict[str, str] = {
    "classification": r"이미지\s*분류|분류|classification|classify|classifier",
    "detection": r"객체\s*(?:탐지|검출|인식)|물체\s*(?:탐지|검출)|탐지|검출|detection|detect\w*",
    "segmentation": rf"세그멘테이션|세그먼테이션|분할|segmentation|segment\w*|{_A}seg{_Z}",
    "pose": rf"{_A}pose{_Z}|포즈|자세\s*추정|keypoints?|키포인트",
}
_PRESETS: dict[str, str] = {
    "easy": rf"{_A}(?:easy|quick(?:ly)?|fast|simple|light)(?:ly)?{_Z}"
    r"|쉽게|쉬운|빠르게|빠르고|빨리|빠른|간단(?:하게|히)?|가볍게",
    "medium": rf"{_A}(?:medium|normal|balanced|standard){_Z}|보통|중간|적당(?:히|하게)?",
    "advanced": rf"{_A}(?:advanced|accurate(?:ly)?|best(?:\s+(?:accuracy|performance))?"
    rf"|(?:most|high(?:est)?)\s+accura\w*){_Z}|정확하게|정확도\s*(?:높게|우선)|최고\s*성능|고급"
    r"|어렵게|최대\s*성능|고성능",
}
# A job's priority in the queue: "not urgent" is read before "urgent".
_PRIORITY_WORDS: dict[str, str] = {
    "low": r"low[\s-]+priority|no\s+rush|not\s+urgent(?:ly)?|whenever(?:\s+you\s+can)?"
    r"|천천히\s*해도\s*(?:돼|되|괜찮)\w*|급하지\s*않\w*|우선\s*순위\s*(?:를\s*)?낮\w*",
    "high": r"high[\s-]+priority|urgent(?:ly)?|asap|as\s+soon\s+as\s+possible"
    r"|급하게|급히|긴급\w*|급해\w*|우선\s*순위\s*(?:를\s*)?높\w*",
}
_CLASSES = re.compile(
    r"(?:classes?|클래스|labels?|라벨|레이블)\s*(?:는|은|:|=|are|is)?\s*"
    r"([\w가-힣-]+(?:\s*(?:,|/|and|와|과|이랑|랑|및)\s*[\w가-힣-]+)+)"
)
_CLASS_SPLIT = re.compile(r"\s*(?:,|/|\band\b|및)\s*|(?<=[가-힣])(?:와|과|이랑|랑)\s+")
_UNREAD = re.compile(r"(?:[^\s\d,.;]+\s)?[^\s,;]*(?:\d|/)[^\s,;]*|(?<![^\s,;])\d+\s[^\s\d,.;]+")
_KOREAN_TAIL = re.compile(r"(?:으로|로|이고|입니다|이에요|예요|이야|야|임)$")


@dataclass
class Extraction:
    """Everything one request names, before any framework's field names are applied."""

    models: list[ModelMention] = field(default_factory=list)
    tasks: list[str] = field(default_factory=list)
    presets: list[str] = field(default_factory=list)
    priorities: list[str] = field(default_factory=list)
    dataset_paths: list[str] = field(default_factory=list)
    dataset_names: list[str] = field(default_factory=list)
    dataset_guesses: list[str] = field(default_factory=list)
    numbers: dict[str, list[float]] = field(default_factory=dict)
    options: dict[str, list[OptionValue]] = field(default_factory=dict)
    class_names: list[str] | None = None
    # Words holding a number or a path that no rule read ("3배"): reported, never guessed at.
    unread: list[str] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not (
            self.models
            or self.tasks
            or self.presets
            or self.priorities
            or self.dataset_paths
            or self.dataset_names
            or self.dataset_guesses
            or self.numbers
            or self.options
            or self.class_names
        )


class _Text:
    """The request being read, lower-cased, with what was already understood blanked out."""

    def __init__(self, raw: str) -> None:
        self.raw = raw
        lowered = raw.lower()
        self.low = lowered if len(lowered) == len(raw) else raw

    def blank(self, start: int, end: int) -> None:
        gap = " " * (end - start)
        self.raw = self.raw[:start] + gap + self.raw[end:]
        self.low = self.low[:start] + gap + self.low[end:]

    def take(self, pattern: str | re.Pattern[str], *, raw: bool = False) -> list[re.Match[str]]:
        """Every match of `pattern`, each blanked out once read."""
        matches = list(re.finditer(pattern, self.raw if raw else self.low))
        for m in matches:
            self.blank(m.start(), m.end())
        return matches


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _number(text: str) -> float:
    value = float(text)
    return int(value) if value.is_integer() and "e" not in text and "." not in text else value


def _read_paths(text: _Text, out: Extraction) -> None:
    for pattern in _PATH_PATTERNS:
        for m in text.take(pattern, raw=True):
            out.dataset_paths.append(m.group(1).rstrip(".,)"))
    out.dataset_paths = _unique(out.dataset_paths)


def _read_models(text: _Text, out: Extraction) -> None:
    for mention in find_models(text.low):
        out.models.append(mention)
        text.blank(mention.start, mention.end)


def _names(text: _Text, pattern: str) -> list[str]:
    """The names `pattern` finds, each blanked out; a word that is no name ("the dataset") is
    left for the next pattern ("the dataset named digits")."""
    found = []
    for m in re.finditer(pattern, text.low):
        if m.group(1) not in NOT_NAMES:
            found.append(m.group(1))
            text.blank(m.start(), m.end())
    return found


def _read_dataset_names(text: _Text, out: Extraction) -> None:
    out.dataset_names = _unique([n for p in _NAME_PATTERNS for n in _names(text, p)])
    out.dataset_guesses = _unique(_names(text, _NAME_GUESS))


def _read_numbers(text: _Text, out: Extraction) -> None:
    for name, patterns in _NUMBER_PATTERNS:
        for pattern in patterns:
            for m in text.take(pattern):
                values = out.numbers.setdefault(name, [])
                value = _number(m.group(1))
                if value not in values:
                    values.append(value)


def _read_switches(text: _Text, out: Extraction) -> None:
    for name, words in _SWITCH_WORDS.items():
        word = rf"{_A}(?:{words}){_Z}"
        for _ in text.take(rf"{_NEGATION_BEFORE}(?:{words}){_Z}|{word}{_NEGATION_AFTER}"):
            out.options.setdefault(name, []).append(False)
        for m in text.take(rf"{word}{_VALUE_AFTER}"):
            out.options.setdefault(name, []).append(_number(m.group(1)))
        for _ in text.take(word):
            out.options.setdefault(name, []).append(True)
        if name in out.options:
            out.options[name] = list(dict.fromkeys(out.options[name]))


def _read_priority(text: _Text, out: Extraction) -> None:
    for name, pattern in _PRIORITY_WORDS.items():
        if text.take(pattern):
            out.priorities.append(name)


def _read_choices(text: _Text, out: Extraction) -> None:
    optimizers = [m.group(1) or m.group(2) for m in text.take(_OPTIMIZERS)]
    if optimizers:
        out.options["optimizer"] = list(_unique(optimizers))
    for name, pattern in _SCHEDULERS.items():
        if text.take(pattern):
            out.options.setdefault("scheduler", []).append(name)
    for name, pattern in _TASKS.items():
        if text.take(pattern):
            out.tasks.append(name)
    for name, pattern in _PRESETS.items():
        if text.take(pattern):
            out.presets.append(name)


def _read_classes(text: _Text, out: Extraction) -> None:
    m = _CLASSES.search(text.raw)
    if m is None:
        return
    names = [_KOREAN_TAIL.sub("", part.strip()) for part in _CLASS_SPLIT.split(m.group(1))]
    out.class_names = [name for name in names if name]
    text.blank(m.start(), m.end())


def extract(request: str) -> Extraction:
    """Read a request in Korean or English into framework-neutral pieces."""
    text = _Text(request)
    out = Extraction()
    _read_paths(text, out)
    _read_models(text, out)
    _read_dataset_names(text, out)
    _read_classes(text, out)
    _read_numbers(text, out)
    _read_switches(text, out)
    _read_priority(text, out)
    _read_choices(text, out)
    out.unread = [m.group(0).strip(".,()") for m in _UNREAD.finditer(text.raw)]
    for name in ("warmup_epochs", "weight_decay", "momentum", "patience", "rotation"):
        if name in out.numbers:
            out.options[name] = list(out.numbers.pop(name))
    return out
