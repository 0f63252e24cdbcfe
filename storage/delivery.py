"""The delivery ledger: what is to be sent (`messages`) and one row per (message, recipient).

The unique (message_key, user_id) pair is what makes every push idempotent: planning the same
reminder twice, from two ticks or two processes, adds nothing. A row's life:
pending -> sending (claimed by the one sender) -> sent | failed | blocked | waiting. A row left in
`sending` by a crash is put back to pending when the sender starts again, so a crash between the
API call and the result write repeats at most the messages that were in flight, and loses none.
A row records its channel (telegram, wechat: by the recipient's id) and, once settled, its
outcome: how it went (bot_api; customer_service or subscribe_message on WeChat; window_closed
while waiting; shown_at_next_message). `waiting`: a WeChat user's reply window was closed; the
row is shown at the user's next message (`take_waiting`), or expires or is cancelled like a
pending one.
Repositories take the session keyword-first and never commit.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    func,
    or_,
)
from sqlmodel import Field, SQLModel, col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.engine import upsert_insert
from storage.models import User
from storage.types import AwareDateTime, utc_now
from storage.wechat import is_wechat

PENDING, SENDING, SENT, FAILED, BLOCKED = "pending", "sending", "sent", "failed", "blocked"
EXPIRED = "expired"  # not sent: its event was over before the sender got to it
CANCELLED = "cancelled"  # not sent: staff stopped the announcement
WAITING = "waiting"  # WeChat: the reply window was closed; shown at the user's next message
TELEGRAM, WECHAT = "telegram", "wechat"
SHOWN = "shown_at_next_message"  # the outcome of a waiting row once shown
FINAL = (SENT, FAILED, BLOCKED, EXPIRED, CANCELLED)
KINDS = ("reminder", "broadcast", "status")  # status: a staff-set status, told to the applicant
_CHUNK = 500


class OutMessage(SQLModel, table=True):
    __tablename__ = "messages"

    key: str = Field(primary_key=True, max_length=200)
    campaign_slug: str | None = Field(default=None, max_length=64, index=True)
    kind: str = Field(max_length=16)  # reminder | broadcast
    # Telegram HTML, as sent; for a copy, a note of what is copied (the content is not kept).
    text: str = Field(sa_type=Text)
    reply_markup: str | None = Field(default=None, sa_type=Text)  # JSON InlineKeyboardMarkup
    # Set for an announcement: the message copied to every recipient (copyMessage).
    copy_chat_id: int | None = Field(default=None, sa_type=BigInteger)
    copy_message_id: int | None = Field(default=None, sa_type=BigInteger)
    # A file for recipients a copy cannot reach (WeChat): JSON {"kind", "file_id", "name"}.
    attachment: str | None = Field(default=None, sa_type=Text)
    # Sent in the quiet hours too (a coordinator's urgent announcement).
    urgent: bool = Field(default=False, sa_type=Boolean)
    created_at: datetime = Field(default_factory=utc_now, sa_type=AwareDateTime)
    # A reminder is worthless once its event is over: rows still pending then are never sent.
    not_after: datetime | None = Field(default=None, sa_type=AwareDateTime)
    cancelled_at: datetime | None = Field(default=None, sa_type=AwareDateTime)


class Delivery(SQLModel, table=True):
    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("message_key", "user_id", name="uq_deliveries_recipient"),
        Index("ix_deliveries_status_id", "status", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    message_key: str = Field(sa_column=Column(
        String(200), ForeignKey("messages.key", ondelete="CASCADE"), nullable=False))
    # Erasing a user's data erases what was to be sent to them.
    user_id: int = Field(sa_column=Column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True))
    status: str = Field(default=PENDING, max_length=16)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utc_now, sa_type=AwareDateTime)
    claimed_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
    telegram_message_id: int | None = Field(default=None, sa_type=BigInteger)
    channel: str = Field(default=TELEGRAM, max_length=16)
    outcome: str | None = Field(default=None, max_length=32)


@dataclass(frozen=True)
class Claimed:
    """A row the sender holds: where to send what."""

    id: int
    user_id: int
    message_key: str
    attempts: int  # every try so far, 429s included (the ledger's count)
    failures: int = 0  # 5xx and network errors in this drain, against max_attempts


@dataclass(frozen=True)
class Payload:
    """What the sender sends for one message: HTML text, or a copy of a message."""

    text: str
    reply_markup: str | None = None
    copy_from: tuple[int, int] | None = None  # (chat id, message id)
    campaign_slug: str | None = None
    attachment: Attachment | None = None


@dataclass(frozen=True)
class Attachment:
    """A message's file for recipients a copy cannot reach: photo | document | video."""

    kind: str
    file_id: str
    name: str

    def dumps(self) -> str:
        return json.dumps({"kind": self.kind, "file_id": self.file_id, "name": self.name},
                          ensure_ascii=False)

    @classmethod
    def loads(cls, text: str | None) -> Attachment | None:
        if not text:
            return None
        data = json.loads(text)
        return cls(str(data["kind"]), str(data["file_id"]), str(data["name"]))


async def enqueue(session: AsyncSession, *, key: str, kind: str, text: str,
                  recipients: Iterable[int], now: datetime, campaign_slug: str | None = None,
                  reply_markup: str | None = None, not_after: datetime | None = None,
                  copy_from: tuple[int, int] | None = None, urgent: bool = False,
                  attachment: Attachment | None = None) -> int | None:
    """Add a message and its recipients once: the rows added, or None for a key seen before.

    With `copy_from`, each recipient gets a copy of that message (copyMessage) and `text` is
    only a note for the record."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    insert = upsert_insert(session.bind.dialect.name)
    copy_chat, copy_message = copy_from or (None, None)
    created = await session.exec(
        insert(OutMessage)
        .values(key=key, kind=kind, text=text, reply_markup=reply_markup,
                campaign_slug=campaign_slug, created_at=now, not_after=not_after,
                copy_chat_id=copy_chat, copy_message_id=copy_message, urgent=urgent,
                attachment=attachment.dumps() if attachment else None)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(OutMessage.key)
    )
    if created.first() is None:
        # Planned before (maybe by another process): its audience was fixed then.
        return None
    rows = [{"message_key": key, "user_id": uid, "status": PENDING, "attempts": 0,
             "created_at": now, "channel": channel_of(uid)} for uid in dict.fromkeys(recipients)]
    # Chunks keep each statement under SQLite's limit on bound parameters.
    for start in range(0, len(rows), _CHUNK):
        await session.exec(insert(Delivery).values(rows[start:start + _CHUNK])
                           .on_conflict_do_nothing(index_elements=["message_key", "user_id"]))
    return len(rows)


def channel_of(user_id: int) -> str:
    return WECHAT if is_wechat(user_id) else TELEGRAM


async def expire_stale(session: AsyncSession, *, now: datetime) -> int:
    """Pending and waiting rows of messages whose `not_after` has passed become expired: never
    sent (a reminder of a deadline gone by is not shown to a WeChat user coming back)."""
    stale = select(OutMessage.key).where(col(OutMessage.not_after) < now)
    result = await session.exec(
        update(Delivery)
        .where(col(Delivery.status).in_((PENDING, WAITING)),
               col(Delivery.message_key).in_(stale))
        .values(status=EXPIRED)
    )
    return result.rowcount or 0


async def message_exists(session: AsyncSession, *, key: str) -> bool:
    return await session.get(OutMessage, key) is not None


async def existing_keys(session: AsyncSession, *, keys: Sequence[str]) -> set[str]:
    if not keys:
        return set()
    result = await session.exec(select(OutMessage.key).where(col(OutMessage.key).in_(keys)))
    return set(result.all())


async def recover(session: AsyncSession) -> int:
    """Put rows a dead sender held back in the queue (call once, before sending starts)."""
    result = await session.exec(
        update(Delivery).where(col(Delivery.status) == SENDING)
        .values(status=PENDING, claimed_at=None))
    return result.rowcount or 0


async def skip_blocked(session: AsyncSession) -> int:
    """Pending rows of users who blocked the bot since they were planned: never sent."""
    blocked = select(User.id).where(col(User.blocked_at).is_not(None))
    result = await session.exec(
        update(Delivery)
        .where(col(Delivery.status) == PENDING, col(Delivery.user_id).in_(blocked))
        .values(status=BLOCKED, last_error="user blocked the bot before sending"))
    return result.rowcount or 0


async def claim(session: AsyncSession, *, limit: int, now: datetime,
                urgent_only: bool = False) -> list[Claimed]:
    """Take up to `limit` pending rows, oldest first, marking them as being sent.

    Rows of a message whose event is over (`not_after`) are left for `expire_stale`: a long
    drain does not send a reminder that went stale while it ran. `urgent_only`: the quiet
    hours, when only urgent messages go.
    """
    reasons = [col(OutMessage.not_after) < now, col(OutMessage.cancelled_at).is_not(None)]
    if urgent_only:
        reasons.append(col(OutMessage.urgent).is_(False))
    held_back = select(OutMessage.key).where(or_(*reasons))
    pick = (select(Delivery.id)
            .where(col(Delivery.status) == PENDING, col(Delivery.message_key).not_in(held_back))
            .order_by(col(Delivery.id)).limit(limit))
    if session.bind.dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    ids = list((await session.exec(pick)).all())
    if not ids:
        return []
    result = await session.exec(
        update(Delivery)
        .where(col(Delivery.id).in_(ids), col(Delivery.status) == PENDING)
        .values(status=SENDING, claimed_at=now)
        .returning(Delivery.id, Delivery.user_id, Delivery.message_key, Delivery.attempts))
    return sorted((Claimed(*row) for row in result.all()), key=lambda c: c.id)


async def release(session: AsyncSession, *, ids: Sequence[int]) -> None:
    """Give back claimed rows not attempted (a stopping sender)."""
    if ids:
        await session.exec(update(Delivery).where(
            col(Delivery.id).in_(list(ids)), col(Delivery.status) == SENDING,
        ).values(status=PENDING, claimed_at=None))


async def payloads_for(session: AsyncSession, *, keys: Iterable[str]) -> dict[str, Payload]:
    wanted = list(set(keys))
    if not wanted:
        return {}
    result = await session.exec(select(
        OutMessage.key, OutMessage.text, OutMessage.reply_markup, OutMessage.copy_chat_id,
        OutMessage.copy_message_id, OutMessage.campaign_slug, OutMessage.attachment,
    ).where(col(OutMessage.key).in_(wanted)))
    return {key: Payload(text, markup, (chat, message) if chat is not None and message else None,
                         slug, Attachment.loads(attachment))
            for key, text, markup, chat, message, slug, attachment in result.all()}


async def cancel(session: AsyncSession, *, key: str, now: datetime) -> int:
    """Stop a message: its pending rows become cancelled, and a sender holding claimed rows of
    it drops them before sending (see `cancelled_keys`). The rows cancelled now."""
    await session.exec(update(OutMessage).where(col(OutMessage.key) == key,
                                                col(OutMessage.cancelled_at).is_(None))
                       .values(cancelled_at=now))
    result = await session.exec(update(Delivery).where(
        col(Delivery.message_key) == key, col(Delivery.status).in_((PENDING, WAITING)),
    ).values(status=CANCELLED))
    return result.rowcount or 0


async def take_waiting(session: AsyncSession, *, user_id: int, now: datetime) -> list[str]:
    """The keys of the messages waiting for this user, oldest first, marked shown (sent) in the
    same statement: two callbacks at once cannot both take a row. Rows of messages expired or
    stopped meanwhile are settled as such, not shown."""
    held = [(EXPIRED, col(OutMessage.not_after) < now),
            (CANCELLED, col(OutMessage.cancelled_at).is_not(None))]
    for status, reason in held:
        await session.exec(update(Delivery).where(
            col(Delivery.user_id) == user_id, col(Delivery.status) == WAITING,
            col(Delivery.message_key).in_(select(OutMessage.key).where(reason)),
        ).values(status=status))
    result = await session.exec(
        update(Delivery)
        .where(col(Delivery.user_id) == user_id, col(Delivery.status) == WAITING)
        .values(status=SENT, outcome=SHOWN, sent_at=now)
        .returning(Delivery.id, Delivery.message_key))
    return [key for _, key in sorted(result.all())]


async def cancelled_keys(session: AsyncSession, *, keys: Iterable[str]) -> set[str]:
    wanted = list(set(keys))
    if not wanted:
        return set()
    result = await session.exec(select(OutMessage.key).where(
        col(OutMessage.key).in_(wanted), col(OutMessage.cancelled_at).is_not(None)))
    return set(result.all())


async def status_counts(session: AsyncSession, *, key_prefix: str | None = None,
                        key: str | None = None) -> dict[str, int]:
    statement = select(Delivery.status, func.count()).group_by(col(Delivery.status))
    if key_prefix is not None:
        statement = statement.where(col(Delivery.message_key).startswith(key_prefix))
    if key is not None:
        statement = statement.where(col(Delivery.message_key) == key)
    result = await session.exec(statement)
    return {status: count for status, count in result.all()}


async def counts_by_kind(session: AsyncSession) -> dict[tuple[str, str], int]:
    """Rows of the ledger by (message kind, status): what /metrics shows, the same from any
    worker since it is read from the shared database."""
    statement = (select(OutMessage.kind, Delivery.status, func.count())
                 .join(OutMessage, col(OutMessage.key) == col(Delivery.message_key))
                 .group_by(col(OutMessage.kind), col(Delivery.status)))
    result = await session.exec(statement)
    return {(kind, status): count for kind, status, count in result.all()}


async def deliveries_of(session: AsyncSession, *, key: str) -> list[Delivery]:
    result = await session.exec(select(Delivery).where(Delivery.message_key == key)
                                .order_by(col(Delivery.user_id)))
    return list(result.all())
