"""How people ask the chat to act, per action, in Korean and English (at least ten of each):
the rules read the action and exactly what the request says (job ids, epochs, names)."""

from __future__ import annotations

from typing import Any

import pytest

from vision_platform.intent.actions import read_action

MODELS = ["digits-cls", "pets"]

# action → (Korean phrasings, English phrasings); each with the fields it must read.
Case = tuple[str, dict[str, Any]]
PHRASINGS: dict[str, tuple[list[Case], list[Case]]] = {
    "status": (
        [
            ("3번 작업 어떻게 되고 있어?", {"job_ids": [3]}),
            ("작업 3 상태 알려줘", {"job_ids": [3]}),
            ("3번 진행 상황은?", {"job_ids": [3]}),
            ("그거 어떻게 돼가?", {"refers_back": True}),
            ("학습 어디까지 됐어?", {}),
            ("7번 작업 몇 에폭까지 했어?", {"job_ids": [7]}),
            ("언제 끝나?", {}),
            ("12번 얼마나 남았어?", {"job_ids": [12]}),
            ("방금 만든 작업 상태", {"refers_back": True}),
            ("5번 학습 잘 되고 있어?", {"job_ids": [5]}),
            ("#4 진행률 보여줘", {"job_ids": [4]}),
        ],
        [
            ("how is job 3 doing?", {"job_ids": [3]}),
            ("status of job 3", {"job_ids": [3]}),
            ("what's the progress on run 8?", {"job_ids": [8]}),
            ("how's it going?", {"refers_back": True}),
            ("check on job #12", {"job_ids": [12]}),
            ("how far along is job 2?", {"job_ids": [2]}),
            ("ETA for job 5?", {"job_ids": [5]}),
            ("give me an update on job 6", {"job_ids": [6]}),
            ("how is the last one doing", {"refers_back": True}),
            ("job 9 status please", {"job_ids": [9]}),
            ("how long until job 4 is done?", {"job_ids": [4]}),
        ],
    ),
    "pause": (
        [
            ("3번 작업 일시 정지해줘", {"job_ids": [3]}),
            ("작업 3 멈춰", {"job_ids": [3]}),
            ("그거 잠깐 멈춰줘", {"refers_back": True}),
            ("5번 일시정지", {"job_ids": [5]}),
            ("학습 잠깐 멈춰", {}),
            ("7번 작업 일시 중지해", {"job_ids": [7]}),
            ("방금 시작한 작업 멈춰줘", {"refers_back": True}),
            ("12번 정지해줘", {"job_ids": [12]}),
            ("#4 일시 정지", {"job_ids": [4]}),
            ("지금 도는 거 멈춰", {}),
        ],
        [
            ("pause job 3", {"job_ids": [3]}),
            ("please pause run 4", {"job_ids": [4]}),
            ("pause it", {"refers_back": True}),
            ("can you pause job #7?", {"job_ids": [7]}),
            ("hold job 2 for now", {"job_ids": [2]}),
            ("suspend job 10", {"job_ids": [10]}),
            ("pause the last one", {"refers_back": True}),
            ("pause training", {}),
            ("put job 5 on hold", {"job_ids": [5]}),
            ("pause 6", {"job_ids": [6]}),
        ],
    ),
    "resume": (
        [
            ("이어서 학습해줘, 50 에폭까지", {"num_epochs": 50}),
            ("3번 작업 재개해줘", {"job_ids": [3]}),
            ("작업 3 다시 시작해", {"job_ids": [3]}),
            ("그거 이어서 해줘", {"refers_back": True}),
            ("5번 계속 학습해줘", {"job_ids": [5]}),
            ("3번 작업 30 에폭까지 연장해줘", {"job_ids": [3], "num_epochs": 30}),
            ("7번 이어서 100에폭까지", {"job_ids": [7], "num_epochs": 100}),
            ("방금 멈춘 거 재개", {"refers_back": True}),
            ("#4 이어서 학습", {"job_ids": [4]}),
            ("12번 작업 에폭 40으로 이어서 학습해줘", {"job_ids": [12], "num_epochs": 40}),
        ],
        [
            ("resume job 3", {"job_ids": [3]}),
            ("continue job 4", {"job_ids": [4]}),
            ("resume it", {"refers_back": True}),
            ("resume job 4 and extend to 30 epochs", {"job_ids": [4], "num_epochs": 30}),
            ("continue training job 2 to 50 epochs", {"job_ids": [2], "num_epochs": 50}),
            ("extend job 5 to 80 epochs", {"job_ids": [5], "num_epochs": 80}),
            ("keep going with run 6", {"job_ids": [6]}),
            ("carry on with the last one", {"refers_back": True}),
            ("restart job #8", {"job_ids": [8]}),
            ("resume training", {}),
        ],
    ),
    "cancel": (
        [
            ("3번 작업 취소해줘", {"job_ids": [3]}),
            ("작업 3 중단해", {"job_ids": [3]}),
            ("그거 취소", {"refers_back": True}),
            ("5번 그만해", {"job_ids": [5]}),
            ("7번 학습 끝내줘", {"job_ids": [7]}),
            ("방금 만든 작업 취소해줘", {"refers_back": True}),
            ("#4 취소", {"job_ids": [4]}),
            ("12번 작업 없애줘", {"job_ids": [12]}),
            ("학습 중단해줘", {}),
            ("2번 중단", {"job_ids": [2]}),
        ],
        [
            ("cancel job 3", {"job_ids": [3]}),
            ("stop job 4", {"job_ids": [4]}),
            ("cancel it", {"refers_back": True}),
            ("abort run 5", {"job_ids": [5]}),
            ("kill job #7", {"job_ids": [7]}),
            ("terminate job 2", {"job_ids": [2]}),
            ("please cancel the last one", {"refers_back": True}),
            ("stop training job 9", {"job_ids": [9]}),
            ("cancel 6", {"job_ids": [6]}),
            ("cancel that job", {"refers_back": True}),
        ],
    ),
    "compare": (
        [
            ("3번과 5번 비교해줘", {"job_ids": [3, 5]}),
            ("작업 3, 4, 5 비교", {"job_ids": [3, 4, 5]}),
            ("최근 두 개 비교해줘", {"last": 2}),
            ("마지막 3개 작업 비교", {"last": 3}),
            ("digits 모델 중 가장 좋은 게 뭐야?", {"hint": "digits", "best": True}),
            ("3번이랑 7번 중 어느 게 더 나아?", {"job_ids": [3, 7]}),
            ("2번하고 4번 비교해 봐", {"job_ids": [2, 4]}),
            ("제일 좋은 작업이 뭐야?", {"best": True}),
            ("그거랑 5번 비교", {"job_ids": [5], "refers_back": True}),
            ("최근 3개 학습 비교해줘", {"last": 3}),
        ],
        [
            ("compare my last two runs", {"last": 2}),
            ("compare jobs 3 and 5", {"job_ids": [3, 5]}),
            ("which of my digit models is best?", {"hint": "digit", "best": True}),
            ("job 3 vs job 4", {"job_ids": [3, 4]}),
            ("compare runs 2, 6 and 9", {"job_ids": [2, 6, 9]}),
            ("which is better, job 1 or job 2?", {"job_ids": [1, 2]}),
            ("compare the last 3 jobs", {"last": 3}),
            ("show jobs 4 and 8 side by side", {"job_ids": [4, 8]}),
            ("compare it with job 5", {"job_ids": [5], "refers_back": True}),
            ("what is the best run?", {"best": True}),
        ],
    ),
    "register": (
        [
            ("3번 작업을 digits-cls로 등록해줘", {"job_ids": [3], "name": "digits-cls"}),
            ("그거 digits-cls 모델로 등록해", {"refers_back": True, "name": "digits-cls"}),
            ("작업 5 등록해줘, 이름은 pets", {"job_ids": [5], "name": "pets"}),
            ("7번을 flowers라는 모델로 등록", {"job_ids": [7], "name": "flowers"}),
            ("방금 작업 모델로 등록해줘", {"refers_back": True}),
            ("4번 작업 등록", {"job_ids": [4]}),
            ("2번 작업을 cats로 등록해줘", {"job_ids": [2], "name": "cats"}),
            ("#6 birds로 등록", {"job_ids": [6], "name": "birds"}),
            ("그 작업을 digits-v2 이름으로 등록해줘", {"refers_back": True, "name": "digits-v2"}),
            ("3번 작업 모델 이름 cells로 등록", {"job_ids": [3], "name": "cells"}),
        ],
        [
            ("register job 3 as digits-cls", {"job_ids": [3], "name": "digits-cls"}),
            ("register it as pets", {"refers_back": True, "name": "pets"}),
            ("publish job 5 as flowers", {"job_ids": [5], "name": "flowers"}),
            ("register run 7 named cats", {"job_ids": [7], "name": "cats"}),
            ("save job 2 as a model called birds", {"job_ids": [2], "name": "birds"}),
            ("register job #4", {"job_ids": [4]}),
            ("register the last one as cells", {"refers_back": True, "name": "cells"}),
            ("please register job 8 as digits-v2", {"job_ids": [8], "name": "digits-v2"}),
            ("register that job as dogs", {"refers_back": True, "name": "dogs"}),
            ("register 9 as mnist", {"job_ids": [9], "name": "mnist"}),
        ],
    ),
    "promote": (
        [
            ("그 모델을 production으로 올려줘", {"refers_back": True, "alias": "production"}),
            ("digits-cls 버전 2를 배포해줘", {"model": "digits-cls", "version": 2}),
            ("pets v3 staging으로 올려", {"model": "pets", "version": 3, "alias": "staging"}),
            ("가장 좋은 걸 배포해줘", {"best": True}),
            (
                "digits-cls 2버전 프로덕션으로 지정해줘",
                {"model": "digits-cls", "version": 2, "alias": "production"},
            ),
            ("3번 작업 배포해줘", {"job_ids": [3]}),
            ("그거 승격해줘", {"refers_back": True}),
            ("pets 모델 운영으로 반영해줘", {"model": "pets", "alias": "production"}),
            ("digits-cls@v4 배포", {"model": "digits-cls", "version": 4}),
            ("방금 등록한 모델 staging으로 옮겨줘", {"refers_back": True, "alias": "staging"}),
        ],
        [
            (
                "promote digits-cls v2 to staging",
                {"model": "digits-cls", "version": 2, "alias": "staging"},
            ),
            ("deploy the best one", {"best": True}),
            ("promote it to production", {"refers_back": True, "alias": "production"}),
            ("deploy pets version 3", {"model": "pets", "version": 3}),
            ("ship job 5", {"job_ids": [5]}),
            (
                "move production to digits-cls v4",
                {"model": "digits-cls", "version": 4, "alias": "production"},
            ),
            ("promote that model", {"refers_back": True}),
            (
                "release digits-cls@v2 to prod",
                {"model": "digits-cls", "version": 2, "alias": "production"},
            ),
            ("deploy the last one to staging", {"refers_back": True, "alias": "staging"}),
            ("promote pets to production", {"model": "pets", "alias": "production"}),
        ],
    ),
    "predict": (
        [
            ("이 이미지 뭐야?", {}),
            ("이 사진 뭐예요?", {}),
            ("digits-cls로 예측해줘", {"model": "digits-cls"}),
            ("3번 작업으로 추론해줘", {"job_ids": [3]}),
            ("이거 뭔가요?", {"refers_back": True}),
            ("pets 모델로 이 그림 뭘까?", {"model": "pets"}),
            ("이 이미지에 뭐가 있어?", {}),
            ("5번으로 예측", {"job_ids": [5]}),
            ("그 모델로 추론해 줘", {"refers_back": True}),
            ("무엇인가요 이 사진은", {}),
        ],
        [
            ("what is this?", {}),
            ("what's in this image?", {}),
            ("predict with job 7", {"job_ids": [7]}),
            ("classify this with digits-cls", {"model": "digits-cls"}),
            ("run inference with pets", {"model": "pets"}),
            ("what is it", {"refers_back": True}),
            ("predict this image", {}),
            ("detect in this with job 4", {"job_ids": [4]}),
            ("recognize this using the last one", {"refers_back": True}),
            ("make a prediction with run 2", {"job_ids": [2]}),
        ],
    ),
    "datasets": (
        [
            ("데이터셋 목록 보여줘", {}),
            ("어떤 데이터셋 있어?", {}),
            ("데이터셋 뭐 있어?", {}),
            ("무슨 데이터셋이 있나요", {}),
            ("데이터 셋 리스트", {}),
            ("저장된 데이터셋 알려줘", {}),
            ("데이터셋은 뭐가 있어?", {}),
            ("업로드한 데이터셋 몇 개야?", {}),
            ("데이터셋 어떤 게 있지?", {}),
            ("내 데이터셋 목록", {}),
        ],
        [
            ("what datasets do I have?", {}),
            ("list datasets", {}),
            ("show my data sets", {}),
            ("which data sets are there?", {}),
            ("list the stored datasets", {}),
            ("what data sets can I use?", {}),
            ("show datasets", {}),
            ("datasets list", {}),
            ("my datasets", {}),
            ("which datasets are uploaded?", {}),
        ],
    ),
}

CASES = [
    pytest.param(kind, text, fields, id=f"{kind}-{lang}-{i}")
    for kind, (korean, english) in PHRASINGS.items()
    for lang, cases in (("ko", korean), ("en", english))
    for i, (text, fields) in enumerate(cases)
]


@pytest.mark.parametrize(("kind", "text", "fields"), CASES)
def test_each_phrasing_reads_its_action(kind: str, text: str, fields: dict[str, Any]) -> None:
    action = read_action(text, models=MODELS)
    assert action is not None, text
    assert action.kind == kind, text
    read = action.model_dump()
    expected = {"job_ids": [], "refers_back": False, "num_epochs": None, **fields}
    assert {k: read[k] for k in expected} == expected, text


def test_at_least_ten_phrasings_per_action_and_language() -> None:
    for korean, english in PHRASINGS.values():
        assert len(korean) >= 10 and len(english) >= 10


@pytest.mark.parametrize(
    "text",
    [
        "resnet18로 분류 학습해줘 data/x",
        "train yolo11n on data/coco.yaml, 5 epochs",
        "resnet50 이미지 분류, 에폭 20, /data/flowers",
        "fine-tune resnet18 on data/pets quickly",
        "에폭은 10으로 바꿔줘",
        "batch 8",
    ],
)
def test_a_training_request_is_no_action(text: str) -> None:
    assert read_action(text, models=MODELS) is None


@pytest.mark.parametrize(
    "text",
    [
        "train the best model you can on data/pets",
        "train resnet18 on data/x; how long will it take?",
        "진행해줘",
        "resnet50 분류 학습해줘, 진행 방식은 빠르게",
        "train resnet18 with early stopping on data/x",
    ],
)
def test_words_of_an_action_inside_a_training_request_are_no_action(text: str) -> None:
    assert read_action(text, models=MODELS) is None


def test_a_value_out_of_range_is_left_out_and_named() -> None:
    action = read_action("resume job 3 to 0 epochs")
    assert action is not None and action.job_ids == [3] and action.num_epochs is None
    assert len(action.problems) == 1 and action.problems[0].startswith("num_epochs 0: ")
    huge = read_action("status of job 99999999999")
    assert huge is not None and huge.job_ids == [] and huge.problems[0].startswith("job_ids ")
    many = read_action("compare the last 50 runs")
    assert many is not None and many.last is None and many.problems[0].startswith("last 50: ")
