"""发通知, steps 1–2: the campaign, the sender's message, then the audience with live counts.

The message is composed at once under its header in the sender's chat (bot/announce_compose):
that composed message is what every recipient gets a copy of, so the sender sees it before
anything else. The draft (storage/announcements) holds only references and choices.
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.announce_compose import (
    compose,
    file_of,
    header,
    kind_of,
    opt_out_markup,
    send_preview,
)
from bot.announce_compose import sender_label as label_for
from bot.clock import Clock
from content.catalogue import Catalogue
from content.registration_text import by_channel
from content.schema import Campaign
from content.texts import Texts
from handlers.flows import leave_flow
from handlers.menu import show
from handlers.staff.gate import ANY_BASE, STAFF_PREFIX, StaffFlow
from handlers.staff.keyboards import StaffCb, button, home_row, markup, rows
from handlers.staff.words import audience_label
from storage import announcements as repo
from storage.audiences import AUDIENCES, Count, count, roster
from storage.staff import Access

SLUG_KEY = "staff_slug"
ALBUM_KEY = "staff_album"


async def on_new(query: CallbackQuery, callback_data: StaffCb, texts: Texts,
                 catalogue: Catalogue, staff: Access, state: FSMContext) -> None:
    """📢 发通知: pick the campaign (when there is a choice), then wait for the message."""
    slugs = staff.campaigns(catalogue.slugs)
    slug = callback_data.arg or (slugs[0] if len(slugs) == 1 else "")
    campaign = catalogue.get(slug)
    await query.answer()
    if campaign is None:
        choices = [button(c.name, "new", arg=c.slug) for c in catalogue if c.slug in slugs]
        await show(query, texts("announce.pick_campaign"),
                   markup(*rows(choices, 1), home_row(texts)))
        return
    await state.set_state(StaffFlow.content)
    await state.update_data({SLUG_KEY: campaign.slug, ALBUM_KEY: None})
    head = header(campaign, label_for(campaign, staff.fixed_base(campaign.slug)))
    await show(query, texts("announce.ask_content", campaign=campaign.name, header=head),
               markup([button(texts("staff.button.cancel"), "home")]))


def _refusal(message: Message, texts: Texts) -> str:
    kind = str(message.content_type.value)
    label = texts(f"kind.{kind}") if f"kind.{kind}" in texts else texts("kind.other")
    return texts("announce.unsupported", kind=label)


async def on_content(message: Message, bot: Bot, texts: Texts, catalogue: Catalogue,
                     staff: Access, state: FSMContext, session: AsyncSession,
                     clock: Clock) -> None:
    """The announcement itself: checked, composed under its header, kept as a draft."""
    data = await state.get_data()
    campaign = catalogue.get(data.get(SLUG_KEY))
    if campaign is None or not staff.reaches(campaign.slug) or message.from_user is None:
        await leave_flow(state, prefix=STAFF_PREFIX)
        await message.answer(texts("staff.gone"))
        return
    if message.media_group_id is not None:
        if data.get(ALBUM_KEY) != message.media_group_id:  # one refusal per album
            await state.update_data({ALBUM_KEY: message.media_group_id})
            await message.answer(texts("announce.album"))
        return
    kind = kind_of(message)
    if kind is None:
        await message.answer(_refusal(message, texts))
        return
    base = staff.fixed_base(campaign.slug)
    label = label_for(campaign, base)
    composed = compose(message, header(campaign, label))
    if composed.overflow:
        what = texts("announce.what.text" if kind == "text" else "announce.what.caption")
        await message.answer(texts("announce.too_long", length=composed.length, what=what,
                                   limit=composed.limit, over=composed.overflow))
        return
    preview_id = await send_preview(bot, message, composed, chat_id=message.chat.id,
                                    markup=opt_out_markup(texts, campaign.slug, preview=True))
    draft = await repo.create_draft(
        session, now=clock.now(), campaign_slug=campaign.slug, scope_base_id=base,
        sender_id=message.from_user.id, sender_role=staff.role_in(campaign.slug) or "",
        sender_label=label, content_kind=kind, source_chat_id=message.chat.id,
        source_message_id=message.message_id, preview_chat_id=message.chat.id,
        preview_message_id=preview_id, audience="preregistered", base_id=base,
        text_html=composed.html, **_file_fields(message))
    await leave_flow(state, prefix=STAFF_PREFIX)
    text, keyboard = await builder_view(session, texts, catalogue, campaign, draft, staff)
    await message.answer(text, reply_markup=keyboard)


def apart(texts: Texts, figures: Count) -> str:
    parts = []
    if figures.blocked:
        parts.append(texts("announce.apart.blocked", n=figures.blocked))
    if figures.opted_out:
        parts.append(texts("announce.apart.opted_out", n=figures.opted_out))
    return texts("announce.apart", parts="，".join(parts)) if parts else ""


async def builder_view(session: AsyncSession, texts: Texts, catalogue: Catalogue,
                       campaign: Campaign, draft: repo.Announcement,
                       staff: Access) -> tuple[str, InlineKeyboardMarkup]:
    """The audience builder: base (unless fixed) and status buttons, each with its head count."""
    assert draft.id is not None
    members = await roster(session, slug=campaign.slug)
    figures = count(members, draft.audience, draft.base_id)
    choose_base = bool(campaign.plan.bases) and staff.covers(campaign.slug)
    base_buttons = []
    if choose_base:
        options = [(ANY_BASE, texts("announce.base.all"), None)]
        options += [(b.id, b.name, b.id) for b in campaign.plan.bases]
        for arg, label, base_id in options:
            n = count(members, draft.audience, base_id).reach
            mark = "✅ " if base_id == draft.base_id else ""
            base_buttons.append(button(mark + texts("announce.button.count", label=label, n=n),
                                       "base", draft.id, arg))
    status_buttons = []
    for audience in AUDIENCES:
        n = count(members, audience, draft.base_id).reach
        mark = "✅ " if audience == draft.audience else ""
        label = texts(by_channel(f"announce.audience.{audience}", campaign, texts))
        status_buttons.append(button(mark + texts("announce.button.count", label=label, n=n),
                                     "aud", draft.id, audience))
    text = texts("announce.builder", campaign=campaign.name, sender=draft.sender_label,
                 audience=audience_label(texts, catalogue, campaign.slug, draft.audience,
                                         draft.base_id),
                 reach=figures.reach, apart=apart(texts, figures),
                 base_hint=texts("announce.builder_base_hint") if choose_base else "")
    keyboard = markup(*rows(base_buttons, 2), *rows(status_buttons, 2),
                      [button(texts("announce.button.preview"), "prev", draft.id),
                       button(texts("announce.button.discard"), "drop", draft.id)])
    return text, keyboard


async def on_choice(query: CallbackQuery, callback_data: StaffCb, texts: Texts,
                    catalogue: Catalogue, staff: Access, session: AsyncSession,
                    announcement: repo.Announcement, campaign: Campaign) -> None:
    """An audience or base button, or back to the builder: redraw it with fresh counts."""
    if callback_data.action == "aud":
        announcement.audience = callback_data.arg
    elif callback_data.action == "base":
        announcement.base_id = None if callback_data.arg == ANY_BASE else callback_data.arg
    session.add(announcement)
    await session.flush()
    await query.answer()
    await show(query, *await builder_view(session, texts, catalogue, campaign, announcement, staff))


async def on_discard(query: CallbackQuery, texts: Texts, session: AsyncSession,
                     announcement: repo.Announcement) -> None:
    await repo.move(session, announcement_id=announcement.id or 0, from_statuses=[repo.DRAFT],
                    to=repo.CANCELLED)
    await query.answer()
    await show(query, texts("announce.discarded"), markup(home_row(texts)))


def build_router() -> Router:
    router = Router(name="staff.announce")
    router.callback_query.register(on_new, StaffCb.filter(F.action == "new"))
    router.message.register(on_content, StaffFlow.content)
    router.callback_query.register(on_choice, StaffCb.filter(F.action.in_({"aud", "base",
                                                                           "build"})))
    router.callback_query.register(on_discard, StaffCb.filter(F.action == "drop"))
    return router



def _file_fields(message: Message) -> dict[str, str]:
    found = file_of(message)
    return {} if found is None else {"file_id": found[0], "file_name": found[1]}
