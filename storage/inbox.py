"""The staff inbox (转人工): applicants' questions to a person, the staff's answers, and where the
bot posted each copy.

One thread per applicant per campaign (``waiting`` → ``answered`` → ``closed``; a follow-up makes
it ``waiting`` again). The first staff member to reply claims it (``claimed_by``, one conditional
UPDATE, so two replies at once cannot both claim). Every message in or out is kept: text masked
before it gets here (content/masking.py), media by Telegram file_id. Every copy the bot posted to
staff (a private card, a forum-topic mirror) is mapped to its thread, so a Telegram reply to any
copy is a reply to the thread. A campaign may have one staff group (a forum supergroup, one topic
per thread: storage/inbox_groups.py). Every inbox table has ``user_id`` (the applicant), so
/delete_my_data erases it all. Repositories take the session keyword-first and never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Text, UniqueConstraint
from sqlmodel import Field, SQLModel, col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.types import AwareDateTime, utc_now

WAITING, ANSWERED, CLOSED = "waiting", "answered", "closed"
IN, OUT = "in", "out"
KINDS = ("text", "photo", "document")
# Copy roles: a card with buttons, its mirror in a topic, a file or long text under either; and
# RELAY, an answer in the applicant's chat (their Telegram reply to it is a follow-up).
CARD, MIRROR, MEDIA, RELAY = "card", "mirror", "media", "relay"


class InboxThread(SQLModel, table=True):
    __tablename__ = "inbox_threads"
    __table_args__ = (UniqueConstraint("campaign_slug", "user_id", name="uq_inbox_threads_user"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_slug: str = Field(max_length=64, index=True)
    user_id: int = Field(sa_type=BigInteger, index=True)
    base_id: str | None = Field(default=None, max_length=64)
    status: str = Field(default=WAITING, max_length=16, index=True)
    # What staff see in the topic's name: a display name, personal numbers masked.
    label: str = Field(default="", max_length=64)
    claimed_by: int | None = Field(default=None, sa_type=BigInteger)
    claimed_label: str | None = Field(default=None, max_length=128)
    group_chat_id: int | None = Field(default=None, sa_type=BigInteger)
    topic_id: int | None = Field(default=None, sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utc_now, sa_type=AwareDateTime)
    updated_at: datetime = Field(default_factory=utc_now, sa_type=AwareDateTime, index=True)
    answered_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
    closed_by: int | None = Field(default=None, sa_type=BigInteger)


class InboxMessage(SQLModel, table=True):
    __tablename__ = "inbox_messages"

    id: int | None = Field(default=None, primary_key=True)
    thread_id: int = Field(index=True)
    user_id: int = Field(sa_type=BigInteger, index=True)  # the applicant, whoever wrote it
    direction: str = Field(max_length=4)  # in | out
    author_id: int | None = Field(default=None, sa_type=BigInteger)  # staff, for out
    author_label: str | None = Field(default=None, max_length=128)
    kind: str = Field(default="text", max_length=16)  # text | photo | document
    text: str = Field(default="", sa_type=Text)  # masked; the caption for media
    file_id: str | None = Field(default=None, max_length=255)
    masked: bool = Field(default=False, sa_type=Boolean)  # a personal number was hidden
    unanswered_id: int | None = None  # the storage/unanswered row it came from
    replied: bool = Field(default=False, sa_type=Boolean)  # in: a staff reply followed
    delivered: bool = Field(default=True, sa_type=Boolean)  # out: False when 403
    faq_entry_id: int | None = None  # out: saved as a campaign FAQ entry (存为问答)
    created_at: datetime = Field(default_factory=utc_now, sa_type=AwareDateTime)


class InboxCopy(SQLModel, table=True):
    """A message the bot posted for a thread (to staff, or an answer to the applicant): a
    Telegram reply to it belongs to the thread."""

    __tablename__ = "inbox_copies"
    __table_args__ = (UniqueConstraint("chat_id", "message_id", name="uq_inbox_copies_message"),)

    id: int | None = Field(default=None, primary_key=True)
    thread_id: int = Field(index=True)
    user_id: int = Field(sa_type=BigInteger, index=True)  # the applicant
    inbox_message_id: int | None = None
    chat_id: int = Field(sa_type=BigInteger)
    message_id: int = Field(sa_type=BigInteger)
    role: str = Field(max_length=8)  # card | mirror | media | relay
    created_at: datetime = Field(default_factory=utc_now, sa_type=AwareDateTime)


# Threads


async def open_thread(session: AsyncSession, *, campaign_slug: str, user_id: int,
                      base_id: str | None, label: str, now: datetime) -> InboxThread:
    """The applicant's thread in the campaign, waiting for staff (created or reopened)."""
    statement = select(InboxThread).where(InboxThread.campaign_slug == campaign_slug,
                                          InboxThread.user_id == user_id)
    thread = (await session.exec(statement)).first()
    if thread is None:
        thread = InboxThread(campaign_slug=campaign_slug, user_id=user_id, created_at=now)
    thread.base_id, thread.label, thread.status = base_id, label[:64], WAITING
    thread.updated_at, thread.closed_at, thread.closed_by = now, None, None
    session.add(thread)
    await session.flush()
    return thread


async def get_thread(session: AsyncSession, *, thread_id: int) -> InboxThread | None:
    return await session.get(InboxThread, thread_id)


async def set_topic(session: AsyncSession, *, thread: InboxThread, chat_id: int | None,
                    topic_id: int | None) -> None:
    thread.group_chat_id, thread.topic_id = chat_id, topic_id
    session.add(thread)
    await session.flush()


async def thread_by_topic(session: AsyncSession, *, chat_id: int,
                          topic_id: int) -> InboxThread | None:
    statement = select(InboxThread).where(InboxThread.group_chat_id == chat_id,
                                          InboxThread.topic_id == topic_id)
    return (await session.exec(statement)).first()


async def thread_by_copy(session: AsyncSession, *, chat_id: int,
                         message_id: int) -> InboxThread | None:
    statement = select(InboxThread).join(
        InboxCopy, col(InboxCopy.thread_id) == col(InboxThread.id)).where(
        InboxCopy.chat_id == chat_id, InboxCopy.message_id == message_id)
    return (await session.exec(statement)).first()


async def claim(session: AsyncSession, *, thread: InboxThread, staff_id: int, label: str,
                now: datetime) -> bool:
    """The reply's effect on the thread: answered; claimed by `staff_id` if nobody had it yet
    (one conditional UPDATE: of two replies at once exactly one claims). True: it claimed."""
    claimed = (await session.exec(
        update(InboxThread)
        .where(col(InboxThread.id) == thread.id, col(InboxThread.claimed_by).is_(None))
        .values(claimed_by=staff_id, claimed_label=label[:128])
        .returning(col(InboxThread.id))
    )).first()
    await session.exec(update(InboxThread).where(col(InboxThread.id) == thread.id).values(
        status=ANSWERED, answered_at=now, updated_at=now))
    await session.refresh(thread)
    return claimed is not None


async def close(session: AsyncSession, *, thread: InboxThread, by: int, now: datetime) -> bool:
    """已处理: closed unless it already is (a double tap closes once). True: closed now."""
    closed = (await session.exec(
        update(InboxThread)
        .where(col(InboxThread.id) == thread.id, col(InboxThread.status) != CLOSED)
        .values(status=CLOSED, closed_at=now, closed_by=by, updated_at=now)
        .returning(col(InboxThread.id))
    )).first()
    await session.refresh(thread)
    return closed is not None


async def waiting(session: AsyncSession, *, campaigns: Sequence[str] | None,
                  limit: int = 200) -> list[InboxThread]:
    """Threads waiting for staff, newest first (`campaigns` None: every campaign)."""
    statement = select(InboxThread).where(InboxThread.status == WAITING)
    if campaigns is not None:
        statement = statement.where(col(InboxThread.campaign_slug).in_(list(campaigns)))
    statement = statement.order_by(col(InboxThread.updated_at).desc(),
                                   col(InboxThread.id).desc()).limit(limit)
    return list((await session.exec(statement)).all())


# Messages and copies


async def add_message(session: AsyncSession, *, thread: InboxThread, direction: str,
                      kind: str, text: str, now: datetime, file_id: str | None = None,
                      masked: bool = False, unanswered_id: int | None = None,
                      author_id: int | None = None, author_label: str | None = None,
                      delivered: bool = True) -> InboxMessage:
    if direction not in (IN, OUT) or kind not in KINDS:
        raise ValueError(f"direction {direction!r} / kind {kind!r}")
    assert thread.id is not None
    row = InboxMessage(thread_id=thread.id, user_id=thread.user_id, direction=direction,
                       kind=kind, text=text, file_id=file_id, masked=masked,
                       unanswered_id=unanswered_id, author_id=author_id,
                       author_label=author_label, delivered=delivered, created_at=now)
    session.add(row)
    await session.flush()
    return row


async def get_message(session: AsyncSession, *, message_id: int) -> InboxMessage | None:
    return await session.get(InboxMessage, message_id)


async def messages_of(session: AsyncSession, *, thread_id: int) -> list[InboxMessage]:
    statement = select(InboxMessage).where(InboxMessage.thread_id == thread_id).order_by(
        col(InboxMessage.id))
    return list((await session.exec(statement)).all())


async def question_before(session: AsyncSession, *, reply: InboxMessage) -> InboxMessage | None:
    """The applicant's latest message before `reply` (what the reply answers)."""
    statement = select(InboxMessage).where(
        InboxMessage.thread_id == reply.thread_id, InboxMessage.direction == IN,
        col(InboxMessage.id) < (reply.id or 0)).order_by(col(InboxMessage.id).desc())
    return (await session.exec(statement)).first()


async def take_unreplied(session: AsyncSession, *, thread_id: int) -> list[int]:
    """Mark the applicant's messages not yet replied to as replied: their unanswered ids."""
    statement = select(InboxMessage).where(
        InboxMessage.thread_id == thread_id, InboxMessage.direction == IN,
        col(InboxMessage.replied).is_(False))
    rows = (await session.exec(statement)).all()
    for row in rows:
        row.replied = True
        session.add(row)
    await session.flush()
    return [row.unanswered_id for row in rows if row.unanswered_id is not None]


async def forwarded_unanswered(session: AsyncSession, *, unanswered_id: int) -> bool:
    """Whether this unanswered question was already sent to staff (a double tap)."""
    statement = select(InboxMessage.id).where(InboxMessage.unanswered_id == unanswered_id)
    return (await session.exec(statement)).first() is not None


async def repliers(session: AsyncSession, *, thread_id: int) -> list[str]:
    """Labels of the staff who replied, first replier first."""
    statement = select(InboxMessage.author_label).where(
        InboxMessage.thread_id == thread_id, InboxMessage.direction == OUT,
        col(InboxMessage.delivered).is_(True)).order_by(col(InboxMessage.id))
    return list(dict.fromkeys(label for label in (await session.exec(statement)).all() if label))


async def add_copy(session: AsyncSession, *, thread: InboxThread, chat_id: int, message_id: int,
                   role: str, inbox_message_id: int | None = None) -> InboxCopy:
    assert thread.id is not None
    row = InboxCopy(thread_id=thread.id, user_id=thread.user_id, chat_id=chat_id,
                    message_id=message_id, role=role, inbox_message_id=inbox_message_id)
    session.add(row)
    await session.flush()
    return row


async def cards_of(session: AsyncSession, *, thread_id: int) -> list[InboxCopy]:
    """The copies carrying the thread's status (private cards, topic mirrors), oldest first."""
    statement = select(InboxCopy).where(InboxCopy.thread_id == thread_id,
                                        col(InboxCopy.role).in_([CARD, MIRROR])).order_by(
        col(InboxCopy.id))
    return list((await session.exec(statement)).all())


async def set_faq_entry(session: AsyncSession, *, message: InboxMessage, entry_id: int) -> bool:
    """Remember the FAQ entry made of this reply, once: False when it already had one."""
    done = (await session.exec(
        update(InboxMessage)
        .where(col(InboxMessage.id) == message.id, col(InboxMessage.faq_entry_id).is_(None))
        .values(faq_entry_id=entry_id)
        .returning(col(InboxMessage.id))
    )).first()
    await session.refresh(message)
    return done is not None
