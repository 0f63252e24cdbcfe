"""FAQ entries of a campaign file (owned by the Q&A feature)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class FaqEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    questions: list[str] = Field(min_length=1, description="Several phrasings of the question.")
    answer: str = Field(description="Plain text; may use {placeholders} the Q&A module defines.")
    clause: str
