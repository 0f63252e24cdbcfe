"""The staff inbox in a forum supergroup: /bind SLUG and /unbind by an admin, and the replies
staff write in a question's topic.

The rest of the bot talks to people one to one (handlers/__init__.py filters on private chats);
this router is the only one that reads group messages, and it sits beside that tree. In a bound
group, a message in a question's topic (or a Telegram reply to one of the bot's copies) by staff
whose scope covers the question is relayed to the applicant; anyone else's is ignored: a group
chat between colleagues must never reach an applicant by accident.
"""

from __future__ import annotations

import contextlib

from aiogram import Bot, F, Router
from aiogram.enums import ChatMemberStatus, ChatType
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from content.catalogue import Catalogue
from content.texts import Texts
from handlers.staff.inbox import relay_and_report
from storage import audit
from storage import inbox as repo
from storage import inbox_groups as groups
from storage.inbox import InboxThread
from storage.staff import access_of

GROUP_TYPES = {ChatType.GROUP, ChatType.SUPERGROUP}


async def _is_admin(session: AsyncSession, message: Message) -> bool:
    if message.from_user is None:
        return False
    access = await access_of(session, telegram_id=message.from_user.id)
    return access is not None and access.is_admin


async def cmd_bind(message: Message, command: CommandObject, bot: Bot, texts: Texts,
                   catalogue: Catalogue, session: AsyncSession, clock: Clock) -> None:
    """/bind SLUG: this forum group becomes the campaign's staff inbox (moved from another)."""
    if not await _is_admin(session, message):
        await message.reply(texts("inbox.bind.not_admin"))
        return
    slugs = "、".join(catalogue.slugs)
    slug = (command.args or "").strip()
    if not slug:
        await message.reply(texts("inbox.bind.usage", example=catalogue.slugs[0], slugs=slugs))
        return
    campaign = catalogue.get(slug)
    if campaign is None:
        await message.reply(texts("inbox.bind.unknown", slug=slug[:64], slugs=slugs))
        return
    if message.chat.type != ChatType.SUPERGROUP or not message.chat.is_forum:
        await message.reply(texts("inbox.bind.not_forum", slug=slug))
        return
    assert message.from_user is not None
    now = clock.now()
    previous = await groups.bind_group(session, campaign_slug=slug, chat_id=message.chat.id,
                                     by=message.from_user.id, now=now)
    await audit.record(session, action="inbox.bind", now=now, actor_id=message.from_user.id,
                       role="admin", campaign_slug=slug,
                       detail=f"group {message.chat.id}" + (f" (was {previous})"
                                                            if previous else ""))
    done = texts("inbox.bind.done", campaign=campaign.name)
    if not await _may_manage_topics(bot, message.chat.id):
        done += "\n" + texts("inbox.bind.no_rights")
    await message.reply(done)
    if previous is not None:
        # The old group may be gone, or the bot removed from it: then there is nobody to tell.
        with contextlib.suppress(TelegramAPIError):
            await bot.send_message(previous, texts("inbox.bind.moved", campaign=campaign.name))


async def _may_manage_topics(bot: Bot, chat_id: int) -> bool:
    """Whether the bot is an administrator of the group that may create topics."""
    try:
        me = await bot.get_chat_member(chat_id, bot.id)
    except TelegramAPIError:
        return False
    return me.status == ChatMemberStatus.CREATOR or bool(getattr(me, "can_manage_topics", False))


async def cmd_unbind(message: Message, texts: Texts, catalogue: Catalogue,
                     session: AsyncSession, clock: Clock) -> None:
    """/unbind: this group is no campaign's staff inbox any more (questions go privately)."""
    if not await _is_admin(session, message):
        await message.reply(texts("inbox.bind.not_admin"))
        return
    assert message.from_user is not None
    slugs = await groups.unbind_group(session, chat_id=message.chat.id)
    if not slugs:
        await message.reply(texts("inbox.unbind.none"))
        return
    now = clock.now()
    for slug in slugs:
        await audit.record(session, action="inbox.unbind", now=now,
                           actor_id=message.from_user.id, role="admin", campaign_slug=slug,
                           detail=f"group {message.chat.id}")
    names = "、".join((c.name if (c := catalogue.get(s)) else s) for s in slugs)
    await message.reply(texts("inbox.unbind.done", campaigns=names))


async def _thread_of(session: AsyncSession, message: Message) -> InboxThread | None:
    to = message.reply_to_message
    if to is not None and not to.forum_topic_created:
        thread = await repo.thread_by_copy(session, chat_id=message.chat.id,
                                           message_id=to.message_id)
        if thread is not None:
            return thread
    if message.is_topic_message and message.message_thread_id is not None:
        return await repo.thread_by_topic(session, chat_id=message.chat.id,
                                          topic_id=message.message_thread_id)
    return None


async def on_group_message(message: Message, bot: Bot, texts: Texts, catalogue: Catalogue,
                           session: AsyncSession, clock: Clock) -> None:
    """A message in a question's topic: staff in scope answer the applicant; others are not."""
    from handlers.staff.inbox_reply import content_of

    if message.from_user is None or message.from_user.is_bot or content_of(message) is None:
        return
    thread = await _thread_of(session, message)
    if thread is None:
        return
    campaign = catalogue.get(thread.campaign_slug)
    staff = await access_of(session, telegram_id=message.from_user.id)
    if campaign is None or staff is None or not staff.covers(campaign.slug, thread.base_id):
        return  # a colleague's remark, or someone outside this question's scope: not relayed
    if message.media_group_id is not None:
        await message.reply(texts("inbox.reply.album"))
        return
    await relay_and_report(message, bot, texts, staff, session, clock, thread, campaign,
                           topic_id=message.message_thread_id if message.is_topic_message
                           else None)


def build_group_router() -> Router:
    """Group chats only: beside the private router tree, not inside it."""
    router = Router(name="staff.inbox_group")
    router.message.filter(F.chat.type.in_(GROUP_TYPES))
    router.message.register(cmd_bind, Command("bind"))
    router.message.register(cmd_unbind, Command("unbind"))
    router.message.register(on_group_message, ~F.text.startswith("/"))
    return router
