"""The Official Account's API, through wechatpy, without blocking the event loop.

wechatpy speaks the customer-service, subscription, QR code and media endpoints; its client is
synchronous (requests), so every call runs in a worker thread. The access token is ours to keep:
WeChat allows one valid token per account (a fresh one invalidates the one before it after a few
minutes), so every worker reads it from the database (storage.wechat.WeChatToken) and only the
one that finds it missing, expiring or refused fetches a new one. A refusal (40001) is answered
by the token another worker may have fetched meanwhile, else by one fresh token, once.

Errors are sorted the way the sender needs them: the user's reply window closed or its quota
spent (45015, 45047) → WindowClosed; the user unfollowed (43004) → UserGone; an invalid or
expired token (40001, 40014, 42001) is refreshed once and the call repeated; anything else is
ApiError with WeChat's code.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from wechatpy.client import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session.memorystorage import MemoryStorage

from storage.wechat import keep_token, shared_token

log = logging.getLogger(__name__)
DEFAULT_API_URL = "https://api.weixin.qq.com"
TIMEOUT = 10  # seconds, each HTTP request
WINDOW_CLOSED = {45015, 45047}
GONE = {43004}
TOKEN_INVALID = {40001, 40014, 42001}
TOKEN_MARGIN = 300  # seconds: a token this close to its end is replaced before use


class ApiError(Exception):
    def __init__(self, code: int | None, message: str) -> None:
        super().__init__(f"WeChat error {code}: {message}")
        self.code = code


class WindowClosed(ApiError):
    """The user's reply window is closed or its messages are used up."""


class UserGone(ApiError):
    """The user unfollowed the account."""


class _Client(WeChatClient):
    """wechatpy's client pointed at `api_url` (the loopback in tests), token refreshed by us."""

    def __init__(self, appid: str, secret: str, api_url: str, storage: Any) -> None:
        super().__init__(appid, secret, session=storage, timeout=TIMEOUT, auto_retry=False)
        self.API_BASE_URL = f"{api_url}/cgi-bin/"
        self._token_url = f"{api_url}/cgi-bin/token"

    def fetch_access_token(self) -> Any:
        # wechatpy's own fetch has no timeout: a stalled connection would hang the thread.
        response = self._http.get(self._token_url, timeout=TIMEOUT, params={
            "grant_type": "client_credential", "appid": self.appid, "secret": self.secret})
        response.raise_for_status()
        result = response.json()
        if result.get("errcode"):
            raise WeChatClientException(result["errcode"], result.get("errmsg", ""), client=self)
        return result


class WeChatApi:
    """`sessionmaker`: where the token is shared (every worker's database); None keeps it in
    this process (a one-off command)."""

    def __init__(self, appid: str, secret: str, api_url: str = DEFAULT_API_URL,
                 sessionmaker: async_sessionmaker[AsyncSession] | None = None) -> None:
        self.client = _Client(appid, secret, api_url.rstrip("/"), MemoryStorage())
        self.sessionmaker = sessionmaker
        self._token: tuple[str, float] | None = None  # without a sessionmaker
        self.fetches = 0

    async def call(self, method: str, endpoint: str, **kwargs: Any) -> Any:
        """One API call in a thread; a refused token is replaced once and the call repeated."""
        token = await self.token()
        try:
            return await asyncio.to_thread(self._request, method, endpoint, token, kwargs)
        except ApiError as error:
            if error.code not in TOKEN_INVALID:
                raise
            log.info("WeChat access token refused (%s): taking a new one", error.code)
            token = await self.token(refused=token)
            return await asyncio.to_thread(self._request, method, endpoint, token, kwargs)

    async def token(self, refused: str | None = None) -> str:
        """The shared token; a new one when there is none, it is about to expire, or it is the
        one just refused (unless another worker has replaced it meanwhile)."""
        now = time.time()
        if self.sessionmaker is None:
            if self._token is None or self._token[1] - now < TOKEN_MARGIN or \
                    self._token[0] == refused:
                self._token = await self._fetch()
            return self._token[0]
        async with self.sessionmaker() as session:
            row = await shared_token(session, self.client.appid)
        if row is not None and row.token != refused and \
                row.expires_at.timestamp() - now >= TOKEN_MARGIN:
            return row.token
        token, expires = await self._fetch()
        async with self.sessionmaker() as session, session.begin():
            await keep_token(session, self.client.appid, token,
                             datetime.fromtimestamp(expires, UTC))
        return token

    async def _fetch(self) -> tuple[str, float]:
        try:
            result = await asyncio.to_thread(self.client.fetch_access_token)
        except WeChatClientException as error:
            raise ApiError(int(error.errcode), str(error.errmsg)) from None
        self.fetches += 1
        return str(result["access_token"]), time.time() + int(result.get("expires_in", 7200))

    def _request(self, method: str, endpoint: str, token: str, kwargs: dict[str, Any]) -> Any:
        # Fresh dicts each time: the token goes into `params`, and a repeated call carries the
        # new one.
        fresh = {k: dict(v) if isinstance(v, dict) else v for k, v in kwargs.items()}
        fresh["params"] = {**fresh.get("params", {}), "access_token": token}
        try:
            return self.client._request(method, endpoint, **fresh)
        except WeChatClientException as error:
            code = int(error.errcode) if error.errcode is not None else None
            kind = (WindowClosed if code in WINDOW_CLOSED else UserGone if code in GONE
                    else ApiError)
            raise kind(code, str(error.errmsg)) from None

    async def send(self, payload: dict[str, Any]) -> None:
        """A customer-service message (text or msgmenu), payload as render.Out.payload."""
        await self.call("post", "message/custom/send", data=payload)

    async def upload_image(self, data: bytes) -> str:
        """A temporary image (kept 3 days by WeChat): its media id, for one image message."""
        found = await self.call("post", "media/upload", params={"type": "image"},
                                files={"media": ("image.jpg", data)})
        return str(found["media_id"])

    async def media(self, media_id: str) -> bytes:
        """A temporary media file's bytes (what a user sent: kept 3 days by WeChat)."""
        found = await self.call("get", "media/get", params={"media_id": media_id})
        if isinstance(found, dict):  # JSON is an error wechatpy did not raise, or a video URL
            raise ApiError(found.get("errcode"), str(found.get("errmsg", "not a file")))
        return bytes(found.content)

    async def qrcode(self, scene: str) -> bytes:
        """A permanent QR code whose scan opens the account with `scene` (a campaign slug)."""
        ticket = await self.call("post", "qrcode/create", data={
            "action_name": "QR_LIMIT_STR_SCENE",
            "action_info": {"scene": {"scene_str": scene}}})
        return await asyncio.to_thread(self._show, ticket["ticket"])

    def _show(self, ticket: str) -> bytes:
        # The image is served by mp.weixin.qq.com, not by the API host (the loopback serves both).
        base = self.client.API_BASE_URL.removesuffix("/cgi-bin/")
        base = "https://mp.weixin.qq.com" if base == DEFAULT_API_URL else base
        response = self.client._http.get(f"{base}/cgi-bin/showqrcode",
                                         params={"ticket": ticket}, timeout=TIMEOUT)
        response.raise_for_status()
        return response.content
