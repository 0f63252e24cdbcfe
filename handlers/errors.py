"""What the user sees when a handler fails: a polite message, never silence."""

from __future__ import annotations

import logging

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.types import CallbackQuery, ErrorEvent

from content.texts import default_texts

log = logging.getLogger(__name__)


async def on_error(event: ErrorEvent, bot: Bot) -> bool:
    """Log the failure (update id and traceback, no message content) and tell the user."""
    log.error("update %s failed", event.update.update_id, exc_info=event.exception)
    texts = default_texts()
    update = event.update
    try:
        if update.callback_query is not None:
            await _tell_presser(update.callback_query, bot, texts("fallback.error"))
        elif update.message is not None:
            await bot.send_message(update.message.chat.id, texts("fallback.error"))
    except TelegramAPIError:
        log.warning("could not tell the user about the failure of update %s",
                    update.update_id, exc_info=True)
    return True


async def _tell_presser(query: CallbackQuery, bot: Bot, text: str) -> None:
    """An alert when the press is still unanswered; else (the handler answered it before it
    failed, and Telegram refuses a second answer) a message in the chat."""
    try:
        await query.answer(text, show_alert=True)
    except TelegramBadRequest:
        await bot.send_message(query.from_user.id, text)


def register_error_handler(dispatcher: Dispatcher) -> None:
    dispatcher.errors.register(on_error)
