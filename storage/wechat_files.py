"""Files for WeChat users, served as links: a customer-service message carries no document (and
videos or voice only in WeChat's own formats), so a file zhaolu sends a WeChat user (their
/mydata JSON, a staff member's document) is kept here and linked: `/wechat/file/<token>` on the
workers' HTTP port.

The token is the only key (192 random bits, never logged: the HTTP server keeps no access log).
A link lives LIFETIME; a personal one opens at most MAX_OPENS times. A file many recipients get
(an announcement's) is one shared row, found again by its source. Expired rows are deleted by
the purge job, and a user's rows with the rest of their data (user_id).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import BigInteger, Column, ForeignKey, LargeBinary, delete, update
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.types import AwareDateTime, utc_now

LIFETIME = timedelta(hours=24)
MAX_OPENS = 10


class WeChatFile(SQLModel, table=True):
    __tablename__ = "wechat_files"

    token: str = Field(primary_key=True, max_length=64)
    # The user a personal file is for; None for a file many get (an announcement's).
    user_id: int | None = Field(default=None, sa_column=Column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True))
    # A shared file's source (Telegram's file id): one row serves every recipient.
    source: str | None = Field(default=None, max_length=256, index=True)
    name: str = Field(max_length=200)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=utc_now, sa_type=AwareDateTime)
    expires_at: datetime = Field(sa_type=AwareDateTime)
    opens: int = Field(default=0)


async def keep_file(session: AsyncSession, *, name: str, data: bytes, now: datetime,
                    user_id: int | None = None, source: str | None = None) -> str:
    """The new file's token: a user's own file (`user_id`), or one shared by everyone who gets
    it (`source`)."""
    token = secrets.token_urlsafe(24)
    session.add(WeChatFile(token=token, user_id=user_id, source=source, name=name[:200],
                           data=data, created_at=now, expires_at=now + LIFETIME))
    return token


async def shared_file(session: AsyncSession, *, source: str, now: datetime) -> str | None:
    """The token of a shared file of this source with at least half its lifetime left."""
    found = await session.exec(select(WeChatFile.token).where(
        col(WeChatFile.source) == source, col(WeChatFile.expires_at) > now + LIFETIME / 2))
    return found.first()


async def open_file(session: AsyncSession, *, token: str, now: datetime
                    ) -> tuple[str, bytes] | None:
    """(name, bytes), counted as one opening; None when unknown, expired or opened too often."""
    row = await session.get(WeChatFile, token)
    personal = row is not None and row.user_id is not None
    if row is None or row.expires_at <= now or (personal and row.opens >= MAX_OPENS):
        return None
    await session.exec(update(WeChatFile).where(col(WeChatFile.token) == token)
                       .values(opens=WeChatFile.opens + 1))
    return row.name, row.data


async def delete_expired(session: AsyncSession, *, now: datetime) -> int:
    result = await session.exec(delete(WeChatFile).where(col(WeChatFile.expires_at) <= now))
    return result.rowcount or 0
