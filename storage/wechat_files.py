"""Files for WeChat users, served as links: a customer-service message carries no document (and
videos or voice only in WeChat's own formats), so a file zhaolu sends a WeChat user (their
/mydata JSON, a staff member's document) is kept here and linked: `/wechat/file/<token>` on the
workers' HTTP port.

The token is the only key (192 random bits, never logged: the HTTP server keeps no access log).
A link lives LIFETIME and opens at most MAX_OPENS times; expired rows are deleted by the purge
job, and a user's rows with the rest of their data (user_id).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import BigInteger, Column, ForeignKey, LargeBinary, delete, update
from sqlmodel import Field, SQLModel, col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.types import AwareDateTime, utc_now

LIFETIME = timedelta(hours=24)
MAX_OPENS = 10


class WeChatFile(SQLModel, table=True):
    __tablename__ = "wechat_files"

    token: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(sa_column=Column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True))
    name: str = Field(max_length=200)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=utc_now, sa_type=AwareDateTime)
    expires_at: datetime = Field(sa_type=AwareDateTime)
    opens: int = Field(default=0)


async def keep_file(session: AsyncSession, *, user_id: int, name: str, data: bytes,
                    now: datetime) -> str:
    """The new file's token."""
    token = secrets.token_urlsafe(24)
    session.add(WeChatFile(token=token, user_id=user_id, name=name[:200], data=data,
                           created_at=now, expires_at=now + LIFETIME))
    return token


async def open_file(session: AsyncSession, *, token: str, now: datetime
                    ) -> tuple[str, bytes] | None:
    """(name, bytes), counted as one opening; None when unknown, expired or opened too often."""
    row = await session.get(WeChatFile, token)
    if row is None or row.expires_at <= now or row.opens >= MAX_OPENS:
        return None
    await session.exec(update(WeChatFile).where(col(WeChatFile.token) == token)
                       .values(opens=WeChatFile.opens + 1))
    return row.name, row.data


async def delete_expired(session: AsyncSession, *, now: datetime) -> int:
    result = await session.exec(delete(WeChatFile).where(col(WeChatFile.expires_at) <= now))
    return result.rowcount or 0
