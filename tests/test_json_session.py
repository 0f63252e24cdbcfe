"""The Bot API session sends JSON bodies (bot/json_session.py): what arrives is what the form
aiogram would have sent carries, as the Bot API reads each; a file upload still goes as a form."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup

from bot.json_session import JsonAiohttpSession
from tests.loopback_telegram import TOKEN, LoopbackTelegram

KEYBOARD = InlineKeyboardMarkup(inline_keyboard=[
    [InlineKeyboardButton(text="报名时间", callback_data="m:xiaogan-2023:registration")],
    [InlineKeyboardButton(text="官网 & 通知", url="https://example.org/a?b=1&c=2")],
])


@pytest.fixture
async def api() -> AsyncIterator[LoopbackTelegram]:
    async with LoopbackTelegram() as loopback:
        yield loopback


def bot_on(api: LoopbackTelegram, session_class: type[AiohttpSession]) -> Bot:
    session = session_class(api=TelegramAPIServer.from_base(api.base_url))
    return Bot(TOKEN, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


async def calls(bot: Bot) -> None:
    await bot.send_message(5, "报名截止：<b>6月30日</b> 17:00 “请勿重复提交”",
                           reply_markup=KEYBOARD)
    await bot.edit_message_text(text="已暂停预登记，发送 /register 可继续", chat_id=5,
                                message_id=1, reply_markup=None)
    await bot.answer_callback_query("cb-1", text="已收到", show_alert=True)
    await bot.send_message(5, "1", disable_notification=True)


async def test_the_json_body_carries_what_the_form_did(api: LoopbackTelegram) -> None:
    form, json_bot = bot_on(api, AiohttpSession), bot_on(api, JsonAiohttpSession)
    try:
        await calls(form)
        sent_as_form = [(r.method, r.params) for r in api.requests]
        api.requests.clear()
        await calls(json_bot)
        sent_as_json = [(r.method, r.params) for r in api.requests]
    finally:
        await form.session.close()
        await json_bot.session.close()
    assert sent_as_json == sent_as_form
    assert not api.violations
    first = sent_as_json[0][1]
    assert first["parse_mode"] == "HTML"  # the bot's default, resolved
    assert first["reply_markup"]["inline_keyboard"][1][0]["url"] == KEYBOARD.inline_keyboard[
        1][0].url
    assert sent_as_json[3][1]["text"] == "1"  # a text of digits stays a text


async def test_a_file_upload_goes_as_a_form(api: LoopbackTelegram) -> None:
    bot = bot_on(api, JsonAiohttpSession)
    try:
        await bot.send_message(5, "导出")
        await bot.send_document(5, BufferedInputFile(b"PK\x03\x04", filename="预登记.xlsx"),
                                caption="共 1 条")
    finally:
        await bot.session.close()
    assert [r.content_type for r in api.requests] == ["application/json", "multipart/form-data"]
    assert api.requests[1].params["caption"] == "共 1 条"
    assert not api.violations
