"""Announcements on their way: into the ledger when due, a progress card while the one sender
drains it, and a final report.

Sending goes through the delivery ledger and the one Sender (bot/delivery.py), with reminders:
one rate limit, one path. The tick (bot/scheduler.py) calls `plan_scheduled` before the drain,
`watch_progress` alongside it, and `report_finished` after it. The card is the message staff got
when they confirmed; it is edited in place (at most every PROGRESS_SECONDS) and a final message
is sent when nothing is left, so the sender is notified.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.announce_compose import opt_out_markup
from content.schema import Campaign
from content.texts import Texts
from storage import announcements as repo
from storage import audit
from storage import delivery as ledger
from storage.audiences import roster, select_ids

if TYPE_CHECKING:
    from bot.app import Services

log = logging.getLogger(__name__)
PROGRESS_SECONDS = 3.0
# An announcement not sent within a day of its time (the bot was down) is not sent at all:
# "明天上午资格审核" read two days late misleads.
EXPIRY = timedelta(days=1)


def stop_callback(announcement_id: int) -> str:
    """What handlers.staff.keyboards.StaffCb(action="stop", ann=id).pack() gives (tested)."""
    return f"sf:stop:{announcement_id}:"


def stop_markup(texts: Texts, announcement_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(
        text=texts("announce.button.stop"), callback_data=stop_callback(announcement_id))]])


def text_for_other_channels(texts: Texts, announcement: repo.Announcement) -> str:
    """What a recipient a Telegram message cannot be copied to (WeChat) is sent: the text as
    HTML (a file's caption; the file goes as the ledger message's attachment)."""
    if announcement.text_html or announcement.file_id:
        return announcement.text_html or ""
    return texts("announce.wechat.no_text", id=announcement.id)


def attachment_of(announcement: repo.Announcement) -> ledger.Attachment | None:
    if announcement.file_id is None or announcement.content_kind == "text":
        return None
    return ledger.Attachment(announcement.content_kind, announcement.file_id,
                             announcement.file_name or announcement.content_kind)


async def start_sending(session: AsyncSession, *, announcement: repo.Announcement,
                        campaign: Campaign, texts: Texts, now: datetime) -> int:
    """Put the audience as it is now into the ledger; the recipients added."""
    members = await roster(session, slug=campaign.slug)
    recipients = select_ids(members, announcement.audience, announcement.base_id)
    assert announcement.preview_chat_id is not None and announcement.preview_message_id
    markup = opt_out_markup(texts, campaign.slug)
    await ledger.enqueue(
        session, key=announcement.message_key, kind="broadcast", campaign_slug=campaign.slug,
        text=text_for_other_channels(texts, announcement), recipients=recipients, now=now,
        reply_markup=json.dumps(markup.model_dump(exclude_none=True), ensure_ascii=False),
        copy_from=(announcement.preview_chat_id, announcement.preview_message_id),
        urgent=announcement.urgent, not_after=now + EXPIRY,
        attachment=attachment_of(announcement))
    announcement.status, announcement.started_at = repo.SENDING, now
    announcement.audience_size = len(recipients)
    session.add(announcement)
    await session.flush()
    return len(recipients)


async def plan_scheduled(services: Services, bot: Bot, now: datetime) -> list[int]:
    """Start the scheduled announcements whose time has come: their ids."""
    started = []
    expired: list[repo.Announcement] = []  # their cards are edited after the commit
    async with services.sessionmaker() as session, session.begin():
        for announcement in await repo.due_scheduled(session, now=now):
            campaign = services.catalogue.get(announcement.campaign_slug)
            assert announcement.id is not None and announcement.send_at is not None
            if campaign is None or now > announcement.send_at + EXPIRY:
                await repo.move(session, announcement_id=announcement.id,
                                from_statuses=[repo.SCHEDULED], to=repo.CANCELLED,
                                finished_at=now)
                await audit.record(session, action="announce.expired", now=now,
                                   actor=audit.SYSTEM_ACTOR, campaign_slug=announcement.
                                   campaign_slug, base_id=announcement.base_id,
                                   message_ref=announcement.message_key)
                expired.append(announcement)
                continue
            if not await repo.move(session, announcement_id=announcement.id,
                                   from_statuses=[repo.SCHEDULED], to=repo.SENDING):
                continue  # another process started it
            size = await start_sending(session, announcement=announcement, campaign=campaign,
                                       texts=services.texts, now=now)
            await audit.record(session, action="announce.start", now=now,
                               actor=audit.SYSTEM_ACTOR, campaign_slug=campaign.slug,
                               base_id=announcement.base_id, audience_size=size,
                               message_ref=announcement.message_key)
            started.append(announcement.id)
    for announcement in expired:
        await _edit(bot, announcement, services.texts("announce.card.expired",
                                                      id=announcement.id), None)
    return started


def _figures(counts: dict[str, int]) -> dict[str, int]:
    pending = counts.get(ledger.PENDING, 0) + counts.get(ledger.SENDING, 0)
    return {"sent": counts.get(ledger.SENT, 0), "blocked": counts.get(ledger.BLOCKED, 0),
            "failed": counts.get(ledger.FAILED, 0) + counts.get(ledger.EXPIRED, 0),
            "stopped": counts.get(ledger.CANCELLED, 0), "pending": pending,
            "waiting": counts.get(ledger.WAITING, 0), "total": sum(counts.values())}


def _with_waiting(texts: Texts, text: str, figures: dict[str, int]) -> str:
    """WeChat recipients whose reply window was closed: shown at their next message."""
    if not figures["waiting"]:
        return text
    return f"{text.rstrip()}\n{texts('announce.waiting', waiting=figures['waiting'])}"


def card_text(texts: Texts, announcement: repo.Announcement, counts: dict[str, int], *,
              now: datetime) -> tuple[str, bool]:
    """The card's text for these ledger counts, and whether the announcement is finished."""
    figures = _figures(counts)
    finished = figures["pending"] == 0
    if announcement.status == repo.CANCELLED:
        key = "announce.card.stopped" if finished else "announce.card.stopping"
    else:
        key = "announce.card.done" if finished else "announce.card.progress"
    started = announcement.started_at or now
    minutes = max(0, int((now - started).total_seconds() // 60))
    return _with_waiting(texts, texts(key, id=announcement.id, minutes=minutes, **figures),
                         figures), finished


async def refresh_cards(services: Services, bot: Bot, now: datetime, *,
                        shown: dict[int, str] | None = None) -> list[int]:
    """Edit the card of every announcement on its way; finish those with nothing left.

    `shown` remembers each card's last text, so an unchanged card is not edited again.
    The ids finished now."""
    shown = shown if shown is not None else {}
    finished: list[int] = []
    # Read and written in one transaction, sent after its commit: no transaction (on SQLite, no
    # write lock) is held across a Bot API call, however long its retries take.
    cards: list[tuple[repo.Announcement, str, InlineKeyboardMarkup | None]] = []
    reports: list[tuple[int, str]] = []
    async with services.sessionmaker() as session, session.begin():
        for announcement in await repo.on_their_way(session):
            assert announcement.id is not None
            counts = await ledger.status_counts(session, key=announcement.message_key)
            text, done = card_text(services.texts, announcement, counts, now=now)
            if done:
                report = await _finish(session, services.texts, announcement, counts, now)
                reports += [report] if report is not None else []
                finished.append(announcement.id)
            if shown.get(announcement.id) != text:
                shown[announcement.id] = text
                markup = None if done or announcement.status == repo.CANCELLED else \
                    stop_markup(services.texts, announcement.id)
                cards.append((announcement, text, markup))
    for chat_id, report_text in reports:
        with contextlib.suppress(TelegramAPIError):
            await bot.send_message(chat_id, report_text)
    for announcement, text, markup in cards:
        await _edit(bot, announcement, text, markup)
    return finished


async def _finish(session: AsyncSession, texts: Texts, announcement: repo.Announcement,
                  counts: dict[str, int], now: datetime) -> tuple[int, str] | None:
    """Mark it done (or stopped) and audit it; the final report to send: (chat, text)."""
    assert announcement.id is not None
    figures = _figures(counts)
    status = announcement.status
    if status == repo.SENDING:
        status = repo.DONE
    await repo.move(session, announcement_id=announcement.id,
                    from_statuses=[repo.SENDING, repo.CANCELLED], to=status, finished_at=now)
    await audit.record(session, action="announce.done", now=now, actor=audit.SYSTEM_ACTOR,
                       campaign_slug=announcement.campaign_slug, base_id=announcement.base_id,
                       audience_size=figures["total"], message_ref=announcement.message_key,
                       detail=" ".join(f"{k}={v}" for k, v in figures.items() if k != "total"))
    key = "announce.report.stopped" if status == repo.CANCELLED else "announce.report.done"
    if announcement.card_chat_id is None:
        return None
    return announcement.card_chat_id, _with_waiting(texts, texts(key, id=announcement.id,
                                                                 **figures), figures)


async def _edit(bot: Bot, announcement: repo.Announcement, text: str,
                markup: InlineKeyboardMarkup | None) -> None:
    if announcement.card_chat_id is None or announcement.card_message_id is None:
        return
    try:
        await bot.edit_message_text(text=text, chat_id=announcement.card_chat_id,
                                    message_id=announcement.card_message_id,
                                    reply_markup=markup)
    except TelegramAPIError as exc:  # not modified, deleted by its owner, bot blocked: no harm
        log.debug("card of announcement %s not edited: %s", announcement.id, exc)


async def watch_progress(services: Services, bot: Bot, *, every: float,
                         shown: dict[int, str]) -> None:
    """Refresh the cards every `every` seconds until cancelled (alongside a drain)."""
    while True:
        await asyncio.sleep(every)
        try:
            await refresh_cards(services, bot, services.clock.now(), shown=shown)
        except Exception:  # a card is not worth stopping a drain for
            log.exception("refreshing announcement cards failed")
