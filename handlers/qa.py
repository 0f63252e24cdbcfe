"""Free-text questions: the catch-all text handler answers them from the user's campaign.

Registered after every feature (handlers/__init__.py) and before the fallbacks, so feature flows
that wait for typed input see it first. A user with no campaign yet is asked to choose one; the
question waits in FSM data and `answer_pending` (called by the campaign chooser) answers it.
Of two close answers the best is shown and the other is a button (callback prefix ``qa``).
Answers the notice does not cover are logged for the content authors (storage/unanswered.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from aiogram import F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from content.catalogue import Catalogue
from content.masking import mask_personal_numbers
from content.normalise import normalise
from content.qa import answer, answer_key
from content.qa_menu import MAIN_MENU, typed_menu
from content.qa_reply import AMBIGUOUS, CHAT, FALLBACK, Answer
from content.schema import Campaign
from content.sections import render_section
from content.texts import Texts
from handlers.ask_staff import with_ask_button
from handlers.keyboards import back_to_menu, chooser_keyboard, menu_keyboard
from handlers.menu import send_menu
from storage.faq_overlay import staff_entries
from storage.models import User
from storage.unanswered import record_unanswered

PENDING_KEY = "qa_pending"
# The user's last answer, so a follow-up ("那要多久") is read as being about it for a while.
LAST_KEY = "qa_last"
FOLLOW_UP = timedelta(minutes=10)
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


class QaCb(CallbackData, prefix="qa"):
    """One of two close answers; the slug keeps an old button right after a campaign switch.

    Answer keys use ':' (the callback separator), so they travel with '.' instead."""

    slug: str
    key: str


def _packed(slug: str, key: str) -> str | None:
    data = QaCb(slug=slug, key=key.replace(":", ".")).pack()
    return data if len(data.encode()) <= 64 else None


def reply_markup(texts: Texts, campaign: Campaign, reply: Answer) -> InlineKeyboardMarkup:
    if reply.kind == CHAT:  # small talk, English: a short reply and the menu
        return menu_keyboard(texts, campaign)
    if reply.kind != AMBIGUOUS:
        return back_to_menu(texts, campaign)
    rows = []
    for label, key in reply.alternatives[1:]:  # the first is the answer shown
        data = _packed(campaign.slug, key)
        if data is not None:
            rows.append([InlineKeyboardButton(text=label, callback_data=data)])
    back = back_to_menu(texts, campaign).inline_keyboard
    return InlineKeyboardMarkup(inline_keyboard=[*rows, *back])


async def reply_to(message: Message, question: str, *, campaign: Campaign, texts: Texts,
                   clock: Clock, session: AsyncSession, user: User | None,
                   state: FSMContext | None = None) -> Answer | None:
    """Answer `question` in the chat of `message`; log it when the notice did not cover it.

    A menu word or a section's label typed as text shows that page instead (None). With
    `state`, the answer is kept for a follow-up question (LAST_KEY, FOLLOW_UP)."""
    now = clock.now()
    page = typed_menu(question, campaign, texts)
    if page == MAIN_MENU:
        await send_menu(message, texts, campaign)
        return None
    if page is not None:
        keyboard = back_to_menu(texts, campaign)
        if page == "contacts":
            keyboard = with_ask_button(texts, keyboard)
        await message.answer(render_section(campaign, page, now, texts),
                             reply_markup=keyboard, link_preview_options=NO_PREVIEW)
        return None
    staff = await staff_entries(session, campaign_slug=campaign.slug)
    last = await _last_topic(state, campaign, now) if state is not None else None
    reply = answer(campaign, question, now, texts, staff=staff, last=last)
    if state is not None and reply.kind not in (CHAT, FALLBACK) and reply.entry:
        await state.update_data({LAST_KEY: {"slug": campaign.slug, "key": reply.entry,
                                            "at": now.isoformat()}})
    kept_id = None
    if reply.unanswered:
        row = await record_unanswered(  # it masks ID and phone numbers before storing
            session, campaign_slug=campaign.slug, question=question,
            normalised=normalise(question, atomic=False).replace(" ", ""),
            best_score=reply.score, asked_at=now, user_id=user.id if user else None)
        kept_id = row.id
    keyboard = reply_markup(texts, campaign, reply)
    if kept_id is not None:  # 💬 问老师, naming the question kept: sent with one tap
        keyboard = with_ask_button(texts, keyboard, kept_id)
    await message.answer(reply.text, reply_markup=keyboard, link_preview_options=NO_PREVIEW)
    return reply


async def _last_topic(state: FSMContext, campaign: Campaign, now: datetime) -> str | None:
    """The answer key of the user's last answer in this campaign, while it is recent."""
    kept = (await state.get_data()).get(LAST_KEY)
    if not isinstance(kept, dict) or kept.get("slug") != campaign.slug:
        return None
    try:
        at = datetime.fromisoformat(str(kept.get("at")))
    except ValueError:
        return None
    return str(kept.get("key")) if timedelta(0) <= now - at <= FOLLOW_UP else None


async def on_question(message: Message, texts: Texts, catalogue: Catalogue, clock: Clock,
                      session: AsyncSession, user: User | None, campaign: Campaign | None,
                      state: FSMContext) -> None:
    """Free text: an answer from the notice, or first the campaign chooser."""
    question = message.text or ""
    if campaign is None and question.strip() in texts("qa.menu_words").split():
        await message.answer(texts("menu.no_campaign"),
                             reply_markup=chooser_keyboard(catalogue.all(), None))
        return
    if campaign is None:
        await state.update_data({PENDING_KEY: mask_personal_numbers(question[:1000])})
        await message.answer(texts("qa.choose_first"),
                             reply_markup=chooser_keyboard(catalogue.all(), None))
        return
    await reply_to(message, question, campaign=campaign, texts=texts, clock=clock,
                   session=session, user=user, state=state)


async def answer_pending(message: Message, *, state: FSMContext, campaign: Campaign,
                         texts: Texts, clock: Clock, session: AsyncSession,
                         user: User | None) -> bool:
    """After a campaign is chosen: answer the question that waited for it, if any.

    `message` is any message of the chat (the chooser's, for a button press). True when a
    question was waiting."""
    data = await state.get_data()
    question = data.get(PENDING_KEY)
    if not question:
        return False
    await state.update_data({PENDING_KEY: None})
    await reply_to(message, question, campaign=campaign, texts=texts, clock=clock,
                   session=session, user=user)
    return True


async def on_alternative(query: CallbackQuery, callback_data: QaCb, texts: Texts,
                         catalogue: Catalogue, clock: Clock, session: AsyncSession) -> None:
    """One of the two offered answers."""
    campaign = catalogue.get(callback_data.slug)
    key = callback_data.key.replace(".", ":")
    staff = await staff_entries(session, campaign_slug=campaign.slug) if campaign else ()
    reply = answer_key(campaign, key, clock.now(), texts, staff=staff) if campaign else None
    if reply is None or campaign is None or not isinstance(query.message, Message):
        await query.answer(texts("fallback.stale_button"), show_alert=True)
        return
    await query.answer()
    await query.message.answer(reply.text, reply_markup=back_to_menu(texts, campaign),
                               link_preview_options=NO_PREVIEW)


def build_router() -> Router:
    router = Router(name="qa")
    # Commands are not questions: an unknown /command goes on to the fallbacks.
    router.message.register(on_question, F.text, ~F.text.startswith("/"))
    router.callback_query.register(on_alternative, QaCb.filter())
    return router
