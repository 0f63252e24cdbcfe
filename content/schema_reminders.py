"""Reminder plans of a campaign file (owned by the reminders feature)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ReminderSpec(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)
