"""`zhaolu wechat qrcode --campaign SLUG --out qr.png`: a poster QR code for one campaign.

The code is a permanent parametric QR code of the Official Account (scene = the campaign slug):
scanning it follows the account (or opens it) and starts that campaign, as a t.me deep link
does on Telegram. It is made through the WeChat API (ZHAOLU_WECHAT_*), so it needs the
account's AppID and secret; permanent codes do not expire.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from bot.settings import SettingsError, settings_for
from content.catalogue import load_catalogue
from content.loader import ContentError


def main(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    if not settings.wechat:
        raise SettingsError("ZHAOLU_WECHAT_APPID, ZHAOLU_WECHAT_SECRET and ZHAOLU_WECHAT_TOKEN "
                            "must be set to make a QR code")
    try:
        catalogue = load_catalogue(settings.content_dir)
    except ContentError as error:
        raise SettingsError(f"ZHAOLU_CONTENT_DIR: {error}") from None
    if catalogue.get(args.campaign) is None:
        known = ", ".join(c.slug for c in catalogue.all())
        raise SettingsError(f"--campaign: no campaign {args.campaign!r} (known: {known})")
    from bot.wechat.api import ApiError, WeChatApi

    assert settings.wechat_appid and settings.wechat_secret
    # A token of its own: the workers' shared one stays valid a few minutes more, and a worker
    # it is then refused to takes a new one (bot/wechat/api.py).
    api = WeChatApi(settings.wechat_appid, settings.wechat_secret.get_secret_value(),
                    settings.wechat_api_url)
    import requests

    try:
        image = asyncio.run(api.qrcode(args.campaign))
    except ApiError as error:
        raise SettingsError(f"the WeChat API refused the QR code: {error}") from None
    except requests.RequestException as error:
        raise SettingsError(f"ZHAOLU_WECHAT_API_URL: cannot reach the WeChat API "
                            f"({type(error).__name__})") from None
    out = Path(args.out)
    out.write_bytes(image)
    print(f"{out}: QR code for {args.campaign} ({len(image)} bytes); scanning it opens the "
          f"account with this campaign")
    return 0
