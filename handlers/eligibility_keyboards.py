"""Buttons of the eligibility self-check: its callback data, answers and after-result actions."""

from __future__ import annotations

from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from content.eligibility_render import choice_label
from content.schema import Campaign
from content.schema_eligibility import CHOICES, EligibilitySpec
from content.texts import Texts
from handlers.keyboards import MenuCb

# A label this short fits twice on a phone's row.
SHORT_LABEL = 8


class ElAction(CallbackData, prefix="el"):
    """el:start (the menu button), el:back, el:cancel, el:again."""

    action: str


class ElAnswer(CallbackData, prefix="el"):
    """A button answer: the field and the index of the value (ASCII, a few bytes)."""

    field: str
    value: int


def options(texts: Texts, field: str, spec: EligibilitySpec | None = None
            ) -> list[tuple[str, Any]]:
    """(label, value) of a question's buttons, in order; none for a typed date. A campaign's
    own question (`spec`) offers its choices."""
    own = spec.question(field) if spec is not None else None
    if own is not None:
        return [(value, value) for value in own.values()]
    if field == "scope_includes_gp":
        return [(choice_label(texts, field, v), v) for v in (True, False)]
    if field == "major":
        return [(m, m) for m in texts("eligibility.major_choices").split("|")]
    if field in CHOICES:
        return [(choice_label(texts, field, v), v) for v in CHOICES[field]]
    return []


def question_keyboard(texts: Texts, field: str, spec: EligibilitySpec | None = None
                      ) -> InlineKeyboardMarkup:
    rows: list[list[InlineKeyboardButton]] = []
    for index, (label, _) in enumerate(options(texts, field, spec)):
        button = InlineKeyboardButton(
            text=label, callback_data=ElAnswer(field=field, value=index).pack())
        pair = rows and len(rows[-1]) == 1 and len(rows[-1][0].text) <= SHORT_LABEL
        if pair and len(label) <= SHORT_LABEL:
            rows[-1].append(button)
        else:
            rows.append([button])
    rows.append([_action(texts, "eligibility.button.back", "back"),
                 _action(texts, "eligibility.button.cancel", "cancel")])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def after_keyboard(texts: Texts, campaign: Campaign, *, again: bool) -> InlineKeyboardMarkup:
    """After a verdict (重新自查) or a cancel (开始自查), and back to the menu."""
    first = "eligibility.button.again" if again else "eligibility.button.start"
    return InlineKeyboardMarkup(inline_keyboard=[[
        _action(texts, first, "again"),
        InlineKeyboardButton(text=texts("eligibility.button.menu"),
                             callback_data=MenuCb(slug=campaign.slug).pack()),
    ]])


def _action(texts: Texts, key: str, action: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=texts(key), callback_data=ElAction(action=action).pack())
