"""存为问答: a thread's question and a staff reply become a campaign FAQ entry (an overlay on the
campaign's YAML, storage/faq_overlay.py), after a confirmation showing both as they will be stored.

The confirmation always goes to the staff member's private chat (a press in the staff group too),
where a better wording of the question or the answer may be sent first. A reply is saved once.
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.enums import ChatType
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from content.catalogue import Catalogue
from content.schema import Campaign
from content.texts import Texts
from handlers.menu import show
from handlers.staff.inbox import StaffInbox, staff_name
from handlers.staff.keyboards import StaffCb, button, home_row, markup
from storage import audit
from storage import inbox as repo
from storage.faq_overlay import ANSWER_MAX, QUESTION_MAX, add_entry
from storage.inbox import InboxMessage, InboxThread
from storage.staff import Access

DRAFT_KEY = "staff_ibx_faq"  # {"m": reply id, "q": wording or None, "a": wording or None}


async def _draft(state: FSMContext, session: AsyncSession,
                 reply: InboxMessage) -> tuple[str, str]:
    """(question, answer) as they would be stored: the staff's wordings, else the thread's."""
    data = (await state.get_data()).get(DRAFT_KEY) or {}
    mine = data if data.get("m") == reply.id else {}
    asked = await repo.question_before(session, reply=reply)
    question = mine.get("q") or (asked.text if asked is not None else "")
    answer = mine.get("a") or reply.text
    return " ".join(question.split())[:QUESTION_MAX], answer.strip()[:ANSWER_MAX]


def _keyboard(texts: Texts, reply: InboxMessage) -> InlineKeyboardMarkup:
    ref = reply.id or 0
    return markup([button(texts("inbox.faq.button.save"), "ifs", ref)],
                  [button(texts("inbox.faq.button.edit_question"), "ifw", ref),
                   button(texts("inbox.faq.button.edit_answer"), "ifa", ref)])


async def _confirmation(state: FSMContext, session: AsyncSession, texts: Texts,
                        campaign: Campaign, reply: InboxMessage) -> str:
    question, answer = await _draft(state, session, reply)
    return texts("inbox.faq.confirm", campaign=campaign.name, question=question or "—",
                 answer=answer or "—")


async def on_open(query: CallbackQuery, bot: Bot, texts: Texts, state: FSMContext,
                  session: AsyncSession, campaign: Campaign, inbox_message: InboxMessage) -> None:
    """存为问答: the confirmation, in the presser's private chat."""
    if inbox_message.faq_entry_id is not None:
        await query.answer(texts("inbox.faq.already", entry=inbox_message.faq_entry_id))
        return
    private = isinstance(query.message, Message) and \
        query.message.chat.type == ChatType.PRIVATE
    if private:
        await state.update_data({DRAFT_KEY: {"m": inbox_message.id}})
    text = await _confirmation(state, session, texts, campaign, inbox_message)
    try:
        await bot.send_message(query.from_user.id, text,
                               reply_markup=_keyboard(texts, inbox_message))
    except TelegramAPIError:  # never started a private chat with the bot
        await query.answer(texts("inbox.faq.need_private"), show_alert=True)
        return
    await query.answer(None if private else texts("inbox.faq.sent_private"))


async def on_edit(query: CallbackQuery, callback_data: StaffCb, texts: Texts,
                  state: FSMContext, inbox_message: InboxMessage) -> None:
    """修改问题 / 修改答复: the next text message is the new wording."""
    question = callback_data.action == "ifw"
    data = (await state.get_data()).get(DRAFT_KEY) or {}
    if data.get("m") != inbox_message.id:
        data = {"m": inbox_message.id}
    await state.set_state(StaffInbox.faq_question if question else StaffInbox.faq_answer)
    await state.update_data({DRAFT_KEY: data})
    await query.answer()
    key, limit = ("inbox.faq.ask_question", QUESTION_MAX) if question else \
        ("inbox.faq.ask_answer", ANSWER_MAX)
    await bot_answer(query, texts(key, limit=limit))


async def bot_answer(query: CallbackQuery, text: str) -> None:
    if isinstance(query.message, Message):
        await query.message.answer(text)


async def on_wording(message: Message, texts: Texts, catalogue: Catalogue, state: FSMContext,
                     session: AsyncSession, staff: Access, raw_state: str | None = None) -> None:
    """The new wording: kept in the draft, then the confirmation again."""
    question = raw_state == StaffInbox.faq_question.state
    limit = QUESTION_MAX if question else ANSWER_MAX
    if not (message.text or "").strip():
        await message.answer(texts("inbox.faq.text_only"))
        return
    if len(message.text or "") > limit:
        await message.answer(texts("inbox.faq.too_long", length=len(message.text or ""),
                                   limit=limit))
        return
    data = dict((await state.get_data()).get(DRAFT_KEY) or {})
    reply = await repo.get_message(session, message_id=int(data.get("m") or 0))
    thread = await repo.get_thread(session, thread_id=reply.thread_id) if reply else None
    campaign = catalogue.get(thread.campaign_slug) if thread is not None else None
    await state.set_state(None)
    if reply is None or thread is None or campaign is None or \
            not staff.covers(campaign.slug, thread.base_id):
        await message.answer(texts("staff.gone"))
        return
    data["q" if question else "a"] = message.text
    await state.update_data({DRAFT_KEY: data})
    await message.answer(await _confirmation(state, session, texts, campaign, reply),
                         reply_markup=_keyboard(texts, reply))


async def on_save(query: CallbackQuery, texts: Texts, state: FSMContext, session: AsyncSession,
                  staff: Access, clock: Clock, campaign: Campaign, thread: InboxThread,
                  inbox_message: InboxMessage) -> None:
    """保存为问答: once per reply (a double tap saves once)."""
    if inbox_message.faq_entry_id is not None:
        await query.answer(texts("inbox.faq.already", entry=inbox_message.faq_entry_id))
        return
    question, answer = await _draft(state, session, inbox_message)
    if not question or not answer:
        await query.answer(texts("inbox.faq.missing"), show_alert=True)
        return
    now = clock.now()
    entry = await add_entry(session, campaign_slug=campaign.slug, question=question,
                            answer=answer, author_id=staff.telegram_id,
                            author_label=staff_name(query, staff), now=now,
                            thread_id=thread.id)
    await repo.set_faq_entry(session, message=inbox_message, entry_id=entry.id or 0)
    await audit.record(session, action="faq.add", now=now, actor_id=staff.telegram_id,
                       role=staff.role_in(campaign.slug) or "", campaign_slug=campaign.slug,
                       base_id=thread.base_id, message_ref=f"inbox:{thread.id}",
                       detail=f"faq #{entry.id} from thread #{thread.id} reply #{inbox_message.id}")
    data = (await state.get_data()).get(DRAFT_KEY) or {}
    if data.get("m") == inbox_message.id:
        await state.update_data({DRAFT_KEY: None})
    await query.answer()
    await show(query, texts("inbox.faq.saved", entry=entry.id, campaign=campaign.name),
               markup(home_row(texts)))


def build_router() -> Router:
    router = Router(name="staff.inbox_faq")
    wording = StaffInbox.faq_question, StaffInbox.faq_answer
    router.message.register(on_wording, wording[0], ~F.text.startswith("/"))
    router.message.register(on_wording, wording[1], ~F.text.startswith("/"))
    router.callback_query.register(on_open, StaffCb.filter(F.action == "ifq"))
    router.callback_query.register(on_save, StaffCb.filter(F.action == "ifs"))
    router.callback_query.register(on_edit, StaffCb.filter(F.action.in_({"ifw", "ifa"})))
    return router
