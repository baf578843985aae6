"""The chat's actions by LLM tool calling, against the local fake OpenAI-compatible endpoint:
a valid call is used, anything else (unknown tool, bad arguments, unknown model, a timeout, an
unreachable endpoint) falls back to the offline rules."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("openai", reason="the openai SDK (dev extra) is not installed")

from vision_platform.intent.providers import OpenAICompatibleClient, action_reader_from_settings
from vision_platform.intent.tools import LLMActionReader, RulesActionReader
from vision_platform.settings import Settings

from .test_llm_provider import FakeOpenAI, endpoint  # noqa: F401

MODELS = ["digits-cls"]


def _reader(url: str, timeout: float = 5.0) -> LLMActionReader:
    client = OpenAICompatibleClient(
        model="fake", base_url=url, api_key="k", timeout_seconds=timeout
    )
    return LLMActionReader(client)


def test_a_valid_tool_call_is_the_action(endpoint: str) -> None:  # noqa: F811
    FakeOpenAI.tool_call = ("resume", json.dumps({"job_ids": [3], "num_epochs": 50}))
    reading = _reader(endpoint).read("이어서 학습해줘, 50 에폭까지", models=MODELS)
    assert reading.provider == "openai" and reading.fallback is None
    assert reading.action is not None and reading.action.kind == "resume"
    assert (reading.action.job_ids, reading.action.num_epochs) == ([3], 50)
    sent = FakeOpenAI.requests[0]
    names = [tool["function"]["name"] for tool in sent["tools"]]
    assert names == [
        "status", "pause", "resume", "cancel", "compare", "register", "promote", "predict",
        "datasets", "train",
    ]  # fmt: skip
    assert sent["tool_choice"] == "required"
    assert "num_epochs" in sent["tools"][2]["function"]["parameters"]["properties"]
    assert "digits-cls" in sent["messages"][1]["content"]


def test_the_train_tool_means_no_action(endpoint: str) -> None:  # noqa: F811
    FakeOpenAI.tool_call = ("train", "{}")
    reading = _reader(endpoint).read("resnet18 classification on data/x", models=MODELS)
    assert reading.action is None and reading.provider == "openai"


@pytest.mark.parametrize(
    "call",
    [
        ("reboot", "{}"),
        ("pause", json.dumps({"job_ids": ["three"]})),
        ("pause", json.dumps({"job_ids": [3], "force": True})),
        ("resume", json.dumps({"num_epochs": 0})),
        ("promote", json.dumps({"model": "unknown-model"})),
        ("status", "not json"),
    ],
)
def test_a_bad_tool_call_falls_back_to_the_rules(
    endpoint: str,  # noqa: F811
    call: tuple[str, str],
) -> None:
    FakeOpenAI.tool_call = call
    reading = _reader(endpoint).read("pause job 4", models=MODELS)
    assert reading.provider == "rules" and reading.fallback is not None
    assert "InvalidToolCallError" in reading.fallback
    assert reading.action is not None and reading.action.kind == "pause"
    assert reading.action.job_ids == [4]


def test_a_slow_or_missing_provider_falls_back(endpoint: str) -> None:  # noqa: F811
    FakeOpenAI.delay = 1.0
    slow = _reader(endpoint, timeout=0.2).read("how is job 2 doing?")
    assert slow.provider == "rules" and slow.action is not None and slow.action.job_ids == [2]
    assert slow.fallback is not None and "Timeout" in slow.fallback
    gone = _reader("http://127.0.0.1:9/v1", timeout=1.0).read("3번 작업 취소해줘")
    assert gone.action is not None and (gone.action.kind, gone.action.job_ids) == ("cancel", [3])
    assert gone.fallback is not None and gone.fallback.startswith("APIConnectionError")


def test_settings_pick_the_reader(endpoint: str) -> None:  # noqa: F811
    assert isinstance(action_reader_from_settings(Settings()), RulesActionReader)
    llm = action_reader_from_settings(Settings(llm_provider="openai", llm_base_url=endpoint))
    assert isinstance(llm, LLMActionReader) and llm.name == "openai"
