"""/staff: the staff menu; /cancel in a staff flow; the announcement history and the audit log."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from content.catalogue import Catalogue
from content.texts import Texts
from handlers.flows import leave_flow
from handlers.menu import show
from handlers.staff.gate import STAFF_PREFIX, in_staff_state, may_invite
from handlers.staff.keyboards import StaffCb, button, home_keyboard, home_row, markup, rows
from handlers.staff.words import audience_label, audit_line, cn_when, role_lines
from storage import announcements as ann_repo
from storage import audit
from storage import delivery as ledger
from storage.staff import Access

HISTORY_LIMIT = 10
LOG_LIMIT = 15


def home_view(texts: Texts, catalogue: Catalogue, staff: Access) -> tuple[str, object]:
    text = texts("staff.home", roles=role_lines(texts, catalogue, staff))
    return text, home_keyboard(texts, may_invite=may_invite(staff))


async def cmd_staff(message: Message, texts: Texts, catalogue: Catalogue, staff: Access,
                    state: FSMContext) -> None:
    """/staff: the staff menu (it also leaves a staff flow in progress)."""
    if in_staff_state(await state.get_state()):
        await leave_flow(state, prefix=STAFF_PREFIX)
    text, keyboard = home_view(texts, catalogue, staff)
    await message.answer(text, reply_markup=keyboard)


def staff_state(_event: object, raw_state: str | None = None) -> bool:
    """A filter: the person is in a staff flow (any staff StatesGroup)."""
    return in_staff_state(raw_state)


async def cmd_cancel(message: Message, texts: Texts, state: FSMContext) -> None:
    """/cancel in any staff flow: nothing is kept."""
    await leave_flow(state, prefix=STAFF_PREFIX)
    await message.answer(texts("staff.cancelled"))


async def other_command(message: Message, texts: Texts, state: FSMContext) -> None:
    """Another command in a staff flow: leave the flow, then let the command do what it does
    (no message is ever taken as an announcement, a reason or a reply by surprise)."""
    await leave_flow(state, prefix=STAFF_PREFIX)
    await message.answer(texts("staff.left_flow"))
    raise SkipHandler


async def on_home(query: CallbackQuery, texts: Texts, catalogue: Catalogue,
                  staff: Access, state: FSMContext) -> None:
    """« 工作人员菜单: back to the menu, leaving whatever staff flow was waiting for text."""
    if in_staff_state(await state.get_state()):
        await leave_flow(state, prefix=STAFF_PREFIX)
    await query.answer()
    await show(query, *home_view(texts, catalogue, staff))


def _scope(staff: Access, catalogue: Catalogue) -> tuple[list[str] | None, str | None]:
    """(campaigns seen, the one base seen) for the lists: admins see everything."""
    if staff.is_admin:
        return None, None
    slugs = staff.campaigns(catalogue.slugs)
    bases = {staff.fixed_base(s) for s in slugs}
    only_base = next(iter(bases)) if len(bases) == 1 and None not in bases else None
    return slugs, only_base


async def on_history(query: CallbackQuery, texts: Texts, catalogue: Catalogue, staff: Access,
                     session: AsyncSession) -> None:
    """通知记录: the latest announcements in scope, with their figures and a stop button."""
    campaigns, base = _scope(staff, catalogue)
    found = await ann_repo.history(session, campaigns=campaigns, base_id=base,
                                   limit=HISTORY_LIMIT)
    lines, stops = [texts("announce.history.title", count=len(found))], []
    for a in found:
        counts = await ledger.status_counts(session, key=a.message_key)
        lines.append(_history_line(texts, catalogue, a, counts))
        if a.status in (ann_repo.SCHEDULED, ann_repo.SENDING) and \
                staff.covers(a.campaign_slug, a.scope_base_id):
            stops.append(button(texts("announce.history.button.stop", id=a.id), "stop", a.id or 0))
    if not found:
        lines.append(texts("announce.history.none"))
    await query.answer()
    await show(query, "\n".join(lines), markup(*rows(stops, 3), home_row(texts)))


def _history_line(texts: Texts, catalogue: Catalogue, a: ann_repo.Announcement,
                  counts: dict[str, int]) -> str:
    figures = ""
    if counts:
        sent = counts.get(ledger.SENT, 0)
        failed = counts.get(ledger.FAILED, 0) + counts.get(ledger.EXPIRED, 0)
        figures = texts("announce.history.figures", sent=sent, failed=failed,
                        blocked=counts.get(ledger.BLOCKED, 0))
    elif a.status == ann_repo.SCHEDULED and a.send_at is not None:
        figures = texts("announce.history.pending", when=cn_when(a.send_at))
    when = a.started_at or a.send_at or a.confirmed_at or a.created_at
    return texts("announce.history.line", id=a.id, when=cn_when(when),
                 audience=audience_label(texts, catalogue, a.campaign_slug, a.audience,
                                         a.base_id),
                 status=texts(f"announce.status.{a.status}"), figures=figures,
                 urgent=texts("announce.history.urgent") if a.urgent else "")


async def on_log(query: CallbackQuery, texts: Texts, catalogue: Catalogue, staff: Access,
                 session: AsyncSession) -> None:
    """操作记录: the latest audit entries in scope (an admin sees all, the system's too)."""
    campaigns, base = _scope(staff, catalogue)
    entries = await audit.latest(session, campaigns=campaigns, base_id=base, limit=LOG_LIMIT,
                                 include_global=staff.is_admin)
    lines = [texts("audit.title", count=len(entries))]
    lines += [audit_line(texts, catalogue, e) for e in entries] or [texts("audit.none")]
    await query.answer()
    await show(query, "\n".join(lines), markup(home_row(texts)))


def build_router() -> Router:
    router = Router(name="staff.home")
    router.message.register(cmd_staff, Command("staff"))
    router.message.register(cmd_cancel, staff_state, Command("cancel"))
    router.message.register(other_command, staff_state, F.text.startswith("/"))
    router.callback_query.register(on_home, StaffCb.filter(F.action == "home"))
    router.callback_query.register(on_history, StaffCb.filter(F.action == "hist"))
    router.callback_query.register(on_log, StaffCb.filter(F.action == "log"))
    return router
