"""A loopback Bot API server that follows Telegram's rules, with faults to inject.

Tests and `make bench` point real `zhaolu run` processes (or an in-process Bot) at it through
ZHAOLU_TELEGRAM_API_URL. It keeps Telegram's update rules: `getUpdates` hands out updates from the
offset on and forgets those below it, a second concurrent `getUpdates` or one while a webhook is
set gets 409; `setWebhook` makes it POST each update to the URL (with the secret token header) until
that URL answers 2xx, in order, a few at a time, retrying after a pause, as Telegram does.
Every request is checked against the Bot API description (tests.bot_api): the problems found are
kept in `violations`, so a test can assert there are none.

Faults: `latency` delays every answer except long polls (Telegram answers in ~100 ms), `delays`
one method's answers (a slow reply while a worker stops); `fail()`
answers the next requests (or those during some seconds) with 429 + retry_after, a 5xx, or no
answer at all (a stalled connection).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientSession, ClientTimeout, web

from tests.bot_api import problems

TOKEN = "123456:TEST-token"
BOT = {"id": 123456, "is_bot": True, "first_name": "招录助手", "username": "zl_bot"}
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
TEXT_FIELDS = {"text", "caption", "url", "secret_token", "callback_query_id", "description",
               "short_description", "name", "title"}


@dataclass
class Fault:
    status: int  # 429, a 5xx, or 0 for "never answer"
    remaining: int | None = None  # how many requests it answers; None: until `until`
    until: float | None = None  # time.monotonic() deadline
    retry_after: int = 1
    methods: frozenset[str] | None = None  # None: every method but getUpdates

    def applies(self, method: str) -> bool:
        if self.methods is None:
            if method in ("getUpdates", "getMe", "getWebhookInfo"):
                return False
        elif method not in self.methods:
            return False
        if self.until is not None and time.monotonic() >= self.until:
            return False
        return self.remaining is None or self.remaining > 0


@dataclass
class Request:
    method: str
    params: dict[str, Any]
    at: float
    status: int = 0  # 0 until answered (a stalled request never is)
    content_type: str = ""


@dataclass
class LoopbackTelegram:
    token: str = TOKEN
    latency: float = 0.0
    requests: list[Request] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    webhook_url: str = ""
    webhook_secret: str | None = None
    webhook_deliveries: int = 0  # POSTs made to the webhook, retries included
    retry_pause: float = 0.5  # Telegram waits longer; tests do not
    delays: dict[str, float] = field(default_factory=dict)  # per method, instead of `latency`

    def __post_init__(self) -> None:
        self._pending: list[dict[str, Any]] = []  # not yet confirmed, in update_id order
        self._history: dict[int, dict[str, Any]] = {}
        self._next_update_id = 1
        self._next_message_id = 1
        self._arrived = asyncio.Event()
        self._polling = False
        self._runner: web.AppRunner | None = None
        self._pusher: asyncio.Task[None] | None = None
        self.base_url = ""

    # -- the test's side ------------------------------------------------------------------------

    def push(self, update: dict[str, Any]) -> int:
        """Queue one update (without update_id); returns the id it was given."""
        update_id = self._next_update_id
        self._next_update_id += 1
        self._pending.append({"update_id": update_id, **update})
        self._history[update_id] = self._pending[-1]
        self._arrived.set()
        return update_id

    def repeat(self, update_id: int) -> None:
        """Send an update again, as Telegram does when its confirmation was lost (an offset not
        advanced before a restart, a webhook answer that timed out)."""
        self._pending.append(self._history[update_id])
        self._pending.sort(key=lambda u: u["update_id"])
        self._arrived.set()

    def push_text(self, user_id: int, text: str) -> int:
        message: dict[str, Any] = {
            "message_id": self._message_id(), "date": int(time.time()), "text": text,
            "chat": {"id": user_id, "type": "private"},
            "from": {"id": user_id, "is_bot": False, "first_name": f"用户{user_id}"}}
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0,
                                    "length": len(text.split()[0])}]
        return self.push({"message": message})

    def fail(self, status: int, *, count: int | None = None, seconds: float | None = None,
             retry_after: int = 1, methods: set[str] | None = None) -> None:
        until = time.monotonic() + seconds if seconds is not None else None
        self.faults.append(Fault(status, count, until, retry_after,
                                 frozenset(methods) if methods else None))

    @property
    def pending(self) -> int:
        return len(self._pending)

    def calls(self, method: str) -> list[dict[str, Any]]:
        """Params of the requests of `method` that were answered with success."""
        return [r.params for r in self.requests if r.method == method and r.status == 200]

    def sent_to(self, chat_id: int) -> list[str]:
        return [p.get("text", "") for p in self.calls("sendMessage") if p.get("chat_id") == chat_id]

    # -- serving --------------------------------------------------------------------------------

    async def start(self, port: int = 0) -> str:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_get("/bot{token}/{method}", self._handle)
        # A stalled answer must not hold the test's end for aiohttp's default 60 s.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.base_url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self.base_url

    async def stop(self) -> None:
        if self._pusher is not None:
            self._pusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pusher
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> LoopbackTelegram:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        if request.content_type == "application/json":
            params = await request.json()  # typed already, as Telegram reads a JSON body
        elif request.content_type.startswith("multipart/") or request.method == "POST":
            params = {k: _decode(k, v) for k, v in (await request.post()).items()}
        else:
            params = dict(request.query)
        record = Request(method, params, time.monotonic(), content_type=request.content_type)
        self.requests.append(record)
        # An uploaded file is a part named by a random key that a parameter points to.
        attached = {v.removeprefix("attach://") for v in params.values()
                    if isinstance(v, str) and v.startswith("attach://")}
        self.violations.extend(problems(method, {k: v for k, v in params.items()
                                                 if k not in attached}))
        response = await self._answer(method, params)
        record.status = response.status
        return response

    async def _answer(self, method: str, params: dict[str, Any]) -> web.StreamResponse:
        for fault in self.faults:
            if fault.applies(method):
                if fault.remaining is not None:
                    fault.remaining -= 1
                return await self._fault(fault)
        if method == "getUpdates":
            return await self._get_updates(params)
        delay = self.delays.get(method, self.latency)
        if delay:
            await asyncio.sleep(delay)
        return _ok(self._result(method, params))

    async def _fault(self, fault: Fault) -> web.StreamResponse:
        if fault.status == 0:
            await asyncio.sleep(3600)  # a stalled connection: the client must give up
        if fault.status == 429:
            return web.json_response(
                {"ok": False, "error_code": 429,
                 "description": f"Too Many Requests: retry after {fault.retry_after}",
                 "parameters": {"retry_after": fault.retry_after}}, status=429)
        return _error(fault.status, "Internal Server Error" if fault.status == 500
                      else "Bad Gateway")

    async def _get_updates(self, params: dict[str, Any]) -> web.StreamResponse:
        if self.webhook_url:
            return _error(409, "Conflict: can't use getUpdates method while webhook is active; "
                               "use deleteWebhook to delete the webhook first")
        if self._polling:
            return _error(409, "Conflict: terminated by other getUpdates request; make sure "
                               "that only one bot instance is running")
        self._polling = True
        try:
            offset = int(params.get("offset", 0) or 0)
            if offset:
                self._pending = [u for u in self._pending if u["update_id"] >= offset]
            timeout = float(params.get("timeout", 0) or 0)
            limit = int(params.get("limit", 100) or 100)
            if not self._pending and timeout:
                self._arrived.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._arrived.wait(), timeout)
            return _ok(self._pending[:limit])
        finally:
            self._polling = False

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT
        if method == "getWebhookInfo":
            return {"url": self.webhook_url, "has_custom_certificate": False,
                    "pending_update_count": len(self._pending)}
        if method == "setWebhook":
            self.webhook_url = params["url"]
            self.webhook_secret = params.get("secret_token")
            if params.get("drop_pending_updates"):
                self._pending.clear()
            self._start_pusher(int(params.get("max_connections", 40) or 40))
            return True
        if method == "deleteWebhook":
            self.webhook_url = ""
            if self._pusher is not None:
                self._pusher.cancel()
                self._pusher = None
            if params.get("drop_pending_updates"):
                self._pending.clear()
            return True
        if method in ("sendMessage", "editMessageText", "sendDocument", "sendPhoto",
                      "editMessageReplyMarkup", "sendMediaGroup"):
            return self._message(method, params)
        if method == "copyMessage":
            return {"message_id": self._message_id()}
        return True

    def _message(self, method: str, params: dict[str, Any]) -> Any:
        chat = params.get("chat_id", 0)
        message: dict[str, Any] = {
            "message_id": params.get("message_id") or self._message_id(),
            "date": int(time.time()), "chat": {"id": chat, "type": "private"}, "from": BOT}
        if "text" in params:
            message["text"] = params["text"]
        if method == "sendMediaGroup":
            return [message]
        return message

    def _message_id(self) -> int:
        self._next_message_id += 1
        return self._next_message_id

    # -- the webhook pusher ---------------------------------------------------------------------

    def _start_pusher(self, connections: int) -> None:
        if self._pusher is not None:
            self._pusher.cancel()
        self._pusher = asyncio.create_task(self._push_loop(connections))

    async def _push_loop(self, connections: int) -> None:
        in_flight: set[int] = set()
        gate = asyncio.Semaphore(connections)
        async with ClientSession(timeout=ClientTimeout(total=60)) as http:
            while True:
                waiting = [u for u in self._pending if u["update_id"] not in in_flight]
                if not waiting:
                    self._arrived.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._arrived.wait(), 0.5)
                    continue
                for update in waiting:
                    await gate.acquire()
                    in_flight.add(update["update_id"])
                    asyncio.create_task(self._deliver(http, update, in_flight, gate))

    async def _deliver(self, http: ClientSession, update: dict[str, Any], in_flight: set[int],
                       gate: asyncio.Semaphore) -> None:
        headers = {SECRET_HEADER: self.webhook_secret} if self.webhook_secret else {}
        delivered = False
        try:
            self.webhook_deliveries += 1
            async with http.post(self.webhook_url, json=update, headers=headers) as response:
                delivered = 200 <= response.status < 300
        except Exception:  # noqa: BLE001 - the worker is down: Telegram retries later
            delivered = False
        finally:
            if delivered:
                self._pending = [u for u in self._pending
                                 if u["update_id"] != update["update_id"]]
            else:
                await asyncio.sleep(self.retry_pause)
            in_flight.discard(update["update_id"])
            gate.release()
            self._arrived.set()


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(status: int, description: str) -> web.Response:
    return web.json_response({"ok": False, "error_code": status, "description": description},
                             status=status)


def _decode(key: str, value: Any) -> Any:
    """Form fields as Telegram reads them: JSON-serialised objects and numbers decoded, texts
    kept as typed (a text "1" stays a string)."""
    if not isinstance(value, str) or key in TEXT_FIELDS:
        return value  # an uploaded file, or a text
    try:
        return json.loads(value)
    except ValueError:
        return value
