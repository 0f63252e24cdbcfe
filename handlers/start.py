"""/start (with an optional deep-link campaign), /campaign and the campaign chooser."""

from __future__ import annotations

import re

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from content.catalogue import Catalogue, place_name
from content.hanzi import simplified_table
from content.masking import mask_personal_numbers
from content.schema import Campaign
from content.texts import Texts
from handlers import qa, reminders
from handlers.flow_exit import pause
from handlers.keyboards import CampaignCb, chooser_keyboard, menu_keyboard
from handlers.menu import menu_text, send_menu, show
from storage.models import User
from storage.users import set_campaign


async def cmd_start(message: Message, command: CommandObject, texts: Texts,
                    catalogue: Catalogue, clock: Clock, state: FSMContext,
                    session: AsyncSession, user: User | None) -> None:
    """/start: the chooser; /start <slug> (a deep link) selects that campaign directly."""
    payload = (command.args or "").strip()
    campaign = catalogue.get(payload) if payload else None
    only = catalogue.all()
    if campaign is None and not payload and len(only) == 1 and user is not None:
        campaign = only[0]  # the one campaign served: the greeting names it, no chooser
        await message.answer(texts("start.only_campaign", name=_display_name(message),
                                   campaign=campaign.name))
    elif campaign is not None and user is not None:
        await message.answer(texts("campaign.chosen", name=campaign.name))
    if campaign is not None and user is not None:
        await choose(session, user, campaign)
        await send_menu(message, texts, campaign)
        await after_choice(message, campaign, texts=texts, clock=clock, state=state,
                           session=session, user=user)
        return
    greeting = texts("start.unknown_payload") if payload else texts(
        "start.choose_campaign", name=_display_name(message))
    current = user.campaign_slug if user is not None else None
    await message.answer(greeting, reply_markup=chooser_keyboard(catalogue.all(), current))


async def cmd_campaign(message: Message, texts: Texts, catalogue: Catalogue,
                       user: User | None) -> None:
    """/campaign: switch to another campaign."""
    current = user.campaign_slug if user is not None else None
    await message.answer(texts("menu.no_campaign") if current is None else texts(
        "campaign.switch"), reply_markup=chooser_keyboard(catalogue.all(), current))


async def on_choose(query: CallbackQuery, callback_data: CampaignCb, texts: Texts,
                    catalogue: Catalogue, clock: Clock, state: FSMContext,
                    session: AsyncSession, user: User | None) -> None:
    """A chooser button (or the menu's "switch" button, which has an empty slug)."""
    current = user.campaign_slug if user is not None else None
    if not callback_data.slug:
        await query.answer()
        await show(query, texts("campaign.switch"), chooser_keyboard(catalogue.all(), current))
        return
    campaign = catalogue.get(callback_data.slug)
    if campaign is None or user is None:
        await query.answer(texts("fallback.stale_button"), show_alert=True)
        return
    if campaign.slug != current:  # a form of the other campaign must not go on unseen
        line = await pause(state, texts, await state.get_state())
        if line is not None:
            await query.bot.send_message(user.id, line)
    await choose(session, user, campaign)
    await query.answer(texts("campaign.chosen_short", name=campaign.name))
    await show(query, menu_text(texts, campaign), menu_keyboard(texts, campaign))
    if isinstance(query.message, Message):
        await after_choice(query.message, campaign, texts=texts, clock=clock, state=state,
                           session=session, user=user)


# Particles and verbs around a name typed to choose it (选福建的, 换成孝感): no question.
_NOT_A_QUESTION = r"[\W_的了吧呢啊呀嘛我想要选看报查换成改切到]"


async def names_one_campaign(message: Message, catalogue: Catalogue,
                             user: User | None) -> dict[str, Campaign] | bool:
    """Filter: typed text that names exactly one campaign, before any was chosen; after one
    was, only a campaign's name alone ("福建", "换成福建的"): typed at the chooser that /start
    shows, it was answered as a question about the campaign already chosen."""
    text = message.text or ""
    if user is None or text.startswith("/"):
        return False
    found = catalogue.named_in(text)
    if len(found) != 1:
        return False
    if user.campaign_slug is None or _name_alone(text, found[0]):
        return {"named": found[0]}
    return False


def _name_alone(text: str, named: Campaign) -> bool:
    """Whether the text is the campaign's place name and nothing more than a few particles."""
    simple = text.translate(simplified_table())
    return len(re.sub(_NOT_A_QUESTION, "", simple.replace(place_name(named), ""))) <= 1


async def on_named_campaign(message: Message, named: Campaign, texts: Texts, clock: Clock,
                            state: FSMContext, session: AsyncSession, user: User,
                            catalogue: Catalogue) -> None:
    """"孝感" chooses that campaign as its button would; "福建的报名什么时候截止" chooses it and
    answers the question too. Once a campaign is chosen, its own name shows its menu and
    another's offers the switch (never behind the user's back)."""
    if user.campaign_slug == named.slug:
        await send_menu(message, texts, named)
        return
    if user.campaign_slug is not None:
        current = catalogue.get(user.campaign_slug)
        await message.answer(
            texts("campaign.switch_offer", current=current.name if current else "",
                  named=named.name),
            reply_markup=chooser_keyboard(catalogue.all(), user.campaign_slug))
        return
    await choose(session, user, named)
    await message.answer(texts("campaign.chosen", name=named.name))
    text = message.text or ""
    if _name_alone(text, named):  # the name alone ("孝感市", "选福建的"): the menu
        await send_menu(message, texts, named)
    else:  # a question: answered once chosen, like one that waited for the chooser
        await state.update_data({qa.PENDING_KEY: mask_personal_numbers(text[:1000])})
    await after_choice(message, named, texts=texts, clock=clock, state=state, session=session,
                       user=user)


async def after_choice(message: Message, campaign: Campaign, *, texts: Texts, clock: Clock,
                       state: FSMContext, session: AsyncSession, user: User) -> None:
    """Once a campaign is chosen: the question that waited for it, then the reminder offer."""
    await qa.answer_pending(message, state=state, campaign=campaign, texts=texts, clock=clock,
                            session=session, user=user)
    offer = await reminders.offer_if_undecided(session, user_id=user.id, campaign=campaign,
                                               texts=texts, now=clock.now())
    if offer is not None:
        text, markup = offer
        await message.answer(text, reply_markup=markup)


async def choose(session: AsyncSession, user: User, campaign: Campaign) -> None:
    await set_campaign(session, user_id=user.id, slug=campaign.slug)
    user.campaign_slug = campaign.slug


def _display_name(message: Message) -> str:
    if message.from_user is None:
        return ""
    return "，" + message.from_user.first_name


def build_router() -> Router:
    router = Router(name="start")
    router.message.register(cmd_start, CommandStart())
    router.message.register(cmd_campaign, Command("campaign"))
    router.callback_query.register(on_choose, CampaignCb.filter())
    router.message.register(on_named_campaign, F.text, StateFilter(None), names_one_campaign)
    return router
