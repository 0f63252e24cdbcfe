"""📚 问答补充: the FAQ entries staff saved (存为问答), newest first, and their removal.

A viewer sees the entries of every campaign they reach (an FAQ entry answers the whole campaign,
so base staff see their campaign's too). Removing asks first; base staff may remove only entries
they wrote, coordinators and admins any of their campaign. The gate checks the entry named by a
button against the presser's scope and role before anything runs; a removed entry stops
answering at the next question (storage/faq_overlay.py).
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from content.catalogue import Catalogue
from content.dates import cn_date
from content.texts import Raw, Texts
from handlers.menu import show
from handlers.staff.gate import register_actions
from handlers.staff.keyboards import StaffCb, button, home_row, markup, rows
from storage import audit
from storage import faq_overlay as faq_repo
from storage.staff import ADMIN, BASE_STAFF, Access

PAGE_SIZE = 5
# The list shows a glimpse of each entry; the confirmation shows more.
GLIMPSE, CONFIRM_CHARS = 60, 600
LIST_ACTIONS = {"faq"}
REMOVE_ACTIONS = {"fqd", "fqdok"}


def may_remove(access: Access, entry: faq_repo.FaqEntry) -> bool:
    """Coordinators and admins remove any entry of their campaign; base staff their own."""
    slug = entry.campaign_slug
    if not access.reaches(slug):
        return False
    role = access.role_in(slug)
    return role is not None and (role != BASE_STAFF or entry.author_id == access.telegram_id)


async def check(data: StaffCb, access: Access, session: AsyncSession, catalogue: Catalogue,
                state: object) -> dict | None:
    """The list is open to any staff (it shows only what they reach); a removal names an entry
    that must exist, be of a campaign they reach, and be theirs to remove."""
    if data.action in LIST_ACTIONS:
        return {}  # the page number is clamped by the view
    entry = await faq_repo.get_entry(session, entry_id=int(data.arg)) \
        if data.arg.isdigit() and len(data.arg) < 10 else None
    if entry is None or catalogue.get(entry.campaign_slug) is None:
        return None
    return {"faq_entry": entry} if may_remove(access, entry) else None


register_actions(LIST_ACTIONS | REMOVE_ACTIONS, check)


def _glimpse(text: str, size: int) -> str:
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    flat = first if size <= GLIMPSE else " ".join(text.split())
    return flat if len(flat) <= size else flat[:size - 1] + "…"


def _item(texts: Texts, catalogue: Catalogue, entry: faq_repo.FaqEntry, several: bool) -> str:
    campaign = catalogue.get(entry.campaign_slug)
    where = texts("faq.list.campaign", campaign=campaign.notice.region if campaign else
                  entry.campaign_slug) if several else ""
    return texts("faq.list.item", id=entry.id, question=_glimpse(entry.question, GLIMPSE),
                 answer=_glimpse(entry.answer, GLIMPSE), author=entry.author_label,
                 date=cn_date(entry.created_at), campaign=Raw(where))


async def list_view(texts: Texts, catalogue: Catalogue, staff: Access, session: AsyncSession,
                    page: int) -> tuple[str, object]:
    slugs = staff.campaigns(catalogue.slugs)  # an admin: every campaign the bot knows
    entries = await faq_repo.list_entries(session, campaign_slugs=slugs)
    if not entries:
        return texts("faq.list.none"), markup(home_row(texts))
    pages = (len(entries) + PAGE_SIZE - 1) // PAGE_SIZE
    page = min(max(page, 0), pages - 1)
    shown = entries[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]
    several = len({e.campaign_slug for e in entries}) > 1
    lines = [texts("faq.list.title", count=len(entries)), texts("faq.list.hint")]
    lines += [_item(texts, catalogue, e, several) for e in shown]
    if pages > 1:
        lines.append(texts("faq.list.page", page=page + 1, pages=pages))
    removes = [button(texts("faq.button.remove", id=e.id), "fqd", page, str(e.id))
               for e in shown if may_remove(staff, e)]
    paging = ([button(texts("faq.button.prev"), "faq", page - 1)] if page > 0 else []) + \
        ([button(texts("faq.button.next"), "faq", page + 1)] if page + 1 < pages else [])
    return "\n\n".join(lines), markup(*rows(removes, 3), paging, home_row(texts))


async def on_list(query: CallbackQuery, callback_data: StaffCb, texts: Texts,
                  catalogue: Catalogue, staff: Access, session: AsyncSession) -> None:
    await query.answer()
    await show(query, *await list_view(texts, catalogue, staff, session, callback_data.ann))


async def on_remove(query: CallbackQuery, callback_data: StaffCb, texts: Texts,
                    catalogue: Catalogue, staff: Access, session: AsyncSession, clock: Clock,
                    faq_entry: faq_repo.FaqEntry) -> None:
    """Ask, then remove (a second press of the confirmation finds it removed and says so)."""
    entry, page = faq_entry, callback_data.ann
    back = button(texts("faq.button.back"), "faq", page)
    if entry.removed_at is not None:
        await query.answer()
        await show(query, texts("faq.remove.already", id=entry.id,
                                date=cn_date(entry.removed_at)), markup([back]))
        return
    if callback_data.action == "fqd":
        await query.answer()
        text = texts("faq.remove.confirm", id=entry.id,
                     question=_glimpse(entry.question, CONFIRM_CHARS),
                     answer=_glimpse(entry.answer, CONFIRM_CHARS), author=entry.author_label,
                     date=cn_date(entry.created_at))
        confirm = button(texts("faq.remove.button.confirm"), "fqdok", page, str(entry.id))
        await show(query, text, markup([confirm, back]))
        return
    removed = await faq_repo.remove_entry(session, entry_id=entry.id or 0,
                                          by=staff.telegram_id, now=clock.now())
    if removed is None:  # removed by someone else between the gate and here
        await query.answer()
        await show(query, texts("staff.gone"), markup([back]))
        return
    await audit.record(session, action="faq.remove", now=clock.now(),
                       actor_id=staff.telegram_id,
                       role=staff.role_in(entry.campaign_slug) or ADMIN,
                       campaign_slug=entry.campaign_slug, detail=f"faq #{entry.id}")
    await query.answer(texts("faq.remove.done", id=entry.id))
    text, keyboard = await list_view(texts, catalogue, staff, session, page)
    await show(query, texts("faq.remove.done", id=entry.id) + "\n\n" + text, keyboard)


def build_router() -> Router:
    router = Router(name="staff.faq")
    router.callback_query.register(on_list, StaffCb.filter(F.action.in_(LIST_ACTIONS)))
    router.callback_query.register(on_remove, StaffCb.filter(F.action.in_(REMOVE_ACTIONS)))
    return router
