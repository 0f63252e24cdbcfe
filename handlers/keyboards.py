"""Inline keyboards shared by several handlers. Labels come from the text catalogue."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from content.schema import Campaign
from content.sections import menu_sections, section_title
from content.texts import Texts


class CampaignCb(CallbackData, prefix="c"):
    """Choose a campaign; an empty slug opens the chooser."""

    slug: str = ""


class MenuCb(CallbackData, prefix="m"):
    """A menu page of one campaign; the slug travels along so old buttons stay right."""

    slug: str
    section: str = ""


# Feature buttons of the main menu: (text key, callback data). Each feature's router owns
# the callback; the data is plain ASCII well under Telegram's 64 bytes.
FEATURE_BUTTONS: list[tuple[str, str]] = [
    ("eligibility.menu_button", "el:start"),
    ("registration.button.menu", "rg:start"),
    ("reminders.button.settings", "rm:settings:"),
]


def chooser_keyboard(campaigns: list[Campaign], current: str | None) -> InlineKeyboardMarkup:
    rows = [[InlineKeyboardButton(
        text=("✅ " if c.slug == current else "") + c.name,
        callback_data=CampaignCb(slug=c.slug).pack(),
    )] for c in campaigns]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def menu_keyboard(texts: Texts, campaign: Campaign) -> InlineKeyboardMarkup:
    keys = menu_sections(campaign)
    buttons = [
        InlineKeyboardButton(text=section_title(campaign, key, texts),
                             callback_data=MenuCb(slug=campaign.slug, section=key).pack())
        for key in keys
    ]
    rows = [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
    # A feature the campaign file does not have (no rules, no form, no reminders) has no button.
    offered = {"el:start": campaign.eligibility is not None, "rg:start": campaign.form is not None,
               "rm:settings:": bool(campaign.reminders)}
    features = [InlineKeyboardButton(text=texts(key), callback_data=data)
                for key, data in FEATURE_BUTTONS if offered.get(data, True)]
    rows += [features[i:i + 2] for i in range(0, len(features), 2)]
    rows.append([InlineKeyboardButton(text=texts("button.switch_campaign"),
                                      callback_data=CampaignCb().pack())])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def back_to_menu(texts: Texts, campaign: Campaign) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(
        text=texts("button.back_to_menu"), callback_data=MenuCb(slug=campaign.slug).pack(),
    )]])
