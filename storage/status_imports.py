"""Status imports from an edited XLSX, held between the preview and the confirmation.

The preview is stored (not kept in memory or FSM data), so a restart between the two taps loses
nothing and a second worker can confirm it. Confirming is one conditional UPDATE from pending,
in the transaction that applies the rows: of a double tap, exactly one applies. A pending import
expires (IMPORT_TTL): a confirmation after that says so and changes nothing.

Rows hold receipt numbers, status ids and the reasons staff typed (masked by the records
repository when kept); never an ID number. Repositories take the session keyword-first and
never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, BigInteger
from sqlmodel import Field, SQLModel, col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from content.masking import mask_personal_numbers
from content.schema import Campaign
from content.texts import Texts
from storage import audit
from storage.records import StatusRefused, change_status
from storage.registrations import Registration
from storage.types import AwareDateTime, utc_now

PENDING, APPLIED, CANCELLED = "pending", "applied", "cancelled"
IMPORT_TTL = timedelta(days=1)


class StatusImport(SQLModel, table=True):
    __tablename__ = "status_imports"

    id: int | None = Field(default=None, primary_key=True)
    campaign_slug: str = Field(max_length=64, index=True)
    actor_id: int = Field(sa_type=BigInteger, index=True)
    scope_base: str | None = Field(default=None, max_length=64)  # base staff: their base
    file_name: str = Field(default="", max_length=128)
    state: str = Field(default=PENDING, max_length=16)
    # [{sheet, row, registration_id, receipt, old, new, reason}], in file order
    changes: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    # [{sheet, row, receipt, code, detail}]: refused at preview, then at apply
    refusals: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    unchanged: int = 0
    applied: int | None = None
    created_at: datetime = Field(default_factory=utc_now, sa_type=AwareDateTime)
    expires_at: datetime = Field(sa_type=AwareDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=AwareDateTime)

    def expired(self, now: datetime) -> bool:
        return self.state == PENDING and now >= self.expires_at


async def create(session: AsyncSession, *, campaign_slug: str, actor_id: int,
                 scope_base: str | None, file_name: str, changes: list[dict[str, Any]],
                 refusals: list[dict[str, Any]], unchanged: int, now: datetime) -> StatusImport:
    row = StatusImport(campaign_slug=campaign_slug, actor_id=actor_id, scope_base=scope_base,
                       file_name=mask_personal_numbers(file_name)[:128], changes=changes,
                       refusals=refusals,
                       unchanged=unchanged, created_at=now, expires_at=now + IMPORT_TTL)
    session.add(row)
    await session.flush()
    return row


async def get(session: AsyncSession, *, import_id: int) -> StatusImport | None:
    return await session.get(StatusImport, import_id)


async def _finish(session: AsyncSession, *, item: StatusImport, state: str,
                  now: datetime) -> bool:
    """Pending → `state`, once: False when it was not pending (or has expired) any more."""
    result = await session.exec(
        update(StatusImport)
        .where(col(StatusImport.id) == item.id, col(StatusImport.state) == PENDING,
               col(StatusImport.expires_at) > now)
        .values(state=state, finished_at=now)
        .execution_options(synchronize_session=False))
    await session.refresh(item)
    return (result.rowcount or 0) == 1


async def cancel(session: AsyncSession, *, item: StatusImport, now: datetime) -> bool:
    return await _finish(session, item=item, state=CANCELLED, now=now)


@dataclass
class Applied:
    changed: list[dict[str, Any]] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)  # at apply time


async def by_receipt(session: AsyncSession, *, campaign_slug: str) -> dict[str, Registration]:
    """Every record of the campaign by receipt number (one query; the validation's input)."""
    found = await session.exec(select(Registration).where(
        Registration.campaign_slug == campaign_slug))
    return {r.receipt_no: r for r in found.all()}


async def apply_changes(session: AsyncSession, *, changes: Sequence[dict[str, Any]],
                        campaign: Campaign, texts: Texts, scope_base: str | None,
                        actor_id: int | None, actor_label: str, actor_role: str,
                        now: datetime, source: str) -> Applied:
    """Each change through the records repository (audited, the applicant told once); a row
    whose record moved since the preview is refused, the others still apply."""
    result = Applied()
    for change in changes:
        registration = await session.get(Registration, change["registration_id"])
        try:
            if registration is None or registration.status != change["old"]:
                raise StatusRefused("changed_since", "")
            await change_status(
                session, registration=registration, status=change["new"],
                reason=change.get("reason"), actor_id=actor_id, actor_label=actor_label,
                actor_role=actor_role, now=now, source=source, campaign=campaign, texts=texts,
                scope_base=scope_base)
        except StatusRefused as refused:
            code = "changed_since" if refused.code == "same" else refused.code
            result.refused.append({"sheet": change["sheet"], "row": change["row"],
                                   "receipt": change["receipt"], "code": code,
                                   "detail": change["new"]})
            continue
        result.changed.append(change)
    return result


async def confirm(session: AsyncSession, *, item: StatusImport, campaign: Campaign,
                  texts: Texts, actor_role: str, now: datetime) -> Applied | None:
    """Apply a pending import once; None when it is not pending any more (or expired)."""
    if not await _finish(session, item=item, state=APPLIED, now=now):
        return None
    result = await apply_changes(
        session, changes=item.changes, campaign=campaign, texts=texts,
        scope_base=item.scope_base, actor_id=item.actor_id, actor_label="", actor_role=actor_role,
        now=now, source="xlsx")
    item.applied = len(result.changed)
    item.refusals = [*item.refusals, *result.refused]
    session.add(item)
    await audit.record(
        session, action="record.import", now=now, actor_id=item.actor_id, role=actor_role,
        campaign_slug=item.campaign_slug, base_id=item.scope_base,
        audience_size=len(result.changed), message_ref=f"import:{item.id}",
        detail=f"applied={len(result.changed)} refused={len(item.refusals)} "
               f"unchanged={item.unchanged} source=xlsx")
    await session.flush()
    return result
