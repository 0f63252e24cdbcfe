"""Never promise what the campaign does not have (issue 12 §2).

Every message of tests/applicant_tour.py (each bundled campaign, at dates before, during and
after each window and event, through the real Dispatcher) is read for promises, and each promise
must follow from the campaign file at the moment it is read:
- "we will remind you (of X)" — a reminder is still to come for its reader, and for each event
  the sentence names (报到, 录取/结果, 截止, 开始), one of that event;
- "/my" — only to someone with a pre-registration;
- "还剩约N小时/分钟" — only when the notice gives the hour (registration.window.time_stated);
- "官网正式报名" — only when the notice calls the step so (registration.step_name);
- 材料预检 — only when the campaign has a materials check;
- an example ("如：…") naming a province — only the campaign's own;
- the notice's contact hours — said to be over once they are (contacts.hours_end).
`broken_promises` is general: it names no campaign. The README shows it failing on the texts as
they were before this change.
"""

from __future__ import annotations

import re

import pytest

from content.catalogue import Catalogue
from content.paging import visible_length
from content.promises import reminds, upcoming_titles
from content.schema import Campaign
from tests.applicant_tour import Seen, tour
from tests.harness import Harness

PROMISE = re.compile(r"(会|将)[^。；，]{0,8}提醒您|提醒您按时|要不要[^。]{0,20}提醒您|"
                     r"[前后]会通知您|届时[^。]{0,6}提醒")
# Words that name an event, and the event a reminder must be of.
EVENT_WORDS = {"报到": "report_in", "录取": "results", "结果": "results",
               "报名截止": "registration.closes", "报名开始": "registration.opens"}
MY = re.compile(r"/my(?![a-z_])")
COUNTDOWN = re.compile(r"还剩约\d+(小时|分钟)")
EXAMPLE = re.compile(r"如[：:]([^）)\n，。]+)")
PROVINCES = ["北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江", "上海",
             "江苏", "浙江", "安徽", "福建", "江西", "山东", "河南", "湖北", "湖南", "广东",
             "广西", "海南", "重庆", "四川", "贵州", "云南", "西藏", "陕西", "甘肃", "青海",
             "宁夏", "新疆"]


def home_provinces(campaign: Campaign) -> set[str]:
    notice = campaign.notice
    words = " ".join([notice.title or "", notice.issuer or "", notice.region, *notice.basis,
                      *notice.addressees, campaign.registration.channel or ""])
    return {p for p in PROVINCES if p in words}


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[。？！\n])", text) if s.strip()]


def broken_promises(campaign: Campaign, seen: Seen) -> list[str]:
    text, now, readers = seen.text, seen.now, seen.audiences
    found: list[str] = []
    for sentence in sentences(text):
        if not PROMISE.search(sentence):
            continue
        # "被录取的…会提醒您" speaks to those admitted later: their reminders count.
        future = readers | ({"admitted"} if "被录取" in sentence else set())
        if not upcoming_titles(campaign, now, future):
            found.append(f"promises a reminder, none is still to come: {sentence!r}")
        # The events the promise names: in its own clause ("报到截止前我们会提醒您", "要不要提醒
        # 您这些时间：A、B？"), else in the clause before it ("报到等关键时间前，我们会提醒您").
        clauses = re.split(r"[，；]", sentence)
        at = next(i for i, c in enumerate(clauses) if PROMISE.search(c))
        named = [w for w in EVENT_WORDS if w in clauses[at]]
        if not named and at:
            named = [w for w in EVENT_WORDS if w in clauses[at - 1]]
        everyone = {"all_subscribers", "subscribers_not_preregistered", "preregistered",
                    "not_officially_registered", "officially_registered", "admitted"}
        for word in named:
            ref = EVENT_WORDS[word]
            # Report-in reminders go to the admitted: a promise of one to an applicant who
            # may yet be admitted holds when such a reminder is dated to come.
            if not reminds(campaign, now, ref, everyone):
                found.append(f"promises a reminder of {ref}, none is dated to come: "
                             f"{sentence!r}")
    shown = [line for line in text.splitlines() if not line.startswith("/my ")]  # /help lists it
    if "subscribers_not_preregistered" in readers and any(MY.search(line) for line in shown):
        found.append("points to /my someone who may have no pre-registration")
    if COUNTDOWN.search(text) and not campaign.registration.window.time_stated:
        found.append(f"counts hours the notice does not give: {COUNTDOWN.search(text)[0]}")
    if "官网正式报名" in text and campaign.registration.step_name != "正式报名":
        found.append(f"names the step 正式报名, the notice says {campaign.registration.step_name}")
    has_check = campaign.form is not None and bool(campaign.form.materials)
    if "材料预检" in text and not has_check:
        found.append("mentions a materials check the campaign does not have")
    home = home_provinces(campaign)
    for example in EXAMPLE.findall(text):
        foreign = [p for p in PROVINCES if p in example and p not in home]
        if foreign:
            found.append(f"example from another region: {example!r}")
    for contact in campaign.contacts:
        if contact.hours and contact.hours_over(now):
            for match in re.finditer(re.escape(contact.hours), text):
                after = text[match.end():match.end() + 10]
                if not after.startswith("（已结束）") or after.startswith("（已结束）（已结束）"):
                    found.append(f"contact hours over but not said so once: {contact.hours}")
    return found


@pytest.mark.parametrize("slug", ["xiaogan-2023", "fujian-2023"])
async def test_no_promise_without_data_behind_it(harness: Harness, catalogue: Catalogue,
                                                 slug: str) -> None:
    campaign = catalogue.get(slug)
    seen = await tour(harness, campaign)
    assert len(seen) > 300 and max(visible_length(s.text) for s in seen) > 0
    broken = sorted({(problem, s.what, s.now.isoformat()[:16]) for s in seen
                     for problem in broken_promises(campaign, s)})
    assert not broken, broken[:12]
    # The tour reached the promises it checks: a reminder offer while events are ahead, a
    # countdown, and (Fujian) hours that are over.
    assert any(PROMISE.search(s.text) for s in seen)
    if campaign.registration.window.time_stated:
        assert any(COUNTDOWN.search(s.text) for s in seen)
    if any(c.hours_end for c in campaign.contacts):
        assert any("（已结束）" in s.text for s in seen)


@pytest.mark.parametrize(("slug", "text", "says"), [
    ("xiaogan-2023", "⏰ 报名截止、结果公布、报到等关键时间前，我们会提醒您。", "report_in"),
    ("xiaogan-2023", "报名将于6月30日截止，还剩约2小时。", "counts hours"),
    ("xiaogan-2023", "<b>下一步：请到官网正式报名</b>", "正式报名"),
    ("xiaogan-2023", "• 收集：姓名；材料预检时只保存 Telegram 的文件编号。", "materials"),
    ("fujian-2023", "请输入毕业院校全称（如：湖北职业技术学院）：", "another region"),
    ("fujian-2023", "咨询时间：2023年7月9-12日工作日上午8:30－12:00，下午3:00－6:00", "hours over"),
    ("fujian-2023", "已在官网报名的，可在 /my 中标记“已官网报名”。", "/my"),
])
def test_the_checker_catches_each_kind(catalogue: Catalogue, slug: str, text: str,
                                       says: str) -> None:
    """The checker fails on each of the old texts the issue lists (at a date after Fujian's
    consultation hours, for a reader who has not pre-registered)."""
    from datetime import datetime

    now = datetime.fromisoformat("2023-07-13T10:00:00+08:00")
    seen = Seen(slug, now, "old", text, frozenset({"all_subscribers",
                                                    "subscribers_not_preregistered"}))
    problems = broken_promises(catalogue.get(slug), seen)
    assert any(says in p for p in problems), problems


@pytest.mark.parametrize("promised", [True, False])
async def test_admitted_hears_of_reminders_only_when_they_come(harness: Harness,
                                                               promised: bool) -> None:
    """Fujian dates the report-in: a subscriber is promised its reminder; one who turned
    reminders off is given the date alone."""
    from datetime import datetime

    from tests.test_registration_chat import fill_common

    harness.clock.set(datetime.fromisoformat("2023-07-10T10:00:00+08:00"))
    await harness.send("/start fujian-2023")
    await harness.send("/register")
    await harness.press("✅ 同意并开始")
    await harness.press("✅ 同意提供身份证号")
    await fill_common(harness)
    await harness.press("社会人")
    await harness.press("接受调剂")
    receipt = await harness.press("✅ 确认提交")
    assert "📎 材料预检" in receipt.labels
    if not promised:
        assert "已关闭" in (await harness.send("/unsubscribe")).text
    harness.clock.set(datetime.fromisoformat("2023-07-16T10:00:00+08:00"))
    await harness.send("/my")
    marked = await harness.press("🎉 我已被录取 FJ2023-0001")
    assert "已录取" in marked.text
    assert ("报到截止前我们会提醒您" in marked.text) is promised
    if not promised:
        assert "提醒" not in marked.text and "请于 <b>2023年8月31日</b> 前" in marked.text
