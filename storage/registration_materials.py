"""Scans an applicant sent for pre-checking: Telegram's file ids and the check's findings only,
never the file nor its name (a name may be its owner's ID number; the privacy text promises file
ids only). Registered with the tables through storage/registrations.py, which imports it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.types import AwareDateTime, utc_now

if TYPE_CHECKING:
    from storage.registrations import Registration


class RegistrationMaterial(SQLModel, table=True):
    """A scan sent for pre-checking: Telegram's file ids only, never the file."""

    __tablename__ = "registration_materials"

    id: int | None = Field(default=None, primary_key=True)
    registration_id: int = Field(foreign_key="registrations.id", index=True)
    rule_id: str = Field(max_length=64)
    file_id: str = Field(max_length=255)
    file_unique_id: str = Field(max_length=64)
    mime_type: str | None = Field(default=None, max_length=128)
    size_bytes: int | None = None
    problems: list[str] = Field(default_factory=list, sa_type=JSON)
    created_at: datetime = Field(default_factory=utc_now, sa_type=AwareDateTime)


async def add_material(
    session: AsyncSession,
    *,
    registration: Registration,
    rule_id: str,
    file_id: str,
    file_unique_id: str,
    mime_type: str | None,
    size_bytes: int | None,
    problems: Sequence[str],
    now: datetime,
) -> RegistrationMaterial:
    material = RegistrationMaterial(
        registration_id=registration.id, rule_id=rule_id, file_id=file_id,
        file_unique_id=file_unique_id, mime_type=mime_type,
        size_bytes=size_bytes, problems=list(problems), created_at=now,
    )
    session.add(material)
    await session.flush()
    return material


async def materials_for(
    session: AsyncSession, *, registration_id: int
) -> Sequence[RegistrationMaterial]:
    statement = (
        select(RegistrationMaterial)
        .where(RegistrationMaterial.registration_id == registration_id)
        .order_by(col(RegistrationMaterial.id))
    )
    return (await session.exec(statement)).all()
