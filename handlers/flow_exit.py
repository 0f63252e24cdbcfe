"""Commands typed in the middle of a form: nobody is trapped in a conversation.

In the self-check or the pre-registration any command (/start, /menu, /help, /check, …) first
pauses the flow with one line saying how to go on, then does what it says; the flow's own
command (/register in the form, /check in the self-check) resumes it instead. /cancel ends
whichever applicant flow is open, or a paused one. Staff flows have their own /cancel (the staff
router runs first); 💬 问老师 leaves its state on any command (handlers/ask_staff.py).
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from content.texts import Texts
from handlers.eligibility import EligibilityFlow
from handlers.flows import leave_flow
from handlers.registration_flow import RegistrationFlow

FORM_STATES = (RegistrationFlow.consent.state, RegistrationFlow.sensitive.state,
               RegistrationFlow.asking.state, RegistrationFlow.summary.state)
OWN_COMMAND = {"registration": "register", "eligibility": "check"}


def command_name(text: str) -> str:
    """/Register@zhaolu_bot 孝感 -> register"""
    return text.split(maxsplit=1)[0].lstrip("/").split("@", 1)[0].lower() if text else ""


def flow_of(raw_state: str | None) -> str | None:
    if raw_state in FORM_STATES:
        return "registration"
    if raw_state == RegistrationFlow.materials.state:
        return "materials"
    if raw_state in EligibilityFlow.__all_states_names__:
        return "eligibility"
    return None


async def on_command(message: Message, state: FSMContext, texts: Texts,
                     raw_state: str | None = None) -> None:
    """Pause the open flow with one line, then let the command's own handler run."""
    flow = flow_of(raw_state)
    command = command_name(message.text or "")
    if flow is None or OWN_COMMAND.get(flow) == command:
        raise SkipHandler
    if command == "cancel":
        await on_cancel(message, state, texts, raw_state)
        return
    line = await pause(state, texts, raw_state)
    if line is not None:
        await message.answer(line)
    raise SkipHandler


async def pause(state: FSMContext, texts: Texts, raw_state: str | None) -> str | None:
    """Leave the open form or self-check, keeping its answers; the line saying how to go on
    (None when no such flow is open)."""
    flow = flow_of(raw_state)
    if flow == "registration":
        if raw_state in (RegistrationFlow.consent.state, RegistrationFlow.sensitive.state):
            # nothing typed yet: nothing to keep (and no consent kept without the form)
            await leave_flow(state, "rg")
        else:  # the answers stay; /register (or a button of the form) goes on
            await state.set_state(None)
        return texts("flow.paused.registration")
    if flow == "eligibility":
        await state.set_state(None)  # the answers stay; /check goes on
        return texts("flow.paused.eligibility")
    if flow == "materials":
        await leave_flow(state, "rg_mat")
        return texts("flow.left.materials")
    return None


async def on_cancel(message: Message, state: FSMContext, texts: Texts,
                    raw_state: str | None = None) -> None:
    """/cancel: end the open (or paused) self-check or form, with one line; else say so."""
    flow = flow_of(raw_state)
    data = await state.get_data()
    lines = []
    if flow == "materials":
        await leave_flow(state, "rg_mat")
        lines.append(texts("flow.left.materials"))
    if flow in (None, "registration") and (data.get("rg") or {}).get("slug"):
        editing = (data.get("rg") or {}).get("edit_id")
        await leave_flow(state, "rg")
        lines.append(texts("flow.cancel.edit" if editing else "registration.cancelled"))
    if flow in (None, "eligibility") and data.get("el_slug"):
        await leave_flow(state, prefix="el_")
        lines.append(texts("eligibility.cancelled"))
    if flow is None and await state.get_state() is not None:
        await state.set_state(None)
    await message.answer("\n".join(lines) or texts("flow.cancel.nothing"))


def build_router() -> Router:
    router = Router(name="flow_exit")
    router.message.register(on_command, F.text.startswith("/"),
                            StateFilter(RegistrationFlow, EligibilityFlow))
    router.message.register(on_cancel, Command("cancel"))
    return router
