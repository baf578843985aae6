"""The chat's actions as LLM tools: the provider picks one by tool calling, its arguments are
validated like the rules' reading (ActionRequest, known model names), and any failure (an
error, a timeout, an unknown tool, bad arguments) falls back to the offline rules."""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Protocol, get_args

from pydantic import ValidationError

from vision_platform.intent.actions import ActionKind, ActionRequest, read_action

TRAIN_TOOL = "train"
_DESCRIPTIONS: dict[str, str] = {
    "status": "How a training job is doing: status, epoch i/N, best metric, time left.",
    "pause": "Pause a pending or running training job (it saves and stops).",
    "resume": "Resume a paused job; num_epochs extends it to that many epochs in all.",
    "cancel": "Cancel a training job for good.",
    "compare": "Compare two or more training jobs (job_ids, or `last` N, or a `hint` word).",
    "register": "Register a completed job as a new version of the model `name`.",
    "promote": "Point an alias (default production) of a registered model at a version.",
    "predict": "Predict the image the user attached, with a job or a registered model.",
    "datasets": "List the stored data sets.",
    TRAIN_TOOL: "The user asks to train a new model or changes the settings of one (no action).",
}
_INSTRUCTIONS = (
    "You run a vision training platform's chat. Call exactly one tool for the user's message "
    "(Korean or English). Take job numbers, model names and epoch counts verbatim from the "
    "message; leave out what it does not say. Set refers_back when it says 'it', 'that one', "
    "'the last one', '그거', '그 모델'."
)


class ToolClient(Protocol):
    """One chat call offering tools; the tool called and its arguments (None: no call)."""

    provider: str

    def call_tool(
        self, *, system: str, user: str, tools: list[dict[str, Any]]
    ) -> tuple[str, dict[str, Any]] | None: ...


class InvalidToolCallError(ValueError):
    """The LLM called an unknown tool or gave arguments that do not validate."""


@dataclass(frozen=True)
class ActionReading:
    """What a message asks for (None: no action, e.g. a training request) and who read it;
    `fallback`: why the LLM's reading was not used."""

    action: ActionRequest | None
    provider: str
    fallback: str | None = None


def tools() -> list[dict[str, Any]]:
    """The tools, each with the JSON Schema of its arguments (ActionRequest but `kind`)."""
    schema = ActionRequest.model_json_schema()
    properties = {k: v for k, v in schema["properties"].items() if k not in ("kind", "problems")}
    parameters = {"type": "object", "properties": properties, "additionalProperties": False}
    return [
        {"name": name, "description": text, "parameters": parameters}
        for name, text in _DESCRIPTIONS.items()
    ]


def read_tool_call(
    call: tuple[str, dict[str, Any]] | None, *, models: Collection[str]
) -> ActionRequest | None:
    """The call as an ActionRequest (None for `train` or no call); InvalidToolCallError else."""
    if call is None or call[0] == TRAIN_TOOL:
        return None
    name, arguments = call
    if name not in get_args(ActionKind):
        raise InvalidToolCallError(f"unknown tool {name!r}")
    try:
        action = ActionRequest.model_validate({**arguments, "kind": name})
    except ValidationError as e:
        raise InvalidToolCallError(f"tool {name}: {e}") from e
    if action.model is not None and action.model not in models:
        raise InvalidToolCallError(f"tool {name}: no registered model {action.model!r}")
    return action


class ActionReader(Protocol):
    """Reads the action a message asks for (the rules, or an LLM's tool call)."""

    name: str

    def read(
        self, text: str, *, models: Collection[str] = (), context: str = ""
    ) -> ActionReading: ...


class RulesActionReader:
    """The offline rules (the default)."""

    name = "rules"

    def read(self, text: str, *, models: Collection[str] = (), context: str = "") -> ActionReading:
        return ActionReading(read_action(text, models=models), self.name)


class LLMActionReader:
    """Asks an LLM to call one of the tools; on any failure, reads with the rules."""

    def __init__(self, client: ToolClient) -> None:
        self.client = client
        self.name = client.provider
        self.rules = RulesActionReader()

    def read(self, text: str, *, models: Collection[str] = (), context: str = "") -> ActionReading:
        user = f"{context}\nRegistered models: {', '.join(models) or '-'}\nMessage: {text}"
        try:
            call = self.client.call_tool(system=_INSTRUCTIONS, user=user, tools=tools())
            return ActionReading(read_tool_call(call, models=models), self.name)
        except Exception as e:  # any provider failure means: use the rules instead
            reason = f"{type(e).__name__}: {str(e)[:120]}"
            reading = self.rules.read(text, models=models)
            return ActionReading(reading.action, reading.provider, fallback=reason)


def openai_tools(specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The tools in the OpenAI chat-completions shape."""
    return [{"type": "function", "function": spec} for spec in specs]


def arguments(text: str | None) -> dict[str, Any]:
    """A tool call's JSON arguments; InvalidToolCallError when they are not an object."""
    try:
        value = json.loads(text or "{}")
    except ValueError as e:
        raise InvalidToolCallError(f"arguments are not JSON: {e}") from e
    if not isinstance(value, dict):
        raise InvalidToolCallError("arguments are not a JSON object")
    return value
