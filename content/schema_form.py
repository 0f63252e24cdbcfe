"""The pre-registration form's options of a campaign file (owned by the registration feature)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class FormSpec(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)
