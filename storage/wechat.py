"""WeChat users: an openid mapped to a user id of zhaolu's own, and the reply window WeChat
allows for them.

Telegram user ids have at most 52 significant bits (Bot API), so ids from 2**52 up can never be
a Telegram user: a WeChat user gets WECHAT_BASE + a serial, stable for the openid, and FSM state,
registrations, reminders and the staff inbox key on it like on any user id.

WeChat lets an account write to a user only for a while after the user acted, and only a few
messages: 5 within 48 hours of a message, 3 within a minute of a menu click, a follow or a QR
scan (the customer-service rules since June 2023). The row keeps the current grant: until when,
and how many messages are left of it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import BigInteger, Column, ForeignKey, Text, delete
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.engine import upsert_insert
from storage.models import User
from storage.types import AwareDateTime, utc_now

WECHAT_BASE = 2**52
# What each user action grants: (messages, for how long).
GRANTS = {"message": (5, timedelta(hours=48)), "click": (3, timedelta(minutes=1)),
          "subscribe": (3, timedelta(minutes=1)), "scan": (3, timedelta(minutes=1))}


def is_wechat(user_id: int) -> bool:
    return user_id >= WECHAT_BASE


class WeChatUser(SQLModel, table=True):
    __tablename__ = "wechat_users"

    serial: int | None = Field(default=None, primary_key=True)
    openid: str = Field(max_length=64, unique=True)
    first_seen: datetime = Field(default_factory=utc_now, sa_type=AwareDateTime)
    # The reply grant of the user's last action: messages left, and until when.
    window_until: datetime | None = Field(default=None, sa_type=AwareDateTime)
    window_left: int = Field(default=0)
    # Messages counted, not kept, when the window was closed (before wechat_held kept them):
    # announced at the user's next message.
    unread: int = Field(default=0)
    # Set when WeChat says the user unfollowed (43004) or blocked the account.
    gone_at: datetime | None = Field(default=None, sa_type=AwareDateTime)

    @property
    def user_id(self) -> int:
        assert self.serial is not None
        return WECHAT_BASE + self.serial


async def user_for(session: AsyncSession, openid: str) -> WeChatUser:
    """The openid's row, created on first contact (flushed, so its user id is known)."""
    row = (await session.exec(select(WeChatUser).where(WeChatUser.openid == openid))).first()
    if row is None:
        row = WeChatUser(openid=openid)
        session.add(row)
        await session.flush()
    return row


async def by_user_id(session: AsyncSession, user_id: int) -> WeChatUser | None:
    return await session.get(WeChatUser, user_id - WECHAT_BASE)


def open_window(row: WeChatUser, action: str, now: datetime) -> None:
    """The user acted: as WeChat counts it, grants do not add up — the messages left become
    the larger of what is left and the new grant, the window the longer of the two."""
    count, length = GRANTS[action]
    running = row.window_until is not None and row.window_until > now
    row.window_left = max(row.window_left if running else 0, count)
    row.window_until = max(row.window_until, now + length) if running else now + length  # type: ignore[type-var]


def window_left(row: WeChatUser, now: datetime) -> int:
    if row.window_until is None or row.window_until <= now:
        return 0
    return row.window_left


class WeChatToken(SQLModel, table=True):
    """The account's access token, shared by every worker: WeChat allows one valid token per
    account (a new one replaces the old after a few minutes), so workers must not each fetch."""

    __tablename__ = "wechat_tokens"

    appid: str = Field(primary_key=True, max_length=64)
    token: str = Field(max_length=512)
    expires_at: datetime = Field(sa_type=AwareDateTime)


async def shared_token(session: AsyncSession, appid: str) -> WeChatToken | None:
    return await session.get(WeChatToken, appid)


async def keep_token(session: AsyncSession, appid: str, token: str, expires_at: datetime) -> None:
    """Insert or replace (two workers may fetch at once: the later one wins)."""
    insert = upsert_insert(session.bind.dialect.name)
    await session.exec(insert(WeChatToken).values(appid=appid, token=token, expires_at=expires_at)
                       .on_conflict_do_update(index_elements=["appid"], set_={
                           "token": token, "expires_at": expires_at}))


class WeChatTemplateGrant(SQLModel, table=True):
    """A user accepted a subscription template (订阅通知) of the account: messages outside the
    reply window may go as that template. Removed when the user rejects it, or WeChat refuses a
    send with it (43101: a one-time acceptance used up)."""

    __tablename__ = "wechat_template_grants"

    serial: int = Field(primary_key=True, foreign_key="wechat_users.serial")
    template_id: str = Field(primary_key=True, max_length=128)
    accepted_at: datetime = Field(sa_type=AwareDateTime)


async def set_template_grant(session: AsyncSession, *, user_id: int, template_id: str,
                             accepted: bool, now: datetime) -> None:
    serial = user_id - WECHAT_BASE
    row = await session.get(WeChatTemplateGrant, (serial, template_id))
    if accepted and row is None:
        session.add(WeChatTemplateGrant(serial=serial, template_id=template_id, accepted_at=now))
    elif not accepted and row is not None:
        await session.delete(row)


async def has_template_grant(session: AsyncSession, *, user_id: int, template_id: str) -> bool:
    return await session.get(WeChatTemplateGrant, (user_id - WECHAT_BASE, template_id)) \
        is not None


class WeChatHeld(SQLModel, table=True):
    """A message to the user that found the reply window closed and is not a ledger row (a
    staff answer, say), or a send that failed: kept as the WeChat text it was, shown at the
    user's next message and deleted then. Erased with the user (user_id)."""

    __tablename__ = "wechat_held"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=Column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True))
    text: str = Field(sa_type=Text)
    created_at: datetime = Field(default_factory=utc_now, sa_type=AwareDateTime)


async def hold(session: AsyncSession, *, user_id: int, texts: list[str], now: datetime) -> bool:
    """Keep `texts` for the user's next message; False when the user is no longer known
    (erased their data): nothing is kept for no one."""
    if not texts or await session.get(User, user_id) is None:
        return False
    session.add_all(WeChatHeld(user_id=user_id, text=text, created_at=now) for text in texts)
    return True


async def take_held(session: AsyncSession, *, user_id: int) -> list[str]:
    """The texts held for the user, oldest first, deleted in the same transaction."""
    rows = (await session.exec(select(WeChatHeld.id, WeChatHeld.text)
                               .where(WeChatHeld.user_id == user_id)
                               .order_by(col(WeChatHeld.id)))).all()
    if rows:
        await session.exec(delete(WeChatHeld).where(col(WeChatHeld.id).in_([r[0] for r in rows])))
    return [text for _, text in rows]
