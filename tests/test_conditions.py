"""A notice's own conditions (content/schema_conditions.py): declared questions, rules over them,
in `zhaolu eligibility` and in the chat's self-check, at every boundary of the county notice
(tests/fixtures/notices/qingxi-2024.yaml)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from bot.cli import main as cli
from bot.clock import parse_moment
from content.catalogue import load_catalogue
from content.eligibility import evaluate, missing_fields, parse_profile
from content.eligibility_render import choice_label
from content.schema import Campaign
from content.schema_eligibility import EligibilitySpec
from content.texts import default_texts
from tests.harness import Harness

NOTICES = Path(__file__).parent / "fixtures" / "notices"
COUNTY = "qingxi-2024"
OPEN = "2024-05-03T10:00:00+08:00"
TEXTS = default_texts()
FULL_TIME = {"education": "专科", "major": "临床医学", "qualification": "无",
             "study_mode": "全日制"}
PART_TIME = {**FULL_TIME, "study_mode": "非全日制"}


@pytest.fixture(scope="module")
def county() -> Campaign:
    campaign = load_catalogue(NOTICES).get(COUNTY)
    assert campaign is not None
    return campaign


def verdict_of(county: Campaign, data: dict[str, Any]) -> tuple[str, list[str]]:
    assert county.eligibility is not None
    result = evaluate(county, parse_profile(data, county.eligibility), parse_moment(OPEN))
    return result.verdict, [r.rule for r in result.reasons]


@pytest.mark.parametrize(("profile", "verdict", "rules"), [
    (FULL_TIME, "eligible", []),
    ({**FULL_TIME, "major": "护理"}, "ineligible", ["full_time_not_clinical"]),
    ({**PART_TIME, "major": "护理", "assistant_exam": "是"}, "eligible", []),
    ({**PART_TIME, "assistant_exam": "是"}, "eligible", []),
    ({**PART_TIME, "qualification": "执业助理医师"}, "eligible", []),
    ({**PART_TIME, "qualification": "执业医师"}, "eligible", []),
    ({**PART_TIME, "assistant_exam": "否"}, "ineligible", ["part_time_without_exam"]),
    ({**FULL_TIME, "education": "中专"}, "ineligible", ["education_secondary"]),
    ({**FULL_TIME, "education": "本科"}, "conditional", ["education_above"]),
])
def test_each_condition_at_its_boundary(county: Campaign, profile: dict[str, Any],
                                        verdict: str, rules: list[str]) -> None:
    assert verdict_of(county, profile) == (verdict, rules)


def test_a_question_is_needed_only_where_it_can_change_the_verdict(county: Campaign) -> None:
    spec = county.eligibility
    assert spec is not None
    assert missing_fields(spec, {}) == ["education", "major", "qualification", "study_mode",
                                        "assistant_exam"]
    # 全日制: the exam question says nothing; a licence holder is not asked it either.
    assert missing_fields(spec, FULL_TIME) == []
    assert missing_fields(spec, {**PART_TIME, "qualification": "执业助理医师"}) == []
    assert missing_fields(spec, PART_TIME) == ["assistant_exam"]
    # 非全日制: the major is not what decides.
    assert missing_fields(spec, {"education": "专科", "study_mode": "非全日制",
                                 "qualification": "无"}) == ["assistant_exam"]


def run(capsys: pytest.CaptureFixture[str], profile: dict[str, Any], *extra: str
        ) -> tuple[int, str, str]:
    code = cli(["eligibility", "--content", str(NOTICES), "--campaign", COUNTY,
                "--profile", json.dumps(profile, ensure_ascii=False), "--now", OPEN, *extra])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_cli_takes_the_notices_own_fields(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, {**PART_TIME, "assistant_exam": "否"}, "--jsonl")
    assert code == 0
    result = json.loads(out)
    assert result["verdict"] == "ineligible"
    assert [r["rule"] for r in result["reasons"]] == ["part_time_without_exam"]
    assert result["reasons"][0]["source"].endswith("一、招收对象（二）")
    code, out, _ = run(capsys, {**PART_TIME, "assistant_exam": "否"})
    assert code == 0 and "学习形式：非全日制" in out and "助理医师考试资格：否" in out
    code, out, _ = run(capsys, {**PART_TIME, "assistant_exam": "是"}, "--jsonl")
    assert json.loads(out)["verdict"] == "eligible"


def test_the_cli_names_missing_and_wrong_own_fields(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, PART_TIME)
    assert code == 2 and "助理医师考试资格（assistant_exam）" in err
    code, out, _ = run(capsys, PART_TIME, "--jsonl")
    assert code == 2 and json.loads(out) == {"error": "missing_fields",
                                             "missing": ["assistant_exam"]}
    code, out, _ = run(capsys, {**FULL_TIME, "study_mode": "半日制"}, "--jsonl")
    assert code == 2
    assert json.loads(out)["problems"] == [{"field": "study_mode",
                                            "message": "must be one of: 全日制, 非全日制"}]
    # Another campaign has no such question: the field is unknown there.
    code = cli(["eligibility", "--campaign", "xiaogan-2023", "--jsonl", "--profile",
                json.dumps({"study_mode": "全日制"}, ensure_ascii=False)])
    out, _ = capsys.readouterr()
    assert code == 2 and json.loads(out)["error"] == "invalid_profile"


def spec_with(**changes: Any) -> dict[str, Any]:
    data = yaml.safe_load((NOTICES / f"{COUNTY}.yaml").read_text(encoding="utf-8"))
    spec = data["eligibility"]
    spec.update(changes)
    return spec


@pytest.mark.parametrize(("changes", "message"), [
    ({"questions": [], "examples": []}, "unknown field 'study_mode'"),
    ({"silent_on": [{"field": "study_mode"}]}, "'study_mode' is read by a rule"),
    ({"silent_on": [{"field": "hukou"}]}, "silent_on: unknown field 'hukou'"),
])
def test_the_schema_refuses_inconsistent_conditions(changes: dict[str, Any],
                                                     message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        EligibilitySpec.model_validate(spec_with(**changes))


def test_the_schema_refuses_values_and_operators_a_question_has_not() -> None:
    spec = spec_with()
    spec["rules"][3]["when"]["study_mode"] = {"in": ["半日制"]}
    with pytest.raises(ValidationError, match=r"study_mode has no value \['半日制'\]"):
        EligibilitySpec.model_validate(spec)
    spec = spec_with()
    spec["rules"][3]["when"]["study_mode"] = {"equals": True}
    with pytest.raises(ValidationError, match="cannot be used on study_mode"):
        EligibilitySpec.model_validate(spec)
    spec = spec_with()
    spec["questions"].append({"id": "education", "label": "学历", "text": "？",
                              "choices": ["a", "b"], "clause": "一"})
    with pytest.raises(ValidationError, match="name of a common field"):
        EligibilitySpec.model_validate(spec)
    spec = spec_with()
    spec["questions"].append({"id": "hukou", "label": "户籍", "text": "户籍在本县吗？",
                              "choices": ["是", "否"], "clause": "一"})
    with pytest.raises(ValidationError, match="'hukou' is read by no rule"):
        EligibilitySpec.model_validate(spec)


# The chat: the same questions, asked one at a time through the real Dispatcher.

@pytest.fixture
async def chat(db_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    h = await Harness.create(db_url, now=parse_moment(OPEN), var_dir=tmp_path / "var",
                             content_dir=NOTICES)
    yield h
    await h.close()


async def asked(h: Harness) -> str | None:
    context = h.dispatcher.fsm.get_context(bot=h.bot, chat_id=1001, user_id=1001)
    state = await context.get_state()
    if state is None:
        return None
    field = state.split(":", 1)[1]
    return str((await context.get_data())["el_field"]) if field == "condition" else field


async def answer_all(h: Harness, profile: dict[str, Any]) -> tuple[str, list[str]]:
    """Press the button for each question asked; (the verdict's text, the fields asked)."""
    fields = []
    calls = None
    while (field := await asked(h)) is not None:
        fields.append(field)
        value = profile[field]
        if field == "major":
            calls = await h.send(value)
        elif field in ("study_mode", "assistant_exam"):
            calls = await h.press(value)
        else:
            calls = await h.press(choice_label(TEXTS, field, value))
    assert calls is not None
    return calls.text, fields


async def test_part_time_without_exam_eligibility_is_told_no_with_the_clause(chat: Harness
                                                                              ) -> None:
    await chat.send(f"/start {COUNTY}")
    first = await chat.send("/check")
    assert "共约5题" in first.text
    text, fields = await answer_all(chat, {**PART_TIME, "assistant_exam": "否"})
    assert fields == ["education", "major", "qualification", "study_mode", "assistant_exam"]
    assert "不符合本次招录条件" in text
    assert "须具备执业助理医师资格考试报名资格或已取得执业助理医师资格" in text
    assert "一、招收对象（二）" in text and "学习形式：非全日制" in text


async def test_the_exam_question_is_asked_only_of_part_time_applicants_without_a_licence(
        chat: Harness) -> None:
    await chat.send(f"/start {COUNTY}")
    await chat.send("/check")
    text, fields = await answer_all(chat, {**PART_TIME, "qualification": "执业助理医师"})
    assert "assistant_exam" not in fields and "符合报名条件" in text
    await chat.press("重新自查")
    text, fields = await answer_all(chat, FULL_TIME)
    assert "assistant_exam" not in fields and "符合报名条件" in text
    await chat.press("重新自查")
    text, _ = await answer_all(chat, {**PART_TIME, "assistant_exam": "是"})
    assert "符合报名条件" in text


async def test_typed_words_back_and_a_question_at_a_condition_step(chat: Harness) -> None:
    await chat.send(f"/start {COUNTY}")
    await chat.send("/check")
    await chat.press(choice_label(TEXTS, "education", "专科"))
    await chat.send("临床医学")
    await chat.press(choice_label(TEXTS, "qualification", "无"))
    assert await asked(chat) == "study_mode"
    calls = await chat.send("函授")  # a word of 非全日制
    assert "执业助理医师资格考试报名资格" in calls.text and await asked(chat) == "assistant_exam"
    calls = await chat.press("« 上一步")
    assert "全日制还是非全日制" in calls.text and await asked(chat) == "study_mode"
    calls = await chat.send("我是统招全日制")
    assert await asked(chat) is None and "符合报名条件" in calls.text


# Personal questions: the notice's own conditions read from the question, silence only declared.

def ask(county: Campaign, question: str) -> str:
    from content.qa import answer
    return answer(county, question, parse_moment(OPEN)).text


@pytest.mark.parametrize(("question", "says", "never"), [
    ("非全日制大专能报吗", "须具备执业助理医师资格考试报名资格", "符合这几项要求"),
    ("不是全日制的能报吗", "非全日制：还要看其他条件", "全日制普通高校"),
    ("函授的，有执业助理医师证，能报吗", "非全日制：符合这几项要求", "不能报名"),
    ("全日制护理专业能报吗", "不是临床医学专业", "可以报名。"),
    ("全日制临床医学大专能报吗", "符合这几项要求", "不能报名"),
    ("我38岁能报吗", "通知未规定年龄上限", "没有限制"),
    ("我是在职的，能报名吗", "单位委派人员和社会人员均可报名。（一、招收对象）", "没有限制"),
])
def test_personal_questions_read_the_notices_own_conditions(county: Campaign, question: str,
                                                            says: str, never: str) -> None:
    text = ask(county, question)
    assert says in text and never not in text, text


def test_a_field_no_rule_reads_is_open_only_where_the_author_says_so(county: Campaign) -> None:
    assert county.eligibility is not None
    undeclared = county.model_copy(update={"eligibility": county.eligibility.model_copy(
        update={"silent_on": [], "open_on": []})})
    for question, label in (("我38岁能报吗", "年龄"), ("我是在职的，能报名吗", "工作单位")):
        text = ask(undeclared, question)
        assert f"关于{label}能否报名，请向招录单位确认" in text, text
        assert "可以报名。" not in text and "没有限制" not in text and "未规定" not in text


# The pre-registration form: the notice's own conditions come from the self-check.

async def fill_form(h: Harness) -> str:
    from tests.registration_helpers import id_number
    await h.send("/register")
    await h.press("✅ 同意并开始")
    await h.press("✅ 同意提供身份证号")
    for typed in ("张三", id_number(), "138 1234 5678", "青溪卫生学校", "2022"):
        await h.send(typed)
    await h.press("专科（高职高专）")
    await h.press("临床医学")
    await h.press("未取得执业资格")
    await h.press("社会人员")
    await h.press("青溪县人民医院（7人）")
    return (await h.press("✅ 确认提交")).text


async def registered_verdict(h: Harness) -> str:
    from sqlmodel import select

    from storage.registrations import Registration
    async with h.services.sessionmaker() as session:
        [row] = (await session.exec(select(Registration))).all()
    return row.verdict


async def test_the_form_takes_the_conditions_from_the_self_check(chat: Harness) -> None:
    await chat.send(f"/start {COUNTY}")
    await chat.send("/check")
    text, _ = await answer_all(chat, {**PART_TIME, "assistant_exam": "否"})
    assert "不符合" in text
    receipt = await fill_form(chat)
    assert "须具备执业助理医师资格考试报名资格" in receipt and "一、招收对象（二）" in receipt
    await chat.send("/check")
    await answer_all(chat, {**PART_TIME, "assistant_exam": "是"})
    resumed = await chat.send("/register")  # the form waits at its summary
    assert "✅ 确认提交" in resumed.labels
    receipt = (await chat.press("✅ 确认提交")).text
    assert "QX2024-0001" in receipt and await registered_verdict(chat) == "eligible"


async def test_without_a_self_check_the_form_says_what_to_confirm(chat: Harness) -> None:
    await chat.send(f"/start {COUNTY}")
    receipt = await fill_form(chat)
    assert "QX2024-0001" in receipt
    assert "您的专科学历是全日制还是非全日制？" in receipt and "预登记表没有问到" in receipt
    assert await registered_verdict(chat) == "conditional"


COUNTY_BOUNDARIES = [
    (FULL_TIME, "eligible"),
    ({**FULL_TIME, "major": "护理"}, "ineligible"),
    ({**PART_TIME, "assistant_exam": "是"}, "eligible"),
    ({**PART_TIME, "qualification": "执业助理医师"}, "eligible"),
    ({**PART_TIME, "assistant_exam": "否"}, "ineligible"),
    ({**FULL_TIME, "education": "中专"}, "ineligible"),
    ({**FULL_TIME, "education": "本科"}, "conditional"),
]
HEADLINE = {"eligible": "符合报名条件", "ineligible": "不符合本次招录条件",
            "conditional": "有条件：需要满足下面的条件"}


@pytest.mark.parametrize(("profile", "verdict"), COUNTY_BOUNDARIES)
def test_each_county_boundary_in_the_cli(capsys: pytest.CaptureFixture[str],
                                         profile: dict[str, Any], verdict: str) -> None:
    code, out, _ = run(capsys, profile, "--jsonl")
    assert code == 0 and json.loads(out)["verdict"] == verdict


@pytest.mark.parametrize(("profile", "verdict"), COUNTY_BOUNDARIES)
async def test_each_county_boundary_in_the_chat(chat: Harness, profile: dict[str, Any],
                                                verdict: str) -> None:
    await chat.send(f"/start {COUNTY}")
    await chat.send("/check")
    text, _ = await answer_all(chat, profile)
    assert HEADLINE[verdict] in text, text


async def test_mydata_shows_the_conditions_under_their_labels(chat: Harness) -> None:
    await chat.send(f"/start {COUNTY}")
    await chat.send("/check")
    await answer_all(chat, {**PART_TIME, "assistant_exam": "否"})
    shown = await chat.send("/mydata")
    assert "学习形式：非全日制" in shown.text and "助理医师考试资格：否" in shown.text, shown.text
    assert "study_mode" not in shown.text
