"""The OpenAI-compatible provider against a local fake endpoint: valid, invalid and slow answers."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

pytest.importorskip("openai", reason="the openai SDK (dev extra) is not installed")

from vision_platform.intent import LLMParser, parser_from_settings
from vision_platform.intent.providers import OpenAICompatibleClient
from vision_platform.settings import Settings


class FakeOpenAI(BaseHTTPRequestHandler):
    """Answers /v1/chat/completions with whatever content the test set."""

    content: ClassVar[str] = "{}"
    # (name, arguments JSON) of a tool call to answer with instead of content.
    tool_call: ClassVar[tuple[str, str] | None] = None
    delay: ClassVar[float] = 0.0
    requests: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeOpenAI.requests.append(body)
        time.sleep(self.delay)
        answer = {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 0,
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "tool_calls" if self.tool_call else "stop",
                    "message": self._message(),
                }
            ],
        }
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        with contextlib.suppress(OSError):  # the client may have timed out and gone
            self.wfile.write(data)

    def _message(self) -> dict[str, Any]:
        if self.tool_call is None:
            return {"role": "assistant", "content": self.content}
        name, arguments = self.tool_call
        call = {"id": "call-1", "type": "function",
                "function": {"name": name, "arguments": arguments}}  # fmt: skip
        return {"role": "assistant", "content": None, "tool_calls": [call]}

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def endpoint() -> Iterator[str]:
    FakeOpenAI.content, FakeOpenAI.delay, FakeOpenAI.requests = "{}", 0.0, []
    FakeOpenAI.tool_call = None
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeOpenAI)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def _parser(endpoint: str, timeout: float = 5.0) -> LLMParser:
    client = OpenAICompatibleClient(
        model="fake", base_url=endpoint, api_key="k", timeout_seconds=timeout
    )
    return LLMParser(client)


REQUEST = "ResNet-50으로 이미지 분류, 에폭 20, /data/flowers"


def test_valid_answer_is_used_and_checked(endpoint: str) -> None:
    FakeOpenAI.content = json.dumps(
        {
            "model_name": "resnet50",
            "framework": "timm",
            "task_type": "classification",
            "dataset_path": "/data/flowers",
            "num_epochs": 20,
            "advanced_config": {"optimizer_type": "sgd", "warmup_epochs": 500},
        }
    )
    result = _parser(endpoint).parse(REQUEST)
    assert result.provider == "openai"
    assert result.intent.model_name == "resnet50" and result.intent.num_epochs == 20
    assert result.intent.advanced_config == {"optimizer_type": "sgd"}
    assert [i.field for i in result.issues] == ["warmup_epochs"]
    sent = FakeOpenAI.requests[0]
    assert sent["response_format"]["type"] == "json_schema"
    schema = sent["response_format"]["json_schema"]["schema"]
    assert "optimizer_type" in json.dumps(schema["properties"]["advanced_config"])


@pytest.mark.parametrize(
    "content",
    [
        "not json at all",
        json.dumps({"model_name": "resnet50", "colour": "blue"}),
        json.dumps({"model_name": "resnet50", "framework": "timm", "task_type": "sorting"}),
        json.dumps(
            {"model_name": "resnet50", "framework": "timm", "advanced_config": {"optimiser": "sgd"}}
        ),
    ],
)
def test_invalid_answer_falls_back_to_rules_and_says_so(endpoint: str, content: str) -> None:
    FakeOpenAI.content = content
    result = _parser(endpoint).parse(REQUEST)
    assert result.provider == "rules"
    assert result.intent.model_name == "resnet50" and result.intent.num_epochs == 20
    assert result.intent.dataset_path == "/data/flowers"
    assert result.intent.notes[0].startswith("openai 제공자가 실패해(InvalidAnswerError")


def test_slow_answer_times_out_and_falls_back(endpoint: str) -> None:
    FakeOpenAI.delay = 1.0
    result = _parser(endpoint, timeout=0.2).parse("resnet18 classification, 5 epochs")
    assert result.provider == "rules"
    assert result.intent.num_epochs == 5
    assert "Timeout" in result.intent.notes[0] and "rules parser" in result.intent.notes[0]


def test_unreachable_endpoint_falls_back() -> None:
    result = _parser("http://127.0.0.1:9/v1", timeout=1.0).parse("resnet18 classification")
    assert result.provider == "rules" and result.intent.model_name == "resnet18"
    assert result.intent.notes[0].startswith("The openai provider failed (APIConnectionError")


def test_settings_pick_the_provider(endpoint: str) -> None:
    rules = parser_from_settings(Settings())
    assert rules.name == "rules"
    llm = parser_from_settings(Settings(llm_provider="openai", llm_base_url=endpoint))
    assert llm.name == "openai"
