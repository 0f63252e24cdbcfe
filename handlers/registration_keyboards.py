"""Callback data and inline keyboards of the pre-registration. Data is ASCII (ids, never
Chinese), well under Telegram's 64 bytes: ``rg:<action>:<field>:<value>``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from content.registration import COMMON_MAJORS, EDUCATION, QUALIFICATION, form_fields
from content.schema import Campaign
from content.texts import Texts

START_DATA = "rg:start"  # the main menu's button (handlers.keyboards.FEATURE_BUTTONS)


class RgCb(CallbackData, prefix="rg"):
    """action: ok, idok (the ID number's own consent), no (declined), cancel, back,
    a (answer), e (edit), confirm, my_*, mt_*, del."""

    action: str
    field: str = ""
    value: str = ""


def _button(label: str, action: str, field: str = "", value: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(text=label,
                                callback_data=RgCb(action=action, field=field, value=value).pack())


def _rows(buttons: Sequence[InlineKeyboardButton], per_row: int) -> list[list[Any]]:
    return [list(buttons[i:i + per_row]) for i in range(0, len(buttons), per_row)]


def nav_row(texts: Texts) -> list[InlineKeyboardButton]:
    return [_button(texts("registration.button.back"), "back"),
            _button(texts("registration.button.cancel"), "cancel")]


def consent_keyboard(texts: Texts) -> InlineKeyboardMarkup:
    """Under the privacy notice: agree, or decline (nothing kept; Q&A and /check stay)."""
    return InlineKeyboardMarkup(inline_keyboard=[
        [_button(texts("privacy.button.consent"), "ok")],
        [_button(texts("privacy.button.decline"), "no")],
    ])


def sensitive_keyboard(texts: Texts) -> InlineKeyboardMarkup:
    """Under the separate consent for the ID number."""
    return InlineKeyboardMarkup(inline_keyboard=[
        [_button(texts("privacy.button.sensitive"), "idok")],
        [_button(texts("privacy.button.decline"), "no")],
    ])


def _choices(field: str, campaign: Campaign, texts: Texts, chosen: Iterable[str]
             ) -> tuple[list[InlineKeyboardButton], int]:
    """The answer buttons of a closed-set field, and how many fit a row on a phone."""
    def answer(label: str, value: str) -> InlineKeyboardButton:
        return _button(label, "a", field, value)

    if field == "education":
        return [answer(texts(f"registration.education.{k}"), k) for k in EDUCATION], 2
    if field == "qualification":
        return [answer(texts(f"registration.qualification.{k}"), k) for k in QUALIFICATION], 1
    if field == "major":
        return [answer(name, str(i)) for i, name in enumerate(COMMON_MAJORS)], 2
    if field == "person_type" and campaign.form is not None:
        return [answer(p.label, p.id) for p in campaign.form.person_types], 2
    if field == "adjustment":
        return [answer(texts("registration.button.adjust_yes"), "y"),
                answer(texts("registration.button.adjust_no"), "n")], 2
    if field == "bases":
        taken = set(chosen)
        buttons = [answer(texts("registration.base_button", name=b.name, quota=b.quota)
                          if b.quota is not None else b.name, b.id)
                   for b in campaign.plan.bases if b.id not in taken]
        if taken:
            buttons.append(answer(texts("registration.button.no_more_bases"), "-"))
        return buttons, 1
    return [], 1


def field_keyboard(field: str, campaign: Campaign, texts: Texts,
                   chosen: Iterable[str] = ()) -> InlineKeyboardMarkup:
    buttons, per_row = _choices(field, campaign, texts, chosen)
    return InlineKeyboardMarkup(inline_keyboard=[*_rows(buttons, per_row), nav_row(texts)])


PREFILL_VALUE = "chk"  # the education step's "use my self-check" answer


def with_prefill(markup: InlineKeyboardMarkup, texts: Texts) -> InlineKeyboardMarkup:
    """The question's buttons with "沿用自查结果" on top."""
    button = _button(texts("registration.button.prefill"), "a", "education", PREFILL_VALUE)
    return InlineKeyboardMarkup(inline_keyboard=[[button], *markup.inline_keyboard])


def summary_keyboard(campaign: Campaign, texts: Texts) -> InlineKeyboardMarkup:
    edits = [_button(texts("registration.button.edit",
                           label=texts(f"registration.field.{field}")), "e", field)
             for field in form_fields(campaign)]
    return InlineKeyboardMarkup(inline_keyboard=[
        *_rows(edits, 3),
        [_button(texts("registration.button.confirm"), "confirm")],
        [_button(texts("registration.button.cancel"), "cancel")],
    ])


def my_keyboard(actions: list[tuple[str, str, int]], texts: Texts) -> InlineKeyboardMarkup | None:
    """(text key, action, registration id) per button, one per row; None when there are none."""
    if not actions:
        return None
    return InlineKeyboardMarkup(inline_keyboard=[
        [_button(label, action, value=str(reg_id))] for label, action, reg_id in actions
    ])


def yes_no(texts: Texts, yes: tuple[str, str, str], no: tuple[str, str, str]
           ) -> InlineKeyboardMarkup:
    """Two buttons side by side, each (text key, action, value)."""
    return InlineKeyboardMarkup(inline_keyboard=[[
        _button(texts(yes[0]), yes[1], value=yes[2]), _button(texts(no[0]), no[1], value=no[2]),
    ]])


def materials_keyboard(texts: Texts) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[
        _button(texts("registration.button.skip_material"), "mt_skip"),
        _button(texts("registration.button.end_materials"), "mt_end"),
    ]])


def materials_start(texts: Texts, registration_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[
        _button(texts("registration.button.materials"), "my_mt", value=str(registration_id)),
    ]])
