"""Reminder plans of a campaign file (owned by the reminders feature).

A reminder names an event of the notice, when to send relative to it, to whom, and what to say:

    reminders:
      - id: closes
        event: registration.closes        # or registration.opens, or an events id (.start/.end)
        offsets: [-3d@09:00, -1d@09:00, -2h]
        audience: [subscribers_not_preregistered, not_officially_registered]
        text: 报名将于{closes}截止，还剩约{left}。报名入口：{channel}（{url}）

Offsets: ``-3d@09:00`` is 09:00 on the third day before the event's date; ``-2h`` and ``-30m`` are
exact; ``0`` is the event's moment. Templates are validated here, at load time, so a typo in a
placeholder fails `check-content` instead of a send in the middle of the night.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from datetime import time, timedelta
from typing import Literal

from pydantic import Field, field_validator

from content.schema_base import Id, Strict

Audience = Literal[
    "all_subscribers",
    "subscribers_not_preregistered",
    "preregistered",  # any active pre-registration (not withdrawn)
    "not_officially_registered",  # pre-registered, not yet marked as registered on the site
    "officially_registered",
    "admitted",
    "not_admitted",
    "reported",
]

# What a template may use; content.reminders.placeholder_values fills every one of them.
PLACEHOLDERS = frozenset({
    "campaign",  # the campaign's display name
    "citation",  # 《notice title》
    "channel", "url",  # the official registration site
    "opens", "closes", "window",  # the registration window
    "event", "event_at", "event_date", "event_text",  # the reminder's event
    "left",  # time from sending to the event (or to its end, once it has begun): 3天, 2小时
})
ALLOWED_TAGS = frozenset({"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a",
                          "code", "pre", "blockquote", "tg-spoiler", "span"})

_OFFSET = re.compile(
    r"^(?:0|(?P<sign>[+-])?(?P<n>\d+)(?P<unit>[dhm])(?:@(?P<hh>\d{1,2}):(?P<mm>\d{2}))?)$")
_DURATION = re.compile(r"^(?P<n>\d+)(?P<unit>[dhm])$")
_UNITS = {"d": timedelta(days=1), "h": timedelta(hours=1), "m": timedelta(minutes=1)}
_EVENT_REF = re.compile(r"^(registration\.(opens|closes)|[a-z][a-z0-9_]*(\.(start|end))?)$")
_TAG = re.compile(r"<\s*/?\s*([a-zA-Z][a-zA-Z0-9-]*)")


@dataclass(frozen=True)
class Offset:
    """`days` whole days before (negative) or after the event's date, at `at`; or an exact delta."""

    text: str
    delta: timedelta
    days: int | None = None
    at: time | None = None


def parse_offset(text: str) -> Offset:
    match = _OFFSET.match(text.strip())
    if match is None:
        raise ValueError(f"offset {text!r}: write e.g. -3d@09:00, -1d, -2h, -30m or 0")
    if match["n"] is None:
        return Offset(text, timedelta(0))
    amount = int(match["n"]) * (-1 if match["sign"] == "-" else 1)
    if match["hh"] is None:
        return Offset(text, amount * _UNITS[match["unit"]])
    if match["unit"] != "d":
        raise ValueError(f"offset {text!r}: a time of day (@HH:MM) goes with days only")
    hour, minute = int(match["hh"]), int(match["mm"])
    if hour > 23 or minute > 59:
        raise ValueError(f"offset {text!r}: no such time of day")
    return Offset(text, timedelta(days=amount), days=amount, at=time(hour, minute))


def parse_duration(text: str) -> timedelta:
    match = _DURATION.match(text.strip())
    if match is None:
        raise ValueError(f"duration {text!r}: write e.g. 2d, 12h or 30m")
    return int(match["n"]) * _UNITS[match["unit"]]


def template_problems(template: str) -> list[str]:
    """Unknown placeholders, format specs and tags Telegram refuses."""
    found: list[str] = []
    try:
        fields = list(string.Formatter().parse(template))
    except ValueError as exc:
        return [f"text is not a valid template ({exc}); write a literal brace as {{{{ or }}}}"]
    for _literal, name, spec, conversion in fields:
        if name is None:
            continue
        if name not in PLACEHOLDERS:
            known = ", ".join(sorted(PLACEHOLDERS))
            found.append(f"unknown placeholder {{{name}}}; known: {known}")
        elif spec or conversion:
            found.append(f"placeholder {{{name}}} takes no format spec or conversion")
    tags = {tag.lower() for tag in _TAG.findall(template)} - ALLOWED_TAGS
    found += [f"tag <{tag}> is not allowed in Telegram HTML" for tag in sorted(tags)]
    return found


class ReminderSpec(Strict):
    id: Id = Field(description="Stable key, unique per campaign.")
    event: str = Field(
        description="registration.opens | registration.closes | <event id>[.start|.end]")
    offsets: list[str] = Field(min_length=1, description="-3d@09:00, -1d, -2h, -30m, 0, +1d@09:00")
    audience: list[Audience] = Field(min_length=1, description="One status group or several.")
    text: str = Field(min_length=1, max_length=3500, description="Telegram HTML with placeholders.")
    expires_after: str | None = Field(
        default=None, description="Not sent later than this after its time (2d, 12h), e.g. for "
        "an 'opens today' reminder; by default it may go until its event is over.")

    @field_validator("event")
    @classmethod
    def _event_ref(cls, value: str) -> str:
        if not _EVENT_REF.match(value):
            raise ValueError("event: registration.opens, registration.closes or an events id "
                             "(optionally .start or .end)")
        return value

    @field_validator("offsets")
    @classmethod
    def _offsets(cls, value: list[str]) -> list[str]:
        parsed = [parse_offset(v) for v in value]
        if len({p.text for p in parsed}) != len(parsed):
            raise ValueError("an offset is listed twice")
        return [p.text for p in parsed]

    @field_validator("audience", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @field_validator("text")
    @classmethod
    def _template(cls, value: str) -> str:
        problems = template_problems(value)
        if problems:
            raise ValueError("; ".join(problems))
        return value.strip()

    @field_validator("expires_after")
    @classmethod
    def _duration(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration(value)
        return value

    @property
    def parsed_offsets(self) -> list[Offset]:
        return [parse_offset(v) for v in self.offsets]

    @property
    def expiry(self) -> timedelta | None:
        return None if self.expires_after is None else parse_duration(self.expires_after)
