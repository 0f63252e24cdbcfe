"""💬 学员提问, the private-chat side: the cards' 回复 / 已处理, the reply itself, the list.

回复 waits for one message (StaffInbox.reply; /cancel leaves); a Telegram reply to any copy of a
question the bot posted does the same at once. The gate checks every inbox button's thread
against the presser's scope (a base's staff only see their base's questions).
"""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.enums import ChatType
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from content.catalogue import Catalogue
from content.schema import Campaign
from content.texts import Raw, Texts
from handlers.flows import leave_flow
from handlers.menu import show
from handlers.staff.gate import STAFF_PREFIX, register_actions, register_message_claim
from handlers.staff.inbox_post import person_label, refresh_cards
from handlers.staff.inbox_reply import content_of, header, outcome_text, relay_reply
from handlers.staff.keyboards import StaffCb, button, home_row, markup
from handlers.staff.words import base_name, short_time
from storage import audit
from storage import inbox as repo
from storage.inbox import InboxThread
from storage.staff import Access

log = logging.getLogger(__name__)

THREAD_KEY = "staff_ibx_thread"
ALBUM_KEY = "staff_ibx_album"
LIST_LIMIT = 10
LINE_CHARS = 80


class StaffInbox(StatesGroup):
    reply = State()  # waiting for the reply to one thread
    faq_question = State()  # 存为问答: a better wording of the question
    faq_answer = State()  # 存为问答: a better wording of the answer


INBOX_ACTIONS = frozenset({"ibx", "irp", "icl", "ifq", "ifs", "ifw", "ifa"})
FAQ_ACTIONS = frozenset({"ifq", "ifs", "ifw", "ifa"})


async def check(data: StaffCb, access: Access, session: AsyncSession, catalogue: Catalogue,
                state: FSMContext) -> dict[str, Any] | None:
    """What an inbox button names: a thread (or a reply in one) in the presser's scope."""
    if data.action == "ibx":
        return {}
    found: dict[str, Any] = {}
    thread_id = data.ann
    if data.action in FAQ_ACTIONS:
        message = await repo.get_message(session, message_id=data.ann)
        if message is None or message.direction != repo.OUT:
            return None
        found["inbox_message"], thread_id = message, message.thread_id
    thread = await repo.get_thread(session, thread_id=thread_id)
    campaign = catalogue.get(thread.campaign_slug) if thread is not None else None
    if thread is None or campaign is None or not access.covers(campaign.slug, thread.base_id):
        return None
    return {**found, "thread": thread, "campaign": campaign}


def _replies_to_bot(message: Message) -> bool:
    """A Telegram reply to one of the bot's messages in a private chat: maybe to a question."""
    to = message.reply_to_message
    return message.chat.type == ChatType.PRIVATE and to is not None and \
        to.from_user is not None and to.from_user.is_bot


register_actions(INBOX_ACTIONS, check)
register_message_claim(_replies_to_bot)


def staff_name(message: Message | CallbackQuery, staff: Access) -> str:
    person = message.from_user
    if person is None:
        return str(staff.telegram_id)
    return person_label(person.first_name, person.last_name, person.username,
                        fallback=str(person.id))


async def on_list(query: CallbackQuery, texts: Texts, catalogue: Catalogue, staff: Access,
                  session: AsyncSession) -> None:
    """学员提问: the waiting threads in scope, newest first, each with its buttons."""
    slugs = None if staff.is_admin else staff.campaigns(catalogue.slugs)
    threads = [t for t in await repo.waiting(session, campaigns=slugs)
               if staff.covers(t.campaign_slug, t.base_id)]
    lines, rows = [texts("inbox.list.title", count=len(threads))], []
    for thread in threads[:LIST_LIMIT]:
        lines.append(await _list_line(session, texts, catalogue, thread))
        rows.append([button(texts("inbox.list.button.reply", id=thread.id), "irp", thread.id or 0),
                     button(texts("inbox.list.button.close", id=thread.id), "icl",
                            thread.id or 0)])
    if not threads:
        lines.append(texts("inbox.list.none"))
    await query.answer()
    await show(query, "\n".join(lines), markup(*rows, home_row(texts)))


async def _list_line(session: AsyncSession, texts: Texts, catalogue: Catalogue,
                     thread: InboxThread) -> str:
    messages = [m for m in await repo.messages_of(session, thread_id=thread.id or 0)
                if m.direction == repo.IN]
    last = messages[-1] if messages else None
    question = (last.text or texts(f"kind.{last.kind}")) if last is not None else ""
    if len(question) > LINE_CHARS:
        question = question[:LINE_CHARS] + "…"
    base = base_name(catalogue, thread.campaign_slug, thread.base_id) if thread.base_id else None
    return texts("inbox.list.line", id=thread.id, label=thread.label,
                 base=Raw(texts("staff.where", where=base)) if base else "",
                 when=short_time(thread.updated_at), question=question)


async def on_reply(query: CallbackQuery, texts: Texts, state: FSMContext, thread: InboxThread,
                   campaign: Campaign) -> None:
    """回复: the next message is the reply (a double tap asks once)."""
    data = await state.get_data()
    if await state.get_state() == StaffInbox.reply.state and data.get(THREAD_KEY) == thread.id:
        await query.answer(texts("inbox.reply.pending"))
        return
    await state.set_state(StaffInbox.reply)
    await state.update_data({THREAD_KEY: thread.id, ALBUM_KEY: None})
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(texts("inbox.reply.prompt", id=thread.id,
                                         header=header(texts, campaign, thread)))


async def on_close(query: CallbackQuery, bot: Bot, texts: Texts, staff: Access,
                   session: AsyncSession, clock: Clock, thread: InboxThread,
                   campaign: Campaign) -> None:
    """已处理: closed without a reply; every copy shows it (a double tap closes once)."""
    now = clock.now()
    if not await repo.close(session, thread=thread, by=staff.telegram_id, now=now):
        await query.answer(texts("inbox.already_closed"))
        return
    await audit.record(session, action="inbox.close", now=now, actor_id=staff.telegram_id,
                       role=staff.role_in(campaign.slug) or "", campaign_slug=campaign.slug,
                       base_id=thread.base_id, message_ref=f"inbox:{thread.id}",
                       detail=f"thread #{thread.id}")
    await query.answer(texts("inbox.closed", id=thread.id))
    await refresh_cards(bot, session, texts, campaign, thread)


async def relay_and_report(message: Message, bot: Bot, texts: Texts, staff: Access,
                           session: AsyncSession, clock: Clock, thread: InboxThread,
                           campaign: Campaign, *, topic_id: int | None = None) -> None:
    """Send a staff message (already checked) to the applicant; tell the replier how it went."""
    content = content_of(message)
    assert content is not None
    relayed = await relay_reply(bot, session, texts, campaign, thread=thread, content=content,
                                staff_id=staff.telegram_id, staff_label=staff_name(message, staff),
                                role=staff.role_in(campaign.slug) or "", now=clock.now())
    keyboard = None
    if relayed.outcome == "sent" and relayed.message.text.strip():
        keyboard = markup([button(texts("inbox.button.save_faq"), "ifq",
                                  relayed.message.id or 0)])
    try:
        await bot.send_message(message.chat.id, outcome_text(texts, relayed, thread,
                                                             staff.telegram_id),
                               message_thread_id=topic_id, reply_markup=keyboard)
    except TelegramAPIError as error:  # the answer went and is kept: only the receipt is lost
        log.warning("inbox receipt for thread %s not shown: %s", thread.id,
                    type(error).__name__)


def _refusal(message: Message, texts: Texts) -> str:
    kind = str(message.content_type.value)
    label = texts(f"kind.{kind}") if f"kind.{kind}" in texts else texts("kind.other")
    return texts("inbox.reply.unsupported", kind=label)


async def on_reply_message(message: Message, bot: Bot, texts: Texts, catalogue: Catalogue,
                           staff: Access, state: FSMContext, session: AsyncSession,
                           clock: Clock) -> None:
    """The reply after 回复: text, one photo or one document."""
    data = await state.get_data()
    thread = await repo.get_thread(session, thread_id=int(data.get(THREAD_KEY) or 0))
    campaign = catalogue.get(thread.campaign_slug) if thread is not None else None
    if thread is None or campaign is None or not staff.covers(campaign.slug, thread.base_id):
        await leave_flow(state, prefix=STAFF_PREFIX)
        await message.answer(texts("staff.gone"))
        return
    if message.media_group_id is not None:
        if data.get(ALBUM_KEY) != message.media_group_id:
            await state.update_data({ALBUM_KEY: message.media_group_id})
            await message.answer(texts("inbox.reply.album"))
        return
    if content_of(message) is None:
        await message.answer(_refusal(message, texts))
        return
    await leave_flow(state, prefix=STAFF_PREFIX)
    await relay_and_report(message, bot, texts, staff, session, clock, thread, campaign)


async def on_reply_to_copy(message: Message, bot: Bot, texts: Texts, catalogue: Catalogue,
                           staff: Access, state: FSMContext, session: AsyncSession,
                           clock: Clock) -> None:
    """A Telegram reply to a question's copy is the reply to that question."""
    to = message.reply_to_message
    assert to is not None
    thread = await repo.thread_by_copy(session, chat_id=message.chat.id, message_id=to.message_id)
    campaign = catalogue.get(thread.campaign_slug) if thread is not None else None
    if thread is None or campaign is None or not staff.covers(campaign.slug, thread.base_id):
        raise SkipHandler
    if content_of(message) is None or message.media_group_id is not None:
        await message.answer(_refusal(message, texts) if content_of(message) is None
                             else texts("inbox.reply.album"))
        return
    if await state.get_state() == StaffInbox.reply.state:
        await leave_flow(state, prefix=STAFF_PREFIX)
    await relay_and_report(message, bot, texts, staff, session, clock, thread, campaign)


def build_router() -> Router:
    from handlers.staff import inbox_faq

    router = Router(name="staff.inbox")
    not_command = ~F.text.startswith("/")
    router.message.register(on_reply_to_copy, F.reply_to_message, not_command)
    router.message.register(on_reply_message, StaffInbox.reply, not_command)
    router.callback_query.register(on_list, StaffCb.filter(F.action == "ibx"))
    router.callback_query.register(on_reply, StaffCb.filter(F.action == "irp"))
    router.callback_query.register(on_close, StaffCb.filter(F.action == "icl"))
    router.include_router(inbox_faq.build_router())
    return router
