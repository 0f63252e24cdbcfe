"""Webhook mode: Telegram posts each update; the answer is 200 only once it is in the inbox.

Several `zhaolu run` workers behind a load balancer serve the same URL: each records what it
receives (a duplicate update_id is ignored, whoever got it first) and handles it from the shared
inbox. A request without the secret set in `setWebhook` gets 401 and is not looked at; a worker
that is stopping answers 503, so Telegram delivers the update again (to another worker, or later).
"""

from __future__ import annotations

import asyncio
import hmac
import logging

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import Update
from aiohttp import web
from pydantic import ValidationError

from bot.settings import Settings
from bot.startup import StartupError
from bot.update_inbox import UpdateInbox

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
CONNECTIONS = 40  # Telegram's max_connections: requests in flight to all workers together
RETRY_AFTER = "5"


class WebhookReceiver:
    """The POST handler of the webhook route."""

    def __init__(self, inbox: UpdateInbox, bot: Bot, secret: str) -> None:
        self.inbox = inbox
        self.bot = bot
        self._secret = secret.encode()
        self.accepting = True
        self.refused = 0  # requests without the right secret
        self._in_progress = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def handle(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            self.refused += 1
            log.warning("webhook request from %s without the right secret: refused (401)",
                        request.remote)
            return web.Response(status=401, text="unauthorized")
        if not self.accepting:
            return web.Response(status=503, headers={"Retry-After": RETRY_AFTER},
                                text="stopping")
        self._in_progress += 1
        self._idle.clear()
        try:
            return await self._record(await request.text())
        finally:
            self._in_progress -= 1
            if not self._in_progress:
                self._idle.set()

    async def _record(self, text: str) -> web.Response:
        try:
            update = Update.model_validate_json(text, context={"bot": self.bot})
        except ValidationError:
            return web.Response(status=400, text="not an update")
        try:
            await self.inbox.receive([update], raw=[text])
        except Exception:  # the database is away: Telegram retries the update later
            log.exception("could not record update %s; answered 503", update.update_id)
            return web.Response(status=503, headers={"Retry-After": RETRY_AFTER})
        return web.Response(status=200)

    async def stop(self, timeout: float) -> None:
        """Answer 503 from now on; wait (bounded) for updates being recorded."""
        self.accepting = False
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            log.warning("webhook requests still recording after %g s", timeout)


async def install_webhook(bot: Bot, settings: Settings, allowed_updates: list[str]) -> None:
    """setWebhook with our URL and secret, replacing any other webhook (said in the log)."""
    url = settings.webhook_url or ""
    found = await bot.get_webhook_info()
    if found.url and found.url != url:
        log.warning("replacing the webhook that was set (%s) with %s",
                    found.url.split("?", 1)[0], url.split("?", 1)[0])
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    try:
        await bot.set_webhook(url, secret_token=secret, allowed_updates=allowed_updates,
                              max_connections=CONNECTIONS)
    except TelegramBadRequest as error:  # e.g. "bad webhook: HTTPS url must be provided"
        raise StartupError(f"ZHAOLU_WEBHOOK_URL ({url.split('?', 1)[0]}): Telegram refused "
                           f"the webhook: {error.message}") from None
    log.info("webhook set: Telegram posts updates to %s", url.split("?", 1)[0])
