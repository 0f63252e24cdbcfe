"""FAQ entries of a campaign file (owned by the Q&A feature)."""

from __future__ import annotations

from pydantic import Field

from content.schema_base import Id, Strict


class FaqEntry(Strict):
    id: Id
    questions: list[str] = Field(min_length=1, description="Several phrasings of the question.")
    answer: str = Field(description="Plain text; may use {placeholders} the Q&A module defines.")
    clause: str
