"""❓ 未答问题: what applicants asked that the notice did not answer, similar questions grouped.

The top groups of the campaigns the viewer reaches (storage/unanswered.py groups them), each with
how often and when last it was asked, its latest wording, and whether it was answered: by a staff
reply (the inbox marks it) or by an FAQ entry staff saved (问答补充). Phone width: one short
block per group.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery
from sqlmodel.ext.asyncio.session import AsyncSession

from content.catalogue import Catalogue
from content.dates import cn_datetime
from content.texts import Raw, Texts
from handlers.menu import show
from handlers.staff.gate import register_actions
from handlers.staff.keyboards import StaffCb, button, home_row, markup
from storage.staff import Access
from storage.unanswered import UnansweredGroup, list_unanswered

LIMIT = 10
WORDING_CHARS = 80
ACTIONS = {"unq"}


async def check(data: StaffCb, access: Access, session: AsyncSession, catalogue: Catalogue,
                state: object) -> dict | None:
    """Any staff member: the list shows only the campaigns they reach."""
    return {}


register_actions(ACTIONS, check)


def status(texts: Texts, group: UnansweredGroup) -> str:
    if group.faq_id is not None:
        return texts("unq.status.faq", id=group.faq_id)
    if group.replied:
        return texts("unq.status.reply", n=group.replied)
    return texts("unq.status.open")


def _item(texts: Texts, catalogue: Catalogue, n: int, group: UnansweredGroup,
          several: bool) -> str:
    campaign = catalogue.get(group.campaign_slug)
    where = texts("unq.campaign", campaign=campaign.notice.region if campaign else
                  group.campaign_slug) if several else ""
    wording = " ".join(group.question.split())
    if len(wording) > WORDING_CHARS:
        wording = wording[:WORDING_CHARS - 1] + "…"
    forms = texts("unq.forms", forms=group.forms) if group.forms > 1 else ""
    return texts("unq.item", n=n, question=wording, count=group.count, forms=Raw(forms),
                 when=cn_datetime(group.last_asked, year=False),
                 status=Raw(status(texts, group)), campaign=Raw(where))


async def on_unanswered(query: CallbackQuery, texts: Texts, catalogue: Catalogue, staff: Access,
                        session: AsyncSession) -> None:
    slugs = list(catalogue.slugs) if staff.is_admin else staff.campaigns(catalogue.slugs)
    groups = await list_unanswered(session, campaigns=slugs, limit=LIMIT)
    refresh = [button(texts("unq.button.refresh"), "unq")]
    if not groups:
        await query.answer()
        await show(query, texts("unq.none"), markup(refresh, home_row(texts)))
        return
    several = len(slugs) > 1
    lines = [texts("unq.title")]
    lines += [_item(texts, catalogue, n, g, several) for n, g in enumerate(groups, 1)]
    if len(groups) == LIMIT:
        lines.append(texts("unq.footer", limit=LIMIT))
    await query.answer()
    await show(query, "\n\n".join(lines), markup(refresh, home_row(texts)))


def build_router() -> Router:
    router = Router(name="staff.unanswered")
    router.callback_query.register(on_unanswered, StaffCb.filter(F.action.in_(ACTIONS)))
    return router
