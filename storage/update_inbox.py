"""The transactional inbox: every update is written here before Telegram is told it arrived.

Polling advances its offset, and the webhook answers 200, only after the update's row is
committed; a worker then handles the row and marks it handled in the handler's own transaction,
so a crash between the two leaves an unhandled row that the next start resumes, and a duplicate
`update_id` (Telegram retrying a webhook, two pollers) finds the row already there and is
dropped. The payload can hold what an applicant typed (an ID number), so it is encrypted like
every other personal field and cleared once the update is handled; the row itself stays a while
for the duplicate check, then is purged.

`channel` keeps the id spaces of channels apart ("telegram"; a WeChat message id later).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Text
from sqlmodel import Field, SQLModel

from storage.types import AwareDateTime, utc_now


class UpdateRecord(SQLModel, table=True):
    __tablename__ = "update_inbox"

    channel: str = Field(default="telegram", primary_key=True, max_length=16)
    update_id: int = Field(sa_type=BigInteger, primary_key=True,
                           sa_column_kwargs={"autoincrement": False})
    # The user the update comes from (None for updates without one): a user's updates are
    # handled in update_id order.
    user_id: int | None = Field(default=None, sa_type=BigInteger, index=True)
    # The Update as JSON, encrypted; None once handled.
    payload: str | None = Field(default=None, sa_type=Text)
    received_at: datetime = Field(default_factory=utc_now, sa_type=AwareDateTime, index=True)
    # A worker that takes the row holds it until then; an expired lease (the worker died) lets
    # another worker take it.
    lease_until: datetime | None = Field(default=None, sa_type=AwareDateTime)
    worker: str | None = Field(default=None, max_length=64)
    attempts: int = Field(default=0)
    handled_at: datetime | None = Field(default=None, sa_type=AwareDateTime, index=True)


class UndeliveredReply(SQLModel, table=True):
    """A Bot API call that still failed after the retry policy gave up: never silently dropped.

    No message text is kept (it may carry personal data): the method, the chat, the update it
    answered and Telegram's error are enough to find and follow up the person.
    """

    __tablename__ = "undelivered_replies"

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int | None = Field(default=None, sa_type=BigInteger, index=True)
    method: str = Field(max_length=64)
    update_id: int | None = Field(default=None, sa_type=BigInteger)
    error: str = Field(default="", max_length=500)
    attempts: int = Field(default=1)
    failed_at: datetime = Field(default_factory=utc_now, sa_type=AwareDateTime, index=True)
