"""Who ran the scheduler's last tick, and when: one row, written by the tick's holder.

On PostgreSQL the tick's advisory lock is held only while a tick runs (bot/scheduler.py), so
between ticks nobody holds it; /readyz names the worker that ticked last (bot/http.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlmodel import Field, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.engine import upsert_insert
from storage.types import AwareDateTime

ROW = 1


class SchedulerTick(SQLModel, table=True):
    __tablename__ = "scheduler_ticks"

    id: int = Field(default=ROW, primary_key=True)
    worker: str = Field(sa_type=String(120))
    ticked_at: datetime = Field(sa_type=AwareDateTime)


async def record_tick(session: AsyncSession, *, worker: str, now: datetime) -> None:
    insert = upsert_insert(session.bind.dialect.name)
    await session.exec(insert(SchedulerTick).values(id=ROW, worker=worker, ticked_at=now)
                       .on_conflict_do_update(index_elements=["id"], set_={
                           "worker": worker, "ticked_at": now}))


async def last_tick(session: AsyncSession) -> SchedulerTick | None:
    return (await session.exec(select(SchedulerTick).where(SchedulerTick.id == ROW))).first()
