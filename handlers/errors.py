"""What the user sees when a handler fails: a polite message, never silence."""

from __future__ import annotations

import logging
import re

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramForbiddenError
from aiogram.types import CallbackQuery, ErrorEvent

from bot.api_retry import retry_reason
from content.texts import default_texts

log = logging.getLogger(__name__)
_OUT_OF_RANGE = re.compile(r"out of int\d* range|integer out of range")


async def on_error(event: ErrorEvent, bot: Bot) -> bool:
    """Log the failure (update id and traceback, no message content) and tell the user.

    A button whose number no database column can hold (forged or garbled data) is a stale
    button, not a failure: the presser hears so, and the log keeps it as a note."""
    texts = default_texts()
    update = event.update
    stale = update.callback_query is not None and number_out_of_range(event.exception)
    if stale:
        log.info("update %s: a button with a number out of range", update.update_id)
    elif unreachable(event.exception):
        log.warning("update %s: its reply could not be delivered (%s)", update.update_id,
                    type(event.exception).__name__)
        return True
    else:
        log.error("update %s failed", update.update_id, exc_info=event.exception)
    try:
        if update.callback_query is not None:
            text = texts("fallback.stale_button" if stale else "fallback.error")
            await _tell_presser(update.callback_query, bot, text)
        elif update.message is not None:
            await bot.send_message(update.message.chat.id, texts("fallback.error"))
    except TelegramAPIError:
        log.warning("could not tell the user about the failure of update %s",
                    update.update_id, exc_info=True)
    return True


def unreachable(error: BaseException) -> bool:
    """A reply Telegram would not take: the retry policy tried until its budget ran out (and
    recorded it as undelivered), or the user blocked the bot. An error reply would fare no
    better, only hold the user's turn as long again."""
    return retry_reason(error) is not None or isinstance(error, TelegramForbiddenError)


def number_out_of_range(error: BaseException) -> bool:
    """Whether the failure is a number too large for the database (SQLite: OverflowError;
    PostgreSQL through asyncpg: "value out of int32 range"), anywhere in the chain of causes."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OverflowError) or _OUT_OF_RANGE.search(str(current)):
            return True
        current = current.__cause__ or current.__context__ or getattr(current, "orig", None)
    return False


async def _tell_presser(query: CallbackQuery, bot: Bot, text: str) -> None:
    """An alert when the press is still unanswered; else (the handler answered it before it
    failed, and Telegram refuses a second answer) a message in the chat."""
    try:
        await query.answer(text, show_alert=True)
    except TelegramBadRequest:
        await bot.send_message(query.from_user.id, text)


def register_error_handler(dispatcher: Dispatcher) -> None:
    dispatcher.errors.register(on_error)
