"""预登记: /register and the menu button; consent, one field per step, summary, confirm.

Handlers stay thin: validation, eligibility and next steps live in content/, uniqueness and
receipts in storage/registrations.py. /my, /mydata, /delete_my_data and the materials pre-check
are in handlers/registration_my.py; the shared state and helpers in handlers/registration_flow.py.
"""

from __future__ import annotations

import contextlib
from typing import Any

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, StateFilter
from aiogram.types import CallbackQuery, Message

from content.form_input import known_majors, label_variants
from content.idcard import looks_like_id_number
from content.registration import COMMON_MAJORS, FieldError, form_fields
from content.registration_form import (
    CHOICE_FIELDS,
    accept_choice,
    accept_text,
    choice_labels,
    next_field,
    previous_field,
    typed_choice,
)
from content.registration_text import contacts_text, prefill_items, status_text
from content.schema import Campaign
from handlers import (
    registration_confirm,
    registration_materials,
    registration_my,
    registration_typed,
)
from handlers.form_questions import answered_question
from handlers.keyboards import back_to_menu
from handlers.menu import show
from handlers.registration_flow import (
    RegistrationFlow,
    Turn,
    ask,
    consent_given,
    editor,
    from_check,
    gate,
    privacy_text,
    sender,
    sensitive_given,
    taken_by_other,
    turn_of,
)
from handlers.registration_keyboards import (
    PREFILL_VALUE,
    START_DATA,
    RgCb,
    consent_keyboard,
)
from storage import registrations as repo


async def begin(send: Any, turn: Turn, campaign: Campaign | None) -> None:
    """Resume the form in progress, or check the window and offer the privacy notice."""
    form = await turn.form()
    current = turn.catalogue.get(form.get("slug"))
    same = current is not None and (campaign is None or current.slug == campaign.slug)
    consenting = (RegistrationFlow.consent.state, RegistrationFlow.sensitive.state)
    # A form goes on only once both consents were given (or it edits a stored registration).
    agreed = form.get("id_consented_at") or form.get("edit_id")
    if same and agreed and await turn.state.get_state() not in consenting:
        await ask(send, turn, current, form)
        return
    refusal = await gate(turn, campaign)
    if refusal is not None:
        await send(refusal[0], reply_markup=refusal[1])
        return
    assert campaign is not None and campaign.form is not None
    if turn.user is not None:
        mine = await repo.list_for_user(turn.session, user_id=turn.user.id,
                                        campaign_slug=campaign.slug)
        active = [r for r in mine if r.status in repo.ACTIVE_STATUSES]
        if active:
            await send(turn.texts("registration.already", receipt=active[0].receipt_no,
                                  status=status_text(active[0].status, campaign, turn.texts)))
            return
    await turn.keep({"slug": campaign.slug, "answers": {}}, RegistrationFlow.consent)
    await send(privacy_text(campaign, turn.texts, turn.clock.now(), turn.channel),
               reply_markup=consent_keyboard(turn.texts))


async def cmd_register(message: Message, **kwargs: Any) -> None:
    """/register: the pre-registration form of the current campaign."""
    await begin(message.answer, turn_of(kwargs), kwargs.get("campaign"))


async def on_start(query: CallbackQuery, **kwargs: Any) -> None:
    """The menu's 预登记 button."""
    await query.answer()
    await begin(sender(query), turn_of(kwargs), kwargs.get("campaign"))


async def _flow(query: CallbackQuery, turn: Turn) -> tuple[Campaign, dict[str, Any]] | None:
    """The form in progress; None (and the user told) when there is none."""
    form = await turn.form()
    campaign = turn.catalogue.get(form.get("slug"))
    if campaign is None or campaign.form is None:
        await query.answer(turn.texts("registration.stale"), show_alert=True)
        return None
    return campaign, form


async def on_consent(query: CallbackQuery, **kwargs: Any) -> None:
    """同意并开始 under the notice: the ID number's own consent comes next."""
    turn = turn_of(kwargs)
    flow = await _flow(query, turn)
    if flow is None:
        return
    campaign, form = flow
    await query.answer()
    await consent_given(editor(query), turn, campaign, form)


async def on_sensitive(query: CallbackQuery, **kwargs: Any) -> None:
    """同意提供身份证号: the form starts; a press without the notice agreed first is stale."""
    turn = turn_of(kwargs)
    flow = await _flow(query, turn)
    if flow is None:
        return
    campaign, form = flow
    if not form.get("consented_at"):
        await query.answer(turn.texts("registration.stale"), show_alert=True)
        return
    await query.answer()
    await sensitive_given(editor(query), turn, campaign, form)


async def _drop(query: CallbackQuery, kwargs: dict[str, Any], text_key: str) -> None:
    """The form in progress dropped, nothing kept; the menu of its campaign offered."""
    turn = turn_of(kwargs)
    campaign = turn.catalogue.get((await turn.form()).get("slug")) or kwargs.get("campaign")
    await turn.drop()
    await query.answer()
    markup = back_to_menu(turn.texts, campaign) if campaign is not None else None
    await show(query, turn.texts(text_key), markup)


async def on_decline(query: CallbackQuery, **kwargs: Any) -> None:
    """不同意 (the notice or the ID number): nothing is kept; Q&A and the self-check stay."""
    await _drop(query, kwargs, "privacy.declined")


async def on_cancel(query: CallbackQuery, **kwargs: Any) -> None:
    """✖ 取消 under a step."""
    await _drop(query, kwargs, "registration.cancelled")


async def on_back(query: CallbackQuery, **kwargs: Any) -> None:
    """One step back: the previous field, the previous base choice, or the privacy notice."""
    turn = turn_of(kwargs)
    flow = await _flow(query, turn)
    if flow is None:
        return
    campaign, form = flow
    await query.answer()
    field, answers = form.get("field"), form.setdefault("answers", {})
    if form.get("to_summary") or field is None:
        form.update(field=None, to_summary=False)
    elif field == "bases" and answers.get("base_choices"):
        answers["base_choices"] = answers["base_choices"][:-1]
    else:
        form["field"] = previous_field(campaign, field)
        if form["field"] is None:
            await turn.keep(form, RegistrationFlow.consent)
            await show(query, privacy_text(campaign, turn.texts, turn.clock.now(), turn.channel),
                       consent_keyboard(turn.texts))
            return
    await ask(editor(query), turn, campaign, form)


async def advance(send: Any, turn: Turn, campaign: Campaign, form: dict[str, Any],
                  updates: dict[str, Any], *, stay: bool, notes: list[str]) -> None:
    """Keep an accepted answer and move on (to the summary when editing one field)."""
    if "id_number" in updates:
        updates["id_cipher"] = turn.vault().encrypt(updates.pop("id_number"))
    form.setdefault("answers", {}).update(updates)
    if not stay:
        form["field"] = None if form.get("to_summary") else next_field(campaign, form["field"])
        if form["field"] is None:
            form["to_summary"] = False
    prefix = "".join(f"{note}\n" for note in notes)
    await ask(send, turn, campaign, form, prefix)


async def use_check(send: Any, turn: Turn, campaign: Campaign, form: dict[str, Any]) -> None:
    """沿用自查结果: 学历, 专业 … at once from the stored self-check, then the next open field."""
    found = await from_check(turn, campaign)
    if not found:  # erased since the offer (/delete_my_data)
        await ask(send, turn, campaign, form)
        return
    form["field"] = list(found)[-1]
    done = turn.texts("registration.prefill_done",
                      items=prefill_items(found, campaign, turn.texts))
    await advance(send, turn, campaign, form, found, stay=False, notes=[done])


async def on_text(message: Message, **kwargs: Any) -> None:
    """A typed answer to the field being asked; an invalid one re-asks that field only."""
    turn = turn_of(kwargs)
    form = await turn.form()
    campaign = turn.catalogue.get(form.get("slug"))
    if campaign is None or not form.get("field"):
        await turn.drop()
        await message.answer(turn.texts("registration.stale"))
        return
    field, typed = form["field"], message.text or ""
    label = turn.texts("registration.button.prefill")
    if field == "education" and typed.strip() in (label, label.lstrip("✅ ")):
        await use_check(message.answer, turn, campaign, form)
        return
    if looks_like_id_number(typed):
        # An ID number, valid or mistyped, at any step: it must not stay in the chat history
        # (the summary shows it masked).
        with contextlib.suppress(TelegramBadRequest):
            await message.delete()
    chosen = field in CHOICE_FIELDS and typed_choice(field, typed, campaign) is not None
    known = ([w for label in choice_labels(field, campaign) for w in label_variants(label)]
             if field in CHOICE_FIELDS else [*COMMON_MAJORS, *known_majors(campaign)])
    if not chosen and await answered_question(
            message, field, campaign, texts=turn.texts, clock=turn.clock, session=turn.session,
            user=turn.user, known=known):
        await ask(message.answer, turn, campaign, form)
        return
    try:
        accepted = accept_text(field, message.text or "", form.get("answers", {}), campaign,
                               now=turn.clock.now())
    except FieldError as error:
        await ask(message.answer, turn, campaign, form, error.message(turn.texts) + "\n\n")
        return
    if field == "id_number" and await taken_by_other(turn, campaign, accepted.updates[field]):
        taken = turn.texts("registration.taken", contacts=contacts_text(campaign, turn.texts))
        await ask(message.answer, turn, campaign, form, f"{taken}\n")
        return
    await advance(message.answer, turn, campaign, form, accepted.updates, stay=accepted.stay,
                  notes=accepted.notes)


async def on_not_text(message: Message, **kwargs: Any) -> None:
    """A photo, sticker … while a field is asked: say so and ask again."""
    turn = turn_of(kwargs)
    form = await turn.form()
    campaign = turn.catalogue.get(form.get("slug"))
    if campaign is None:
        await turn.drop()
        await message.answer(turn.texts("registration.stale"))
        return
    await ask(message.answer, turn, campaign, form,
              turn.texts("registration.error.text_expected") + "\n\n")


async def on_choice(query: CallbackQuery, callback_data: RgCb, **kwargs: Any) -> None:
    """A button answer; a button of another step (an old message) is stale."""
    turn = turn_of(kwargs)
    flow = await _flow(query, turn)
    if flow is None:
        return
    campaign, form = flow
    if form.get("field") != callback_data.field:
        await query.answer(turn.texts("registration.stale"), show_alert=True)
        return
    await query.answer()
    if callback_data.value == PREFILL_VALUE:
        await use_check(editor(query), turn, campaign, form)
        return
    try:
        accepted = accept_choice(callback_data.field, callback_data.value,
                                 form.get("answers", {}), campaign)
    except FieldError as error:
        await ask(editor(query), turn, campaign, form, error.message(turn.texts) + "\n\n")
        return
    await advance(editor(query), turn, campaign, form, accepted.updates, stay=accepted.stay,
                  notes=accepted.notes)


async def on_edit(query: CallbackQuery, callback_data: RgCb, **kwargs: Any) -> None:
    """改… on the summary: ask that one field again, then come back to the summary."""
    turn = turn_of(kwargs)
    flow = await _flow(query, turn)
    if flow is None:
        return
    campaign, form = flow
    if callback_data.field not in form_fields(campaign):
        await query.answer(turn.texts("registration.stale"), show_alert=True)
        return
    await query.answer()
    if callback_data.field == "bases":
        form.setdefault("answers", {})["base_choices"] = []
    form.update(field=callback_data.field, to_summary=True)
    await ask(sender(query), turn, campaign, form)


def build_router() -> Router:
    router = Router(name="registration")
    router.message.register(cmd_register, Command("register"))
    router.callback_query.register(on_start, F.data == START_DATA)
    router.callback_query.register(on_consent, RgCb.filter(F.action == "ok"))
    router.callback_query.register(on_sensitive, RgCb.filter(F.action == "idok"))
    router.callback_query.register(on_decline, RgCb.filter(F.action == "no"))
    router.callback_query.register(on_cancel, RgCb.filter(F.action == "cancel"))
    router.callback_query.register(on_back, RgCb.filter(F.action == "back"))
    router.callback_query.register(on_choice, RgCb.filter(F.action == "a"))
    router.callback_query.register(on_edit, RgCb.filter(F.action == "e"))
    router.callback_query.register(registration_confirm.on_confirm,
                                   RgCb.filter(F.action == "confirm"))
    # Commands pass through to their own routers even in the middle of the form.
    router.message.register(on_text, StateFilter(RegistrationFlow.asking), F.text,
                            ~F.text.startswith("/"))
    router.message.register(on_not_text, StateFilter(RegistrationFlow.asking), ~F.text)
    registration_typed.register(router)
    registration_my.register(router)
    registration_materials.register(router)
    return router
