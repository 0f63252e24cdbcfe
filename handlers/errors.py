"""What the user sees when a handler fails: a polite message, never silence."""

from __future__ import annotations

import logging

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramAPIError
from aiogram.types import ErrorEvent

from content.texts import default_texts

log = logging.getLogger(__name__)


async def on_error(event: ErrorEvent, bot: Bot) -> bool:
    """Log the failure (update id and traceback, no message content) and tell the user."""
    log.error("update %s failed", event.update.update_id, exc_info=event.exception)
    texts = default_texts()
    update = event.update
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(texts("fallback.error"), show_alert=True)
        elif update.message is not None:
            await bot.send_message(update.message.chat.id, texts("fallback.error"))
    except TelegramAPIError:
        log.warning("could not tell the user about the failure of update %s",
                    update.update_id, exc_info=True)
    return True


def register_error_handler(dispatcher: Dispatcher) -> None:
    dispatcher.errors.register(on_error)
