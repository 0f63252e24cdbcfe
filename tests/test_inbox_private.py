"""The staff inbox without a staff group: each in-scope staff member's private chat, 回复 / 已处理.

Through the real Dispatcher: an applicant's question reaches exactly the staff of their base, the
campaign's coordinator and the admin; the first reply claims it (the others' copies say who
answered), comes back to the applicant as the bot under the base's name, and a follow-up goes into
the same thread. Forged buttons, a blocked applicant, nobody to ask, masking, restarts.
"""

from __future__ import annotations

from sqlmodel import select

from handlers.staff.keyboards import StaffCb
from storage import audit
from storage import inbox as repo
from storage.unanswered import UnansweredQuestion
from tests.harness import Calls, Harness
from tests.staff_helpers import (
    ADMIN,
    ANLU_STAFF,
    COORD,
    HANCHUAN_STAFF,
    XG,
    button_with,
    press_with,
)

HANCHUAN_APPLICANT, FIRST_APPLICANT, NO_BASE_APPLICANT = 13, 15, 11


def to(calls: Calls, chat: int, method: str | None = None) -> list:
    return [c for c in calls if c.chat_id is not None and int(c.chat_id) == chat
            and (method is None or c.method == method)]


def cards(calls: Calls) -> dict[int, str]:
    """Staff who got a question card (the message with 回复 / 已处理): chat -> text."""
    return {int(c.chat_id): c.text for c in calls
            if c.method == "sendMessage" and any(label == "✍️ 回复" for label, _ in c.buttons)}


async def ask(h: Harness, user: int, question: str) -> Calls:
    await h.send("/ask_staff", user)
    return await h.send(question, user)


async def reply(h: Harness, staff: int, text: str) -> Calls:
    await press_with(h, "回复", staff)
    return await h.send(text, staff)


async def test_forward_reply_relay_follow_up_by_base(staffed: Harness) -> None:
    h = staffed
    calls = await ask(h, HANCHUAN_APPLICANT, "请问汉川基地住宿怎么安排？")
    got = cards(calls)
    # The base's staff, the coordinator, the admin; not the staff of another base.
    assert sorted(got) == sorted([ADMIN, COORD, HANCHUAN_STAFF])
    assert "学员提问 #1" in got[COORD] and "请问汉川基地住宿怎么安排？" in got[COORD]
    assert "汉川市人民医院" in got[COORD] and "⏳ 待回复" in got[COORD]
    told = to(calls, HANCHUAN_APPLICANT)[-1].text
    assert "已转给汉川市人民医院和本项目的工作人员" in told
    assert "通知没有写明工作人员的答复时间" in told  # Xiaogan's contacts give no hours

    calls = await reply(h, COORD, "基地提供宿舍，入学时统一安排。")
    relayed = to(calls, HANCHUAN_APPLICANT, "sendMessage")
    assert len(relayed) == 1
    assert relayed[0].text == "【汉川市人民医院 老师答复】\n基地提供宿舍，入学时统一安排。"
    assert relayed[0].buttons[0][0] == "💬 继续追问"
    edited = {int(c.chat_id): c.text for c in calls if c.method == "editMessageText"}
    assert sorted(edited) == sorted([ADMIN, COORD, HANCHUAN_STAFF])
    assert all("✅ 已由 用户2001 回复" in text for text in edited.values())
    assert "答复已发送给学员" in to(calls, COORD, "sendMessage")[-1].text
    assert not to(calls, ANLU_STAFF)

    await h.press("💬 继续追问", HANCHUAN_APPLICANT)
    calls = await h.send("那住宿费是多少？", HANCHUAN_APPLICANT)
    got = cards(calls)
    assert sorted(got) == sorted([ADMIN, COORD, HANCHUAN_STAFF])
    assert "学员追问 #1" in got[HANCHUAN_STAFF] and "那住宿费是多少？" in got[HANCHUAN_STAFF]
    assert "已由 用户2001 回复" in got[HANCHUAN_STAFF]  # who answered so far

    # A second staff member answers by a Telegram reply to their copy: added, claim stays.
    card, _ = button_with(h, "回复", HANCHUAN_STAFF)
    calls = h._checked(await h.driver.send_text(HANCHUAN_STAFF, "每月100元。",  # noqa: SLF001
                                                reply_to=card))
    assert to(calls, HANCHUAN_APPLICANT, "sendMessage")[0].text == \
        "【汉川市人民医院 老师答复】\n每月100元。"
    assert "此前已由 用户2001 认领" in to(calls, HANCHUAN_STAFF, "sendMessage")[-1].text
    edited = [c.text for c in calls if c.method == "editMessageText"]
    assert edited and all("已由 用户2001 回复（用户3001 也已补充回复）" in t for t in edited)
    async with h.services.sessionmaker() as session:
        thread = await repo.get_thread(session, thread_id=1)
        messages = await repo.messages_of(session, thread_id=1)
        entries = await audit.latest(session, campaigns=[XG])
    assert thread is not None and thread.claimed_by == COORD and thread.status == repo.ANSWERED
    assert [m.direction for m in messages] == ["in", "out", "in", "out"]
    assert [e.action for e in entries].count("inbox.reply") == 2
    assert all("基地" not in e.detail and "元" not in e.detail for e in entries)


async def test_other_base_staff_get_nothing_and_cannot_press(staffed: Harness) -> None:
    h = staffed
    await ask(h, HANCHUAN_APPLICANT, "汉川基地有食堂吗？")
    for action in ("irp", "icl"):
        forged = StaffCb(action=action, ann=1).pack()
        calls = await h.press_data(forged, ANLU_STAFF)
        assert calls.methods() == ["answerCallbackQuery"]
        assert "已失效" in calls.last.params["text"]
    # A question without a base goes to the coordinator and the admin only.
    calls = await ask(h, NO_BASE_APPLICANT, "什么时候公布结果？")
    assert sorted(cards(calls)) == sorted([ADMIN, COORD])
    calls = await h.press_data(StaffCb(action="irp", ann=2).pack(), HANCHUAN_STAFF)
    assert "已失效" in calls.last.params["text"]
    # A thread that does not exist (stale) is refused the same way.
    calls = await h.press_data(StaffCb(action="icl", ann=99).pack(), COORD)
    assert "已失效" in calls.last.params["text"]


async def test_close_and_double_taps(staffed: Harness) -> None:
    h = staffed
    await ask(h, FIRST_APPLICANT, "一医的培训地点在哪个院区？")
    message, data = button_with(h, "回复", COORD)
    first = h._checked(await h.driver.press_data(COORD, data, message))  # noqa: SLF001
    second = h._checked(await h.driver.press_data(COORD, data, message))  # noqa: SLF001
    assert any("回复学员提问 #1" in c.text for c in first)
    assert second.methods() == ["answerCallbackQuery"]  # asked once
    message, data = button_with(h, "已处理", ADMIN)
    first = h._checked(await h.driver.press_data(ADMIN, data, message))  # noqa: SLF001
    second = h._checked(await h.driver.press_data(ADMIN, data, message))  # noqa: SLF001
    assert "已标记为已处理" in first[0].params["text"]
    closed = [c for c in first if c.method == "editMessageText"]
    assert len(closed) == 2 and all("☑️ 已由 用户1001 标记为已处理" in c.text for c in closed)
    assert second.methods() == ["answerCallbackQuery"]
    assert "已经标记为已处理" in second[0].params["text"]
    async with h.services.sessionmaker() as session:
        entries = await audit.latest(session, campaigns=[XG])
    assert [e.action for e in entries].count("inbox.close") == 1
    # The coordinator's 回复 still works on a closed question (it adds an answer).
    calls = await h.send("在主院区。", COORD)
    assert to(calls, FIRST_APPLICANT, "sendMessage")[0].text.startswith(
        "【孝感市第一人民医院 老师答复】")


async def test_blocked_applicant_staff_told_reply_kept(staffed: Harness) -> None:
    h = staffed
    await ask(h, HANCHUAN_APPLICANT, "可以带家属吗？")
    h.session.forbidden_chats.add(HANCHUAN_APPLICANT)
    calls = await reply(h, HANCHUAN_STAFF, "不可以。")
    assert "学员已屏蔽机器人，答复未能送达" in to(calls, HANCHUAN_STAFF, "sendMessage")[-1].text
    assert not [c for c in calls if c.method == "editMessageText"]  # nobody claims it
    async with h.services.sessionmaker() as session:
        messages = await repo.messages_of(session, thread_id=1)
        from storage.users import get_user
        user = await get_user(session, user_id=HANCHUAN_APPLICANT)
        thread = await repo.get_thread(session, thread_id=1)
    assert messages[-1].text == "不可以。" and not messages[-1].delivered
    assert user is not None and user.blocked_at is not None
    assert thread is not None and thread.status == repo.WAITING and thread.claimed_by is None


async def test_no_staff_gives_contacts_and_keeps_it_unanswered(harness: Harness) -> None:
    h = harness
    await h.send("/start xiaogan-2023", 50)
    calls = await ask(h, 50, "孝感的规培证书全国通用吗？")
    told = to(calls, 50, "sendMessage")[-1].text
    assert "暂时没有可以接收问题的工作人员" in told and "2839876" in told
    async with h.services.sessionmaker() as session:
        kept = (await session.exec(select(UnansweredQuestion))).all()
        threads = await repo.waiting(session, campaigns=[XG])
    assert [q.question for q in kept] == ["孝感的规培证书全国通用吗？"]
    assert [t.user_id for t in threads] == [50]  # kept for staff who come later


async def test_not_found_answer_sends_that_question_with_one_tap(staffed: Harness) -> None:
    h = staffed
    calls = await h.send("基地的食堂饭菜好吃吗？我手机13812345678", HANCHUAN_APPLICANT)
    assert "💬 问老师" in calls.labels
    calls = await h.press("💬 问老师", HANCHUAN_APPLICANT)
    assert "138****5678" in calls.text and "13812345678" not in calls.text
    calls = await h.press("📨 直接发送这个问题", HANCHUAN_APPLICANT)
    got = cards(calls)
    assert sorted(got) == sorted([ADMIN, COORD, HANCHUAN_STAFF])
    assert "138****5678" in got[COORD] and "已自动隐藏" in got[COORD]
    again = await h.press("📨 直接发送这个问题", HANCHUAN_APPLICANT)
    assert again.methods() == ["answerCallbackQuery"]  # a double tap sends once
    await reply(h, COORD, "饭菜不错。")
    async with h.services.sessionmaker() as session:
        question = (await session.exec(select(UnansweredQuestion))).one()
    assert question.answered_at is not None and question.answered_by == COORD


async def test_masking_of_typed_numbers_and_long_text(staffed: Harness) -> None:
    h = staffed
    question = "我的身份证420902199901011234，电话 138 1234 5678，" + "能报名吗" * 1000
    question = question[:4096]
    calls = await ask(h, HANCHUAN_APPLICANT, question)
    for chat in (ADMIN, COORD, HANCHUAN_STAFF):
        shown = "\n".join(c.text for c in to(calls, chat))
        assert "4209**********1234" in shown and "138****5678" in shown
        assert "420902199901011234" not in shown and "1234 5678" not in shown
        assert "已自动隐藏" in shown
    assert "已隐藏后再转给老师" in to(calls, HANCHUAN_APPLICANT)[-1].text
    async with h.services.sessionmaker() as session:
        stored = (await repo.messages_of(session, thread_id=1))[0]
    assert "420902199901011234" not in stored.text and stored.masked


async def test_stickers_refused_commands_leave_photo_accepted(staffed: Harness) -> None:
    h = staffed
    await h.send("/ask_staff", HANCHUAN_APPLICANT)
    calls = await h.send_content("sticker", HANCHUAN_APPLICANT)
    assert "只能收文字、图片或文件" in calls.text and not cards(calls)
    calls = await h.send("/cancel", HANCHUAN_APPLICANT)
    assert "问题没有发送" in calls.text
    calls = await h.send("这句不是提问", HANCHUAN_APPLICANT)
    assert not cards(calls)
    await h.send("/ask_staff", HANCHUAN_APPLICANT)
    calls = await h.send("/menu", HANCHUAN_APPLICANT)  # another command leaves, and runs
    assert not cards(calls) and calls.labels
    await h.send("/ask_staff", HANCHUAN_APPLICANT)
    calls = await h.send_content("photo", HANCHUAN_APPLICANT, caption="这张证明可以吗？")
    photos = [c for c in calls if c.method == "sendPhoto"]
    assert sorted(int(c.chat_id) for c in photos) == sorted([ADMIN, COORD, HANCHUAN_STAFF])
    assert "这张证明可以吗？" in cards(calls)[COORD]


async def test_restart_mid_reply_keeps_the_state(staffed: Harness) -> None:
    h = staffed
    await ask(h, HANCHUAN_APPLICANT, "需要体检吗？")
    await press_with(h, "回复", COORD)
    h = await h.restart()
    calls = await h.send("需要，报到时体检。", COORD)
    assert to(calls, HANCHUAN_APPLICANT, "sendMessage")[0].text.endswith("需要，报到时体检。")


async def test_inbox_list_in_scope(staffed: Harness) -> None:
    h = staffed
    await ask(h, HANCHUAN_APPLICANT, "汉川的问题")
    await ask(h, FIRST_APPLICANT, "一医的问题")
    await h.send("/staff", HANCHUAN_STAFF)
    calls = await h.press("💬 学员提问", HANCHUAN_STAFF)
    assert "待回复 1 条" in calls.text and "汉川的问题" in calls.text
    assert "一医的问题" not in calls.text
    await h.send("/staff", COORD)
    calls = await h.press("💬 学员提问", COORD)
    assert "待回复 2 条" in calls.text
    assert calls.text.index("一医的问题") < calls.text.index("汉川的问题")  # newest first
    assert "✍️ 回复 #2" in calls.labels and "✅ #1 已处理" in calls.labels
    await h.press("✍️ 回复 #2", COORD)
    calls = await h.send("一医的答复", COORD)
    assert to(calls, FIRST_APPLICANT, "sendMessage")
    await h.send("/staff", COORD)
    calls = await h.press("💬 学员提问", COORD)
    assert "待回复 1 条" in calls.text


async def test_restart_mid_reply_on_redis(db_url: str, redis_url: str, redis_prefix: str,
                                          tmp_path) -> None:
    from storage.staff import COORDINATOR
    from tests.staff_helpers import give_role, population

    h = await Harness.create(db_url, var_dir=tmp_path / "var", redis_url=redis_url,
                             redis_prefix=redis_prefix)
    try:
        await population(h)
        await give_role(h, COORD, COORDINATOR, XG)
        await ask(h, HANCHUAN_APPLICANT, "需要带毕业证原件吗？")
        await press_with(h, "回复", COORD)
        h = await h.restart()
        calls = await h.send("需要。", COORD)
        assert to(calls, HANCHUAN_APPLICANT, "sendMessage")[0].text.endswith("需要。")
    finally:
        await h.close()


async def test_the_contacts_page_asks_a_person(staffed: Harness) -> None:
    h = staffed
    await h.send("/menu", HANCHUAN_APPLICANT)
    calls = await h.press("联系方式", HANCHUAN_APPLICANT)
    assert calls.labels[:2] == ["💬 问老师", "« 返回菜单"]
    calls = await h.press("💬 问老师", HANCHUAN_APPLICANT)
    assert "请把您的问题发给我" in calls.text and "直接发送" not in calls.text
    calls = await h.send("想找胡老师", HANCHUAN_APPLICANT)
    assert sorted(cards(calls)) == sorted([ADMIN, COORD, HANCHUAN_STAFF])


async def test_erasing_ones_data_erases_the_inbox(staffed: Harness) -> None:
    h = staffed
    await ask(h, HANCHUAN_APPLICANT, "问题")
    await reply(h, COORD, "答复")
    from storage.registrations import delete_user_data

    async with h.services.sessionmaker() as session, session.begin():
        await delete_user_data(session, user_id=HANCHUAN_APPLICANT)
    async with h.services.sessionmaker() as session:
        for table in (repo.InboxThread, repo.InboxMessage, repo.InboxCopy):
            assert (await session.exec(select(table))).all() == []


async def test_a_reply_to_the_answer_is_a_follow_up_and_long_answers_split(
        staffed: Harness) -> None:
    h = staffed
    await ask(h, HANCHUAN_APPLICANT, "可以走读吗？")
    long_answer = "可以。" * 1400  # 4,200 characters: the header goes in a message of its own
    calls = await reply(h, COORD, long_answer[:4096])
    relayed = to(calls, HANCHUAN_APPLICANT, "sendMessage")
    assert [c.text for c in relayed] == ["【汉川市人民医院 老师答复】", long_answer[:4096]]
    assert relayed[-1].buttons[0][0] == "💬 继续追问"
    answer = h.session.messages[(HANCHUAN_APPLICANT, relayed[-1].result.message_id)]
    calls = h._checked(await h.driver.send_text(  # noqa: SLF001
        HANCHUAN_APPLICANT, "那需要申请吗？", reply_to=answer))
    got = cards(calls)
    assert sorted(got) == sorted([ADMIN, COORD, HANCHUAN_STAFF])
    assert "学员追问 #1" in got[COORD] and "那需要申请吗？" in got[COORD]
    # Somebody else's reply to a bot message is just a question to the Q&A.
    calls = h._checked(await h.driver.send_text(  # noqa: SLF001
        FIRST_APPLICANT, "报名条件", reply_to=answer))
    assert not cards(calls) and calls.text


async def test_the_campaigns_hours_are_quoted(staffed: Harness) -> None:
    h = staffed
    calls = await ask(h, 22, "福建的面试在哪里？")  # a Fujian applicant: the admin gets it
    assert sorted(cards(calls)) == [ADMIN]
    told = to(calls, 22)[-1].text
    assert "通知写明的咨询时间：2023年7月9-12日工作日上午8:30－12:00" in told
    assert "本项目（福建省" in told


async def test_another_button_leaves_the_question_unsent(staffed: Harness) -> None:
    h = staffed
    await h.send("/menu", HANCHUAN_APPLICANT)
    await h.press("联系方式", HANCHUAN_APPLICANT)
    await h.press("💬 问老师", HANCHUAN_APPLICANT)
    calls = await h.press("« 返回菜单", HANCHUAN_APPLICANT)  # changed their mind
    assert "报名条件" in calls.labels
    calls = await h.send("报名截止是哪天？", HANCHUAN_APPLICANT)
    assert not cards(calls) and "6月30日" in calls.text
