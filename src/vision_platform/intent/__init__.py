"""Natural language → TrainingIntent: offline rules (Korean and English), LLM providers, chat.

Importing this package loads no framework (torch, timm, ultralytics) and no LLM SDK.
"""

from __future__ import annotations

from vision_platform.intent.chat import ChatReply, ChatService, ChatState, intent_to_spec
from vision_platform.intent.models import Issue, ParseResult, TrainingIntent
from vision_platform.intent.providers import LLMParser, parser_from_settings
from vision_platform.intent.rules import IntentParser, RulesParser

__all__ = [
    "ChatReply",
    "ChatService",
    "ChatState",
    "IntentParser",
    "Issue",
    "LLMParser",
    "ParseResult",
    "RulesParser",
    "TrainingIntent",
    "intent_to_spec",
    "parser_from_settings",
]
