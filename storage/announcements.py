"""Announcements (群发通知) staff send to chosen applicants, and applicants' opt-outs.

An announcement keeps its content by reference: the chat and message id of the preview the
bot composed in the sender's chat (header + the sender's message, exactly as recipients see it).
Delivery copies that message (copyMessage) through the delivery ledger under the key
``bc:<id>``, so formatting arrives untouched on Telegram. A copy cannot leave Telegram, so the
text (a file's caption) is kept too, as HTML (`text_html`): what WeChat recipients are sent.

Life: draft -> scheduled -> sending -> done | cancelled (a draft may also be dropped:
cancelled). Moves are conditional UPDATEs on the expected status, so a double tap on 确认 or
two workers planning the same scheduled announcement move it once.
Repositories take the session keyword-first and never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Column, ForeignKey, Text, UniqueConstraint
from sqlmodel import Field, SQLModel, col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.engine import upsert_insert
from storage.types import AwareDateTime, utc_now

DRAFT, SCHEDULED, SENDING, DONE, CANCELLED = "draft", "scheduled", "sending", "done", "cancelled"
KEY_PREFIX = "bc:"


class Announcement(SQLModel, table=True):
    __tablename__ = "announcements"

    id: int | None = Field(default=None, primary_key=True)
    campaign_slug: str = Field(max_length=64, index=True)
    # The sender's scope: a base staff member's base (fixed), else None.
    scope_base_id: str | None = Field(default=None, max_length=64)
    sender_id: int = Field(sa_type=BigInteger, index=True)
    sender_role: str = Field(max_length=16)
    sender_label: str = Field(max_length=128)  # who it says it is from: a base or the issuer
    content_kind: str = Field(max_length=16)  # text | photo | document | video
    source_chat_id: int = Field(sa_type=BigInteger)
    source_message_id: int = Field(sa_type=BigInteger)
    preview_chat_id: int | None = Field(default=None, sa_type=BigInteger)
    preview_message_id: int | None = Field(default=None, sa_type=BigInteger)
    # The composed text (or caption) as HTML, for channels that cannot copy (WeChat).
    text_html: str | None = Field(default=None, sa_type=Text)
    # The file of a photo, document or video announcement (Telegram's file id, the name shown),
    # for channels that cannot copy (WeChat: an image, or a link).
    file_id: str | None = Field(default=None, max_length=256)
    file_name: str | None = Field(default=None, max_length=200)
    audience: str = Field(default="preregistered", max_length=32)
    base_id: str | None = Field(default=None, max_length=64)  # the audience's base, if any
    urgent: bool = Field(default=False, sa_type=Boolean)
    send_at: datetime | None = Field(default=None, sa_type=AwareDateTime)  # None: at confirm
    status: str = Field(default=DRAFT, max_length=16, index=True)
    audience_size: int | None = None  # recipients put in the ledger when sending began
    card_chat_id: int | None = Field(default=None, sa_type=BigInteger)
    card_message_id: int | None = Field(default=None, sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utc_now, sa_type=AwareDateTime)
    confirmed_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
    started_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
    cancelled_by: int | None = Field(default=None, sa_type=BigInteger)

    @property
    def message_key(self) -> str:
        return f"{KEY_PREFIX}{self.id}"


class AnnouncementOptOut(SQLModel, table=True):
    """An applicant who pressed 🔕 under an announcement: no more announcements of that campaign
    (reminders are a separate choice)."""

    __tablename__ = "announcement_optouts"
    __table_args__ = (UniqueConstraint("user_id", "campaign_slug", name="uq_optouts_user"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=Column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False))
    campaign_slug: str = Field(max_length=64, index=True)
    at: datetime = Field(default_factory=utc_now, sa_type=AwareDateTime)


async def create_draft(session: AsyncSession, *, now: datetime, **fields: object) -> Announcement:
    row = Announcement(created_at=now, status=DRAFT, **fields)
    session.add(row)
    await session.flush()
    return row


async def get(session: AsyncSession, *, announcement_id: int) -> Announcement | None:
    return await session.get(Announcement, announcement_id)


async def move(session: AsyncSession, *, announcement_id: int, from_statuses: Sequence[str],
               to: str, **values: object) -> bool:
    """Change status only from one of `from_statuses`; False when someone else moved it first."""
    result = await session.exec(
        update(Announcement)
        .where(col(Announcement.id) == announcement_id,
               col(Announcement.status).in_(list(from_statuses)))
        .values(status=to, **values)
        .execution_options(synchronize_session="fetch"))
    return bool(result.rowcount)


async def due_scheduled(session: AsyncSession, *, now: datetime) -> list[Announcement]:
    result = await session.exec(select(Announcement).where(
        Announcement.status == SCHEDULED, col(Announcement.send_at) <= now,
    ).order_by(col(Announcement.send_at), col(Announcement.id)))
    return list(result.all())


async def in_status(session: AsyncSession, *, status: str) -> list[Announcement]:
    result = await session.exec(select(Announcement).where(Announcement.status == status)
                                .order_by(col(Announcement.id)))
    return list(result.all())


async def on_their_way(session: AsyncSession) -> list[Announcement]:
    """Announcements whose sending has begun and not been reported finished (stopped ones too)."""
    result = await session.exec(select(Announcement).where(
        col(Announcement.status).in_([SENDING, CANCELLED]),
        col(Announcement.started_at).is_not(None), col(Announcement.finished_at).is_(None),
    ).order_by(col(Announcement.id)))
    return list(result.all())


async def history(session: AsyncSession, *, campaigns: Sequence[str] | None,
                  base_id: str | None = None, limit: int = 10) -> list[Announcement]:
    """Past and pending announcements (drafts left out), newest first, in the viewer's scope."""
    statement = (select(Announcement).where(Announcement.status != DRAFT)
                 .order_by(col(Announcement.id).desc()).limit(limit))
    if campaigns is not None:
        statement = statement.where(col(Announcement.campaign_slug).in_(list(campaigns)))
    if base_id is not None:
        statement = statement.where(Announcement.scope_base_id == base_id)
    return list((await session.exec(statement)).all())


async def set_opt_out(session: AsyncSession, *, user_id: int, slug: str, out: bool,
                      now: datetime) -> None:
    if out:
        insert = upsert_insert(session.bind.dialect.name)
        await session.exec(insert(AnnouncementOptOut).values(user_id=user_id, campaign_slug=slug,
                                                             at=now)
                           .on_conflict_do_nothing(index_elements=["user_id", "campaign_slug"]))
        return
    found = (await session.exec(select(AnnouncementOptOut).where(
        AnnouncementOptOut.user_id == user_id, AnnouncementOptOut.campaign_slug == slug))).first()
    if found is not None:
        await session.delete(found)
        await session.flush()


async def opted_out(session: AsyncSession, *, user_id: int, slug: str) -> bool:
    found = (await session.exec(select(AnnouncementOptOut.id).where(
        AnnouncementOptOut.user_id == user_id, AnnouncementOptOut.campaign_slug == slug))).first()
    return found is not None
