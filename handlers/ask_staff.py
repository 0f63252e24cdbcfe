"""💬 问老师 (转人工): an applicant's question to a person, and their follow-ups.

The button on every honest "the notice does not say" answer and on the contacts page, and
/ask_staff, wait for one message (AskStaff.question): text, or a photo or document with an
optional caption. A not-found answer's button offers to send that very question with one tap.
ID and phone numbers typed are masked before anything is stored or forwarded. The question goes
to the staff (handlers/inbox_post.py); with nobody to receive it, the applicant gets the contacts
and the question stays in the unanswered list. /cancel and any other command leave the state.
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from content.catalogue import Catalogue
from content.masking import mask_personal_numbers, shows_masked
from content.qa_builders import contact_lines
from content.schema import Campaign
from content.texts import Raw, Texts
from handlers.flows import leave_flow
from handlers.keyboards import back_to_menu, chooser_keyboard
from handlers.staff.inbox_post import person_label, post_question
from handlers.staff.inbox_reply import AskCb, Content, content_of
from storage import inbox as repo
from storage.models import User
from storage.registrations import ACTIVE_STATUSES, list_for_user
from storage.unanswered import UnansweredQuestion, normalised_form, record_unanswered

PREFIX = "ask_"
SLUG_KEY, QID_KEY, ALBUM_KEY = "ask_slug", "ask_qid", "ask_album"


class AskStaff(StatesGroup):
    question = State()  # waiting for the question (or a follow-up) to a person


def ask_button(texts: Texts, unanswered_id: int | None = None) -> InlineKeyboardButton:
    """💬 问老师, for a not-found answer (naming its question) or the contacts page."""
    return InlineKeyboardButton(text=texts("ask.button"), callback_data=AskCb(
        action="new", ref=unanswered_id or 0).pack())


def with_ask_button(texts: Texts, keyboard: InlineKeyboardMarkup,
                    unanswered_id: int | None = None) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[ask_button(texts, unanswered_id)],
                                                 *keyboard.inline_keyboard])


async def _start(state: FSMContext, slug: str, qid: int | None) -> None:
    await state.set_state(AskStaff.question)
    await state.update_data({SLUG_KEY: slug, QID_KEY: qid, ALBUM_KEY: None})


async def cmd_ask_staff(message: Message, texts: Texts, catalogue: Catalogue,
                        campaign: Campaign | None, state: FSMContext) -> None:
    """/ask_staff: the next message goes to a person."""
    if campaign is None:
        await message.answer(texts("ask.no_campaign"),
                             reply_markup=chooser_keyboard(catalogue.all(), None))
        return
    await _start(state, campaign.slug, None)
    await message.answer(texts("ask.prompt", campaign=campaign.name))


async def _own_question(session: AsyncSession, query: CallbackQuery,
                        ref: int) -> UnansweredQuestion | None:
    row = await session.get(UnansweredQuestion, ref) if ref else None
    return row if row is not None and row.user_id == query.from_user.id else None


async def on_ask(query: CallbackQuery, callback_data: AskCb, texts: Texts, catalogue: Catalogue,
                 campaign: Campaign | None, session: AsyncSession, state: FSMContext) -> None:
    """💬 问老师: wait for the question; offer the not-found one as it is."""
    row = await _own_question(session, query, callback_data.ref)
    if row is not None and await repo.forwarded_unanswered(session, unanswered_id=row.id or 0):
        await query.answer(texts("ask.already_sent"), show_alert=True)
        return
    target = catalogue.get(row.campaign_slug) if row is not None else campaign
    await query.answer()
    if target is None:
        await query.bot.send_message(query.from_user.id, texts("ask.no_campaign"),
                                     reply_markup=chooser_keyboard(catalogue.all(), None))
        return
    await _start(state, target.slug, row.id if row is not None else None)
    text, keyboard = texts("ask.prompt", campaign=target.name), None
    if row is not None:
        text += "\n" + texts("ask.prompt_that", question=row.question)
        keyboard = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(
            text=texts("ask.button.send_that"),
            callback_data=AskCb(action="send", ref=row.id or 0).pack())]])
    await query.bot.send_message(query.from_user.id, text, reply_markup=keyboard)


async def on_send_that(query: CallbackQuery, callback_data: AskCb, bot: Bot, texts: Texts,
                       catalogue: Catalogue, session: AsyncSession, clock: Clock,
                       user: User | None, state: FSMContext) -> None:
    """📨 直接发送这个问题: the not-found question, as it was kept (already masked)."""
    row = await _own_question(session, query, callback_data.ref)
    campaign = catalogue.get(row.campaign_slug) if row is not None else None
    if row is None or campaign is None:
        await query.answer(texts("fallback.stale_button"), show_alert=True)
        return
    if await repo.forwarded_unanswered(session, unanswered_id=row.id or 0):
        await query.answer(texts("ask.already_sent"))
        return
    await query.answer()
    await leave_flow(state, prefix=PREFIX)
    await submit(bot, session, texts, clock, user, campaign, query.from_user.id,
                 Content("text", "", row.question, None), unanswered_id=row.id)


async def on_more(query: CallbackQuery, callback_data: AskCb, texts: Texts,
                  catalogue: Catalogue, session: AsyncSession, state: FSMContext) -> None:
    """继续追问: the next message goes into the same thread."""
    thread = await repo.get_thread(session, thread_id=callback_data.ref)
    campaign = catalogue.get(thread.campaign_slug) if thread is not None else None
    if thread is None or campaign is None or thread.user_id != query.from_user.id:
        await query.answer(texts("fallback.stale_button"), show_alert=True)
        return
    await _start(state, campaign.slug, None)
    await query.answer()
    await query.bot.send_message(query.from_user.id,
                                 texts("ask.prompt_more", campaign=campaign.name))


async def on_cancel(message: Message, texts: Texts, state: FSMContext) -> None:
    await leave_flow(state, prefix=PREFIX)
    await message.answer(texts("ask.cancelled"))


async def on_command(message: Message, state: FSMContext) -> None:
    """Another command: nothing is sent; the command does what it does."""
    await leave_flow(state, prefix=PREFIX)
    raise SkipHandler


async def on_other_button(query: CallbackQuery, state: FSMContext) -> None:
    """Any other button while a question is awaited: the applicant moved on, so the next text is
    a question to the Q&A again, not to a person."""
    await leave_flow(state, prefix=PREFIX)
    raise SkipHandler


async def on_question(message: Message, bot: Bot, texts: Texts, catalogue: Catalogue,
                      session: AsyncSession, clock: Clock, user: User | None,
                      state: FSMContext) -> None:
    """The question: text, or a photo or a document; anything else is refused politely."""
    data = await state.get_data()
    campaign = catalogue.get(data.get(SLUG_KEY) or "")
    if message.media_group_id is not None:
        if data.get(ALBUM_KEY) != message.media_group_id:
            await state.update_data({ALBUM_KEY: message.media_group_id})
            await message.answer(texts("ask.album"))
        return
    content = content_of(message)
    if content is None:
        kind = str(message.content_type.value)
        label = texts(f"kind.{kind}") if f"kind.{kind}" in texts else texts("kind.other")
        await message.answer(texts("ask.unsupported", kind=label))
        return
    if content.kind == "text" and not content.plain.strip():
        await message.answer(texts("ask.empty"))
        return
    qid = data.get(QID_KEY)
    await leave_flow(state, prefix=PREFIX)
    if campaign is None or message.from_user is None:
        await message.answer(texts("ask.no_campaign"),
                             reply_markup=chooser_keyboard(catalogue.all(), None))
        return
    await submit(bot, session, texts, clock, user, campaign, message.from_user.id, content,
                 unanswered_id=qid if isinstance(qid, int) else None)


async def on_reply_to_answer(message: Message, bot: Bot, texts: Texts, catalogue: Catalogue,
                             session: AsyncSession, clock: Clock, user: User | None) -> None:
    """A Telegram reply to a staff answer is a follow-up in the same conversation."""
    to = message.reply_to_message
    content = content_of(message)
    thread = await repo.thread_by_copy(session, chat_id=message.chat.id,
                                       message_id=to.message_id) if to is not None else None
    campaign = catalogue.get(thread.campaign_slug) if thread is not None else None
    if content is None or thread is None or campaign is None or message.from_user is None \
            or thread.user_id != message.from_user.id or message.media_group_id is not None:
        raise SkipHandler
    if content.kind == "text" and not content.plain.strip():
        raise SkipHandler
    await submit(bot, session, texts, clock, user, campaign, message.from_user.id, content,
                 unanswered_id=None)


async def _base_and_name(session: AsyncSession, user_id: int,
                         slug: str) -> tuple[str | None, str | None]:
    """The first base choice and the name of the applicant's active pre-registration."""
    for r in await list_for_user(session, user_id=user_id, campaign_slug=slug):
        if r.status in ACTIVE_STATUSES:
            return (r.base_choices[0] if r.base_choices else None), r.name
    return None, None


async def submit(bot: Bot, session: AsyncSession, texts: Texts, clock: Clock, user: User | None,
                 campaign: Campaign, user_id: int, content: Content, *,
                 unanswered_id: int | None) -> None:
    """Keep the question (masked), post it to staff, and tell the applicant what happens."""
    now = clock.now()
    text = mask_personal_numbers(content.plain)
    # A question kept as not found was masked then: it still says so to staff.
    masked = shows_masked(content.plain)
    base_id, name = await _base_and_name(session, user_id, campaign.slug)
    label = person_label(name or (user.first_name if user else None),
                         None if name else (user.last_name if user else None),
                         fallback=texts("inbox.applicant", id=user_id))
    thread = await repo.open_thread(session, campaign_slug=campaign.slug, user_id=user_id,
                                    base_id=base_id, label=label, now=now)
    stored = await repo.add_message(session, thread=thread, direction=repo.IN, kind=content.kind,
                                    text=text, now=now, file_id=content.file_id, masked=masked,
                                    unanswered_id=unanswered_id)
    posted = await post_question(bot, session, texts, campaign, thread, stored, now)
    if posted.mode == "none":
        if stored.unanswered_id is None and text.strip():
            row = await record_unanswered(session, campaign_slug=campaign.slug,
                                          question=text, normalised=normalised_form(text),
                                          best_score=0.0, asked_at=now, user_id=user_id)
            stored.unanswered_id = row.id
            session.add(stored)
        lines = [texts("ask.nobody"),
                 *contact_lines(list(campaign.contacts), texts, campaign.phone_note, now)]
        await bot.send_message(user_id, "\n".join(lines),
                               reply_markup=back_to_menu(texts, campaign))
        return
    base = next((b.name for b in campaign.plan.bases if b.id == base_id), None)
    who = texts("ask.who.base", base=base) if base else texts("ask.who.campaign",
                                                              campaign=campaign.name)
    # Hours that are over are not offered as when staff answer (issue 12 §2).
    hours = list(dict.fromkeys(c.hours for c in campaign.contacts
                               if c.hours and not c.hours_over(now)))
    hours_line = texts("ask.hours", hours="；".join(hours)) if hours else texts("ask.no_hours")
    lines = [texts("ask.forwarded", who=Raw(who), hours=Raw(hours_line))]
    if masked:
        lines.append(texts("ask.masked"))
    await bot.send_message(user_id, "\n".join(lines), reply_markup=back_to_menu(texts, campaign))


def build_router() -> Router:
    """Before the other applicant routers: a command in AskStaff leaves it first."""
    router = Router(name="ask_staff")
    router.message.register(on_cancel, AskStaff.question, Command("cancel"))
    router.message.register(on_command, AskStaff.question, F.text.startswith("/"))
    router.message.register(on_question, AskStaff.question)
    router.message.register(cmd_ask_staff, Command("ask_staff"))
    router.message.register(on_reply_to_answer, F.reply_to_message, ~F.text.startswith("/"))
    router.callback_query.register(on_other_button, AskStaff.question,
                                   ~F.data.startswith(f"{AskCb.__prefix__}:"))
    router.callback_query.register(on_ask, AskCb.filter(F.action == "new"))
    router.callback_query.register(on_send_that, AskCb.filter(F.action == "send"))
    router.callback_query.register(on_more, AskCb.filter(F.action == "more"))
    return router
