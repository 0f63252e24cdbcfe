"""The two fixture notices written as data (tests/fixtures/notices): the real 2015 Hubei
住院医师规范化培训 notice and a short county notice. Both pass check-content, browse, self-check
and answer with no code written for them; the Hubei conditions at each boundary, in the CLI and
through the Dispatcher."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main as cli
from bot.clock import parse_moment
from content.catalogue import load_catalogue
from content.eligibility_render import choice_label
from content.qa import answer
from content.qa_reply import FALLBACK
from content.registration_text import next_steps, window_text
from content.reminders import plan, reminder_problems
from content.schema import Campaign
from content.schema_reminders import ReminderSpec
from content.silence import silence_problems
from content.texts import default_texts
from handlers.keyboards import MenuCb
from tests.harness import Harness
from tests.test_conditions import asked

NOTICES = Path(__file__).parent / "fixtures" / "notices"
HUBEI = "hubei-2015"
MAY = "2015-05-05T10:00:00+08:00"
TEXTS = default_texts()
FRESH = {"education": "本科", "major": "临床医学", "qualification": "无",
         "specialty": "其他专业", "graduate": "应届", "entrusted": "否"}


@pytest.fixture(scope="module")
def hubei() -> Campaign:
    campaign = load_catalogue(NOTICES).get(HUBEI)
    assert campaign is not None
    return campaign


def test_both_notices_pass_check_content(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["check-content", str(NOTICES)]) == 0
    assert capsys.readouterr().out.strip() == "ok: 2 campaigns"


def eligibility(capsys: pytest.CaptureFixture[str], profile: dict[str, Any]
                ) -> tuple[int, dict[str, Any]]:
    code = cli(["eligibility", "--content", str(NOTICES), "--campaign", HUBEI, "--jsonl",
                "--now", MAY, "--profile", json.dumps(profile, ensure_ascii=False)])
    return code, json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(("changes", "verdict", "rules"), [
    ({}, "eligible", []),
    ({"education": "硕士"}, "eligible", []),
    ({"education": "专科", "specialty": "全科医学科"}, "eligible", []),
    ({"education": "专科"}, "ineligible", ["junior_college_not_gp"]),
    ({"education": "中专", "specialty": "全科医学科"}, "ineligible", ["education_secondary"]),
    ({"major": "口腔医学"}, "eligible", []),
    ({"major": "护理"}, "ineligible", ["major_not_medicine"]),
    ({"graduate": "往届", "qualification": "执业医师"}, "eligible", []),
    ({"graduate": "往届", "qualification": "执业助理医师"}, "ineligible",
     ["past_graduate_without_licence"]),
    ({"graduate": "往届"}, "ineligible", ["past_graduate_without_licence"]),
    ({"graduate": "往届", "major": "医学检验"}, "eligible", []),
    ({"entrusted": "是", "consent": "能"}, "eligible", []),
    ({"entrusted": "是", "consent": "不能"}, "ineligible", ["entrusted_without_consent"]),
])
def test_hubei_conditions_at_each_boundary_in_the_cli(capsys: pytest.CaptureFixture[str],
                                                      changes: dict[str, Any], verdict: str,
                                                      rules: list[str]) -> None:
    code, result = eligibility(capsys, {**FRESH, **changes})
    assert code == 0
    assert (result["verdict"], [r["rule"] for r in result["reasons"]]) == (verdict, rules)


def test_hubei_asks_consent_only_of_entrusted_applicants(capsys: pytest.CaptureFixture[str]
                                                          ) -> None:
    code, result = eligibility(capsys, {**FRESH, "entrusted": "是"})
    assert code == 2 and result == {"error": "missing_fields", "missing": ["consent"]}
    code, result = eligibility(capsys, FRESH)
    assert code == 0 and result["verdict"] == "eligible"


@pytest.mark.parametrize(("question", "says"), [
    ("本科临床医学能报吗", "往届毕业生应取得执业医师资格"),
    ("大专能报内科吗", "专科学历只能报考全科医学科"),
    ("专科报全科可以吗", "符合这几项要求"),
    ("往届生没有执业医师证能报吗", "往届毕业生应取得执业医师资格"),
    ("委培需要单位同意吗", "委培学员须出具委培单位同意证明"),
    ("护理专业能报吗", "不能报名"),
    ("我40岁能报吗", "通知未规定年龄上限"),
    ("笔试考什么", "临床基本理论"),
    ("总成绩怎么算", "笔试成绩×40%"),
    ("可以同时接受两个基地的预录取吗", "其他基地的预录取通知函自动作废"),
    ("外地户口能报吗", "不受区域限制"),
    ("咨询电话是多少", "13237175122"),
])
def test_hubei_answers(hubei: Campaign, question: str, says: str) -> None:
    reply = answer(hubei, question, parse_moment(MAY))
    assert says in reply.text, reply.text


@pytest.mark.parametrize("question", ["培训要几年", "培训期间有工资吗", "包住宿吗", "报名费多少"])
def test_hubei_says_what_the_notice_leaves_out(hubei: Campaign, question: str) -> None:
    reply = answer(hubei, question, parse_moment(MAY))
    assert reply.kind == FALLBACK and "13237175122" in reply.text, reply.text
    assert "招录原则" not in reply.text


@pytest.fixture
async def chat(db_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    h = await Harness.create(db_url, now=parse_moment(MAY), var_dir=tmp_path / "var",
                             content_dir=NOTICES)
    yield h
    await h.close()


async def check(h: Harness, profile: dict[str, Any]) -> tuple[str, list[str]]:
    fields, text = [], ""
    while (field := await asked(h)) is not None:
        fields.append(field)
        value = profile[field]
        if field == "major":
            text = (await h.send(value)).text
        elif field in ("education", "qualification"):
            text = (await h.press(choice_label(TEXTS, field, value))).text
        else:
            text = (await h.press(value)).text
    return text, fields


@pytest.mark.parametrize(("changes", "says", "never_asked"), [
    ({"graduate": "往届", "qualification": "执业助理医师"}, "往届毕业生应取得执业医师资格",
     "consent"),
    ({"education": "专科"}, "专科学历只能报考全科医学科", "consent"),
    ({"entrusted": "是", "consent": "不能"}, "委培学员须出具委培单位同意证明", None),
    ({"entrusted": "是", "consent": "能"}, "符合报名条件", None),
    ({}, "符合报名条件", "consent"),
])
async def test_hubei_self_check_in_the_chat(chat: Harness, changes: dict[str, Any], says: str,
                                            never_asked: str | None) -> None:
    await chat.send(f"/start {HUBEI}")
    menu = await chat.send("/menu")
    assert menu.labels  # the sections browse
    await chat.send("/check")
    text, fields = await check(chat, {**FRESH, **changes})
    assert says in text, text
    assert never_asked is None or never_asked not in fields


OPEN = ("报名正在进行，2015年5月31日截止。", "现在可以报名，截止到2015年5月31日")
CLOSED = ("报名已于2015年5月31日截止。", "报名已截止（截止时间：2015年5月31日）")


@pytest.mark.parametrize(("now", "says"), [
    ("2015-04-20T10:00:00+08:00", OPEN),
    ("2015-05-31T23:00:00+08:00", OPEN),
    ("2015-06-01T09:00:00+08:00", CLOSED),
])
async def test_hubei_gives_only_a_deadline_and_is_never_said_to_open(
        chat: Harness, now: str, says: tuple[str, str]) -> None:
    """The notice says 5月31日前完成报名 and no start: the window has no opening date, the bot
    says 2015年5月31日前; before the deadline registration is on, after it it is over."""
    chat.clock.set(parse_moment(now))
    await chat.send(f"/start {HUBEI}")
    page = await chat.press_data(MenuCb(slug=HUBEI, section="registration").pack())
    assert "报名时间</b>：2015年5月31日前" in page.text and says[0] in page.text, page.text
    reply = await chat.send("报名截止到什么时候")
    assert says[1] in reply.text and "2015年5月31日前" in reply.text, reply.text
    for seen in (page.text, reply.text):
        assert "尚未开始" not in seen and "5月1日" not in seen


def reminder(ident: str, event: str, offset: str, text: str) -> ReminderSpec:
    return ReminderSpec.model_validate({"id": ident, "event": event, "offsets": [offset],
                                        "audience": ["subscribers_not_preregistered"],
                                        "text": text})


def test_no_reminder_of_an_opening_the_notice_does_not_give(hubei: Campaign) -> None:
    opening = reminder("opens", "registration.opens", "0", "报名开始了")
    closing = reminder("closes", "registration.closes", "-1d@09:00", "明天截止")
    campaign = hubei.model_copy(update={"reminders": [opening, closing]})
    assert [o.reminder.id for o in plan(campaign)[0]] == ["closes"]
    problems = reminder_problems(campaign)
    assert len(problems) == 1 and "没有 opens" in problems[0], problems
    said = reminder("closes", "registration.closes", "-1d@09:00", "报名{opens}开始")
    assert silence_problems(hubei.model_copy(update={"reminders": [said]}))


def test_the_form_and_next_steps_read_a_deadline_only_window(hubei: Campaign) -> None:
    assert window_text(hubei) == "2015年5月31日前"
    assert hubei.registration_moment == hubei.registration.window.closes
    assert "报名时间：<b>2015年5月31日前</b>" in next_steps(hubei, TEXTS)
