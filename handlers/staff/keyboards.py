"""Staff callback data and keyboards. Labels come from the text catalogue.

Every staff button is a StaffCb (prefix ``sf``): an action, the announcement it acts on (0:
none) and one argument (a campaign slug, a base id, an audience, a date, a grant id). The gate
(handlers/staff/gate.py) checks each of them against the presser's roles before any handler runs.
"""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from content.texts import Texts


class StaffCb(CallbackData, prefix="sf"):
    action: str
    ann: int = 0
    arg: str = ""


def button(label: str, action: str, ann: int = 0, arg: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(text=label, callback_data=StaffCb(action=action, ann=ann,
                                                                  arg=arg).pack())


def rows(buttons: list[InlineKeyboardButton], width: int) -> list[list[InlineKeyboardButton]]:
    return [buttons[i:i + width] for i in range(0, len(buttons), width)]


def markup(*button_rows: list[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[r for r in button_rows if r])


def home_row(texts: Texts) -> list[InlineKeyboardButton]:
    return [button(texts("staff.button.home"), "home")]


def home_keyboard(texts: Texts, *, may_invite: bool) -> InlineKeyboardMarkup:
    """The staff menu, two buttons a row (phone width). Each feature's action is checked by the
    gate with the check its module registered."""
    buttons = [
        button(texts("staff.button.inbox"), "ibx"),
        button(texts("staff.button.unanswered"), "unq"),
        button(texts("staff.button.records"), "rec"),
        button(texts("staff.button.export"), "exp"),
        button(texts("staff.button.stats"), "sta"),
        button(texts("staff.button.faq"), "faq"),
        button(texts("staff.button.announce"), "new"),
        button(texts("staff.button.history"), "hist"),
        button(texts("staff.button.log"), "log"),
    ]
    if may_invite:
        buttons.append(button(texts("staff.button.people"), "ppl"))
    return markup(*rows(buttons, 2))
