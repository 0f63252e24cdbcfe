"""How staff things read in the chat: roles with their scope, people, audiences, audit lines.

Pure text builders over the catalogue; no queries except `who`, which reads the users table for
a name staff recognise (staff are not applicants: their display names may be shown to staff).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from content.catalogue import Catalogue
from content.dates import cn_datetime
from content.registration_text import by_channel
from content.texts import Texts
from storage.audit import CLI_ACTOR, SYSTEM_ACTOR, AuditEntry
from storage.staff import ADMIN, Access, StaffGrant
from storage.users import get_user


def base_name(catalogue: Catalogue, slug: str | None, base_id: str | None) -> str | None:
    campaign = catalogue.get(slug)
    if campaign is None or base_id is None:
        return base_id
    return next((b.name for b in campaign.plan.bases if b.id == base_id), base_id)


def where(texts: Texts, catalogue: Catalogue, role: str, slug: str | None,
          base_id: str | None) -> str:
    """（孝感市 2023 … · 汉川市人民医院）, empty for an admin."""
    if role == ADMIN or slug is None:
        return ""
    campaign = catalogue.get(slug)
    parts = [campaign.name if campaign is not None else slug]
    if base_id is not None:
        parts.append(base_name(catalogue, slug, base_id) or base_id)
    return texts("staff.where", where=" · ".join(parts))


def role_lines(texts: Texts, catalogue: Catalogue, access: Access) -> str:
    return "\n".join(
        texts("staff.role_line", role=texts(f"staff.role.{g.role}"),
              where=where(texts, catalogue, g.role, g.campaign_slug, g.base_id))
        for g in access.grants)


async def who(session: AsyncSession, texts: Texts, telegram_id: int) -> str:
    user = await get_user(session, user_id=telegram_id)
    if user is None:
        return texts("staff.who.unknown", id=telegram_id)
    name = f"@{user.username}" if user.username else user.first_name or str(telegram_id)
    return f"{name}（{telegram_id}）"


def grant_line(texts: Texts, catalogue: Catalogue, grant: StaffGrant, person: str) -> str:
    source = texts("staff.people.source_env") if grant.source == "env" else ""
    return texts("staff.people.line", id=grant.id, role=texts(f"staff.role.{grant.role}"),
                 where=where(texts, catalogue, grant.role, grant.campaign_slug, grant.base_id),
                 who=person, source=source)


def audience_label(texts: Texts, catalogue: Catalogue, slug: str, audience: str,
                   base_id: str | None) -> str:
    label = texts(by_channel(f"announce.audience.{audience}", catalogue.get(slug), texts))
    if base_id is None:
        return label
    return texts("announce.audience_with_base", audience=label,
                 base=base_name(catalogue, slug, base_id) or base_id)


def short_time(moment: datetime) -> str:
    return moment.strftime("%m-%d %H:%M")


def audit_line(texts: Texts, catalogue: Catalogue, entry: AuditEntry) -> str:
    if entry.actor == CLI_ACTOR:
        actor = texts("audit.actor.cli")
    elif entry.actor == SYSTEM_ACTOR:
        actor = texts("audit.actor.system")
    else:
        role = texts(f"staff.role.{entry.role}") if entry.role else ""
        actor = texts("audit.actor.person", role=role.split("（")[0], id=entry.actor_id or "")
    action_key = f"audit.action.{entry.action}"
    action = texts(action_key) if action_key in texts else entry.action
    place = ""
    if entry.campaign_slug:
        campaign = catalogue.get(entry.campaign_slug)
        parts = [campaign.notice.region if campaign is not None else entry.campaign_slug]
        if entry.base_id:
            parts.append(base_name(catalogue, entry.campaign_slug, entry.base_id) or "")
        place = " · " + " · ".join(parts)
    size = texts("audit.size", n=entry.audience_size) if entry.audience_size is not None else ""
    ref = f" · {entry.message_ref}" if entry.message_ref else ""
    return texts("audit.line", when=short_time(entry.at), actor=actor, action=action,
                 where=place, size=size, ref=ref)


def cn_when(moment: datetime) -> str:
    return cn_datetime(moment)
