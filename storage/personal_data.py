"""Everything stored about one person, gathered for /mydata (PIPL Art. 44–45: access, portability).

`gather` reads every table that holds a row about the user and returns plain JSON-ready data by
category. The same data makes the chat's short summary (masked) and the JSON document the user
downloads (their own ID number and phone in full: the document is theirs to take elsewhere).
Staff identities are left out: an applicant sees who changed a status as "staff", never a name.
Repositories take the session keyword-first and never commit.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.announcements import AnnouncementOptOut
from storage.audit import AuditEntry
from storage.crypto import VaultError
from storage.delivery import Delivery, channel_of
from storage.eligibility import EligibilityCheck
from storage.inbox import InboxMessage, InboxThread
from storage.models import User
from storage.registration_materials import RegistrationMaterial
from storage.registrations import Registration
from storage.staff import StaffGrant
from storage.subscriptions import Subscription
from storage.unanswered import UnansweredQuestion

Decrypt = Callable[[str], str]


def _at(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _account(user: User | None) -> dict[str, Any]:
    if user is None:
        return {}
    return {"telegram_id": user.id, "channel": channel_of(user.id), "username": user.username,
            "first_name": user.first_name,
            "last_name": user.last_name, "campaign": user.campaign_slug,
            "first_seen": _at(user.first_seen), "last_seen": _at(user.last_seen),
            "blocked_at": _at(user.blocked_at)}


def _id_number(cipher: str, decrypt: Decrypt, masked: str) -> str:
    try:
        return decrypt(cipher)
    except VaultError:  # a key problem is the keys' check to report; the masked form still shows
        return masked


async def _history(session: AsyncSession, registration: Registration) -> list[dict[str, Any]]:
    """Staff status changes of one pre-registration, from the audit log (`record.status`:
    "RECEIPT old->new source=…"); who made them is not shown."""
    statement = (select(AuditEntry)
                 .where(AuditEntry.action == "record.status",
                        AuditEntry.campaign_slug == registration.campaign_slug,
                        col(AuditEntry.detail).startswith(f"{registration.receipt_no} "))
                 .order_by(col(AuditEntry.at), col(AuditEntry.id)))
    changes = []
    for entry in (await session.exec(statement)).all():
        move = entry.detail.split(" ")[1] if " " in entry.detail else ""
        old, _, new = move.partition("->")
        if new:
            changes.append({"at": _at(entry.at), "from": old, "to": new})
    return changes


async def _registrations(session: AsyncSession, user_id: int, decrypt: Decrypt
                         ) -> list[dict[str, Any]]:
    rows = (await session.exec(select(Registration).where(Registration.user_id == user_id)
                               .order_by(col(Registration.id)))).all()
    found = []
    for row in rows:
        materials = (await session.exec(
            select(RegistrationMaterial).where(RegistrationMaterial.registration_id == row.id)
            .order_by(col(RegistrationMaterial.id)))).all()
        found.append({
            "campaign": row.campaign_slug, "receipt": row.receipt_no, "status": row.status,
            "status_reason": row.status_reason, "status_changed_at": _at(row.status_changed_at),
            "status_changed_by": None if row.status_changed_at is None else (
                "applicant" if row.status_changed_by is None else "staff"),
            "name": row.name, "id_number": _id_number(row.id_cipher, decrypt, row.id_masked),
            "id_masked": row.id_masked, "phone": row.phone, "school": row.school,
            "graduation_year": row.graduation_year, "education": row.education,
            "major": row.major, "qualification": row.qualification,
            "person_type": row.person_type, "base_choices": list(row.base_choices or []),
            "accepts_adjustment": row.accepts_adjustment, "verdict": row.verdict,
            "conditions": list(row.conditions or []), "created_at": _at(row.created_at),
            "updated_at": _at(row.updated_at), "consented_at": _at(row.consented_at),
            "id_consented_at": _at(row.id_consented_at),
            "status_history": await _history(session, row),
            "materials": [{"rule": m.rule_id, "mime_type": m.mime_type,
                           "size_bytes": m.size_bytes, "problems": list(m.problems or []),
                           "checked_at": _at(m.created_at)} for m in materials],
        })
    return found


async def _questions(session: AsyncSession, user_id: int) -> dict[str, Any]:
    unanswered = (await session.exec(
        select(UnansweredQuestion).where(UnansweredQuestion.user_id == user_id)
        .order_by(col(UnansweredQuestion.asked_at), col(UnansweredQuestion.id)))).all()
    threads = (await session.exec(
        select(InboxThread).where(InboxThread.user_id == user_id)
        .order_by(col(InboxThread.id)))).all()
    inbox = []
    for thread in threads:
        messages = (await session.exec(
            select(InboxMessage).where(InboxMessage.thread_id == thread.id)
            .order_by(col(InboxMessage.id)))).all()
        inbox.append({
            "campaign": thread.campaign_slug, "status": thread.status,
            "created_at": _at(thread.created_at), "updated_at": _at(thread.updated_at),
            "messages": [{"from": "applicant" if m.direction == "in" else "staff",
                          "kind": m.kind, "text": m.text, "at": _at(m.created_at)}
                         for m in messages],
        })
    return {
        "unanswered": [{"campaign": q.campaign_slug, "question": q.question,
                        "asked_at": _at(q.asked_at), "answered": q.answered_at is not None
                        or q.faq_id is not None} for q in unanswered],
        "staff_inbox": inbox,
    }


async def _reminders(session: AsyncSession, user_id: int) -> dict[str, Any]:
    subscriptions = (await session.exec(select(Subscription).where(
        Subscription.user_id == user_id).order_by(col(Subscription.campaign_slug)))).all()
    optouts = (await session.exec(select(AnnouncementOptOut).where(
        AnnouncementOptOut.user_id == user_id))).all()
    deliveries = (await session.exec(select(Delivery).where(Delivery.user_id == user_id)
                                     .order_by(col(Delivery.id)))).all()
    return {
        "subscriptions": [{"campaign": s.campaign_slug, "active": s.active,
                           "subscribed_at": _at(s.subscribed_at),
                           "unsubscribed_at": _at(s.unsubscribed_at)} for s in subscriptions],
        "announcements_off": [{"campaign": o.campaign_slug, "at": _at(o.at)} for o in optouts],
        "messages_sent": [{"message": d.message_key, "status": d.status,
                           "sent_at": _at(d.sent_at)} for d in deliveries],
    }


async def gather(session: AsyncSession, *, user_id: int, decrypt: Decrypt) -> dict[str, Any]:
    """Every row about `user_id`, by category (the FSM's unfinished forms are added by the
    caller, which holds the conversation's storage)."""
    user = await session.get(User, user_id)
    checks = (await session.exec(select(EligibilityCheck).where(
        col(EligibilityCheck.user_id) == user_id).order_by(
        col(EligibilityCheck.campaign_slug)))).all()
    grants = (await session.exec(select(StaffGrant).where(
        StaffGrant.telegram_id == user_id).order_by(col(StaffGrant.id)))).all()
    data: dict[str, Any] = {
        "account": _account(user),
        "registrations": await _registrations(session, user_id, decrypt),
        "self_checks": [{"campaign": c.campaign_slug, "answers": dict(c.profile),
                         "verdict": c.verdict, "rules": list(c.rules),
                         "checked_at": _at(c.checked_at)} for c in checks],
        "questions": await _questions(session, user_id),
        **await _reminders(session, user_id),
    }
    if grants:
        data["staff_roles"] = [{"role": g.role, "campaign": g.campaign_slug, "base": g.base_id,
                                "granted_at": _at(g.granted_at),
                                "revoked_at": _at(g.revoked_at)} for g in grants]
    return data
