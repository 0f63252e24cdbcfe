"""A loopback WeChat: the API server the account calls, and the callbacks WeChat makes.

Server side (what zhaolu calls, through ZHAOLU_WECHAT_API_URL): the access token, the
customer-service send (recorded; an image must name uploaded temporary media), media uploads
(images) and downloads (what users sent), subscription messages (recorded; each acceptance
carries one, as WeChat's one-time subscriptions), QR codes; error codes can be injected for the
next calls (45015 window closed, 45047 quota spent, 40001 token invalid …) and the current token
can be expired. Client side: XML callbacks as WeChat sends them, signed with the account's token,
and in safe mode encrypted with the AES key.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from wechatpy.crypto import WeChatCrypto

APPID = "wx0123456789abcdef"
SECRET = "loopback-secret"
TOKEN = "loopbacktoken"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters, as WeChat gives
ACCOUNT = "gh_loopback"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@dataclass
class LoopbackWeChat:
    sent: list[dict[str, Any]] = field(default_factory=list)
    token_fetches: int = 0
    failures: list[tuple[str, int]] = field(default_factory=list)  # (endpoint, errcode)
    scenes: list[str] = field(default_factory=list)
    # openid -> (messages left, monotonic deadline): the customer-service rules, enforced.
    windows: dict[str, tuple[int, float]] = field(default_factory=dict)
    # Subscription messages: (openid, template id) accepted, and what was sent.
    accepted: set[tuple[str, str]] = field(default_factory=set)
    subscribed_sent: list[dict[str, Any]] = field(default_factory=list)
    # Temporary media uploaded: media id -> (type, bytes).
    media: dict[str, tuple[str, bytes]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._tokens = itertools.count(1)
        self.token = ""
        self.base_url = ""
        self._runner: web.AppRunner | None = None

    def fail(self, endpoint: str, errcode: int, times: int = 1) -> None:
        self.failures.extend([(endpoint, errcode)] * times)

    def grant(self, openid: str, action: str) -> None:
        """What a user's action lets the account send, as WeChat counts it (not cumulative:
        the larger count and the longer time win)."""
        count, seconds = {"message": (5, 48 * 3600), "click": (3, 60), "subscribe": (3, 60),
                          "scan": (3, 60)}[action]
        left, until = self.windows.get(openid, (0, 0.0))
        now = time.monotonic()
        if until <= now:
            left = 0
        self.windows[openid] = (max(left, count), max(until, now + seconds))

    def close_window(self, openid: str) -> None:
        self.windows[openid] = (0, 0.0)

    def expire_token(self) -> None:
        self.token = "expired"

    def to(self, openid: str) -> list[dict[str, Any]]:
        return [m for m in self.sent if m["touser"] == openid]

    async def start(self) -> str:
        app = web.Application()
        app.router.add_get("/cgi-bin/token", self._token)
        app.router.add_post("/cgi-bin/message/custom/send", self._send)
        app.router.add_post("/cgi-bin/message/subscribe/bizsend", self._bizsend)
        app.router.add_post("/cgi-bin/media/upload", self._upload)
        app.router.add_get("/cgi-bin/media/get", self._media)
        app.router.add_post("/cgi-bin/qrcode/create", self._qrcode)
        app.router.add_get("/cgi-bin/showqrcode", self._show)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.base_url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _token(self, request: web.Request) -> web.Response:
        if request.query.get("appid") != APPID or request.query.get("secret") != SECRET:
            return web.json_response({"errcode": 40125, "errmsg": "invalid appsecret"})
        self.token_fetches += 1
        self.token = f"token-{next(self._tokens)}"
        return web.json_response({"access_token": self.token, "expires_in": 7200})

    def _refused(self, request: web.Request, endpoint: str) -> web.Response | None:
        if request.query.get("access_token") != self.token:
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        for index, (where, code) in enumerate(self.failures):
            if where == endpoint:
                del self.failures[index]
                return web.json_response({"errcode": code, "errmsg": f"injected {code}"})
        return None

    async def _send(self, request: web.Request) -> web.Response:
        refused = self._refused(request, "send")
        if refused is not None:
            return refused
        body = json.loads(await request.text())
        if body["msgtype"] == "image" and body["image"]["media_id"] not in self.media:
            return web.json_response({"errcode": 40007, "errmsg": "invalid media_id"})
        left, until = self.windows.get(body["touser"], (0, 0.0))
        if until <= time.monotonic():
            return web.json_response({"errcode": 45015, "errmsg": "response out of time limit"})
        if left <= 0:
            return web.json_response({"errcode": 45047, "errmsg": "out of response count limit"})
        self.windows[body["touser"]] = (left - 1, until)
        self.sent.append(body)
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def _upload(self, request: web.Request) -> web.Response:
        refused = self._refused(request, "upload")
        if refused is not None:
            return refused
        kind = request.query.get("type", "")
        form = await request.post()
        media = form.get("media")
        if kind != "image" or not isinstance(media, web.FileField):
            return web.json_response({"errcode": 40004, "errmsg": "invalid media type"})
        data = media.file.read()
        if len(data) > 10 * 1024 * 1024:
            return web.json_response({"errcode": 40009, "errmsg": "invalid image size"})
        media_id = f"media-{len(self.media) + 1}"
        self.media[media_id] = (kind, data)
        return web.json_response({"type": kind, "media_id": media_id,
                                  "created_at": int(time.time())})

    async def _media(self, request: web.Request) -> web.Response:
        refused = self._refused(request, "media")
        if refused is not None:
            return refused
        found = self.media.get(request.query.get("media_id", ""))
        if found is None:
            return web.json_response({"errcode": 40007, "errmsg": "invalid media_id"})
        return web.Response(body=found[1], content_type="image/jpeg")

    async def _bizsend(self, request: web.Request) -> web.Response:
        refused = self._refused(request, "bizsend")
        if refused is not None:
            return refused
        body = json.loads(await request.text())
        grant = (body["touser"], body["template_id"])
        if grant not in self.accepted:
            return web.json_response({"errcode": 43101, "errmsg": "user refuse to accept the msg"})
        if any(len(v["value"]) > 20 for v in body["data"].values()):
            return web.json_response({"errcode": 47003, "errmsg": "argument invalid! data.value"})
        self.accepted.discard(grant)
        self.subscribed_sent.append(body)
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def _qrcode(self, request: web.Request) -> web.Response:
        refused = self._refused(request, "qrcode")
        if refused is not None:
            return refused
        body = json.loads(await request.text())
        scene = body["action_info"]["scene"]["scene_str"]
        self.scenes.append(scene)
        return web.json_response({"ticket": f"ticket-{scene}", "url": f"http://weixin.qq.com/q/{scene}"})

    async def _show(self, request: web.Request) -> web.Response:
        return web.Response(body=PNG, content_type="image/png")


def signature(token: str, timestamp: str, nonce: str, *extra: str) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, *extra])).encode()).hexdigest()


_msgids = itertools.count(int(time.time()) * 1000)


def callback_xml(openid: str, *, text: str | None = None, menu_id: str | None = None,
                 event: str | None = None, event_key: str | None = None,
                 kind: str | None = None, msgid: int | None = None,
                 media_id: str | None = None) -> str:
    """The XML WeChat posts: a text (or a menu click: text + bizmsgmenuid), or an event."""
    fields = {"ToUserName": ACCOUNT, "FromUserName": openid,
              "CreateTime": str(int(time.time()))}
    if event is not None:
        fields |= {"MsgType": "event", "Event": event}
        if event_key is not None:
            fields["EventKey"] = event_key
    else:
        fields |= {"MsgType": kind or "text", "MsgId": str(msgid or next(_msgids))}
        if text is not None:
            fields["Content"] = text
        if menu_id is not None:
            fields["bizmsgmenuid"] = menu_id
        if media_id is not None:
            fields["MediaId"] = media_id
    body = "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in fields.items())
    return f"<xml>{body}</xml>"


def subscription_xml(openid: str, template_id: str, status: str = "accept") -> str:
    """The event WeChat posts when a user answers the subscription popup."""
    return (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
            f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
            "<Event><![CDATA[subscribe_msg_popup_event]]></Event><SubscribeMsgPopupEvent><List>"
            f"<TemplateId><![CDATA[{template_id}]]></TemplateId>"
            f"<SubscribeStatusString><![CDATA[{status}]]></SubscribeStatusString>"
            "<PopupScene>2</PopupScene></List></SubscribeMsgPopupEvent></xml>")


def signed(xml: str, *, token: str = TOKEN, safe: bool = False) -> tuple[dict[str, str], str]:
    """Query parameters and body of a callback POST, as WeChat signs (and encrypts) it."""
    timestamp, nonce = str(int(time.time())), "nonce42"
    query = {"signature": signature(token, timestamp, nonce), "timestamp": timestamp,
             "nonce": nonce, "openid": "x"}
    if not safe:
        return query, xml
    crypto = WeChatCrypto(token, AES_KEY, APPID)
    encrypted = crypto.encrypt_message(xml, nonce, timestamp)
    import xmltodict

    outer = xmltodict.parse(encrypted)["xml"]
    query |= {"encrypt_type": "aes", "msg_signature": outer["MsgSignature"]}
    return query, f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>" \
                  f"<Encrypt><![CDATA[{outer['Encrypt']}]]></Encrypt></xml>"
