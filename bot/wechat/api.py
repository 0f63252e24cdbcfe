"""The Official Account's API, through wechatpy, without blocking the event loop.

wechatpy signs, fetches and caches the access token and speaks the customer-service, QR code and
media endpoints; its client is synchronous (requests), so every call runs in a worker thread.
The token is cached in Redis when zhaolu has Redis (several workers then share one token: a
fresh token invalidates the one before it after a few minutes), else in the process.

Errors are sorted the way the sender needs them: the user's reply window closed or its quota
spent (45015, 45047) → WindowClosed; the user unfollowed (43004) → UserGone; an invalid or
expired token (40001, 40014, 42001) is refreshed once and the call repeated; anything else is
ApiError with WeChat's code.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from wechatpy.client import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session.memorystorage import MemoryStorage

log = logging.getLogger(__name__)
DEFAULT_API_URL = "https://api.weixin.qq.com"
TIMEOUT = 10  # seconds, each HTTP request
WINDOW_CLOSED = {45015, 45047}
GONE = {43004}
TOKEN_INVALID = {40001, 40014, 42001}


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
        return self._fetch_access_token(url=self._token_url, params={
            "grant_type": "client_credential", "appid": self.appid, "secret": self.secret})


class WeChatApi:
    def __init__(self, appid: str, secret: str, api_url: str = DEFAULT_API_URL,
                 redis_url: str | None = None, prefix: str = "zhaolu") -> None:
        storage: Any = MemoryStorage()
        if redis_url:
            import redis
            from wechatpy.session.redisstorage import RedisStorage

            storage = RedisStorage(redis.Redis.from_url(redis_url), prefix=f"{prefix}:wechat")
        self.client = _Client(appid, secret, api_url.rstrip("/"), storage)

    async def call(self, method: str, endpoint: str, **kwargs: Any) -> Any:
        """One API call in a thread; an invalid token is refreshed once and the call repeated."""
        try:
            return await asyncio.to_thread(self._request, method, endpoint, kwargs)
        except ApiError as error:
            if error.code not in TOKEN_INVALID:
                raise
            log.info("WeChat access token refused (%s): fetching a new one", error.code)
            await asyncio.to_thread(self.client.fetch_access_token)
            return await asyncio.to_thread(self._request, method, endpoint, kwargs)

    def _request(self, method: str, endpoint: str, kwargs: dict[str, Any]) -> Any:
        # Fresh dicts each time: wechatpy writes the token into `params`, and a repeated call
        # must carry the new token.
        fresh = {k: dict(v) if isinstance(v, dict) else v for k, v in kwargs.items()}
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
