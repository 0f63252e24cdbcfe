"""Retention: personal data of a campaign past its period is deleted, the audit log anonymised.

`purge` is what `zhaolu purge` and the scheduler's daily job run. For every campaign whose
`purge_after` (content/retention.py: its last date plus `retention_days_after_close`) has come,
the rows about its applicants go: pre-registrations and the materials they pre-checked,
self-checks, unanswered questions, 问老师 conversations, reminder subscriptions, announcement
opt-outs, the delivery ledger (messages and their per-person rows) and held status imports.
Audit entries stay (who did what stays accountable) with every receipt number in them made
anonymous (XG2023-0012 → XG2023-****). Then conversation state (FSM) of anyone silent for 30 days
goes, and the account rows of people silent for 30 days who chose no campaign or a purged one,
hold nothing else and are not staff, and the inbox's rows of updates handled 3 days ago. Receipt
counters and the FAQ entries staff wrote (masked) stay. One transaction; a dry run is the same
transaction rolled back.
Repositories take the session keyword-first and never commit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, exists, or_, select
from sqlalchemy.sql import ColumnElement
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from content.retention import campaign_closes, purge_after, unfinished_before
from content.schema import Campaign
from storage.announcements import AnnouncementOptOut
from storage.audit import AuditEntry
from storage.delivery import Delivery, OutMessage
from storage.eligibility import EligibilityCheck
from storage.inbox import InboxCopy, InboxMessage, InboxThread
from storage.models import FsmRecord, User
from storage.registration_materials import RegistrationMaterial
from storage.registrations import Registration
from storage.staff import StaffGrant
from storage.status_imports import StatusImport
from storage.subscriptions import Subscription
from storage.unanswered import UnansweredQuestion
from storage.update_inbox import UpdateRecord, handled_before
from storage.wechat_files import delete_expired

DELETED, ANONYMISED = "deleted", "anonymised"
# The order rows go in (children first) and the order of the report.
TABLES = ("registration_materials", "registrations", "eligibility_checks",
          "unanswered_questions", "inbox_copies", "inbox_messages", "inbox_threads",
          "subscriptions", "announcement_optouts", "deliveries", "messages", "status_imports",
          "audit_log", "fsm_records", "users", "update_inbox", "wechat_files")
# Handled updates stay this long for the inbox's duplicate check (Telegram resends an update
# for at most a day), then go; their payload went already when they were handled.
INBOX_KEEP = timedelta(days=3)
_RECEIPT = re.compile(r"\b([A-Za-z]{1,8}\d{4})-\d{3,6}\b")


@dataclass
class PurgeReport:
    now: datetime
    dry_run: bool
    campaigns: list[str] = field(default_factory=list)  # purged (or, dry, to be purged)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLES, 0))

    def action(self, table: str) -> str:
        return ANONYMISED if table == "audit_log" else DELETED

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def anonymise(detail: str) -> str:
    """An audit detail with every receipt number's own digits hidden."""
    return _RECEIPT.sub(lambda m: f"{m.group(1)}-****", detail)


def _campaign_rows(slugs: Sequence[str]) -> list[tuple[str, Any, ColumnElement[bool]]]:
    """(report name, table, which rows) of the campaigns' personal data, children first."""
    registrations = select(Registration.id).where(col(Registration.campaign_slug).in_(slugs))
    threads = select(InboxThread.id).where(col(InboxThread.campaign_slug).in_(slugs))
    messages = select(OutMessage.key).where(col(OutMessage.campaign_slug).in_(slugs))
    return [
        ("registration_materials", RegistrationMaterial,
         col(RegistrationMaterial.registration_id).in_(registrations)),
        ("registrations", Registration, col(Registration.campaign_slug).in_(slugs)),
        ("eligibility_checks", EligibilityCheck, col(EligibilityCheck.campaign_slug).in_(slugs)),
        ("unanswered_questions", UnansweredQuestion,
         col(UnansweredQuestion.campaign_slug).in_(slugs)),
        ("inbox_copies", InboxCopy, col(InboxCopy.thread_id).in_(threads)),
        ("inbox_messages", InboxMessage, col(InboxMessage.thread_id).in_(threads)),
        ("inbox_threads", InboxThread, col(InboxThread.campaign_slug).in_(slugs)),
        ("subscriptions", Subscription, col(Subscription.campaign_slug).in_(slugs)),
        ("announcement_optouts", AnnouncementOptOut,
         col(AnnouncementOptOut.campaign_slug).in_(slugs)),
        ("deliveries", Delivery, col(Delivery.message_key).in_(messages)),
        ("messages", OutMessage, col(OutMessage.campaign_slug).in_(slugs)),
        ("status_imports", StatusImport, col(StatusImport.campaign_slug).in_(slugs)),
    ]


def _stale_users(purged: Sequence[str], silent_since: datetime) -> ColumnElement[bool]:
    """Accounts silent since `silent_since` whose campaign is none or purged, holding nothing
    else (another campaign's registration, subscription …) and no staff grant."""
    held = [exists().where(column == User.id) for column in (
        Registration.user_id, EligibilityCheck.user_id, UnansweredQuestion.user_id,
        InboxThread.user_id, Subscription.user_id, AnnouncementOptOut.user_id,
        Delivery.user_id, StaffGrant.telegram_id)]
    chose = or_(col(User.campaign_slug).is_(None), col(User.campaign_slug).in_(purged))
    return (col(User.last_seen) < silent_since) & chose & ~or_(*held)


async def _delete(session: AsyncSession, table: Any, where: ColumnElement[bool]) -> int:
    return (await session.exec(delete(table).where(where))).rowcount or 0


async def _anonymise_audit(session: AsyncSession, slugs: Sequence[str]) -> int:
    entries = (await session.exec(select(AuditEntry).where(
        col(AuditEntry.campaign_slug).in_(slugs)))).scalars().all()
    changed = 0
    for entry in entries:
        hidden = anonymise(entry.detail)
        if hidden != entry.detail:
            changed += 1
            entry.detail = hidden
            session.add(entry)
    return changed


async def purge(session: AsyncSession, *, due: Sequence[str], now: datetime,
                silent_since: datetime, dry_run: bool = False) -> PurgeReport:
    """Purge the campaigns `due` (their period is over at `now`), the conversation state of
    anyone not seen since `silent_since`, and accounts left with nothing. A dry run does the
    same (so its counts are exact) and the caller rolls it back instead of committing."""
    report = PurgeReport(now=now, dry_run=dry_run, campaigns=list(due))
    if due:
        for name, table, where in _campaign_rows(due):
            report.counts[name] = await _delete(session, table, where)
        report.counts["audit_log"] = await _anonymise_audit(session, due)
    recent = select(User.id).where(col(User.last_seen) >= silent_since)
    report.counts["fsm_records"] = await _delete(
        session, FsmRecord, ~col(FsmRecord.user_id).in_(recent))
    report.counts["users"] = await _delete(session, User, _stale_users(due, silent_since))
    report.counts["update_inbox"] = await _delete(session, UpdateRecord,
                                                  handled_before(now - INBOX_KEEP))
    report.counts["wechat_files"] = await delete_expired(session, now=now)
    await session.flush()
    return report


@dataclass(frozen=True)
class CampaignPeriod:
    slug: str
    last_date: datetime
    days: int
    purge_from: datetime
    due: bool


def periods(campaigns: Sequence[Campaign], now: datetime) -> list[CampaignPeriod]:
    return [CampaignPeriod(c.slug, campaign_closes(c), c.retention_days_after_close,
                           purge_after(c), now >= purge_after(c)) for c in campaigns]


async def unknown_campaigns(session: AsyncSession, known: Sequence[str]) -> list[str]:
    """Campaigns with pre-registrations but no campaign file: their period cannot be known, so
    their rows are kept (and said so) until the file is back."""
    found = (await session.exec(select(Registration.campaign_slug).distinct())).scalars().all()
    return sorted(set(found) - set(known))


async def run_purge(sessionmaker: Any, campaigns: Sequence[Campaign], now: datetime, *,
                    dry_run: bool = False
                    ) -> tuple[PurgeReport, list[CampaignPeriod], list[str]]:
    """One purge in its own transaction: committed, or rolled back for a dry run."""
    found = periods(campaigns, now)
    async with sessionmaker() as session:
        report = await purge(session, due=[p.slug for p in found if p.due], now=now,
                             silent_since=unfinished_before(now), dry_run=dry_run)
        unknown = await unknown_campaigns(session, [c.slug for c in campaigns])
        if dry_run:
            await session.rollback()
        else:
            await session.commit()
    return report, found, unknown
