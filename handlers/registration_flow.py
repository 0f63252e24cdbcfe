"""Shared by the pre-registration handlers: the FSM states, one update's view of the form,
the window gate, and sending a step's question.

The form in progress lives in the FSM data under ``rg`` (campaign slug, field asked, answers, the
pre-registration being edited), so it survives restarts; the ID number in it is encrypted as in
the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.settings import Settings
from content.catalogue import Catalogue
from content.dates import cn_date, cn_datetime
from content.promises import PREREGISTERED, reminds
from content.registration import form_fields
from content.registration_form import FROM_CHECK, answers_from_check, next_field
from content.registration_text import (
    by_channel,
    contacts_text,
    official,
    prefill_text,
    question_text,
    summary_text,
    window_text,
)
from content.retention import UNFINISHED_DAYS, campaign_closes
from content.schema import Campaign
from content.silence import where_to_register
from content.texts import Raw, Texts
from handlers.flows import leave_flow
from handlers.keyboards import back_to_menu, chooser_keyboard
from handlers.menu import show
from handlers.registration_keyboards import (
    field_keyboard,
    sensitive_keyboard,
    summary_keyboard,
    with_prefill,
)
from storage import registrations as repo
from storage import staff
from storage.crypto import Vault, vault_for
from storage.eligibility import latest_check
from storage.models import User
from storage.wechat import is_wechat


class RegistrationFlow(StatesGroup):
    consent = State()
    sensitive = State()  # the notice agreed; the ID number's own consent asked
    asking = State()
    summary = State()
    materials = State()


@dataclass
class Turn:
    """One update's view of the form: the Dispatcher's data and the FSM."""

    state: FSMContext
    texts: Texts
    catalogue: Catalogue
    clock: Clock
    session: AsyncSession
    settings: Settings
    user: User | None

    async def form(self) -> dict[str, Any]:
        return dict((await self.state.get_data()).get("rg") or {})

    async def keep(self, form: dict[str, Any], state: State) -> None:
        await self.state.set_state(state)
        await self.state.update_data(rg=form)

    async def drop(self) -> None:
        """End the form; other features' FSM data stays."""
        await leave_flow(self.state, "rg")

    def vault(self) -> Vault:
        return vault_for(self.settings)

    @property
    def channel(self) -> str:
        return channel_of(self.user)


def turn_of(kwargs: dict[str, Any]) -> Turn:
    return Turn(kwargs["state"], kwargs["texts"], kwargs["catalogue"], kwargs["clock"],
                kwargs["session"], kwargs["settings"], kwargs.get("user"))


async def gate(turn: Turn, campaign: Campaign | None) -> tuple[str, Any] | None:
    """Why the form cannot be used now (text, markup), or None when it is open."""
    texts, now = turn.texts, turn.clock.now()
    if campaign is None:
        return texts("registration.no_campaign"), chooser_keyboard(turn.catalogue.all(), None)
    form, menu = campaign.form, back_to_menu(texts, campaign)
    if form is None:
        return texts("registration.no_form", campaign=campaign.name), menu
    if now < form.opens:
        return texts(by_channel("registration.not_open_yet", campaign, texts),
                     campaign=campaign.name,
                     opens=cn_datetime(form.opens), closes=cn_datetime(form.closes),
                     window=window_text(campaign)), menu
    if now > form.closes:
        return texts("registration.closed", campaign=campaign.name,
                     closes=cn_datetime(form.closes),
                     contacts=contacts_text(campaign, texts)), menu
    return None


async def ask(send: Any, turn: Turn, campaign: Campaign, form: dict[str, Any],
              prefix: str = "") -> None:
    """Send the question of the field being asked (or the summary once all are answered)."""
    answers, field = form.get("answers", {}), form.get("field")
    if field is None:
        await turn.keep(form, RegistrationFlow.summary)
        text = summary_text(answers, campaign, turn.texts)
        await send(f"{prefix}{text}", reply_markup=summary_keyboard(campaign, turn.texts))
        return
    await turn.keep(form, RegistrationFlow.asking)
    text = question_text(field, campaign, answers, turn.texts, turn.clock.now().year)
    markup = field_keyboard(field, campaign, turn.texts, answers.get("base_choices") or [])
    if field == FROM_CHECK[0]:
        found = await from_check(turn, campaign)
        if found:
            text = prefill_text(found, campaign, turn.texts) + "\n\n" + text
            markup = with_prefill(markup, turn.texts)
    await send(f"{prefix}{text}", reply_markup=markup)


async def consent_given(send: Any, turn: Turn, campaign: Campaign, form: dict[str, Any]) -> None:
    """The notice agreed to (pressed or typed): ask the separate consent for the ID number."""
    form.update(consented_at=turn.clock.now().isoformat(), id_consented_at=None)
    await turn.keep(form, RegistrationFlow.sensitive)
    await send(sensitive_text(turn.texts, campaign, turn.channel),
               reply_markup=sensitive_keyboard(turn.texts))


async def sensitive_given(send: Any, turn: Turn, campaign: Campaign,
                          form: dict[str, Any]) -> None:
    """The ID number agreed to as well: the form's first question."""
    form.update(id_consented_at=turn.clock.now().isoformat(), field=next_field(campaign, None))
    await ask(send, turn, campaign, form)


async def from_check(turn: Turn, campaign: Campaign) -> dict[str, Any]:
    """What the user's stored self-check of this campaign answers for the form (may be empty)."""
    if turn.user is None:
        return {}
    check = await latest_check(turn.session, user_id=turn.user.id, campaign_slug=campaign.slug)
    return answers_from_check(check.profile) if check is not None else {}


async def taken_by_other(turn: Turn, campaign: Campaign, id_number: str) -> bool:
    """Whether another account holds an active pre-registration with this ID number: said at
    the ID step, not after nine more fields (the confirm step checks again, atomically)."""
    found = await repo.active_by_id_hash(turn.session, campaign_slug=campaign.slug,
                                         id_hash=turn.vault().hash_id(id_number))
    return found is not None and (turn.user is None or found.user_id != turn.user.id)


def privacy_text(campaign: Campaign, texts: Texts, now: datetime,
                 channel: str = "telegram") -> str:
    """The notice PIPL asks for before collecting (Art. 17): who processes, what, why, who sees
    it (the staff roles that exist, storage/staff.py), how long, and how it travels — abroad
    through Telegram (Art. 38–39), or through WeChat — by the channel the applicant uses."""
    choices = ""
    if campaign.form is not None and campaign.form.base_choice == "pick":
        choices += texts("registration.privacy_choices_pick")
    if campaign.registration.asks_adjustment:
        choices += texts("registration.privacy_choices_adjustment")
    # Materials are named only when this campaign's form pre-checks them (issue 12 §2).
    materials = texts("registration.privacy_materials") if (
        campaign.form is not None and campaign.form.materials) else ""
    # Reminders are named as a use only while one is still to come (content/promises.py).
    reminding = texts(by_channel("registration.privacy_reminders", campaign, texts)) if reminds(
        campaign, now, "registration.closes", PREREGISTERED, texts) else ""
    retention = texts("privacy.retention", closes=cn_date(campaign_closes(campaign)),
                      days=campaign.retention_days_after_close, unfinished=UNFINISHED_DAYS)
    issuer = campaign.notice.issuer
    controller = (texts("privacy.controller", issuer=issuer) if issuer
                  else texts("privacy.controller_unknown"))
    return texts("privacy.notice", campaign=campaign.name, reminders=Raw(reminding),
                 where=where_to_register(campaign.registration, texts),
                 official=official(campaign), window=window_text(campaign),
                 step=campaign.registration.step_name, materials=Raw(materials),
                 choices=Raw(choices), total=len(form_fields(campaign)),
                 controller=Raw(controller), roles=Raw(roles_text(campaign, texts)),
                 retention=retention, transfer=Raw(texts(f"privacy.transfer.{channel}")))


def roles_text(campaign: Campaign, texts: Texts) -> str:
    """Who besides the applicant sees the data: each staff role, as storage/staff.py defines
    them, that can exist in this campaign (base staff only where the notice lists bases)."""
    # ROLES runs from the widest scope to the narrowest; the notice names the nearest first.
    roles = [r for r in reversed(staff.ROLES) if r != staff.BASE_STAFF or campaign.plan.bases]
    return "；".join(texts(f"privacy.role.{role}") for role in roles)


def sensitive_text(texts: Texts, campaign: Campaign, channel: str = "telegram") -> str:
    """The separate consent for the ID number, sensitive personal information (Art. 28–30); on
    WeChat, which cannot delete a typed message, it says so before the number is asked for.
    The birth date is named as a purpose only when the campaign's rules have an age limit."""
    undeletable = texts(f"privacy.undeletable.{channel}")
    age = texts("privacy.sensitive_age") if has_age_rule(campaign) else ""
    return texts("privacy.sensitive", undeletable=Raw(undeletable), age=age).rstrip()


def has_age_rule(campaign: Campaign) -> bool:
    spec = campaign.eligibility
    return spec is not None and "birth_date" in spec.fields()


def channel_of(user: User | None) -> str:
    """The channel the applicant writes from: WeChat users have ids of their own range."""
    return "wechat" if user is not None and is_wechat(user.id) else "telegram"


def sender(query: CallbackQuery) -> Any:
    """Send to the user who pressed (a new message; the pressed one may be too old to edit)."""
    async def send(text: str, **kwargs: Any) -> Any:
        return await query.bot.send_message(query.from_user.id, text, **kwargs)
    return send


def editor(query: CallbackQuery) -> Any:
    """Replace the pressed message (the question just answered) with the next step."""
    async def send(text: str, reply_markup: Any = None) -> None:
        await show(query, text, reply_markup)
    return send
