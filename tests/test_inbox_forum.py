"""The staff inbox in a forum supergroup bound with /bind: one topic per applicant, created on
demand, the conversation mirrored there, a staff message in the topic goes back to the applicant.

Also: only an admin binds, only a forum can be bound, rebinding moves it, /unbind returns to the
private cards; a topic that cannot be created falls back to private cards and tells the admins
once; non-staff and out-of-scope staff in the topic are not relayed; 存为问答 from the topic.
"""

from __future__ import annotations

from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import CreateForumTopic
from sqlmodel import select

from storage import audit
from storage import inbox as repo
from storage import inbox_groups as groups
from storage.faq_overlay import FaqEntry
from tests.harness import Calls, Harness
from tests.staff_helpers import (
    ADMIN,
    ANLU_STAFF,
    COORD,
    HANCHUAN_STAFF,
    OUTSIDER,
    XG,
    button_with,
    press_with,
)
from tests.test_inbox_private import HANCHUAN_APPLICANT, NO_BASE_APPLICANT, ask, cards, to

GROUP, OTHER_GROUP = -1001500, -1001600


async def in_group(h: Harness, user: int, text: str, *, topic: int | None = None,
                   chat: int = GROUP, **extra: object) -> Calls:
    return h._checked(await h.driver.send_group(chat, user, text, thread_id=topic,  # noqa: SLF001
                                                **extra))


async def bind(h: Harness, chat: int = GROUP) -> Calls:
    calls = await in_group(h, ADMIN, f"/bind {XG}", chat=chat)
    assert "已把本群绑定为" in calls.text
    return calls


def topic_of(calls: Calls) -> int:
    created = [c for c in calls if c.method == "createForumTopic"]
    assert len(created) == 1, calls.methods()
    return int(created[0].result.message_thread_id)


async def test_forward_reply_relay_follow_up_in_a_topic(staffed: Harness) -> None:
    h = staffed
    await bind(h)
    calls = await ask(h, HANCHUAN_APPLICANT, "汉川基地有食堂吗？")
    topic = topic_of(calls)
    created = next(c for c in calls if c.method == "createForumTopic")
    assert created.params == {"chat_id": GROUP, "name": "提问 #1 · 测试"}  # no ID, no phone
    mirror = to(calls, GROUP, "sendMessage")
    assert len(mirror) == 1 and mirror[0].params["message_thread_id"] == topic
    assert "汉川基地有食堂吗？" in mirror[0].text and "汉川市人民医院" in mirror[0].text
    assert not cards(calls)  # no private cards when a group is bound
    assert "已转给" in to(calls, HANCHUAN_APPLICANT)[-1].text

    # Not staff, and staff of another base: ignored, nothing reaches the applicant.
    for person in (OUTSIDER, ANLU_STAFF):
        calls = await in_group(h, person, "我觉得有", topic=topic)
        assert calls == []

    calls = await in_group(h, HANCHUAN_STAFF, "有的，一日三餐。", topic=topic)
    assert to(calls, HANCHUAN_APPLICANT, "sendMessage")[0].text == \
        "【汉川市人民医院 老师答复】\n有的，一日三餐。"
    report = to(calls, GROUP, "sendMessage")[-1]
    assert report.params["message_thread_id"] == topic and "答复已发送给学员" in report.text
    assert ("📚 存为问答" in [label for label, _ in report.buttons])
    edited = [c for c in calls if c.method == "editMessageText"]
    assert len(edited) == 1 and "✅ 已由 用户3001 回复" in edited[0].text

    await h.press("💬 继续追问", HANCHUAN_APPLICANT)
    calls = await h.send("周末也供餐吗？", HANCHUAN_APPLICANT)
    assert not [c for c in calls if c.method == "createForumTopic"]  # the same topic
    mirror = to(calls, GROUP, "sendMessage")
    assert mirror[0].params["message_thread_id"] == topic and "学员追问 #1" in mirror[0].text

    calls = await in_group(h, COORD, "周末也供餐。", topic=topic)
    assert to(calls, HANCHUAN_APPLICANT, "sendMessage")[0].text.endswith("周末也供餐。")
    assert "此前已由 用户3001 认领" in to(calls, GROUP, "sendMessage")[-1].text
    async with h.services.sessionmaker() as session:
        thread = await repo.get_thread(session, thread_id=1)
    assert thread is not None and thread.claimed_by == HANCHUAN_STAFF
    assert thread.topic_id == topic and thread.group_chat_id == GROUP


async def test_media_is_mirrored_by_file_id_and_a_reply_to_a_copy_works(
        staffed: Harness) -> None:
    h = staffed
    await bind(h)
    await h.send("/ask_staff", HANCHUAN_APPLICANT)
    calls = await h.send_content("document", HANCHUAN_APPLICANT, file_name="证明.pdf",
                                 mime_type="application/pdf", caption="电话13812345678 可以吗")
    topic = topic_of(calls)
    sent = to(calls, GROUP, "sendDocument")
    assert len(sent) == 1 and sent[0].params["message_thread_id"] == topic
    assert sent[0].params["document"].startswith("doc")
    assert sent[0].params["caption"] == "电话138****5678 可以吗"  # the masked caption
    card = to(calls, GROUP, "sendMessage")[0]
    assert "138****5678" in card.text and "13812345678" not in card.text
    # A staff member replies (Telegram reply) to the file's copy, with a photo.
    copy = h.session.messages[(GROUP, sent[0].result.message_id)]
    calls = h._checked(await h.driver.send_group(  # noqa: SLF001
        GROUP, COORD, thread_id=topic, reply_to=copy, kind="photo", caption="按这个格式"))
    photo = to(calls, HANCHUAN_APPLICANT, "sendPhoto")
    assert len(photo) == 1 and photo[0].params["caption"] == \
        "【汉川市人民医院 老师答复】\n按这个格式"


async def test_bind_rules(staffed: Harness) -> None:
    h = staffed
    calls = await in_group(h, COORD, f"/bind {XG}")
    assert "只有管理员可以绑定" in calls.text
    calls = await in_group(h, ADMIN, "/bind", chat=GROUP)
    assert "用法" in calls.text and XG in calls.text
    calls = await in_group(h, ADMIN, "/bind nowhere-2023")
    assert "没有这个项目代码" in calls.text
    calls = h._checked(await h.driver.send_group(  # noqa: SLF001
        -500, ADMIN, f"/bind {XG}", chat_type="group", forum=False))
    assert "还没有开启“话题”" in calls.text
    async with h.services.sessionmaker() as session:
        assert await groups.group_of(session, campaign_slug=XG) is None

    calls = await bind(h)
    assert "管理话题" not in calls.text  # the bot has the right
    calls = await bind(h, OTHER_GROUP)  # moving it tells the old group
    assert "已不再是" in to(calls, GROUP)[-1].text
    calls = await ask(h, HANCHUAN_APPLICANT, "问题一")
    assert to(calls, OTHER_GROUP, "sendMessage") and not to(calls, GROUP)
    calls = await in_group(h, COORD, "/unbind", chat=OTHER_GROUP)
    assert "只有管理员" in calls.text
    calls = await in_group(h, ADMIN, "/unbind", chat=OTHER_GROUP)
    assert "已解绑" in calls.text
    calls = await ask(h, NO_BASE_APPLICANT, "问题二")
    assert sorted(cards(calls)) == sorted([ADMIN, COORD])  # private cards again
    async with h.services.sessionmaker() as session:
        entries = await audit.latest(session, campaigns=[XG])
    assert [e.action for e in entries].count("inbox.bind") == 2
    assert [e.action for e in entries].count("inbox.unbind") == 1


async def test_topic_failure_falls_back_to_private_and_tells_admins_once(
        staffed: Harness) -> None:
    h = staffed
    await bind(h)

    def refuse(call: object) -> None:
        raise TelegramBadRequest(CreateForumTopic(chat_id=GROUP, name="x"),
                                 "Bad Request: not enough rights to create a topic")

    h.session.responders["createForumTopic"] = refuse
    calls = await ask(h, HANCHUAN_APPLICANT, "第一个问题")
    assert sorted(cards(calls)) == sorted([ADMIN, COORD, HANCHUAN_STAFF])
    warned = [c for c in to(calls, ADMIN, "sendMessage") if "无法在" in c.text]
    assert len(warned) == 1 and "管理话题" in warned[0].text
    calls = await ask(h, NO_BASE_APPLICANT, "第二个问题")
    assert sorted(cards(calls)) == sorted([ADMIN, COORD])
    assert not [c for c in calls if "无法在" in c.text]  # told once
    # Rights fixed: the next new thread gets its topic.
    del h.session.responders["createForumTopic"]
    calls = await ask(h, 15, "第三个问题")
    topic_of(calls)


async def test_save_as_faq_from_the_topic_answers_the_next_applicant(staffed: Harness) -> None:
    h = staffed
    await bind(h)
    calls = await ask(h, HANCHUAN_APPLICANT, "培训期间可以请假回家吗？")
    topic = topic_of(calls)
    await in_group(h, COORD, "可以，需提前向基地书面请假并经科室同意。", topic=topic)
    message, data = button_with(h, "存为问答", GROUP)
    calls = h._checked(await h.driver.press_data(COORD, data, message))  # noqa: SLF001
    confirm = to(calls, COORD, "sendMessage")
    assert len(confirm) == 1 and "培训期间可以请假回家吗？" in confirm[0].text
    assert "需提前向基地书面请假" in confirm[0].text
    assert "私聊" in calls[-1].params.get("text", "")
    await press_with(h, "修改问题", COORD)
    calls = await h.send("培训期间能请假回家吗", COORD)
    assert "培训期间能请假回家吗" in calls.text
    await press_with(h, "保存为问答", COORD)
    again = await press_with(h, "保存为问答", COORD)
    assert "已经保存为问答" in again[0].params["text"]  # a double tap saves once
    async with h.services.sessionmaker() as session:
        entries = (await session.exec(select(FaqEntry))).all()
        log = await audit.latest(session, campaigns=[XG])
    assert [(e.question, e.thread_id) for e in entries] == [("培训期间能请假回家吗", 1)]
    assert [e.action for e in log].count("faq.add") == 1
    calls = await h.send("培训期间能请假回家吗？", NO_BASE_APPLICANT)
    assert "需提前向基地书面请假" in calls.text


async def test_close_from_the_topic(staffed: Harness) -> None:
    h = staffed
    await bind(h)
    await ask(h, HANCHUAN_APPLICANT, "不用回复了")
    message, data = button_with(h, "已处理", GROUP)
    calls = h._checked(await h.driver.press_data(HANCHUAN_STAFF, data, message))  # noqa: SLF001
    assert "已标记为已处理" in calls[0].params["text"]
    edited = [c for c in calls if c.method == "editMessageText"]
    assert len(edited) == 1 and "☑️ 已由 用户3001 标记为已处理" in edited[0].text
    calls = h._checked(await h.driver.press_data(ANLU_STAFF, data, message))  # noqa: SLF001
    assert "已失效" in calls[0].params["text"]  # another base's staff: refused


async def test_bot_removed_from_the_group_falls_back_to_private(staffed: Harness) -> None:
    h = staffed
    await bind(h)
    await ask(h, HANCHUAN_APPLICANT, "第一个问题")  # its topic exists
    h.session.forbidden_chats.add(GROUP)  # then the bot is removed from the group
    await h.press("« 返回菜单", HANCHUAN_APPLICANT)
    calls = await ask(h, HANCHUAN_APPLICANT, "第二个问题")
    assert sorted(cards(calls)) == sorted([ADMIN, COORD, HANCHUAN_STAFF])
    assert len([c for c in to(calls, ADMIN) if "无法在" in c.text]) == 1
    assert "已转给" in to(calls, HANCHUAN_APPLICANT)[-1].text


async def test_bind_warns_when_the_bot_may_not_manage_topics(staffed: Harness) -> None:
    from aiogram.types import ChatMemberMember

    from bot.recording import BOT_USER

    h = staffed
    h.session.responders["getChatMember"] = lambda call: ChatMemberMember(user=BOT_USER)
    calls = await bind(h)
    assert "没有“管理话题”权限" in calls.texts[-1]
    async with h.services.sessionmaker() as session:  # bound all the same: it falls back
        assert await groups.group_of(session, campaign_slug=XG) is not None
