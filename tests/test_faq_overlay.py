"""The FAQ overlay (存为问答) through the real Dispatcher: an entry staff saved answers the next
applicant at once, cited as a staff answer of its date; a removed one stops at once, also when
another worker removed it; /staff → 📚 问答补充 lists and removes within scope only."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.clock import parse_moment
from handlers.qa import QaCb
from storage import audit
from storage.engine import create_engine, make_sessionmaker
from storage.faq_overlay import FaqEntry, add_entry, list_entries, remove_entry
from storage.staff import COORDINATOR
from storage.unanswered import UnansweredQuestion
from tests.harness import Harness
from tests.staff_helpers import (
    ADMIN,
    ANLU_STAFF,
    COORD,
    FJ,
    HANCHUAN_STAFF,
    OUTSIDER,
    XG,
    give_role,
    press_with,
)

STALE = [("answerCallbackQuery", "这个按钮已失效，请重新打开菜单：/menu")]
FJ_COORD = 5001
AIRCON = "有的，每间宿舍都装了空调，电费自理。"
# Before 8:00 in Shanghai it is still the previous day in UTC: the citation is Shanghai's date.
SAVED_AT = parse_moment("2023-05-10T07:30:00+08:00")


async def save(h: Harness, question: str, answer: str, *, author: int = COORD, slug: str = XG,
               label: str = "孝感协调员") -> int:
    async with h.services.sessionmaker() as session, session.begin():
        entry = await add_entry(session, campaign_slug=slug, question=question, answer=answer,
                                author_id=author, author_label=label, now=SAVED_AT)
    assert entry.id is not None
    return entry.id


async def entries(h: Harness) -> dict[int, bool]:
    async with h.services.sessionmaker() as session:
        return {e.id: e.removed_at is None
                for e in await list_entries(session, campaign_slugs=None, include_removed=True)}


async def question_rows(h: Harness) -> list[UnansweredQuestion]:
    async with h.services.sessionmaker() as session:
        return list((await session.exec(select(UnansweredQuestion)
                                        .order_by(UnansweredQuestion.id))).all())


async def test_an_entry_answers_the_next_asker_with_its_citation_and_a_removal_stops_it(
        staffed: Harness) -> None:
    h = staffed
    first = await h.send("宿舍有空调吗", 11)
    assert AIRCON not in first.text and "工作人员答复" not in first.text
    entry_id = await save(h, "宿舍有空调吗", AIRCON)
    # The question asked before the entry existed is answered by it now.
    assert [(r.question, r.faq_id) for r in await question_rows(h)] == [("宿舍有空调吗", entry_id)]

    reply = await h.send("住的地方有没有空调", 12)  # another wording, another applicant
    assert AIRCON in reply.text
    assert "（来源：工作人员答复（2023年5月10日））" in reply.text
    assert "宿舍有空调吗" in reply.text  # the question it answers, as a title
    assert len(await question_rows(h)) == 1  # answered: not logged as unanswered

    # Off-topic questions stay with the notice.
    deadline = await h.send("报名截止是哪天", 13)
    assert AIRCON not in deadline.text and "6月30日" in deadline.text

    await h.send("/staff", COORD)
    listing = await h.press("📚 问答补充", COORD)
    assert "宿舍有空调吗" in listing.text and AIRCON in listing.text
    assert "孝感协调员" in listing.text and "2023年5月10日" in listing.text
    confirm = await h.press(f"🗑 删除 #{entry_id}", COORD)
    assert "确定删除" in confirm.text and await entries(h) == {entry_id: True}
    done = await h.press("🗑 确定删除", COORD)
    assert f"已删除 #{entry_id}" in done.text and await entries(h) == {entry_id: False}

    after = await h.send("住的地方有没有空调", 14)
    assert AIRCON not in after.text and "工作人员答复" not in after.text
    async with h.services.sessionmaker() as session:
        logged = await audit.latest(session, limit=5)
    assert [(e.action, e.actor_id, e.campaign_slug, e.detail) for e in logged][0] == \
        ("faq.remove", COORD, XG, f"faq #{entry_id}")
    # The questions it covered are open again, and the new one is logged.
    assert [r.faq_id for r in await question_rows(h)] == [None, None]


async def test_a_removal_by_another_worker_stops_the_answer_at_the_next_question(
        staffed: Harness, db_url: str) -> None:
    h = staffed
    entry_id = await save(h, "培训期间可以请假吗", "可以，事假每年不超过10天，需提前向基地申请。")
    assert "事假每年不超过10天" in (await h.send("规培期间请假怎么办", 11)).text
    other = create_engine(db_url)  # another process's engine on the same database
    try:
        async with make_sessionmaker(other)() as session, session.begin():
            assert await remove_entry(session, entry_id=entry_id, by=COORD,
                                      now=h.clock.now()) is not None
    finally:
        await other.dispose()
    reply = await h.send("规培期间请假怎么办", 11)
    assert "事假每年不超过10天" not in reply.text


async def test_a_staff_answer_offered_as_a_button_is_given_and_goes_stale_once_removed(
        staffed: Harness) -> None:
    h = staffed
    entry_id = await save(h, "可以带家属一起住吗", "不可以，宿舍仅供学员本人居住。")
    await h.send("/start xiaogan-2023", 11)
    data = QaCb(slug=XG, key=f"staff.{entry_id}").pack()
    pressed = await h.press_data(data, 11)
    assert "宿舍仅供学员本人居住" in pressed.text and "工作人员答复" in pressed.text
    await save(h, "食堂吃饭要钱吗", "食堂凭饭卡就餐，按成本收费。")  # another entry: a new set
    async with h.services.sessionmaker() as session, session.begin():
        await remove_entry(session, entry_id=entry_id, by=COORD, now=h.clock.now())
    stale = await h.press_data(data, 11)
    assert [(c.method, c.params.get("show_alert")) for c in stale] == \
        [("answerCallbackQuery", True)]
    assert "宿舍仅供学员本人居住" not in stale.text


async def test_entries_of_another_campaign_never_answer(staffed: Harness) -> None:
    h = staffed
    await save(h, "宿舍有空调吗", "福建：有空调。", slug=FJ, label="福建协调员")
    reply = await h.send("宿舍有空调吗", 11)  # 11 follows Xiaogan
    assert "福建：有空调" not in reply.text
    assert "福建：有空调" in (await h.send("宿舍有空调吗", 22)).text  # 22 follows Fujian


async def _listing(h: Harness, user: int):
    await h.send("/staff", user)
    return await h.press("📚 问答补充", user)


def _removable(calls) -> list[str]:
    return sorted(label for label in calls.labels if label.startswith("🗑"))


async def test_the_list_and_removal_stay_within_scope_and_forged_buttons_are_refused(
        staffed: Harness) -> None:
    h = staffed
    await give_role(h, FJ_COORD, COORDINATOR, FJ)
    own = await save(h, "宿舍有空调吗", AIRCON, author=HANCHUAN_STAFF, label="汉川 王老师")
    coords = await save(h, "食堂吃饭要钱吗", "按成本收费。", author=COORD)
    fujian = await save(h, "可以带电脑吗", "可以。", author=FJ_COORD, slug=FJ, label="福建协调员")

    hanchuan = await _listing(h, HANCHUAN_STAFF)
    assert "宿舍有空调吗" in hanchuan.text and "食堂吃饭要钱吗" in hanchuan.text
    assert "可以带电脑吗" not in hanchuan.text
    assert _removable(hanchuan) == [f"🗑 删除 #{own}"]  # base staff: only their own
    anlu = await _listing(h, ANLU_STAFF)
    assert "宿舍有空调吗" in anlu.text and _removable(anlu) == []
    coordinator = await _listing(h, COORD)
    assert _removable(coordinator) == [f"🗑 删除 #{own}", f"🗑 删除 #{coords}"]
    assert "可以带电脑吗" not in coordinator.text
    fj = await _listing(h, FJ_COORD)
    assert "可以带电脑吗" in fj.text and "宿舍有空调吗" not in fj.text
    admin = await _listing(h, ADMIN)
    assert _removable(admin) == sorted(f"🗑 删除 #{i}" for i in (own, coords, fujian))
    assert "孝感" in admin.text and "福建" in admin.text  # several campaigns: each named

    await h.send("/start xiaogan-2023", OUTSIDER)
    forged = [(ANLU_STAFF, f"fqd:0:{own}"), (ANLU_STAFF, f"fqdok:0:{coords}"),
              (HANCHUAN_STAFF, f"fqdok:0:{coords}"), (FJ_COORD, f"fqdok:0:{own}"),
              (COORD, f"fqdok:0:{fujian}"), (OUTSIDER, f"fqdok:0:{own}"), (OUTSIDER, "faq:0:"),
              (COORD, "fqdok:0:999"), (COORD, "fqd:0:abc"), (COORD, "fqdok:0:")]
    for user, data in forged:
        calls = await h.press_data(f"sf:{data}", user)
        assert [(c.method, c.params.get("text")) for c in calls] == STALE, (user, data)
    assert await entries(h) == {own: True, coords: True, fujian: True}

    # Base staff remove their own entry; a second tap on the confirmation removes nothing more.
    await press_with(h, f"🗑 删除 #{own}", HANCHUAN_STAFF)
    await h.press("🗑 确定删除", HANCHUAN_STAFF)
    again = await h.press_data(f"sf:fqdok:0:{own}", HANCHUAN_STAFF)
    assert "已于" in again.text and "被删除" in again.text
    assert await entries(h) == {own: False, coords: True, fujian: True}
    async with h.services.sessionmaker() as session:
        removals = [e for e in await audit.latest(session, limit=20) if e.action == "faq.remove"]
    assert [(e.actor_id, e.detail) for e in removals] == [(HANCHUAN_STAFF, f"faq #{own}")]


async def test_the_list_pages_long_entries_within_telegram_limits(staffed: Harness) -> None:
    h = staffed
    ids = [await save(h, f"第{i}个问题：" + "很长的问题" * 200, "答" * 2999 + "\n第二行")
           for i in range(7)]
    first = await _listing(h, COORD)  # every call is validated: text ≤ 4096, data ≤ 64 bytes
    assert first.last.method in ("editMessageText", "sendMessage")
    assert _removable(first) == sorted(f"🗑 删除 #{i}" for i in ids[2:])  # newest first
    assert "第1/2页" in first.text.replace(" ", "")
    second = await h.press("下一页 ›", COORD)
    assert _removable(second) == sorted(f"🗑 删除 #{i}" for i in ids[:2])
    assert "第二行" not in second.text  # the answer's first line only


async def test_nothing_to_list_says_how_entries_are_made(staffed: Harness) -> None:
    h = staffed
    calls = await _listing(h, ANLU_STAFF)
    assert "还没有问答补充" in calls.text and "存为问答" in calls.text


async def test_entries_are_stored_with_their_author_and_kept_after_removal(
        staffed: Harness) -> None:
    h = staffed
    entry_id = await save(h, "  宿舍\n有空调吗 ", AIRCON)
    async with h.services.sessionmaker() as session, session.begin():
        removed = await remove_entry(session, entry_id=entry_id, by=ADMIN,
                                     now=SAVED_AT + timedelta(days=1))
        twice = await remove_entry(session, entry_id=entry_id, by=ADMIN, now=SAVED_AT)
    assert removed is not None and twice is None
    async with h.services.sessionmaker() as session:
        row = await session.get(FaqEntry, entry_id)
    assert row is not None
    assert (row.question, row.phrasings, row.author_id, row.removed_by) == \
        ("宿舍 有空调吗", ["宿舍 有空调吗"], COORD, ADMIN)
    assert row.created_at == SAVED_AT and row.removed_at == SAVED_AT + timedelta(days=1)


async def test_a_long_staff_answer_is_given_whole(staffed: Harness) -> None:
    h = staffed
    lines = [f"第{i}条：" + "请按基地通知办理相关手续。" * 8 for i in range(1, 16)]
    await save(h, "报到那天要带哪些生活用品", "\n".join(lines))
    reply = await h.send("报到那天要带哪些生活用品", 11)  # validated: within Telegram's 4096
    assert "第15条" in reply.text and "工作人员答复" in reply.text
    assert sum(len(line) for line in lines) > 1500
