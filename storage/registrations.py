"""Pre-registrations (预登记) and the scans applicants pre-checked, with their queries.

Rules the database itself holds, so they survive concurrent updates and several workers:
- one active pre-registration per ID number per campaign: ``active_id_hash`` is the keyed hash of
  the ID number while the row is active and NULL once withdrawn, under a unique constraint with
  the campaign (NULLs never collide, on SQLite and PostgreSQL alike);
- receipt numbers are sequential per campaign: one counter row per campaign, incremented by a
  single upsert, and unique with the campaign.
Repositories take the session keyword-first and never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import JSON, BigInteger, Text, UniqueConstraint, delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content.masking import mask_id_number
from content.registration import Applicant
from storage.crypto import Vault
from storage.engine import upsert_insert
from storage.models import User
from storage.registration_materials import RegistrationMaterial
from storage.types import AwareDateTime, utc_now

PRE_REGISTERED = "pre_registered"
OFFICIALLY_REGISTERED = "officially_registered"
ADMITTED = "admitted"
NOT_ADMITTED = "not_admitted"
REPORTED = "reported"
# Set by staff (storage/records.py): 资格审核通过 / 资格审核不通过 / 放弃.
REVIEW_PASSED = "review_passed"
REVIEW_FAILED = "review_failed"
GAVE_UP = "gave_up"
WITHDRAWN = "withdrawn"
STATUSES = (PRE_REGISTERED, OFFICIALLY_REGISTERED, REVIEW_PASSED, REVIEW_FAILED, ADMITTED,
            NOT_ADMITTED, REPORTED, GAVE_UP, WITHDRAWN)
# Still held by the applicant: everything but withdrawn (the uniqueness rule and the export).
ACTIVE_STATUSES = STATUSES[:-1]
# Active, but out of the running: nothing further is sent to them (reminders, "preregistered").
CLOSED_STATUSES = (REVIEW_FAILED, GAVE_UP)
IN_PROCESS_STATUSES = tuple(s for s in ACTIVE_STATUSES if s not in CLOSED_STATUSES)


class Registration(SQLModel, table=True):
    __tablename__ = "registrations"
    __table_args__ = (
        UniqueConstraint("campaign_slug", "receipt_no", name="uq_registrations_receipt"),
        UniqueConstraint("campaign_slug", "active_id_hash", name="uq_registrations_active_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign_slug: str = Field(max_length=64, index=True)
    user_id: int = Field(sa_type=BigInteger, index=True)
    status: str = Field(default=PRE_REGISTERED, max_length=32)
    receipt_no: str = Field(max_length=32)
    id_cipher: str = Field(sa_type=Text)  # Fernet token of the ID number
    id_hash: str = Field(max_length=64, index=True)
    active_id_hash: str | None = Field(default=None, max_length=64)
    id_masked: str = Field(max_length=32)  # 4209**********1234, what the chat shows
    name: str = Field(max_length=64)
    phone: str = Field(max_length=16)
    school: str = Field(max_length=128)
    graduation_year: int
    education: str = Field(max_length=16)  # option id, see content.registration
    major: str = Field(max_length=64)
    qualification: str = Field(max_length=16)  # option id
    person_type: str = Field(max_length=16)  # content.schema_form.PersonType.id
    base_choices: list[str] = Field(default_factory=list, sa_type=JSON)  # base ids, in order
    accepts_adjustment: bool | None = None
    verdict: str = Field(max_length=16)  # eligible | conditional
    conditions: list[str] = Field(default_factory=list, sa_type=JSON)
    created_at: datetime = Field(default_factory=utc_now, sa_type=AwareDateTime)
    updated_at: datetime = Field(default_factory=utc_now, sa_type=AwareDateTime)
    # The latest status change: its reason (masked, for 不通过 / 放弃), when, and by whom (a
    # staff member's Telegram id; None: the applicant themself).
    status_reason: str | None = Field(default=None, sa_type=Text)
    status_changed_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
    status_changed_by: int | None = Field(default=None, sa_type=BigInteger)
    # When the applicant agreed to the privacy notice and, separately, to giving the ID number
    # (PIPL Art. 14, 29: consent the controller can show); None for rows from before.
    consented_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
    id_consented_at: datetime | None = Field(default=None, sa_type=AwareDateTime)


class ReceiptCounter(SQLModel, table=True):
    __tablename__ = "registration_counters"

    campaign_slug: str = Field(primary_key=True, max_length=64)
    last_no: int = 0


@dataclass(frozen=True)
class Outcome:
    """What `create` did: created, already there for this user, or held by another account."""

    kind: Literal["created", "existing", "taken"]
    registration: Registration | None


async def _next_receipt_no(session: AsyncSession, *, campaign_slug: str) -> int:
    insert = upsert_insert(session.bind.dialect.name)
    statement = (
        insert(ReceiptCounter)
        .values(campaign_slug=campaign_slug, last_no=1)
        .on_conflict_do_update(
            index_elements=[ReceiptCounter.campaign_slug],
            set_={"last_no": ReceiptCounter.__table__.c.last_no + 1},
        )
        .returning(ReceiptCounter.__table__.c.last_no)
    )
    return (await session.exec(statement)).scalar_one()


async def active_by_id_hash(
    session: AsyncSession, *, campaign_slug: str, id_hash: str
) -> Registration | None:
    statement = select(Registration).where(
        Registration.campaign_slug == campaign_slug, Registration.active_id_hash == id_hash
    )
    return (await session.exec(statement)).first()


def _existing(found: Registration | None, user_id: int) -> Outcome:
    if found is None:
        raise RuntimeError("a unique violation without a row holding the ID number")
    return Outcome("existing" if found.user_id == user_id else "taken", found)


def _answers(applicant: Applicant, vault: Vault) -> dict[str, object]:
    """The columns that come from the applicant's answers, the ID number encrypted."""
    id_hash = vault.hash_id(applicant.id_number)
    answers: dict[str, object] = {
        name: getattr(applicant, name)
        for name in ("name", "phone", "school", "graduation_year", "education", "major",
                     "qualification", "person_type", "accepts_adjustment")
    }
    answers |= {
        "id_cipher": vault.encrypt(applicant.id_number), "id_hash": id_hash,
        "active_id_hash": id_hash, "id_masked": mask_id_number(applicant.id_number),
        "base_choices": list(applicant.base_choices),
    }
    return answers


async def create(
    session: AsyncSession,
    *,
    vault: Vault,
    campaign_slug: str,
    receipt_prefix: str,
    user_id: int,
    applicant: Applicant,
    verdict: str,
    conditions: Sequence[str],
    now: datetime,
) -> Outcome:
    """Register once per ID number and campaign; a repeat (double tap, second account) is told."""
    id_hash = vault.hash_id(applicant.id_number)
    found = await active_by_id_hash(session, campaign_slug=campaign_slug, id_hash=id_hash)
    if found is not None:
        return _existing(found, user_id)
    try:
        # A savepoint: losing a race to a concurrent insert must not spoil the whole update.
        async with session.begin_nested():
            number = await _next_receipt_no(session, campaign_slug=campaign_slug)
            registration = Registration(
                campaign_slug=campaign_slug, user_id=user_id,
                receipt_no=f"{receipt_prefix}-{number:04d}", verdict=verdict,
                conditions=list(conditions), created_at=now, updated_at=now,
                **_answers(applicant, vault),
            )
            session.add(registration)
            await session.flush()
    except IntegrityError:
        found = await active_by_id_hash(session, campaign_slug=campaign_slug, id_hash=id_hash)
        return _existing(found, user_id)
    return Outcome("created", registration)


async def update(
    session: AsyncSession,
    *,
    vault: Vault,
    registration: Registration,
    applicant: Applicant,
    verdict: str,
    conditions: Sequence[str],
    now: datetime,
) -> Outcome:
    """Replace the answers of an active pre-registration; an ID number held elsewhere: taken."""
    id_hash = vault.hash_id(applicant.id_number)
    if id_hash != registration.id_hash:
        found = await active_by_id_hash(
            session, campaign_slug=registration.campaign_slug, id_hash=id_hash
        )
        if found is not None and found.id != registration.id:
            return Outcome("taken", found)
    try:
        async with session.begin_nested():
            for name, value in _answers(applicant, vault).items():
                setattr(registration, name, value)
            registration.verdict = verdict
            registration.conditions = list(conditions)
            registration.updated_at = now
            session.add(registration)
            await session.flush()
    except IntegrityError:
        await session.refresh(registration)
        return Outcome("taken", None)
    return Outcome("created", registration)


async def list_for_user(
    session: AsyncSession, *, user_id: int, campaign_slug: str | None = None
) -> Sequence[Registration]:
    """The user's pre-registrations, newest first (withdrawn ones too, for the record)."""
    statement = select(Registration).where(Registration.user_id == user_id)
    if campaign_slug is not None:
        statement = statement.where(Registration.campaign_slug == campaign_slug)
    statement = statement.order_by(col(Registration.created_at).desc(), col(Registration.id).desc())
    return (await session.exec(statement)).all()


async def get_for_user(
    session: AsyncSession, *, user_id: int, registration_id: int
) -> Registration | None:
    """A pre-registration by id, only if it belongs to this user (ids come from buttons)."""
    registration = await session.get(Registration, registration_id)
    if registration is None or registration.user_id != user_id:
        return None
    return registration


async def set_status(
    session: AsyncSession, *, registration: Registration, status: str, now: datetime
) -> Registration:
    """The applicant's own move to `status` (staff changes go through storage/records.py);
    withdrawing frees the ID number for a new pre-registration."""
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    registration.status = status
    registration.active_id_hash = None if status == WITHDRAWN else registration.id_hash
    registration.updated_at = registration.status_changed_at = now
    registration.status_changed_by = registration.status_reason = None
    session.add(registration)
    await session.flush()
    return registration


async def active_for_export(
    session: AsyncSession, *, campaign_slug: str, base_id: str | None = None
) -> list[Registration]:
    """Active pre-registrations in receipt order; with a base, those naming it as a choice."""
    statement = (
        select(Registration)
        .where(Registration.campaign_slug == campaign_slug)
        .where(col(Registration.status).in_(ACTIVE_STATUSES))
        .order_by(col(Registration.id))
    )
    rows = (await session.exec(statement)).all()
    # JSON containment differs per database; the lists are short, filter here.
    return [r for r in rows if base_id is None or base_id in r.base_choices]


async def delete_user_data(session: AsyncSession, *, user_id: int) -> int:
    """/delete_my_data: erase everything stored about the user; returns the registrations erased.

    Beyond our own tables, every table with a ``user_id`` column (eligibility checks, FSM state,
    other features' rows) and the user row itself go, children before parents, so a feature
    added later is covered without a change here.
    """
    import storage.tables  # noqa: F401  (every table registered, whoever imported what)

    ids = (await session.exec(
        select(Registration.id).where(Registration.user_id == user_id)
    )).all()
    if ids:
        await session.exec(
            delete(RegistrationMaterial).where(col(RegistrationMaterial.registration_id).in_(ids))
        )
    for table in reversed(SQLModel.metadata.sorted_tables):
        if "user_id" in table.c:
            await session.exec(delete(table).where(table.c.user_id == user_id))
    await session.exec(delete(User).where(col(User.id) == user_id))
    return len(ids)
