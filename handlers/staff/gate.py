"""The staff gate: the router-level filters every staff update passes before any staff handler.

Roles are read from the database at the moment of each update (a revocation takes effect on the
person's next update). For a button, the gate also checks everything its data names: the
announcement (in the presser's scope; a draft only by its author), a campaign, a base, a grant,
an invitation's role. Whatever fails, the update is not the staff router's: it goes on to the
applicant routers and meets the ordinary fallback, so nothing reveals that staff features exist.

Updates that cannot be staff work (no /staff, no staff state, no ``sf:`` button) never cost a
query.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from content.catalogue import Catalogue
from handlers.flows import MAX_ROW_ID, leave_flow
from handlers.staff.keyboards import StaffCb
from storage import announcements as ann_repo
from storage.audiences import AUDIENCES
from storage.staff import ADMIN, BASE_STAFF, ROLES, Access, access_of, get_grant

STAFF_PREFIX = "staff_"  # FSM data keys of staff flows
INVITE_SLUG = "staff_invite_slug"
ANY_BASE = "*"

# Actions on a draft: only its author, while it is a draft.
DRAFT_ACTIONS = {"aud", "base", "build", "prev", "opts", "urg", "urgok", "now", "day", "time",
                 "ok", "drop"}
# Actions on an announcement under way or done: anyone whose scope covers it.
SENT_ACTIONS = {"stop", "stopok", "keep"}
ANY_STAFF = {"home", "hist", "log"}


# Every staff StatesGroup's name starts with this (StaffFlow, StaffRecords, …): a state of one of
# them sends the person's messages through the gate, and a revocation drops it.
STAFF_STATE = "Staff"

# What a feature's button names is checked by the function it registers for its actions:
# check(data, access, session, catalogue, state) -> extra handler data, or None to refuse.
ActionCheck = Callable[..., Awaitable[dict[str, Any] | None]]
_ACTION_CHECKS: dict[str, ActionCheck] = {}
# Messages a feature claims for staff beyond /staff and staff states (a reply in the staff inbox,
# an uploaded spreadsheet): cheap predicates on the message alone, no query.
MessageClaim = Callable[[Message], bool]
_MESSAGE_CLAIMS: list[MessageClaim] = []


def register_actions(actions: set[str] | frozenset[str], check: ActionCheck) -> None:
    """A feature module declares its StaffCb actions and the check the gate runs for them."""
    for action in actions:
        known = _ACTION_CHECKS.get(action)
        if known is not None and known is not check:
            raise ValueError(f"staff action {action!r} is registered twice")
        _ACTION_CHECKS[action] = check


def register_message_claim(claim: MessageClaim) -> None:
    if claim not in _MESSAGE_CLAIMS:
        _MESSAGE_CLAIMS.append(claim)


def in_staff_state(raw_state: str | None) -> bool:
    return bool(raw_state and raw_state.startswith(STAFF_STATE))


class StaffFlow(StatesGroup):
    content = State()  # waiting for the announcement's message


def _is_staff_message(message: Message, raw_state: str | None) -> bool:
    text = message.text or ""
    if in_staff_state(raw_state) or text == "/staff" or text.startswith(("/staff ", "/staff@")):
        return True
    return any(claim(message) for claim in _MESSAGE_CLAIMS)


async def message_gate(message: Message, session: AsyncSession, state: FSMContext,
                       raw_state: str | None = None) -> dict[str, Any] | bool:
    if message.from_user is None or not _is_staff_message(message, raw_state):
        return False
    access = await access_of(session, telegram_id=message.from_user.id)
    if access is None:
        if in_staff_state(raw_state):
            # Revoked mid-flow: the person is an applicant again, with no staff state left.
            await leave_flow(state, prefix=STAFF_PREFIX)
        return False
    return {"staff": access}


async def callback_gate(query: CallbackQuery, session: AsyncSession, catalogue: Catalogue,
                        state: FSMContext) -> dict[str, Any] | bool:
    if not (query.data or "").startswith("sf:") or query.from_user is None:
        return False
    try:
        data = StaffCb.unpack(query.data or "")
    except (TypeError, ValueError):
        return False
    if not 0 <= data.ann <= MAX_ROW_ID:
        return False  # no row has such an id: a forged or garbled button
    access = await access_of(session, telegram_id=query.from_user.id)
    if access is None:
        return False
    found = await _objects(data, access, session, catalogue, state)
    if found is None:
        return False
    return {"staff": access, **found}


async def _objects(data: StaffCb, access: Access, session: AsyncSession, catalogue: Catalogue,
                   state: FSMContext) -> dict[str, Any] | None:
    """What the button names, each checked against `access`; None when anything fails."""
    action = data.action
    if action in ANY_STAFF:
        return {}
    if action in DRAFT_ACTIONS or action in SENT_ACTIONS:
        return await _announcement(data, access, session, catalogue)
    if action == "new":
        if not data.arg:
            return {}
        ok = catalogue.get(data.arg) is not None and access.reaches(data.arg)
        return {} if ok else None
    if action == "ppl":
        return {} if may_invite(access) else None
    if action in ("inv", "invb"):
        return await _invite(data, access, catalogue, state)
    if action in ("rv", "rvok"):
        grant = await get_grant(session, grant_id=int(data.arg)) if data.arg.isdigit() else None
        ok = grant is not None and grant.active and access.may_manage(grant)
        return {"grant": grant} if ok else None
    check = _ACTION_CHECKS.get(action)
    if check is not None:
        return await check(data, access, session, catalogue, state)
    return None


async def _announcement(data: StaffCb, access: Access, session: AsyncSession,
                        catalogue: Catalogue) -> dict[str, Any] | None:
    announcement = await ann_repo.get(session, announcement_id=data.ann) if data.ann else None
    if announcement is None:
        return None
    campaign = catalogue.get(announcement.campaign_slug)
    if campaign is None or not access.covers(campaign.slug, announcement.scope_base_id):
        return None
    if data.action in DRAFT_ACTIONS:
        if announcement.status != ann_repo.DRAFT or announcement.sender_id != access.telegram_id:
            return None
        if data.action == "aud" and data.arg not in AUDIENCES:
            return None
        if data.action == "base" and not _base_ok(data.arg, campaign, access):
            return None
    return {"announcement": announcement, "campaign": campaign}


def _base_ok(arg: str, campaign: Any, access: Access) -> bool:
    if arg == ANY_BASE:
        return access.covers(campaign.slug)
    known = any(b.id == arg for b in campaign.plan.bases)
    return known and access.covers(campaign.slug, arg)


def may_invite(access: Access) -> bool:
    return access.is_admin or any(s.role != BASE_STAFF for s in access.scopes())


def _role(index: int) -> str | None:
    return ROLES[index - 1] if 1 <= index <= len(ROLES) else None


async def _invite(data: StaffCb, access: Access, catalogue: Catalogue,
                  state: FSMContext) -> dict[str, Any] | None:
    if not may_invite(access):
        return None
    if data.action == "inv" and data.ann == 0:
        return {}  # the role picker
    role = _role(data.ann)
    if role is None:
        return None
    if data.action == "inv":
        slug = data.arg or None
        if slug is not None and catalogue.get(slug) is None:
            return None
        if slug is None and role != ADMIN:
            # The campaign picker: some campaign must be open to this invitation.
            ok = any(access.may_grant(role, s) for s in catalogue.slugs)
        else:
            ok = access.may_grant(role, slug)
        return {"invite_role": role, "invite_slug": slug} if ok else None
    slug = (await state.get_data()).get(INVITE_SLUG)
    campaign = catalogue.get(slug) if isinstance(slug, str) else None
    if role != BASE_STAFF or campaign is None or not access.may_grant(role, campaign.slug):
        return None
    if not any(b.id == data.arg for b in campaign.plan.bases):
        return None
    return {"invite_role": role, "invite_slug": campaign.slug, "invite_base": data.arg}
