"""/mydata shows everything stored about the person, by category, masked in the chat, and sends it
all as a JSON document (issue 14, finding 6: right of access and portability)."""

from __future__ import annotations

import json

from aiogram.types import User

from storage import inbox
from storage.eligibility import save_check
from storage.records import change_status
from storage.registrations import Registration
from tests.harness import Harness
from tests.registration_helpers import id_number
from tests.test_applicant_lengths import LIMIT, visible_length
from tests.test_registration_my import register_xiaogan

OTHER = 1002


def named(user_id: int) -> User:
    return User(id=user_id, is_bot=False, first_name="小明", last_name="张",
                username=f"zhang_{user_id}", language_code="zh-hans")


def document_of(calls) -> dict:
    [call] = [c for c in calls if c.method == "sendDocument"]
    [body] = call.files.values()
    assert call.chat_id == 1001 and "完整的身份证号" in call.text
    return json.loads(body.decode("utf-8"))


async def _stored(harness: Harness) -> None:
    """What the chat would store over weeks, put in directly: a self-check, a staff status
    change, a question to staff with its answer."""
    now = harness.clock.now()
    async with harness.services.sessionmaker() as session:
        await save_check(session, user_id=1001, campaign_slug="xiaogan-2023",
                         profile={"education": "专科", "major": "临床医学",
                                  "birth_date": "1999-01-01"}, verdict="eligible", rules=[],
                         now=now)
        registration = await session.get(Registration, 1)
        await change_status(session, registration=registration, status="review_passed",
                            reason=None, actor_id=5005, actor_label="", actor_role="admin",
                            now=now)
        thread = await inbox.open_thread(session, campaign_slug="xiaogan-2023", user_id=1001,
                                         base_id=None, label="小明", now=now)
        await inbox.add_message(session, thread=thread, direction="in", kind="text",
                                text="宿舍是几人间？", now=now)
        await inbox.add_message(session, thread=thread, direction="out", kind="text",
                                text="四人间。", now=now, author_id=5005,
                                author_label="王老师")
        await session.commit()


async def test_mydata_shows_every_category_and_sends_the_json(harness: Harness) -> None:
    harness.driver.user = named  # a Telegram profile with a last name and a username
    await harness.send("/start xiaogan-2023")
    await harness.press("🔔 开启报名提醒")
    await register_xiaogan(harness)
    await register_xiaogan(harness, user=OTHER, id_text=id_number("42098119980505123"))
    await harness.send("我叫张三，手机13812345678，宿舍能带宠物吗")  # unanswered, masked
    await _stored(harness)
    await harness.send("/check")
    await harness.press("专科（高职高专、大专）")  # a self-check left half-way: FSM data

    calls = await harness.send("/mydata")
    shown = "\n".join(t for t in calls.texts)
    pages = [c for c in calls if c.method == "sendMessage"]
    assert all(visible_length(c.text) <= LIMIT for c in pages)
    more = [label for label in calls.labels if "更多" in label]
    while more:  # page through the summary
        page = await harness.press(more[0])
        shown += "\n" + page.text
        assert visible_length(page.text) <= LIMIT
        more = [label for label in page.labels if "更多" in label]
    for expected in ("@zhang_1001", "小明 张", "XG2023-0001", "4209**********", "138****5678",
                     "出生日期：1999年1月1日", "资格审核通过", "已预登记→资格审核通过",
                     "宿舍是几人间", "138****5678，宿舍能带宠物吗", "提醒订阅：孝感",
                     "资格自查进行中", "已答 1 项"):
        assert expected in shown, expected
    assert id_number() not in shown and "13812345678" not in shown
    assert "XG2023-0002" not in shown and "王老师" not in shown and "5005" not in shown

    data = document_of(calls)
    assert data["account"]["username"] == "zhang_1001"
    assert data["account"]["last_name"] == "张"
    [mine] = data["registrations"]
    assert (mine["id_number"], mine["phone"]) == (id_number(), "13812345678")
    assert [(h["from"], h["to"]) for h in mine["status_history"]] == [
        ("pre_registered", "review_passed")]
    assert mine["status_changed_by"] == "staff"
    assert data["self_checks"][0]["answers"]["birth_date"] == "1999-01-01"
    assert "13812345678" not in json.dumps(data["questions"], ensure_ascii=False)
    assert [m["from"] for m in data["questions"]["staff_inbox"][0]["messages"]] == [
        "applicant", "staff"]
    assert data["subscriptions"][0]["active"] is True
    assert data["unfinished"]["data"]["el_answers"]
    flat = json.dumps(data, ensure_ascii=False)
    assert "王老师" not in flat and "5005" not in flat and "XG2023-0002" not in flat
    assert "42098119980505123" not in flat


async def test_mydata_of_an_unfinished_form_names_it_and_exports_the_id(
        harness: Harness) -> None:
    from tests.test_registration_chat import start_form

    await start_form(harness, "xiaogan-2023")
    await harness.send("张三")
    await harness.send(id_number())
    calls = await harness.send("/mydata")
    assert "预登记填写中：孝感市" in calls.text and "已填 2 项" in calls.text
    data = document_of(calls)
    answers = data["unfinished"]["data"]["rg"]["answers"]
    assert answers["id_number"] == id_number() and "id_cipher" not in answers
    assert data["generated_at"].startswith("2023-05-10T10:00")  # the clock's, not the machine's
