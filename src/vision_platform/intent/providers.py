"""LLM parsers (Gemini, any OpenAI-compatible endpoint) that fall back to the rules parser.

The SDKs are imported only when a provider is built, so neither is needed for the tests
(the OpenAI path is tested against a local fake server) or for `make run`.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict
from pydantic import ValidationError as PydanticValidationError

from vision_platform.adapters.registry import registry
from vision_platform.configs import validate_config
from vision_platform.errors import ConfigValidationError, UnknownNameError
from vision_platform.intent.models import Language, ParseResult, TrainingIntent
from vision_platform.intent.resolve import IntentResolver
from vision_platform.intent.rules import IntentParser, RulesParser
from vision_platform.intent.texts import detect_language
from vision_platform.intent.tools import (
    ActionReader,
    LLMActionReader,
    RulesActionReader,
    arguments,
    openai_tools,
)
from vision_platform.settings import Settings

_INSTRUCTIONS = (
    "You turn a person's request for training a vision model (Korean or English) into JSON "
    "settings. Answer with one JSON object that follows the given JSON Schema exactly. Use null "
    "for anything the request does not give. model_name is a model of one of these frameworks, "
    "and framework names that framework:\n{frameworks}\nadvanced_config uses only the "
    "chosen framework's own field names and option spellings, from its schema below.\n"
    "Framework schemas:\n{schemas}"
)


class LLMAnswer(BaseModel):
    """The JSON an LLM must answer with: the intent's fields, nothing else."""

    model_config = ConfigDict(extra="forbid")

    model_name: str | None = None
    framework: str | None = None
    task_type: str | None = None
    preset: str | None = None
    dataset_path: str | None = None
    num_epochs: int | None = None
    batch_size: int | None = None
    image_size: int | None = None
    learning_rate: float | None = None
    class_names: list[str] | None = None
    advanced_config: dict[str, Any] | None = None


class LLMClient(Protocol):
    """One chat call that returns the model's JSON text."""

    provider: str

    def complete(self, *, system: str, user: str, schema: dict[str, Any]) -> str: ...


class OpenAICompatibleClient:
    """Any OpenAI-compatible chat-completions endpoint, through the `openai` SDK."""

    provider = "openai"

    def __init__(
        self, *, model: str, base_url: str | None, api_key: str | None, timeout_seconds: float
    ) -> None:
        from openai import OpenAI

        self.model = model
        self._client = OpenAI(
            base_url=base_url,
            api_key=api_key or "not-needed",
            timeout=timeout_seconds,
            max_retries=0,
        )

    def complete(self, *, system: str, user: str, schema: dict[str, Any]) -> str:
        response = self._client.chat.completions.create(
            model=self.model,
            messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
            response_format={
                "type": "json_schema",
                "json_schema": {"name": "training_intent", "schema": schema},
            },
        )
        return response.choices[0].message.content or ""

    def call_tool(
        self, *, system: str, user: str, tools: list[dict[str, Any]]
    ) -> tuple[str, dict[str, Any]] | None:
        response = self._client.chat.completions.create(  # type: ignore[call-overload]
            model=self.model,
            messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
            tools=openai_tools(tools),
            tool_choice="required",
        )
        calls = response.choices[0].message.tool_calls or []
        if not calls:
            return None
        function = calls[0].function
        return function.name, arguments(function.arguments)


class GeminiClient:
    """Google Gemini through the `google-genai` SDK, with JSON output constrained to a schema."""

    provider = "gemini"

    def __init__(self, *, model: str, api_key: str | None, timeout_seconds: float) -> None:
        from google import genai
        from google.genai import types

        self.model = model
        self._types = types
        self._client = genai.Client(
            api_key=api_key, http_options=types.HttpOptions(timeout=int(timeout_seconds * 1000))
        )

    def complete(self, *, system: str, user: str, schema: dict[str, Any]) -> str:
        config = self._types.GenerateContentConfig(
            system_instruction=system,
            response_mime_type="application/json",
            response_json_schema=schema,
        )
        response = self._client.models.generate_content(
            model=self.model, contents=user, config=config
        )
        return response.text or ""

    def call_tool(
        self, *, system: str, user: str, tools: list[dict[str, Any]]
    ) -> tuple[str, dict[str, Any]] | None:
        types = self._types
        declarations = [
            types.FunctionDeclaration(
                name=t["name"], description=t["description"], parameters_json_schema=t["parameters"]
            )
            for t in tools
        ]
        config = types.GenerateContentConfig(
            system_instruction=system,
            tools=[types.Tool(function_declarations=declarations)],
            automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
        )
        response = self._client.models.generate_content(
            model=self.model, contents=user, config=config
        )
        calls = response.function_calls or []
        return (calls[0].name or "", dict(calls[0].args or {})) if calls else None


class InvalidAnswerError(ValueError):
    """The LLM's answer is not JSON or does not follow the schemas."""


def _framework_schemas() -> dict[str, dict[str, Any]]:
    return {info.framework: info.json_schema() for info in registry.infos()}


def instructions() -> str:
    """The system prompt: the frameworks (from their descriptors) and their schemas."""
    frameworks = "\n".join(f"- '{i.framework}': {i.description}" for i in registry.infos())
    return _INSTRUCTIONS.format(frameworks=frameworks, schemas=json.dumps(_framework_schemas()))


def answer_schema() -> dict[str, Any]:
    """The JSON Schema an answer must follow (advanced_config: one framework's schema)."""
    schema = LLMAnswer.model_json_schema()
    frameworks = _framework_schemas()
    if frameworks:
        options = [{"type": "null"}] + [
            {k: v for k, v in doc.items() if not k.startswith(("x-", "$"))}
            for doc in frameworks.values()
        ]
        schema["properties"]["advanced_config"] = {"anyOf": options}
    return schema


def read_answer(text: str) -> TrainingIntent:
    """The answer as an intent, or InvalidAnswerError when it breaks a schema."""
    try:
        answer = LLMAnswer.model_validate(json.loads(text))
        intent = TrainingIntent.model_validate(answer.model_dump())
    except (ValueError, PydanticValidationError) as e:
        raise InvalidAnswerError(f"answer does not follow the schema: {e}") from e
    if intent.advanced_config:
        if intent.framework is None:
            raise InvalidAnswerError("advanced_config without a framework")
        try:
            schema = registry.info(intent.framework).config_schema()
        except UnknownNameError as e:
            raise InvalidAnswerError(str(e)) from e
        try:
            validate_config(intent.advanced_config, schema)
        except ConfigValidationError as e:
            unknown = {k: v for k, v in e.errors.items() if v.startswith("unknown field")}
            if unknown:
                raise InvalidAnswerError(f"advanced_config: {unknown}") from e
    return intent


class LLMParser:
    """Asks an LLM for the intent; on an error, a timeout or a bad answer, uses the rules."""

    def __init__(self, client: LLMClient, *, fallback: IntentParser | None = None) -> None:
        self.client = client
        self.name = client.provider
        self.fallback = fallback or RulesParser()

    def parse(
        self,
        text: str,
        *,
        context: TrainingIntent | None = None,
        language: Language | None = None,
        datasets: Collection[str] | None = None,
    ) -> ParseResult:
        """The LLM's reading of `text` on top of `context`, checked like the rules' reading
        (a data set path that is a known data set's name becomes that data set)."""
        lang = language or detect_language(text)
        system = instructions()
        settings = context.model_dump(exclude={"missing", "notes"}) if context else {}
        user = f"Current settings: {json.dumps(settings)}\nRequest: {text}"
        if datasets:
            user += f"\nStored data sets (a named one goes in dataset_path): {', '.join(datasets)}"
        try:
            intent = read_answer(
                self.client.complete(system=system, user=user, schema=answer_schema())
            )
        except Exception as e:  # any provider failure means: use the rules instead
            return self._fall_back(text, context, lang, e, datasets)
        resolver = IntentResolver(language=lang, datasets=datasets)
        intent = resolver.check(intent)
        return ParseResult(intent=intent, language=lang, issues=resolver.issues, provider=self.name)

    def _fall_back(
        self,
        text: str,
        context: TrainingIntent | None,
        lang: Language,
        error: Exception,
        datasets: Collection[str] | None,
    ) -> ParseResult:
        result = self.fallback.parse(text, context=context, language=lang, datasets=datasets)
        reason = f"{type(error).__name__}: {str(error)[:120]}"
        resolver = IntentResolver(language=lang)
        resolver.issue("llm_fallback", "llm_fallback", provider=self.name, error=reason)
        issues = [*resolver.issues, *result.issues]
        intent = result.intent.model_copy(update={"notes": [i.text for i in issues]})
        return ParseResult(intent=intent, language=lang, issues=issues, provider="rules")


def action_reader_from_settings(settings: Settings) -> ActionReader:
    """The chat's action reader for VP_LLM_PROVIDER: the LLM's tool calls, else the rules."""
    parser = parser_from_settings(settings)
    if isinstance(parser, LLMParser):
        return LLMActionReader(parser.client)  # type: ignore[arg-type]
    return RulesActionReader()


def parser_from_settings(settings: Settings) -> IntentParser:
    """The parser VP_LLM_PROVIDER names (rules by default)."""
    if settings.llm_provider == "openai":
        return LLMParser(
            OpenAICompatibleClient(
                model=settings.llm_model or "gpt-4o-mini",
                base_url=settings.llm_base_url,
                api_key=settings.llm_api_key,
                timeout_seconds=settings.llm_timeout_seconds,
            )
        )
    if settings.llm_provider == "gemini":
        return LLMParser(
            GeminiClient(
                model=settings.llm_model or "gemini-2.5-flash",
                api_key=settings.llm_api_key,
                timeout_seconds=settings.llm_timeout_seconds,
            )
        )
    return RulesParser()
