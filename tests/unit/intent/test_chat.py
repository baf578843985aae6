"""The conversation service: ask for what is missing, summarise, change, confirm → a spec."""

from __future__ import annotations

import json

from vision_platform.configs import TrainingSpec
from vision_platform.intent import ChatService, ChatState


def test_korean_conversation_ends_in_exactly_the_agreed_spec() -> None:
    chat = ChatService()
    first = chat.respond(None, "ResNet-50으로 이미지 분류 학습해줘. 난이도는 medium으로. 에폭 30")
    assert first.missing == ["dataset_path"] and not first.needs_confirmation
    assert first.reply.endswith("어떤 데이터셋으로 학습할까요? 데이터셋 경로를 알려주세요.")
    assert "- 모델: resnet50" in first.reply

    # the state travels as JSON, as the chat routes will store it
    state = ChatState.model_validate_json(first.state.model_dump_json())
    given = chat.respond(state, "/data/flowers")
    assert given.missing == [] and given.needs_confirmation
    assert "- 데이터셋: /data/flowers" in given.reply
    # the preset's 0.0001 is its rate for fine-tuning; from random weights at batch 16 it is
    # resolved for the run, and the summary says why
    assert "- 옵티마이저 / 학습률: adamw (프리셋) / 0.00071 (실행에 맞춤)" in given.reply
    assert (
        "- 이번 실행에 맞게 조정: learning rate 0.0001 → 0.00071: the rate for adamw from "
        "random weights; √scaled from batch 32 to 16"
    ) in given.reply
    assert "- 프리셋: medium: balanced: " in given.reply
    assert given.reply.endswith("이대로 진행할까요?")

    changed = chat.respond(given.state, "learning rate는 0.0005로 바꿔줘")
    assert changed.needs_confirmation and changed.intent.learning_rate == 0.0005
    assert "- 옵티마이저 / 학습률: adamw (프리셋) / 0.0005" in changed.reply

    done = chat.respond(changed.state, "네")
    assert done.spec == TrainingSpec(
        model_name="resnet50",
        dataset_path="/data/flowers",
        framework="timm",
        task_type="classification",
        preset="medium",
        num_epochs=30,
        learning_rate=0.0005,
    )
    assert done.state.stage == "confirmed" and not done.needs_confirmation
    assert done.reply == "확인했습니다. 학습 설정이 준비되었습니다."


def test_english_conversation_with_a_change_of_option() -> None:
    chat = ChatService()
    first = chat.respond(None, "Train resnet18 for image classification, 12 epochs, batch 32")
    assert first.reply.endswith("Which data set should I train on? Please give its path.")
    second = chat.respond(first.state, "the data set is at ./data/digits")
    assert second.reply.endswith("Shall I start?")
    third = chat.respond(second.state, "use SGD with momentum 0.8 and mixup")
    assert third.intent.advanced_config == {"optimizer_type": "sgd", "momentum": 0.8, "mixup": True}
    assert (
        "- Augmentation: aug_enabled (default), crop_scale_min 0.66 (resolved for the run), "
        "random_flip (default), mixup, mixup_alpha 0.8 (default)"
    ) in third.reply
    assert "- Optimizer / learning rate: sgd / 0.001 (default)" in third.reply
    done = chat.respond(third.state, "yes")
    assert done.spec is not None
    assert done.spec.model_dump(exclude_defaults=True) == {
        "model_name": "resnet18",
        "dataset_path": "./data/digits",
        "framework": "timm",
        "task_type": "classification",
        "num_epochs": 12,
        "batch_size": 32,
        "advanced_config": {"optimizer_type": "sgd", "momentum": 0.8, "mixup": True},
    }


def test_task_only_request_uses_the_default_model_visibly() -> None:
    reply = ChatService().respond(None, "이미지 분류 학습해줘, 데이터는 /data/cats")
    assert "- 모델: resnet18 (이미지 분류 기본값)" in reply.reply
    assert reply.needs_confirmation
    done = ChatService().respond(reply.state, "네 진행해주세요")
    assert done.spec is not None and done.spec.model_name == "resnet18"


def test_questions_block_confirmation_until_answered() -> None:
    chat = ChatService()
    first = chat.respond(None, "resnet51 classification on /data/cats")
    assert first.questions and not first.needs_confirmation
    refused = chat.confirm(first.state)
    assert refused.spec is None
    assert refused.reply.startswith("I still need an answer before I can start.")
    fixed = chat.respond(first.state, "use resnet50 then")
    assert fixed.questions == [] and fixed.needs_confirmation
    assert chat.confirm(fixed.state).spec is not None


def test_no_goes_back_to_editing_and_yes_alone_does_not_confirm_early() -> None:
    chat = ChatService()
    first = chat.respond(None, "resnet18 classification on /data/cats")
    back = chat.respond(first.state, "아니요")
    assert back.reply == "어떤 설정을 바꿀까요?" and not back.needs_confirmation
    assert back.state.language == "ko"
    early = chat.respond(None, "yes")
    assert early.spec is None and "model_name" in early.missing


def test_respond_does_not_change_the_state_it_was_given() -> None:
    chat = ChatService()
    first = chat.respond(None, "resnet18 classification")
    before = first.state.model_dump_json()
    chat.respond(first.state, "/data/cats")
    assert first.state.model_dump_json() == before
    assert json.loads(before)["stage"] == "collecting"


def test_a_model_name_while_the_data_set_is_asked_changes_the_model() -> None:
    chat = ChatService()
    first = chat.respond(None, "resnet18 classification")
    second = chat.respond(first.state, "resnet50")
    assert second.intent.model_name == "resnet50" and second.missing == ["dataset_path"]


def test_the_summary_says_where_pretrained_weights_would_come_from() -> None:
    chat = ChatService()
    reply = chat.respond(None, "fine-tune resnet18 on ./data/digits, 3 epochs")
    weights = reply.settings.weights if reply.settings else None
    assert weights is not None and not weights.found
    assert "Looked in: pretrained_path: not set; the weights store: " in weights.message
    assert "`vp weights import --model resnet18 FILE`" in weights.message
    assert f"- Pretrained weights: {weights.message}" in reply.reply


def test_a_warm_up_as_long_as_the_run_is_asked_about_not_bent() -> None:
    reply = ChatService().respond(None, "resnet18 classification, 4 epochs, warmup 5, ./data/d")
    assert reply.intent.advanced_config == {"warmup_epochs": 5}
    assert not reply.needs_confirmation
    assert (
        "warmup_epochs, num_epochs: warm-up of 5 epochs is not shorter than the run's 4: the "
        "learning rate would never leave warm-up. What should I change?"
    ) in reply.reply
