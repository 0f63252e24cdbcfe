"""我能报吗: the eligibility self-check, one question per step, the verdict with its reasons.

Which question comes next is the rules' business (content.eligibility.missing_fields): a field is
asked only when its answer can change the verdict. The answers live in the FSM data, so a check
survives restarts and /check resumes it; the verdict is stored with the user. An ID number typed
for the age gives its birth date and is dropped (its message deleted where Telegram allows).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from content.catalogue import Catalogue
from content.dates import cn_date
from content.eligibility import evaluate, missing_fields, parse_profile
from content.eligibility_input import (
    AnswerError,
    choice_words,
    parse_birth_input,
    parse_choice,
    parse_major,
)
from content.eligibility_render import question_text, render_verdict
from content.form_input import known_majors
from content.idcard import looks_like_id_number
from content.schema import Campaign
from content.texts import Texts
from handlers.eligibility_keyboards import (
    ElAction,
    ElAnswer,
    after_keyboard,
    options,
    question_keyboard,
)
from handlers.flows import leave_flow
from handlers.form_questions import answered_question
from handlers.keyboards import chooser_keyboard
from handlers.menu import show
from handlers.paging import paged
from storage.eligibility import save_check
from storage.models import User

TYPED_FIELDS = ("major", "birth_date")  # answered by typing; the others have buttons


class EligibilityFlow(StatesGroup):
    education = State()
    major = State()
    birth_date = State()
    qualification = State()
    scope_includes_gp = State()
    employment = State()
    sponsorship = State()
    condition = State()  # one of the campaign's own questions, named by el_field



@dataclass
class Turn:
    """What one update's handling needs, from the Dispatcher's data."""

    state: FSMContext
    texts: Texts
    catalogue: Catalogue
    clock: Clock
    session: AsyncSession
    user: User | None

    async def flow(self) -> tuple[Campaign, dict[str, Any], list[str], str] | None:
        """(campaign, answers, history, field asked) of the check in progress, if any."""
        current = await self.state.get_state()
        if current not in EligibilityFlow.__all_states_names__:
            return None
        data = await self.state.get_data()
        campaign = self.catalogue.get(data.get("el_slug"))
        if campaign is None or campaign.eligibility is None:
            return None
        field = current.split(":", 1)[1]
        if current == EligibilityFlow.condition.state:
            field = str(data.get("el_field", ""))
        return campaign, dict(data.get("el_answers", {})), list(data.get("el_history", [])), field

    async def paused(self) -> tuple[Campaign, dict[str, Any], list[str]] | None:
        """A check left for another flow (/register, …): its data stays until it ends."""
        data = await self.state.get_data()
        campaign = self.catalogue.get(data.get("el_slug"))
        if campaign is None or campaign.eligibility is None:
            return None
        return campaign, dict(data.get("el_answers", {})), list(data.get("el_history", []))

    async def question(self, campaign: Campaign, answers: dict[str, Any], history: list[str]
                       ) -> tuple[str, InlineKeyboardMarkup]:
        """Keep the answers; the next question, or the verdict once nothing is missing."""
        assert campaign.eligibility is not None
        missing = missing_fields(campaign.eligibility, answers)
        await self.state.update_data(el_slug=campaign.slug, el_answers=answers,
                                     el_history=history)
        if not missing:
            return await self.verdict(campaign, answers)
        field = missing[0]
        own = campaign.eligibility.question(field) is not None
        await self.state.set_state(EligibilityFlow.condition if own
                                   else getattr(EligibilityFlow, field))
        await self.state.update_data(el_field=field)
        step, total = len(history) + 1, len(history) + len(missing)
        text = question_text(self.texts, campaign, field, step, total)
        return text, question_keyboard(self.texts, field, campaign.eligibility)

    async def verdict(self, campaign: Campaign, answers: dict[str, Any]
                      ) -> tuple[str, InlineKeyboardMarkup]:
        profile = parse_profile(answers, campaign.eligibility)
        now = self.clock.now()
        verdict = evaluate(campaign, profile, now, self.texts)
        text = render_verdict(self.texts, campaign, verdict, profile)
        if self.user is not None:
            await save_check(self.session, user_id=self.user.id, campaign_slug=campaign.slug,
                             profile=profile.answers(), verdict=verdict.verdict,
                             rules=[r.rule for r in verdict.reasons], now=now)
            text += "\n" + self.texts("eligibility.result.saved")
        await leave_flow(self.state, prefix="el_")
        # One phone screen: a long verdict pages with 更多 (handlers/paging.py).
        return await paged(self.state, self.texts, text,
                           after_keyboard(self.texts, campaign, again=True))


async def begin(send: Any, turn: Turn, campaign: Campaign | None, *, fresh: bool) -> None:
    """/check, 我能报吗, 重新自查: resume the check in progress, or begin one."""
    texts = turn.texts
    flow = None if fresh else (await turn.flow() or await turn.paused())
    if flow is not None and (campaign is None or flow[0].slug == campaign.slug):
        text, markup = await turn.question(flow[0], flow[1], flow[2])
        await send(f"{texts('eligibility.resume')}\n\n{text}", reply_markup=markup)
        return
    if campaign is None:
        await send(texts("eligibility.no_campaign"),
                   reply_markup=chooser_keyboard(turn.catalogue.all(), None))
        return
    if campaign.eligibility is None:
        await send(texts("eligibility.no_rules"))
        return
    await leave_flow(turn.state, prefix="el_")
    intro = texts("eligibility.intro", name=campaign.name, citation=campaign.citation,
                  count=len(missing_fields(campaign.eligibility, {})))
    text, markup = await turn.question(campaign, {}, [])
    await send(f"{intro}\n\n{text}", reply_markup=markup)


async def cmd_check(message: Message, state: FSMContext, texts: Texts, catalogue: Catalogue,
                    clock: Clock, session: AsyncSession, user: User | None,
                    campaign: Campaign | None) -> None:
    """/check: the self-check of the current campaign."""
    turn = Turn(state, texts, catalogue, clock, session, user)
    await begin(message.answer, turn, campaign, fresh=False)


async def on_action(query: CallbackQuery, callback_data: ElAction, state: FSMContext,
                    texts: Texts, catalogue: Catalogue, clock: Clock, session: AsyncSession,
                    user: User | None, campaign: Campaign | None) -> None:
    """我能报吗 (el:start), 重新自查 (el:again), 上一步 (el:back), 取消 (el:cancel)."""
    turn = Turn(state, texts, catalogue, clock, session, user)
    action = callback_data.action
    if action in ("start", "again"):
        await query.answer()
        await begin(_sender(query), turn, campaign, fresh=action == "again")
        return
    flow = await turn.flow()
    if flow is None or action not in ("back", "cancel"):
        await query.answer(texts("eligibility.stale"), show_alert=True)
        return
    flow_campaign, answers, history, _ = flow
    await query.answer()
    if action == "cancel":
        await leave_flow(state, prefix="el_")
        await show(query, texts("eligibility.cancelled"),
                   after_keyboard(texts, flow_campaign, again=False))
        return
    if history:
        answers.pop(history.pop(), None)
    await show(query, *await turn.question(flow_campaign, answers, history))


async def on_answer(query: CallbackQuery, callback_data: ElAnswer, state: FSMContext,
                    texts: Texts, catalogue: Catalogue, clock: Clock, session: AsyncSession,
                    user: User | None) -> None:
    """A button answer to the question being asked; an old question's button is stale."""
    turn = Turn(state, texts, catalogue, clock, session, user)
    flow = await turn.flow()
    choices = options(texts, callback_data.field, flow[0].eligibility) if flow else []
    if flow is None or flow[3] != callback_data.field \
            or not 0 <= callback_data.value < len(choices):
        await query.answer(texts("eligibility.stale"), show_alert=True)
        return
    campaign, answers, history, field = flow
    answers[field] = choices[callback_data.value][1]
    await query.answer()
    await show(query, *await turn.question(campaign, answers, [*history, field]))


async def on_text(message: Message, state: FSMContext, texts: Texts, catalogue: Catalogue,
                  clock: Clock, session: AsyncSession, user: User | None) -> None:
    """A typed answer: a date or ID number, a major, or a button's label."""
    turn = Turn(state, texts, catalogue, clock, session, user)
    flow = await turn.flow()
    if flow is None:
        await leave_flow(state, prefix="el_")
        await message.answer(texts("eligibility.cancelled"))
        return
    campaign, answers, history, field = flow
    typed = message.text or ""
    if looks_like_id_number(typed):
        # Valid or mistyped, an ID number must not linger in the chat; Telegram lets bots
        # delete it in private chats for 48 hours, and a failure leaves only what the user sent.
        with contextlib.suppress(TelegramBadRequest):
            await message.delete()
    spec = campaign.eligibility
    chosen = field not in TYPED_FIELDS and parse_choice(texts, field, typed, spec) is not None
    known = ([w for words in choice_words(texts, field, spec).values() for w in words]
             if field not in TYPED_FIELDS else
             [*known_majors(campaign), *texts("eligibility.major_choices").split("|")])
    if not chosen and await answered_question(message, field, campaign, texts=texts, clock=clock,
                                              session=session, user=user, known=known):
        text, markup = await turn.question(campaign, answers, history)
        await message.answer(text, reply_markup=markup)
        return
    prefix = ""
    try:
        value, prefix = await _read(message, field, texts, clock, campaign)
    except AnswerError as error:
        text, markup = await turn.question(campaign, answers, history)
        await message.answer(f"{error.message(texts)}\n\n{text}", reply_markup=markup)
        return
    answers[field] = value
    text, markup = await turn.question(campaign, answers, [*history, field])
    await message.answer(f"{prefix}\n\n{text}" if prefix else text, reply_markup=markup)


async def _read(message: Message, field: str, texts: Texts, clock: Clock, campaign: Campaign
                ) -> tuple[Any, str]:
    """(value, a line acknowledging it) from the typed text, or AnswerError."""
    typed = message.text or ""
    if field == "major":
        return parse_major(typed), ""
    if field == "birth_date":
        born, from_id = parse_birth_input(typed, clock.now().date())
        if not from_id:
            return born.isoformat(), ""
        return born.isoformat(), texts("eligibility.from_id", date=cn_date(born))
    value = parse_choice(texts, field, typed, campaign.eligibility)
    if value is None:
        raise AnswerError("eligibility.choose_button")
    return value, ""


async def on_non_text(message: Message, state: FSMContext, texts: Texts, catalogue: Catalogue,
                      clock: Clock, session: AsyncSession, user: User | None) -> None:
    """A sticker or photo in the middle of the check: ask the same question again, politely."""
    turn = Turn(state, texts, catalogue, clock, session, user)
    flow = await turn.flow()
    if flow is None:
        await leave_flow(state, prefix="el_")
        await message.answer(texts("eligibility.cancelled"))
        return
    campaign, answers, history, field = flow
    key = "eligibility.non_text" if field in TYPED_FIELDS else "eligibility.choose_button"
    text, markup = await turn.question(campaign, answers, history)
    await message.answer(f"{texts(key)}\n\n{text}", reply_markup=markup)



def _sender(query: CallbackQuery) -> Any:
    async def send(text: str, reply_markup: InlineKeyboardMarkup | None = None) -> None:
        if query.from_user is not None:
            await query.bot.send_message(query.from_user.id, text, reply_markup=reply_markup)
    return send


def build_router() -> Router:
    router = Router(name="eligibility")
    router.message.register(cmd_check, Command("check"))
    router.callback_query.register(on_action, ElAction.filter())
    router.callback_query.register(on_answer, ElAnswer.filter())
    # Commands typed mid-check (/menu, /register …) are left to their own handlers.
    in_check = StateFilter(EligibilityFlow)
    router.message.register(on_text, in_check, F.text, ~F.text.startswith("/"))
    router.message.register(on_non_text, in_check, ~F.text)
    return router
