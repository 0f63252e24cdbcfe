"""Applicant records: statuses set by staff, the transitions allowed, and finding a record.

Every staff status change (chat, XLSX import, CLI) goes through `change_status`, which in one
transaction moves the row (a conditional UPDATE on the old status, so a double tap or two
workers change it once), writes the audit entry and queues the applicant's plain-words message
in the delivery ledger under a key unique to this change (sent once, across restarts).

The transition table (`may_move`), written down as coordinators work:
- 资格审核通过 / 不通过: from 已预登记 or 已官网报名; each also corrects the other.
- 已录取 / 未录取: from 已预登记, 已官网报名, 资格审核通过; each also corrects the other.
- 已报到: from 已录取 only.
- 放弃 (with a reason): from any active status but 资格审核不通过 (nothing left to give up):
  before the results, after admission (did not report: the Fujian 汇总表 asks why) or after
  reporting (left the training).
- corrections back: 已报到 → 已录取, 放弃 → 资格审核通过 / 已录取.
- nothing leaves 已撤回 (the applicant withdrew; the ID number may be registered again).
- the applicant's own marks (已官网报名, 已录取 / 未录取 from 已预登记 or 已官网报名, 已报到, 撤回)
  are handled in handlers/registration_my.py and never override what staff set.
Repositories take the session keyword-first and never commit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, cast, false, or_
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from content.dates import cn_date
from content.masking import mask_personal_numbers
from content.promises import ADMITTED as ADMITTED_READERS
from content.promises import PREREGISTERED, reminds
from content.schema import Campaign
from content.silence import no_contacts, phones_text
from content.texts import Raw, Texts, default_texts
from storage import audit, delivery
from storage.registrations import (
    ACTIVE_STATUSES,
    ADMITTED,
    GAVE_UP,
    NOT_ADMITTED,
    OFFICIALLY_REGISTERED,
    PRE_REGISTERED,
    REPORTED,
    REVIEW_FAILED,
    REVIEW_PASSED,
    STATUSES,
    WITHDRAWN,
    Registration,
)
from storage.subscriptions import is_subscribed

STAFF_STATUSES = (REVIEW_PASSED, REVIEW_FAILED, ADMITTED, NOT_ADMITTED, REPORTED, GAVE_UP)
REASON_REQUIRED = frozenset({REVIEW_FAILED, GAVE_UP})
REASON_MAX = 200
SOURCES = ("chat", "xlsx", "cli")
NOTICE_KIND = "status"

# new status -> the statuses it may be set from (the module docstring says why).
_FROM: dict[str, frozenset[str]] = {
    REVIEW_PASSED: frozenset({PRE_REGISTERED, OFFICIALLY_REGISTERED, REVIEW_FAILED, GAVE_UP}),
    REVIEW_FAILED: frozenset({PRE_REGISTERED, OFFICIALLY_REGISTERED, REVIEW_PASSED}),
    ADMITTED: frozenset({PRE_REGISTERED, OFFICIALLY_REGISTERED, REVIEW_PASSED, NOT_ADMITTED,
                         REPORTED, GAVE_UP}),
    NOT_ADMITTED: frozenset({PRE_REGISTERED, OFFICIALLY_REGISTERED, REVIEW_PASSED, ADMITTED}),
    REPORTED: frozenset({ADMITTED}),
    GAVE_UP: frozenset(set(ACTIVE_STATUSES) - {REVIEW_FAILED, GAVE_UP}),
    # The applicant's own marks (handlers/registration_my.py checks them the same way).
    OFFICIALLY_REGISTERED: frozenset({PRE_REGISTERED}),
    WITHDRAWN: frozenset({PRE_REGISTERED, OFFICIALLY_REGISTERED}),
}


def may_move(old: str, new: str) -> bool:
    """Whether a record in `old` may be set to `new`. Same → same is "no change" (False here;
    `change_status` refuses it with code "same", not as an impossible transition)."""
    return old != new and old in _FROM.get(new, frozenset())


def targets(old: str) -> list[str]:
    """The staff statuses a record in `old` can be set to, in button order."""
    return [new for new in STAFF_STATUSES if may_move(old, new)]


@dataclass(frozen=True)
class StatusChange:
    registration: Registration
    old: str
    new: str
    reason: str | None
    notified: bool  # the applicant's message was queued (False: already queued before)


class StatusRefused(Exception):
    """A change that cannot be made; `.code` says why, `.message` says it in Chinese."""

    CODES = ("same", "transition", "reason", "withdrawn", "scope", "unknown")

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def clean_reason(reason: str | None) -> str | None:
    """The reason as kept: one line, ID and phone numbers masked, at most REASON_MAX chars."""
    if reason is None:
        return None
    text = " ".join(mask_personal_numbers(reason).split())
    return text[:REASON_MAX] or None


def _refuse(texts: Texts, code: str, registration: Registration, status: str) -> StatusRefused:
    return StatusRefused(code, texts(
        f"records.refused.{code}", receipt=registration.receipt_no,
        old=texts(f"registration.status.{registration.status}"),
        new=texts(f"registration.status.{status}") if status in STATUSES else status))


def check_change(registration: Registration, status: str, reason: str | None, *,
                 texts: Texts, scope_base: str | None = None) -> None:
    """Raise StatusRefused when `change_status` would refuse; nothing is written."""
    if status not in STAFF_STATUSES:
        raise _refuse(texts, "unknown", registration, status)
    if scope_base is not None and scope_base not in (registration.base_choices or []):
        raise _refuse(texts, "scope", registration, status)
    if registration.status == WITHDRAWN:
        raise _refuse(texts, "withdrawn", registration, status)
    if registration.status == status:
        raise _refuse(texts, "same", registration, status)
    if not may_move(registration.status, status):
        raise _refuse(texts, "transition", registration, status)
    if status in REASON_REQUIRED and not clean_reason(reason):
        raise _refuse(texts, "reason", registration, status)


async def change_status(session: AsyncSession, *, registration: Registration, status: str,
                        reason: str | None, actor_id: int | None, actor_label: str,
                        actor_role: str, now: datetime, source: str = "chat",
                        campaign: Campaign | None = None, texts: Texts | None = None,
                        scope_base: str | None = None) -> StatusChange:
    """Set a staff status, audit it, and queue the applicant's message. `actor_label` is the
    audit's actor ("" for a person, "cli"); pass `campaign` so the message can name the
    report-in date and whom to contact; `scope_base` refuses a record not choosing that base."""
    texts = texts or default_texts()
    check_change(registration, status, reason, texts=texts, scope_base=scope_base)
    old = registration.status
    kept_reason = clean_reason(reason)
    # Conditional on the old status: of two concurrent presses, one changes and one finds none.
    result = await session.exec(
        update(Registration)
        .where(col(Registration.id) == registration.id, col(Registration.status) == old)
        .values(status=status, status_reason=kept_reason, status_changed_at=now,
                status_changed_by=actor_id, updated_at=now,
                active_id_hash=registration.id_hash)
        .execution_options(synchronize_session=False))
    await session.refresh(registration)
    if (result.rowcount or 0) != 1:  # moved meanwhile: refuse as for the status it has now
        check_change(registration, status, reason, texts=texts, scope_base=scope_base)
        raise _refuse(texts, "transition", registration, status)
    entry = await audit.record(
        session, action="record.status", now=now, actor_id=actor_id, actor=actor_label,
        role=actor_role, campaign_slug=registration.campaign_slug,
        base_id=(registration.base_choices or [None])[0] if scope_base is None else scope_base,
        message_ref=registration.receipt_no,
        detail=f"{registration.receipt_no} {old}->{status} source={source}"
               + (" reason=given" if kept_reason else ""))
    # A reminder is promised only to someone who gets reminders (content/promises.py).
    reminded = await is_subscribed(session, user_id=registration.user_id,
                                   slug=registration.campaign_slug)
    added = await delivery.enqueue(
        session, key=f"status:{registration.id}:{entry.id}", kind=NOTICE_KIND,
        text=notice_text(registration, campaign, texts, now if reminded else None),
        recipients=[registration.user_id],
        now=now, campaign_slug=registration.campaign_slug)
    return StatusChange(registration, old, status, kept_reason, notified=bool(added))


def _contacts(registration: Registration, campaign: Campaign, texts: Texts) -> str:
    """Whom to ask: the chosen bases' contacts, else the notice's first contact."""
    ids = [cid for base in campaign.plan.bases if base.id in (registration.base_choices or [])
           for cid in base.contact_ids]
    found = [c for c in campaign.contacts if c.id in ids] or campaign.contacts[:1]
    if not found:
        return texts("records.notice.contact_none", whom=no_contacts(campaign, texts))
    return "\n".join(texts("records.notice.contact", organisation=c.organisation,
                           person=f"（{c.person}）" if c.person else "",
                           phones=phones_text(c, texts)) for c in found)


def _next_step(registration: Registration, campaign: Campaign | None, texts: Texts,
               now: datetime | None) -> str:
    """What comes next, promising a reminder only when the campaign dates one still to come
    (content/promises.py, issue 12 §2)."""
    status = registration.status
    if campaign is None:
        return texts("records.notice.next_plain")
    if status == ADMITTED:
        event = campaign.event("report_in")
        moment = event.end or event.start if event is not None else None
        if event is not None and moment is not None:
            reminded = now is not None and reminds(campaign, now, "report_in", ADMITTED_READERS)
            return texts("records.notice.next_admitted_dated", date=cn_date(moment),
                         text=event.text, promise=Raw(texts(
                             "records.notice.report_in_reminded" if reminded
                             else "records.notice.report_in_mark")))
        return texts("records.notice.next_admitted",
                     contacts=Raw(_contacts(registration, campaign, texts)))
    if status == REVIEW_PASSED:
        event = campaign.event("results")
        moment = event.start or event.end if event is not None else None
        if moment is not None:
            reminded = now is not None and reminds(campaign, now, "results", PREREGISTERED)
            key = "records.notice.next_review_passed_dated" + ("_reminded" if reminded else "")
            return texts(key, date=cn_date(moment))
        return texts("records.notice.next_review_passed")
    if status in (REVIEW_FAILED, NOT_ADMITTED, GAVE_UP):
        return texts(f"records.notice.next_{status}",
                     contacts=Raw(_contacts(registration, campaign, texts)))
    return texts(f"records.notice.next_{status}")


def notice_text(registration: Registration, campaign: Campaign | None,
                texts: Texts | None = None, now: datetime | None = None) -> str:
    """The applicant's message for the record's current status (HTML, phone width); without
    `now` (the applicant turned reminders off) no reminder is promised."""
    texts = texts or default_texts()
    status = registration.status
    reason = texts("records.notice.reason", reason=registration.status_reason) \
        if registration.status_reason else ""
    return texts(f"records.notice.{status}",
                 campaign=campaign.name if campaign else registration.campaign_slug,
                 receipt=registration.receipt_no, reason=Raw(reason),
                 next=Raw(_next_step(registration, campaign, texts, now)))


_DIGITS = re.compile(r"^\d{1,6}$")


def _bases(base_id: str | Sequence[str] | None) -> list[str] | None:
    return None if base_id is None else [base_id] if isinstance(base_id, str) else list(base_id)


def _in_scope(statement, campaign_slugs: Sequence[str] | None,  # noqa: ANN001, ANN202
              base_id: str | Sequence[str] | None):
    if campaign_slugs is not None:
        statement = statement.where(col(Registration.campaign_slug).in_(list(campaign_slugs)))
    bases = _bases(base_id)
    if bases is not None:
        # base_choices is a JSON list of ids (plain [a-z0-9_] ids): its text holds "base_id".
        text = cast(Registration.base_choices, String)
        statement = statement.where(or_(false(), *(text.contains(f'"{b}"', autoescape=True)
                                                   for b in bases)))
    return statement


async def search(session: AsyncSession, *, campaign_slugs: list[str] | None,
                 base_id: str | Sequence[str] | None, query: str, limit: int
                 ) -> list[Registration]:
    """Records by receipt number (exact, or its number: "0012", "12") or by name (a part of it),
    within the campaigns (None: all) and, for base staff, their base(s); receipt order."""
    text = " ".join(query.split())
    if not text:
        return []
    statement = _in_scope(select(Registration), campaign_slugs, base_id)
    if _DIGITS.match(text):
        receipt = col(Registration.receipt_no)
        wanted = or_(receipt.endswith(f"-{int(text):04d}"), receipt.endswith(f"-{text}"))
    elif any(ch.isdigit() for ch in text):
        wanted = col(Registration.receipt_no) == text.upper()
    else:
        wanted = col(Registration.name).contains(text, autoescape=True)
    statement = statement.where(wanted).order_by(col(Registration.id)).limit(limit)
    return list((await session.exec(statement)).all())


async def latest(session: AsyncSession, *, campaign_slugs: list[str] | None,
                 base_id: str | Sequence[str] | None, limit: int) -> list[Registration]:
    """The newest active pre-registrations in scope, newest first."""
    statement = _in_scope(select(Registration), campaign_slugs, base_id).where(
        col(Registration.status).in_(ACTIVE_STATUSES)).order_by(col(Registration.id).desc())
    return list((await session.exec(statement.limit(limit))).all())


async def in_scope(session: AsyncSession, *, registration_id: int,
                   campaign_slugs: Sequence[str] | None, base_id: str | Sequence[str] | None
                   ) -> Registration | None:
    """A record by id (from a button), only when it is in scope."""
    registration = await session.get(Registration, registration_id)
    if registration is None:
        return None
    if campaign_slugs is not None and registration.campaign_slug not in campaign_slugs:
        return None
    bases = _bases(base_id)
    if bases is not None and not set(bases) & set(registration.base_choices or []):
        return None
    return registration
