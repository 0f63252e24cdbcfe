"""Status buttons on a record card: 资格审核通过 / 不通过 / 已录取 / 未录取 / 已报到 / 放弃.

不通过 and 放弃 ask a reason first (typed, or one of the common ones); every change is confirmed
("确认将 张三 设为 已录取？") and then made by storage/records.change_status, which audits it and
queues the applicant's message once. A second tap on 确认 finds the status already set and says
so: one change, one message.
"""

from __future__ import annotations

import html
import re

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.app import Services
from bot.clock import Clock
from content.masking import mask_personal_numbers
from content.schema import Campaign
from content.texts import Raw, Texts
from handlers.menu import show
from handlers.staff.keyboards import StaffCb, button, markup, rows
from handlers.staff.records import COMMON_REASONS, SLUG, StaffRecords, card, may_see
from storage import records as repo
from storage.registrations import Registration
from storage.staff import Access

REG = "staff_rec_id"
STATUS = "staff_rec_status"
REASON = "staff_rec_reason"


def _confirm_view(texts: Texts, r: Registration, status: str, reason: str | None
                  ) -> tuple[str, object]:
    line = texts("records.confirm_reason", reason=reason) if reason else ""
    text = texts("records.confirm", name=r.name, receipt=r.receipt_no,
                 status=texts(f"registration.status.{status}"), reason=Raw(line))
    return text, markup([button(texts("records.button.confirm"), "sok", r.id or 0, status),
                         button(texts("records.button.back"), "rc", r.id or 0)])


async def _remember(state: FSMContext, r: Registration, status: str,
                    reason: str | None) -> None:
    await state.update_data({SLUG: r.campaign_slug, REG: r.id, STATUS: status, REASON: reason})


async def _stale(query: CallbackQuery, texts: Texts, staff: Access, session: AsyncSession,
                 campaign: Campaign, registration: Registration, status: str) -> bool:
    """A move the record's status no longer allows (changed since the card was shown): say so
    and show the card as it is now."""
    try:
        repo.check_change(registration, status, "-", texts=texts)
    except repo.StatusRefused as refused:
        await query.answer(_plain(refused.message), show_alert=True)
        await show(query, *await card(session, texts, campaign, registration, staff))
        return True
    return False


async def on_status(query: CallbackQuery, callback_data: StaffCb, texts: Texts, staff: Access,
                    session: AsyncSession, state: FSMContext, registration: Registration,
                    campaign: Campaign) -> None:
    """A status button: ask the reason (不通过 / 放弃) or go straight to the confirmation."""
    status = callback_data.arg
    if await _stale(query, texts, staff, session, campaign, registration, status):
        return
    await query.answer()
    await _remember(state, registration, status, None)
    if status in repo.REASON_REQUIRED:
        await state.set_state(StaffRecords.reason)
        picks = [button(texts(f"records.reason.{status}.{n}"), "rs", registration.id or 0,
                        f"{status}.{n}") for n in COMMON_REASONS]
        await show(query, texts("records.ask_reason", name=registration.name,
                                status=texts(f"registration.status.{status}"),
                                n=repo.REASON_MAX),
                   markup(*rows(picks, 1),
                          [button(texts("records.button.back"), "rc", registration.id or 0)]))
        return
    await state.set_state(StaffRecords.search)
    await show(query, *_confirm_view(texts, registration, status, None))


async def on_common_reason(query: CallbackQuery, callback_data: StaffCb, texts: Texts,
                           staff: Access, session: AsyncSession, state: FSMContext,
                           registration: Registration, campaign: Campaign) -> None:
    status, _, pick = callback_data.arg.partition(".")
    if await _stale(query, texts, staff, session, campaign, registration, status):
        return
    reason = texts(f"records.reason.{status}.{pick}")
    await query.answer()
    await _remember(state, registration, status, reason)
    await state.set_state(StaffRecords.search)
    await show(query, *_confirm_view(texts, registration, status, reason))


async def on_reason(message: Message, texts: Texts, staff: Access, session: AsyncSession,
                    state: FSMContext) -> None:
    """The reason typed for 不通过 / 放弃: one line, numbers masked, at most REASON_MAX."""
    data = await state.get_data()
    registration = await session.get(Registration, data.get(REG) or 0)
    status = data.get(STATUS)
    if registration is None or not may_see(staff, registration) or \
            status not in repo.REASON_REQUIRED:
        await state.set_state(None)
        await message.answer(texts("records.search_lost"))
        return
    typed = " ".join((message.text or "").split())
    if not typed or len(typed) > repo.REASON_MAX:
        await message.answer(texts("records.reason_bad", n=repo.REASON_MAX))
        return
    reason = mask_personal_numbers(typed)
    await _remember(state, registration, status, reason)
    await state.set_state(StaffRecords.search)
    text, keyboard = _confirm_view(texts, registration, status, reason)
    await message.answer(text, reply_markup=keyboard)


async def on_reason_other(message: Message, texts: Texts) -> None:
    await message.answer(texts("records.reason_text_only", n=repo.REASON_MAX))


async def on_confirm(query: CallbackQuery, callback_data: StaffCb, texts: Texts, staff: Access,
                     session: AsyncSession, state: FSMContext, clock: Clock,
                     services: Services, registration: Registration,
                     campaign: Campaign) -> None:
    """确认: make the change (or say why not), then show the card as it is now."""
    status = callback_data.arg
    data = await state.get_data()
    reason = None
    if data.get(REG) == registration.id and data.get(STATUS) == status:
        reason = data.get(REASON)
    try:
        change = await repo.change_status(
            session, registration=registration, status=status, reason=reason,
            actor_id=staff.telegram_id, actor_label="",
            actor_role=staff.role_in(campaign.slug) or "", now=clock.now(), source="chat",
            campaign=campaign, texts=texts)
    except repo.StatusRefused as refused:
        await query.answer(_plain(refused.message), show_alert=True)
        if refused.code != "reason":
            await show(query, *await card(session, texts, campaign, registration, staff))
        return
    await query.answer()
    await state.update_data({REG: None, STATUS: None, REASON: None})
    note = texts("records.changed", name=registration.name,
                 status=texts(f"registration.status.{change.new}"))
    await show(query, *await card(session, texts, campaign, registration, staff, note))
    services.wake_sender()


def _plain(html_text: str) -> str:
    """An alert shows plain text: drop the tags the message carries."""
    return html.unescape(re.sub(r"<[^>]+>", "", html_text))[:200]


def build_router() -> Router:
    router = Router(name="staff.records_status")
    router.callback_query.register(on_status, StaffCb.filter(F.action == "st"))
    router.callback_query.register(on_common_reason, StaffCb.filter(F.action == "rs"))
    router.callback_query.register(on_confirm, StaffCb.filter(F.action == "sok"))
    router.message.register(on_reason, StateFilter(StaffRecords.reason), F.text)
    router.message.register(on_reason_other, StateFilter(StaffRecords.reason))
    return router
