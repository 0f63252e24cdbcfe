"""/start staff-<token>: accepting a staff invitation (anyone may open the link).

An unknown token is an unknown deep link like any other (the chooser), so guessing reveals
nothing; an expired or used one says so, since the person holding it was really invited.
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.types import Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.staff_menus import sync_one
from content.catalogue import Catalogue
from content.dates import cn_datetime
from content.texts import Texts
from handlers.keyboards import chooser_keyboard
from handlers.staff.words import where
from storage import audit
from storage.models import User
from storage.staff import INVITE_PREFIX, grant, redeem_invite


async def on_invite_link(message: Message, command: CommandObject, bot: Bot, texts: Texts,
                         catalogue: Catalogue, session: AsyncSession, clock: Clock,
                         user: User | None) -> None:
    token = (command.args or "").strip()[len(INVITE_PREFIX):]
    now = clock.now()
    if user is None:
        return
    outcome, invite = await redeem_invite(session, token=token, telegram_id=user.id, now=now)
    if invite is None:
        await message.answer(texts("start.unknown_payload"),
                             reply_markup=chooser_keyboard(catalogue.all(), user.campaign_slug))
        return
    if outcome == "expired":
        await message.answer(texts("staff.invite.expired", when=cn_datetime(invite.expires_at)))
        return
    if outcome == "used":
        await message.answer(texts("staff.invite.used"))
        return
    campaign_gone = invite.campaign_slug is not None and catalogue.get(invite.campaign_slug) \
        is None
    base_gone = invite.base_id is not None and not campaign_gone and not any(
        b.id == invite.base_id for b in catalogue.get(invite.campaign_slug).plan.bases)
    if campaign_gone or base_gone:
        await message.answer(texts("staff.invite.stale"))
        return
    row, new = await grant(session, telegram_id=user.id, role=invite.role,
                           campaign_slug=invite.campaign_slug, base_id=invite.base_id,
                           source="invite", granted_by=invite.created_by, now=now)
    invite.grant_id = row.id
    session.add(invite)
    await audit.record(session, action="invite.redeem", now=now, actor_id=user.id,
                       role=invite.role, campaign_slug=invite.campaign_slug,
                       base_id=invite.base_id,
                       detail=f"invite #{invite.id} grant #{row.id} new={'yes' if new else 'no'}")
    place = where(texts, catalogue, invite.role, invite.campaign_slug, invite.base_id)
    role = texts(f"staff.role.{invite.role}")
    key = "staff.invite.accepted" if new else "staff.invite.already"
    await message.answer(texts(key, role=role, where=place))
    await sync_one(session, bot, texts, user.id)


def build_router() -> Router:
    router = Router(name="staff_invite")
    router.message.register(on_invite_link, CommandStart(
        deep_link=True, magic=F.args.startswith(INVITE_PREFIX)))
    return router
