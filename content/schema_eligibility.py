"""Eligibility rules of a campaign file (owned by the eligibility feature)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class EligibilitySpec(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)
