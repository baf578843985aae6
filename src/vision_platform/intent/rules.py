"""The offline rules parser (the default): Korean or English request → checked TrainingIntent."""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

from vision_platform.intent.extract import extract
from vision_platform.intent.models import Language, ParseResult, TrainingIntent
from vision_platform.intent.resolve import IntentResolver
from vision_platform.intent.texts import detect_language


class IntentParser(Protocol):
    """Anything that turns a request (plus the settings so far) into a checked ParseResult;
    `datasets`: the stored data sets' names the caller knows (None: names are not read)."""

    name: str

    def parse(
        self,
        text: str,
        *,
        context: TrainingIntent | None = None,
        language: Language | None = None,
        datasets: Collection[str] | None = None,
    ) -> ParseResult: ...


class RulesParser:
    """Regular-expression rules for Korean and English; needs nothing outside the machine."""

    name = "rules"

    def parse(
        self,
        text: str,
        *,
        context: TrainingIntent | None = None,
        language: Language | None = None,
        datasets: Collection[str] | None = None,
    ) -> ParseResult:
        """Read `text` on top of `context` (the settings so far) and check the result."""
        lang = language or detect_language(text)
        found = extract(text)
        resolver = IntentResolver(language=lang, datasets=datasets)
        if found.is_empty():
            resolver.issue("unparseable", "unparseable", blocking=True)
        elif found.unread:
            words = ", ".join(f"'{word}'" for word in found.unread)
            resolver.issue("not_understood", "not_understood", words=words)
        intent = resolver.check(resolver.build(found, context))
        return ParseResult(intent=intent, language=lang, issues=resolver.issues, provider=self.name)
