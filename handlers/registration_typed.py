"""Text typed where the pre-registration waits for a button: the privacy notice and the summary.

On a phone many applicants answer "同意" or "确认" instead of pressing. Left alone, such a line
would reach the Q&A and the form would seem to vanish; here it is answered within the form.
"""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.types import Message

from content.schema import Campaign
from handlers.form_questions import answered_question
from handlers.registration_flow import (
    RegistrationFlow,
    Turn,
    ask,
    consent_given,
    privacy_text,
    sensitive_given,
    sensitive_text,
    turn_of,
)
from handlers.registration_keyboards import consent_keyboard, sensitive_keyboard


def _words(text: str | None) -> str:
    return "".join((text or "").split()).strip("。！!.，,✅")


async def _flow(message: Message, turn: Turn) -> tuple[Campaign, dict[str, Any]] | None:
    """The form in progress and its campaign; a form whose campaign is gone ends politely."""
    form = await turn.form()
    campaign = turn.catalogue.get(form.get("slug"))
    if campaign is None or campaign.form is None:
        await turn.drop()
        await message.answer(turn.texts("registration.stale"))
        return None
    return campaign, form


async def _answered(message: Message, turn: Turn, campaign: Campaign) -> bool:
    """A question typed instead of pressing ("这个要钱吗"): answered; the step then follows."""
    return await answered_question(message, "", campaign, texts=turn.texts, clock=turn.clock,
                                   session=turn.session, user=turn.user)


async def on_consent_text(message: Message, **kwargs: Any) -> None:
    """同意 typed under the notice asks the ID number's consent; anything else shows the notice
    again with its buttons."""
    turn = turn_of(kwargs)
    flow = await _flow(message, turn)
    if flow is None:
        return
    campaign, form = flow
    if _agrees(message, turn):
        await consent_given(message.answer, turn, campaign, form)
        return
    if await _answered(message, turn, campaign):
        await message.answer(turn.texts("registration.hint.consent"),
                             reply_markup=consent_keyboard(turn.texts))
        return
    await message.answer(turn.texts("registration.hint.consent") + "\n\n"
                         + privacy_text(campaign, turn.texts, turn.clock.now(), turn.channel),
                         reply_markup=consent_keyboard(turn.texts))


async def on_sensitive_text(message: Message, **kwargs: Any) -> None:
    """同意 typed under the ID number's consent starts the form; else that consent again."""
    turn = turn_of(kwargs)
    flow = await _flow(message, turn)
    if flow is None:
        return
    campaign, form = flow
    if _agrees(message, turn) and form.get("consented_at"):
        await sensitive_given(message.answer, turn, campaign, form)
        return
    hint = turn.texts("privacy.hint.sensitive")
    if await _answered(message, turn, campaign):
        await message.answer(hint, reply_markup=sensitive_keyboard(turn.texts))
        return
    await message.answer(hint + "\n\n" + sensitive_text(turn.texts, campaign, turn.channel),
                         reply_markup=sensitive_keyboard(turn.texts))


def _agrees(message: Message, turn: Turn) -> bool:
    return _words(message.text) in turn.texts("registration.consent_words").split("|")


async def on_summary_text(message: Message, **kwargs: Any) -> None:
    """The summary again, saying that submitting and editing are done with its buttons."""
    turn = turn_of(kwargs)
    flow = await _flow(message, turn)
    if flow is None:
        return
    campaign, form = flow
    form["field"] = None
    if await _answered(message, turn, campaign):
        await ask(message.answer, turn, campaign, form)
        return
    hint = turn.texts("registration.hint.summary")
    await ask(message.answer, turn, campaign, form, f"{hint}\n\n")


def register(router: Router) -> None:
    # Commands pass through (/menu, /check …), as in the form's other steps.
    typed = (F.text, ~F.text.startswith("/"))
    router.message.register(on_consent_text, StateFilter(RegistrationFlow.consent), *typed)
    router.message.register(on_sensitive_text, StateFilter(RegistrationFlow.sensitive), *typed)
    router.message.register(on_summary_text, StateFilter(RegistrationFlow.summary), *typed)
