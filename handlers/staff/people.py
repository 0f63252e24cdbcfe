"""👥 人员与邀请: who holds which role, one-time invitation links, revocation.

Admins invite anyone; a coordinator invites base staff of their own campaign (the gate checks
every step). An invitation is a deep link ``/start staff-<token>`` valid for
DEFAULT_INVITE_HOURS and usable once; it is accepted in handlers/staff_invite.py.
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.staff_menus import sync_one
from content.catalogue import Catalogue
from content.texts import Texts
from handlers.menu import show
from handlers.staff.gate import INVITE_SLUG
from handlers.staff.keyboards import StaffCb, button, home_row, markup, rows
from handlers.staff.words import grant_line, where, who
from storage import audit
from storage.staff import (
    ADMIN,
    BASE_STAFF,
    COORDINATOR,
    DEFAULT_INVITE_HOURS,
    INVITE_PREFIX,
    ROLES,
    Access,
    StaffGrant,
    create_invite,
    list_grants,
    revoke,
)


async def on_people(query: CallbackQuery, texts: Texts, catalogue: Catalogue, staff: Access,
                    session: AsyncSession) -> None:
    grants = [g for g in await list_grants(session) if staff.may_manage(g) or g.telegram_id ==
              staff.telegram_id or (g.campaign_slug and staff.covers(g.campaign_slug))]
    lines = [texts("staff.people.title", count=len(grants))]
    lines += [grant_line(texts, catalogue, g, await who(session, texts, g.telegram_id))
              for g in grants] or [texts("staff.people.none")]
    revokes = [button(texts("staff.people.button.revoke", id=g.id), "rv", arg=str(g.id))
               for g in grants if staff.may_manage(g) and g.telegram_id != staff.telegram_id]
    await query.answer()
    await show(query, "\n".join(lines), markup(
        [button(texts("staff.people.button.invite"), "inv")], *rows(revokes, 3),
        home_row(texts)))


async def on_invite(query: CallbackQuery, callback_data: StaffCb, bot: Bot, texts: Texts,
                    catalogue: Catalogue, staff: Access, session: AsyncSession, clock: Clock,
                    state: FSMContext, invite_role: str | None = None,
                    invite_slug: str | None = None, invite_base: str | None = None) -> None:
    """Role, then campaign, then base, each offered only as far as the inviter may grant."""
    await query.answer()
    if invite_role is None:
        roles = [r for r in ROLES if r == ADMIN and staff.is_admin or r != ADMIN and any(
            staff.may_grant(r, s) for s in catalogue.slugs)]
        buttons = [button(texts(f"staff.role.{r}").split("（")[0], "inv", ROLES.index(r) + 1)
                   for r in roles]
        await show(query, texts("staff.invite.pick_role"), markup(buttons, home_row(texts)))
        return
    index = ROLES.index(invite_role) + 1
    if invite_role != ADMIN and invite_slug is None:
        open_to = [c for c in catalogue if staff.may_grant(invite_role, c.slug)]
        if len(open_to) != 1:
            buttons = [button(c.name, "inv", index, c.slug) for c in open_to]
            await show(query, texts("staff.invite.pick_campaign",
                                    role=texts(f"staff.role.{invite_role}")),
                       markup(*rows(buttons, 1), home_row(texts)))
            return
        invite_slug = open_to[0].slug  # nothing to choose: a coordinator's own campaign
    campaign = catalogue.get(invite_slug)
    if invite_role == BASE_STAFF and invite_base is None and campaign is not None:
        if not campaign.plan.bases:
            await show(query, texts("staff.invite.no_bases"), markup(home_row(texts)))
            return
        await state.update_data({INVITE_SLUG: campaign.slug})
        buttons = [button(b.name, "invb", index, b.id) for b in campaign.plan.bases]
        await show(query, texts("staff.invite.pick_base", campaign=campaign.name),
                   markup(*rows(buttons, 1), home_row(texts)))
        return
    invite, token = await create_invite(session, role=invite_role, campaign_slug=invite_slug,
                                        base_id=invite_base, created_by=staff.telegram_id,
                                        now=clock.now())
    await audit.record(session, action="invite.create", now=clock.now(),
                       actor_id=staff.telegram_id, role=staff.role_in(invite_slug or "") or
                       (ADMIN if staff.is_admin else COORDINATOR), campaign_slug=invite_slug,
                       base_id=invite_base, detail=f"invite #{invite.id} role={invite_role}")
    await show(query, await invite_text(bot, texts, catalogue, token, invite_role, invite_slug,
                                        invite_base), markup(home_row(texts)))


async def invite_text(bot: Bot, texts: Texts, catalogue: Catalogue, token: str, role: str,
                      slug: str | None, base_id: str | None) -> str:
    payload = INVITE_PREFIX + token
    me = await bot.me()
    link = (f"https://t.me/{me.username}?start={payload}" if me.username
            else texts("staff.invite.link_manual", payload=payload))
    return texts("staff.invite.link", hours=DEFAULT_INVITE_HOURS, link=link,
                 role=texts(f"staff.role.{role}"),
                 where=where(texts, catalogue, role, slug, base_id))


async def on_revoke(query: CallbackQuery, callback_data: StaffCb, bot: Bot, texts: Texts,
                    catalogue: Catalogue, staff: Access, session: AsyncSession, clock: Clock,
                    grant: StaffGrant) -> None:
    """Ask, then revoke: the person's next update already finds no role."""
    person = await who(session, texts, grant.telegram_id)
    place = where(texts, catalogue, grant.role, grant.campaign_slug, grant.base_id)
    role = texts(f"staff.role.{grant.role}")
    await query.answer()
    if callback_data.action == "rv":
        text = texts("staff.revoke.confirm", id=grant.id, who=person, role=role, where=place)
        if grant.source == "env":
            text += "\n" + texts("staff.revoke.env_note")
        await show(query, text, markup([button(texts("staff.revoke.button.confirm"), "rvok",
                                               arg=str(grant.id)),
                                        button(texts("announce.button.back"), "ppl")]))
        return
    await revoke(session, grant_id=grant.id or 0, by=staff.telegram_id, now=clock.now())
    await audit.record(session, action="staff.revoke", now=clock.now(),
                       actor_id=staff.telegram_id,
                       role=ADMIN if staff.is_admin else COORDINATOR,
                       campaign_slug=grant.campaign_slug, base_id=grant.base_id,
                       detail=f"grant #{grant.id} {grant.role} of user {grant.telegram_id}")
    await show(query, texts("staff.revoke.done", id=grant.id, who=person, role=role,
                            where=place), markup([button(texts("announce.button.back"), "ppl")]))
    await sync_one(session, bot, texts, grant.telegram_id)


def build_router() -> Router:
    router = Router(name="staff.people")
    router.callback_query.register(on_people, StaffCb.filter(F.action == "ppl"))
    router.callback_query.register(on_invite, StaffCb.filter(F.action.in_({"inv", "invb"})))
    router.callback_query.register(on_revoke, StaffCb.filter(F.action.in_({"rv", "rvok"})))
    return router
