"""Core tables: the people who talk to the bot, and the FSM state of their conversations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Text
from sqlmodel import Field, SQLModel

from storage.types import AwareDateTime, utc_now


class User(SQLModel, table=True):
    __tablename__ = "users"

    # Telegram user ids exceed 32 bits; they are given, never generated.
    id: int = Field(
        sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    first_name: str = Field(default="", max_length=256)
    last_name: str | None = Field(default=None, max_length=256)
    username: str | None = Field(default=None, max_length=64, index=True)
    campaign_slug: str | None = Field(default=None, max_length=64, index=True)
    first_seen: datetime = Field(default_factory=utc_now, sa_type=AwareDateTime)
    last_seen: datetime = Field(default_factory=utc_now, sa_type=AwareDateTime)
    # Set when Telegram answers 403 (the user blocked the bot); cleared when they write again.
    blocked_at: datetime | None = Field(default=None, sa_type=AwareDateTime)


class FsmRecord(SQLModel, table=True):
    """One row per aiogram StorageKey: state and data together, so one query reads both."""

    __tablename__ = "fsm_records"

    # bot:business_connection:chat:thread:user:destiny, see storage.fsm.record_key.
    key: str = Field(primary_key=True, max_length=255)
    # Kept apart from the key so a user's conversations can be found (and erased) by query.
    chat_id: int = Field(sa_type=BigInteger, index=True)
    user_id: int = Field(sa_type=BigInteger, index=True)
    state: str | None = Field(default=None, max_length=255)
    data: str = Field(default="{}", sa_type=Text)  # JSON object
