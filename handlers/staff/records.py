"""📋 报名名单: find an applicant's record by receipt number or name, read its card, see the full
ID number (coordinators and admins only, audited each time). Status changes: records_status.py.

A base staff member sees only records choosing their base; every button naming a record is
checked by the gate (`check`) against the presser's scope before any handler here runs.
"""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.settings import Settings
from content.catalogue import Catalogue
from content.dates import cn_datetime
from content.registration import form_fields
from content.registration_text import field_value, status_text, summary_lines
from content.schema import Campaign
from content.texts import Raw, Texts
from handlers.menu import show
from handlers.staff.gate import register_actions
from handlers.staff.keyboards import StaffCb, button, home_row, markup, rows
from handlers.staff.words import who
from storage import audit
from storage import records as repo
from storage.crypto import vault_for
from storage.registrations import Registration
from storage.staff import Access

SLUG = "staff_rec_slug"
LATEST = 8
SHOWN = 10
QUERY_MAX = 40
# Common reasons offered as buttons: texts records.reason.<status>.<n> for each status needing one.
COMMON_REASONS = ("1", "2", "3")


class StaffRecords(StatesGroup):
    search = State()  # waiting for a receipt number or a name
    reason = State()  # waiting for the reason of 不通过 / 放弃 (records_status.py)


def scope_bases(access: Access, slug: str) -> list[str] | None:
    """The bases this person sees in `slug`; None: the whole campaign."""
    if access.covers(slug):
        return None
    return [g.base_id for g in access.grants
            if g.campaign_slug == slug and g.base_id is not None]


def may_see(access: Access, registration: Registration) -> bool:
    bases = scope_bases(access, registration.campaign_slug)
    if bases is None:
        return access.covers(registration.campaign_slug)
    return bool(set(bases) & set(registration.base_choices or []))


def may_see_full_id(access: Access, slug: str) -> bool:
    """Coordinators of the campaign and admins; base staff never."""
    return access.covers(slug)


async def check(data: StaffCb, access: Access, session: AsyncSession, catalogue: Catalogue,
                _state: FSMContext) -> dict[str, Any] | None:
    """What a records button names, checked against the presser's scope (None: refused)."""
    if data.action == "rec":
        if not data.arg:
            return {} if access.campaigns(catalogue.slugs) else None
        campaign = catalogue.get(data.arg)
        return {"campaign": campaign} if campaign and access.reaches(campaign.slug) else None
    registration = await session.get(Registration, data.ann) if data.ann > 0 else None
    if registration is None or not may_see(access, registration):
        return None
    campaign = catalogue.get(registration.campaign_slug)
    if campaign is None:
        return None
    found = {"registration": registration, "campaign": campaign}
    if data.action == "rid":
        return found if may_see_full_id(access, campaign.slug) else None
    status, _, pick = data.arg.partition(".")
    # A move the record's current status does not allow (a stale card) is the handler's to
    # explain; a status no staff member may set is a forged button.
    if data.action in ("st", "sok"):
        return found if status in repo.STAFF_STATUSES else None
    if data.action == "rs":
        return found if status in repo.REASON_REQUIRED and pick in COMMON_REASONS else None
    return found  # "rc": the card


def item_button(texts: Texts, r: Registration, campaign: Campaign) -> Any:
    return button(texts("records.button.item", receipt=r.receipt_no, name=r.name,
                        status=status_text(r.status, campaign, texts)), "rc", r.id or 0)


async def _changed(session: AsyncSession, texts: Texts, r: Registration) -> str:
    if r.status_changed_at is None:
        return ""
    person = texts("records.card.by_applicant") if r.status_changed_by is None else \
        await who(session, texts, r.status_changed_by)
    return texts("records.card.changed", who=person, when=cn_datetime(r.status_changed_at))


async def card(session: AsyncSession, texts: Texts, campaign: Campaign, r: Registration,
               access: Access, note: str = "") -> tuple[str, InlineKeyboardMarkup]:
    """The record card and its buttons (only the moves allowed from its status)."""
    lines = summary_lines(r.model_dump(), campaign, texts)
    if "bases" not in form_fields(campaign):
        lines += "\n" + texts("registration.summary_line", label=texts("registration.field.bases"),
                              value=field_value("bases", r.model_dump(), campaign, texts))
    reason = texts("records.card.reason", reason=r.status_reason) if r.status_reason else ""
    verdict = f"eligibility.plain.verdict.{r.verdict}"
    body = texts("records.card", campaign=campaign.name, receipt=r.receipt_no,
                 lines=Raw(lines), verdict=texts(verdict) if verdict in texts else r.verdict,
                 status=status_text(r.status, campaign, texts), reason=Raw(reason))
    text = "\n".join(part for part in (note and note + "\n", body,
                                        await _changed(session, texts, r),
                                        texts("records.card.created",
                                              created=cn_datetime(r.created_at))) if part)
    moves = [button(texts(f"records.button.status.{s}"), "st", r.id or 0, s)
             for s in repo.targets(r.status)]
    extra = [button(texts("records.button.full_id"), "rid", r.id or 0)] \
        if may_see_full_id(access, campaign.slug) else []
    return text, markup(*rows(moves, 2), extra,
                        [button(texts("records.button.search"), "rec", arg=campaign.slug)],
                        home_row(texts))


async def on_records(query: CallbackQuery, texts: Texts, catalogue: Catalogue, staff: Access,
                     session: AsyncSession, state: FSMContext,
                     campaign: Campaign | None = None) -> None:
    """📋 报名名单: pick the campaign (when several), then the search prompt and the latest."""
    await query.answer()
    if campaign is None:
        slugs = staff.campaigns(catalogue.slugs)
        if len(slugs) > 1:
            buttons = [button(catalogue.get(s).name, "rec", arg=s) for s in slugs]
            await show(query, texts("records.pick_campaign"),
                       markup(*rows(buttons, 1), home_row(texts)))
            return
        campaign = catalogue.get(slugs[0])
    await state.set_state(StaffRecords.search)
    await state.update_data({SLUG: campaign.slug})
    bases = scope_bases(staff, campaign.slug)
    found = await repo.latest(session, campaign_slugs=[campaign.slug], base_id=bases,
                              limit=LATEST)
    where = "、".join(b.name for b in campaign.plan.bases if bases and b.id in bases)
    text = texts("records.home", campaign=campaign.name,
                 where=texts("records.home_base", bases=where) if where else "",
                 latest=texts("records.latest", n=len(found)) if found
                 else texts("records.latest_none"))
    await show(query, text, markup(*rows([item_button(texts, r, campaign) for r in found], 1),
                                   home_row(texts)))


async def on_search(message: Message, texts: Texts, catalogue: Catalogue, staff: Access,
                    session: AsyncSession, state: FSMContext) -> None:
    """A receipt number or a name typed in the search state: up to SHOWN records as buttons."""
    query = " ".join((message.text or "").split())
    slug = (await state.get_data()).get(SLUG)
    campaign = catalogue.get(slug) if isinstance(slug, str) else None
    if campaign is None or not staff.reaches(campaign.slug):
        await state.set_state(None)
        await message.answer(texts("records.search_lost"))
        return
    if not query or len(query) > QUERY_MAX:
        await message.answer(texts("records.search_bad", n=QUERY_MAX))
        return
    found = await repo.search(session, campaign_slugs=[campaign.slug],
                              base_id=scope_bases(staff, campaign.slug), query=query,
                              limit=SHOWN + 1)
    if not found:
        await message.answer(texts("records.search_none", query=query),
                             reply_markup=markup(home_row(texts)))
        return
    head = texts("records.search_many", n=SHOWN) if len(found) > SHOWN else \
        texts("records.search_found", n=len(found))
    await message.answer(head, reply_markup=markup(
        *rows([item_button(texts, r, campaign) for r in found[:SHOWN]], 1), home_row(texts)))


async def on_search_other(message: Message, texts: Texts) -> None:
    """A sticker, photo or voice where a receipt number or a name is expected."""
    await message.answer(texts("records.search_text_only"))


async def on_card(query: CallbackQuery, texts: Texts, staff: Access, session: AsyncSession,
                  state: FSMContext, registration: Registration, campaign: Campaign) -> None:
    await query.answer()
    # Back from a reason prompt too: what is typed next is a search again, never a reason.
    await state.set_state(StaffRecords.search)
    await state.update_data({SLUG: campaign.slug})
    await show(query, *await card(session, texts, campaign, registration, staff))


async def on_full_id(query: CallbackQuery, texts: Texts, staff: Access, session: AsyncSession,
                     settings: Settings, clock: Clock, registration: Registration,
                     campaign: Campaign) -> None:
    """👁 显示完整身份证号: a separate message; every view is audited."""
    number = vault_for(settings).decrypt(registration.id_cipher)
    await audit.record(session, action="record.view_id", now=clock.now(),
                       actor_id=staff.telegram_id, role=staff.role_in(campaign.slug) or "",
                       campaign_slug=campaign.slug, message_ref=registration.receipt_no,
                       detail=f"{registration.receipt_no} full id shown")
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(texts("records.full_id", receipt=registration.receipt_no,
                                         name=registration.name, id=number))


def build_router() -> Router:
    router = Router(name="staff.records")
    router.callback_query.register(on_records, StaffCb.filter(F.action == "rec"))
    router.callback_query.register(on_card, StaffCb.filter(F.action == "rc"))
    router.callback_query.register(on_full_id, StaffCb.filter(F.action == "rid"))
    router.message.register(on_search, StateFilter(StaffRecords.search), F.text)
    router.message.register(on_search_other, StateFilter(StaffRecords.search))
    return router


register_actions({"rec", "rc", "rid", "st", "rs", "sok"}, check)
