"""Catch-alls, registered last: free text nobody claimed, non-text messages, unknown buttons."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message

from content.catalogue import Catalogue
from content.schema import Campaign
from content.texts import Texts
from handlers.keyboards import chooser_keyboard, menu_keyboard

KINDS = ("sticker", "photo", "voice", "video", "document", "location", "contact")


async def on_text(message: Message, texts: Texts, catalogue: Catalogue,
                  campaign: Campaign | None) -> None:
    """Free text no feature claimed: point to the menu."""
    markup = (menu_keyboard(texts, campaign) if campaign is not None
              else chooser_keyboard(catalogue.all(), None))
    await message.answer(texts("fallback.text_pointer"), reply_markup=markup)


async def on_other(message: Message, texts: Texts) -> None:
    """Stickers, photos, voice …: say what we can read, never fail."""
    kind = str(message.content_type.value)
    label = texts(f"kind.{kind}") if kind in KINDS else texts("kind.other")
    await message.answer(texts("fallback.non_text", kind=label))


async def on_unknown_button(query: CallbackQuery, texts: Texts) -> None:
    """A forged or outdated button: answer it so the phone stops spinning, and say why."""
    await query.answer(texts("fallback.stale_button"), show_alert=True)


def build_router() -> Router:
    router = Router(name="fallback")
    router.message.register(on_text, F.text)
    router.message.register(on_other)
    router.callback_query.register(on_unknown_button)
    return router
