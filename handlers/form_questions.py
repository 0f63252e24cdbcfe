"""A question typed at a form step: answered as the Q&A answers it, then the step is asked again
(by the caller). The test of "is this a question?" is content/form_input.py's."""

from __future__ import annotations

from collections.abc import Iterable

from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from content.form_input import asks_instead
from content.schema import Campaign
from content.texts import Texts
from handlers import qa
from storage.faq_overlay import staff_entries
from storage.models import User


async def answered_question(message: Message, field: str, campaign: Campaign, *, texts: Texts,
                            clock: Clock, session: AsyncSession, user: User | None,
                            known: Iterable[str] = ()) -> bool:
    """True when the text was a question and has been answered (the step is then to be asked
    again); False when it is to be read as the step's answer."""
    text = message.text or ""
    staff = await staff_entries(session, campaign_slug=campaign.slug)
    if not asks_instead(text, field, campaign, clock.now(), texts, staff=staff, known=known):
        return False
    await qa.reply_to(message, text, campaign=campaign, texts=texts, clock=clock,
                      session=session, user=user)
    return True
