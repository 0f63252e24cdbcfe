"""确认提交: the eligibility verdict, then one pre-registration (or the edited one updated),
the receipt and the official next steps. A second tap finds the form gone and is told the
receipt; two accounts with one ID number are kept apart by the database (storage/registrations).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiogram.types import CallbackQuery

from content.promises import PREREGISTERED, titles_text, upcoming_titles
from content.registration_form import applicant_from, is_complete, judge, next_field
from content.registration_text import contacts_text, receipt_text
from content.schema import Campaign
from content.texts import Raw
from handlers.paging import paged
from handlers.registration_flow import RegistrationFlow, Turn, ask, gate, sender, turn_of
from handlers.registration_keyboards import materials_start, summary_keyboard
from storage import registrations as repo
from storage.eligibility import latest_check
from storage.subscriptions import ensure_subscribed, is_subscribed


async def _after_double_tap(query: CallbackQuery, turn: Turn, campaign: Campaign | None) -> None:
    """Confirm pressed when no form awaits it: most often the second tap of a double tap."""
    if turn.user is not None and campaign is not None:
        mine = await repo.list_for_user(turn.session, user_id=turn.user.id,
                                        campaign_slug=campaign.slug)
        active = [r for r in mine if r.status in repo.ACTIVE_STATUSES]
        if active:
            await query.answer()
            await sender(query)(turn.texts("registration.existing", receipt=active[0].receipt_no))
            return
    await query.answer(turn.texts("registration.stale"), show_alert=True)


async def on_confirm(query: CallbackQuery, **kwargs: Any) -> None:
    """确认提交: eligibility, then register once (or update the one being edited)."""
    turn, texts = turn_of(kwargs), kwargs["texts"]
    form = await turn.form()
    campaign = turn.catalogue.get(form.get("slug"))
    if (campaign is None or turn.user is None
            or await turn.state.get_state() != RegistrationFlow.summary.state):
        await _after_double_tap(query, turn, campaign or kwargs.get("campaign"))
        return
    await query.answer()
    send = sender(query)
    refusal = await gate(turn, campaign)
    if refusal is not None:
        await turn.drop()
        await send(refusal[0], reply_markup=refusal[1])
        return
    answers = form.get("answers", {})
    if not is_complete(campaign, answers):  # an old summary of a form edited since
        form.update(field=next_field(campaign, None), to_summary=False)
        await ask(send, turn, campaign, form)
        return
    vault, now = turn.vault(), turn.clock.now()
    applicant = applicant_from(answers, vault.decrypt(answers["id_cipher"]))
    # The notice's own conditions are answered in the self-check, not in the form.
    check = await latest_check(turn.session, user_id=turn.user.id, campaign_slug=campaign.slug)
    judgement = judge(campaign, applicant, now, check.profile if check is not None else None)
    if judgement.verdict == "ineligible":
        reasons = "\n".join(texts("registration.reason", reason=r) for r in judgement.reasons)
        await send(texts("registration.ineligible", reasons=Raw(reasons),
                         contacts=contacts_text(campaign, texts)),
                   reply_markup=summary_keyboard(campaign, texts))
        return
    outcome = await _store(turn, campaign, form, applicant, judgement)
    if outcome.kind == "taken":
        await send(texts("registration.taken", contacts=contacts_text(campaign, texts)),
                   reply_markup=summary_keyboard(campaign, texts))
        return
    await turn.drop()
    registration = outcome.registration
    assert registration is not None
    if outcome.kind == "existing":
        await send(texts("registration.existing", receipt=registration.receipt_no))
        return
    text = receipt_text(registration.receipt_no, answers, judgement.reasons, campaign, texts,
                        updated=bool(form.get("edit_id")))
    if campaign.reminders:
        # Deadlines matter most to those who pre-registered; an earlier "no" still stands.
        await ensure_subscribed(turn.session, user_id=turn.user.id, slug=campaign.slug, now=now)
        titles = upcoming_titles(campaign, now, PREREGISTERED, texts)
        if titles and await is_subscribed(turn.session, user_id=turn.user.id,
                                          slug=campaign.slug):
            text += "\n\n" + texts("registration.reminders_on", events=titles_text(titles))
    markup = materials_start(texts, registration.id) if campaign.form.materials else None
    # One phone screen: the official next steps page with 更多 (handlers/paging.py).
    text, markup = await paged(turn.state, texts, text, markup)
    await send(text, reply_markup=markup)


async def _store(turn: Turn, campaign: Campaign, form: dict[str, Any], applicant: Any,
                 judgement: Any) -> repo.Outcome:
    assert turn.user is not None and campaign.form is not None
    common = {"vault": turn.vault(), "applicant": applicant, "verdict": judgement.verdict,
              "conditions": judgement.reasons, "now": turn.clock.now()}
    edit_id = form.get("edit_id")
    if edit_id:
        registration = await repo.get_for_user(turn.session, user_id=turn.user.id,
                                               registration_id=int(edit_id))
        if registration is not None and registration.status in repo.ACTIVE_STATUSES:
            return await repo.update(turn.session, registration=registration, **common)
    outcome = await repo.create(turn.session, campaign_slug=campaign.slug,
                                receipt_prefix=campaign.form.receipt_prefix,
                                user_id=turn.user.id, **common)
    if outcome.kind == "created" and outcome.registration is not None:
        # The two consents given before the form (handlers/registration_flow.py), kept with it.
        outcome.registration.consented_at = _moment(form.get("consented_at"))
        outcome.registration.id_consented_at = _moment(form.get("id_consented_at"))
        turn.session.add(outcome.registration)
        await turn.session.flush()
    return outcome


def _moment(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
