"""`zhaolu staff invite|list|revoke`: staff roles from the command line. Imports no aiogram.

    zhaolu staff invite --role coordinator --campaign xiaogan-2023 [--base NAME] [--hours 72]
    zhaolu staff list [--all] [--jsonl]
    zhaolu staff revoke ID

`invite` prints a one-time link (with ZHAOLU_BOT_USERNAME) and the `/start staff-…` line that
does the same when typed in the bot's chat. Every change is written to the audit log as done by
the command line. A revocation takes effect on the person's next update; their command menu is
cleared at the next tick of the running bot.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from bot.clock import Clock
from bot.cmd_export import find_base
from bot.settings import campaigns_for, settings_for
from content.catalogue import Catalogue

T = TypeVar("T")


async def _in_session(url: str, work: Callable[[Any], Awaitable[T]]) -> T:
    from storage.engine import one_session

    async with one_session(url) as session, session.begin():
        return await work(session)


def _scope_problem(args: argparse.Namespace, catalogue: Catalogue) -> tuple[str | None, str | None]:
    """(campaign slug, base id) the role needs; exits with the reason when they do not fit."""
    from storage.staff import ADMIN, BASE_STAFF

    if args.role == ADMIN:
        if args.campaign or args.base:
            raise SystemExit("an admin covers every campaign: give no --campaign or --base")
        return None, None
    if not args.campaign:
        raise SystemExit(f"--campaign is required for {args.role}; campaigns: "
                         f"{', '.join(catalogue.slugs)}")
    campaign = catalogue.get(args.campaign)
    if campaign is None:
        raise SystemExit(f"unknown campaign {args.campaign!r}; campaigns: "
                         f"{', '.join(catalogue.slugs)}")
    if args.role != BASE_STAFF:
        if args.base:
            raise SystemExit("a coordinator covers the whole campaign: give no --base")
        return campaign.slug, None
    names = "、".join(b.name for b in campaign.plan.bases)
    if not campaign.plan.bases:
        raise SystemExit(f"{campaign.slug} lists no training bases: no base staff can be invited")
    if not args.base:
        raise SystemExit(f"--base is required for base_staff; bases of {campaign.slug}: {names}")
    base_id = find_base(campaign, args.base)
    if base_id is None:
        raise SystemExit(f"unknown base {args.base!r} in {campaign.slug}; bases: {names}")
    return campaign.slug, base_id


def _invite(args: argparse.Namespace, url: str, catalogue: Catalogue, now: datetime,
            username: str | None) -> int:
    from storage import audit
    from storage.staff import INVITE_PREFIX, create_invite

    slug, base_id = _scope_problem(args, catalogue)

    async def work(session: Any) -> tuple[Any, str]:
        invite, token = await create_invite(session, role=args.role, campaign_slug=slug,
                                            base_id=base_id, created_by=None, now=now,
                                            hours=args.hours)
        await audit.record(session, action="invite.create", now=now, actor=audit.CLI_ACTOR,
                           campaign_slug=slug, base_id=base_id,
                           detail=f"invite #{invite.id} role={args.role}")
        return invite, token

    invite, token = asyncio.run(_in_session(url, work))
    scope = " · ".join(p for p in (slug, base_id) if p) or "every campaign"
    print(f"invite #{invite.id}: {args.role} ({scope}), single use, valid until "
          f"{invite.expires_at.strftime('%Y-%m-%d %H:%M')} Asia/Shanghai")
    if username:
        print(f"https://t.me/{username}?start={INVITE_PREFIX}{token}")
    print(f"/start {INVITE_PREFIX}{token}")
    return 0


def _grant_row(grant: Any) -> dict[str, Any]:
    return {"id": grant.id, "telegram_id": grant.telegram_id, "role": grant.role,
            "campaign": grant.campaign_slug, "base": grant.base_id, "source": grant.source,
            "granted_at": grant.granted_at.isoformat(),
            "revoked_at": grant.revoked_at.isoformat() if grant.revoked_at else None}


def _list(args: argparse.Namespace, url: str) -> int:
    from storage.staff import list_grants

    async def work(session: Any) -> list[Any]:
        return list(await list_grants(session, active_only=not args.all))

    rows = [_grant_row(g) for g in asyncio.run(_in_session(url, work))]
    if args.jsonl:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
        return 0
    if not rows:
        print("no staff" if not args.all else "no staff, ever")
        return 0
    print(f"{'id':>4}  {'telegram id':>12}  {'role':11}  {'campaign':16}  {'base':16}  source  "
          "granted")
    for r in rows:
        revoked = f"  revoked {r['revoked_at'][:16]}" if r["revoked_at"] else ""
        print(f"{r['id']:>4}  {r['telegram_id']:>12}  {r['role']:11}  {r['campaign'] or '-':16}  "
              f"{r['base'] or '-':16}  {r['source']:6}  {r['granted_at'][:16]}{revoked}")
    return 0


def _revoke(args: argparse.Namespace, url: str, now: datetime) -> int:
    from storage import audit
    from storage.staff import revoke

    async def work(session: Any) -> Any:
        grant = await revoke(session, grant_id=args.id, by=None, now=now)
        if grant is not None:
            await audit.record(session, action="staff.revoke", now=now, actor=audit.CLI_ACTOR,
                               campaign_slug=grant.campaign_slug, base_id=grant.base_id,
                               detail=f"grant #{grant.id} {grant.role} of user "
                                      f"{grant.telegram_id}")
        return grant

    grant = asyncio.run(_in_session(url, work))
    if grant is None:
        print(f"no active grant #{args.id} (see `zhaolu staff list`)", file=sys.stderr)
        return 1
    print(f"revoked #{grant.id}: {grant.role} of user {grant.telegram_id}"
          + (f" ({grant.campaign_slug}{' · ' + grant.base_id if grant.base_id else ''})"
             if grant.campaign_slug else ""))
    if grant.source == "env":
        print("note: this admin comes from ZHAOLU_ADMINS and is granted again at the next "
              "start; remove the id there too", file=sys.stderr)
    return 0


def main(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    url = settings.effective_database_url
    now = settings.now or Clock().now()
    if args.action == "list":
        return _list(args, url)
    if args.action == "revoke":
        return _revoke(args, url, now)
    catalogue = campaigns_for(settings)
    try:
        return _invite(args, url, catalogue, now, settings.bot_username)
    except SystemExit as refusal:
        print(refusal, file=sys.stderr)
        return 2
