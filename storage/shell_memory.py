"""What `zhaolu shell` remembers between processes: the bot's messages that carry buttons, and
its id counters, in the same database as the conversation state.

A second shell on the same database can then press the buttons the first one showed (a phone
keeps its chat history across the bot's restarts), and the ids it hands out do not collide with
the first shell's. Only the bot's messages with an inline keyboard are kept (what a button press
needs), the newest KEEP_PER_CHAT per chat, with ID and phone numbers masked; users' own messages
are never stored here. The Telegram bot itself never reads or writes these tables.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Text, delete, select
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.types import AwareDateTime, utc_now

KEEP_PER_CHAT = 50
COUNTERS = ("message", "update", "query")


class ShellMessage(SQLModel, table=True):
    __tablename__ = "shell_messages"

    chat_id: int = Field(sa_type=BigInteger, primary_key=True,
                         sa_column_kwargs={"autoincrement": False})
    message_id: int = Field(sa_type=BigInteger, primary_key=True,
                            sa_column_kwargs={"autoincrement": False})
    body: str = Field(sa_type=Text)  # the aiogram Message as JSON, personal numbers masked
    saved_at: datetime = Field(default_factory=utc_now, sa_type=AwareDateTime)


class ShellCounter(SQLModel, table=True):
    """The last id handed out of each kind (message, update, callback query)."""

    __tablename__ = "shell_counters"

    name: str = Field(primary_key=True, max_length=16)
    value: int = Field(sa_type=BigInteger)


async def load(session: AsyncSession) -> tuple[list[tuple[int, int, str]], dict[str, int]]:
    """The kept messages as (chat_id, message_id, body), oldest first, and the counters."""
    rows = (await session.exec(
        select(ShellMessage.chat_id, ShellMessage.message_id, ShellMessage.body)
        .order_by(ShellMessage.message_id))).all()
    counters = dict((await session.exec(select(ShellCounter.name, ShellCounter.value))).all())
    return [tuple(row) for row in rows], counters


async def save(session: AsyncSession, messages: list[tuple[int, int, str]],
               counters: dict[str, int]) -> None:
    """Upsert these messages and counters (counters only ever grow), then keep the newest
    KEEP_PER_CHAT messages of each chat touched."""
    for chat_id, message_id, body in messages:
        row = await session.get(ShellMessage, (chat_id, message_id))
        if row is None:
            session.add(ShellMessage(chat_id=chat_id, message_id=message_id, body=body))
        else:
            row.body, row.saved_at = body, utc_now()
    for name, value in counters.items():
        row = await session.get(ShellCounter, name)
        if row is None:
            session.add(ShellCounter(name=name, value=value))
        elif value > row.value:
            row.value = value
    await session.flush()
    for chat_id in {chat for chat, _, _ in messages}:
        kept = (await session.exec(
            select(ShellMessage.message_id).where(ShellMessage.chat_id == chat_id)
            .order_by(ShellMessage.message_id.desc()).offset(KEEP_PER_CHAT).limit(1))).first()
        if kept is not None:
            await session.exec(delete(ShellMessage).where(
                ShellMessage.chat_id == chat_id, ShellMessage.message_id <= kept))
