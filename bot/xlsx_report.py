"""What an import says: the preview before 确认导入, the result after, a stale press.

Shared by the chat (HTML) and `zhaolu import-status` (plain text: `plain()` unescapes). Lists
are cut to stay inside Telegram's 4096 characters; the full list of refused rows goes out as a
small TXT document when it is longer. No aiogram.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from bot.xlsx_import import Preview, Refusal
from content.dates import cn_datetime
from content.registration_text import status_text
from content.schema import Campaign
from content.texts import Raw, Texts
from storage.registrations import STATUSES

SHOWN_REFUSALS = 10
REPORT_LIMIT = 15


def plain(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def count_lines(texts: Texts, counts: Mapping[str, int], campaign: Campaign) -> str:
    ordered = [s for s in STATUSES if s in counts]
    return "\n".join(texts("import.count_line", status=status_text(s, campaign, texts),
                           count=counts[s]) for s in ordered)


def refusal_lines(texts: Texts, refusals: Iterable[Refusal | Mapping[str, Any]],
                  statuses: Mapping[str, str], campaign: Campaign) -> list[str]:
    out = []
    for r in refusals:
        refusal = r if isinstance(r, Refusal) else Refusal(**r)
        out.append(refusal_line(texts, refusal, statuses, campaign))
    return out


def preview_text(texts: Texts, campaign: Campaign, preview: Preview,
                 statuses: Mapping[str, str], now: datetime) -> str:
    lines = refusal_lines(texts, preview.refusals[:SHOWN_REFUSALS], statuses, campaign)
    more = len(preview.refusals) - len(lines)
    refused = ""
    if preview.refusals:
        refused = texts("import.preview.refused", count=len(preview.refusals),
                        lines=Raw("\n".join(lines)),
                        more=texts("import.preview.more", count=more) if more > 0 else "")
    if preview.changes:
        head = texts("import.preview.changes", count=len(preview.changes),
                     lines=Raw(count_lines(texts, preview.counts(), campaign)))
        tail = texts("import.preview.confirm")
    else:
        head, tail = texts("import.preview.nothing"), ""
    return texts("import.preview", campaign=campaign.name, head=Raw(head),
                 unchanged=preview.unchanged, refused=Raw(refused), tail=Raw(tail))


def stale_text(texts: Texts, item: Any, now: datetime) -> str | None:
    """Why a pending import can no longer be confirmed or cancelled; None when it can."""
    if item.state == "applied":
        return texts("import.stale.applied")
    if item.state == "cancelled":
        return texts("import.stale.cancelled")
    if item.expired(now):
        return texts("import.stale.expired", when=cn_datetime(item.expires_at))
    return None


def result_text(texts: Texts, campaign: Campaign, item: Any, changed: list[dict[str, Any]],
                statuses: Mapping[str, str]) -> tuple[str, bytes | None]:
    """The report after 确认导入, and the TXT of every refused row when the list is long."""
    counts: dict[str, int] = {}
    for change in changed:
        counts[change["new"]] = counts.get(change["new"], 0) + 1
    lines = refusal_lines(texts, item.refusals, statuses, campaign)
    attachment = None
    shown = lines
    if len(lines) > REPORT_LIMIT:
        shown = lines[:REPORT_LIMIT]
        body = "\n".join(plain(line) for line in lines)
        attachment = (plain(texts("import.txt_head", campaign=campaign.name,
                                  count=len(lines))) + "\n" + body + "\n").encode("utf-8")
    refused = texts("import.result.refused", count=len(lines),
                    lines=Raw("\n".join(shown)),
                    more=texts("import.result.more", count=len(lines) - len(shown))
                    if attachment else "") if lines else ""
    text = texts("import.result", campaign=campaign.name, count=len(changed),
                 lines=Raw(count_lines(texts, counts, campaign)), unchanged=item.unchanged,
                 refused=Raw(refused))
    return text, attachment


def refusal_reason(texts: Texts, refusal: Refusal, statuses: Mapping[str, str],
                   campaign: Campaign) -> str:
    """Why one row was refused (HTML-escaped text); `statuses`: receipt → current status."""
    old = statuses.get(refusal.receipt, "")
    detail = refusal.detail
    if refusal.code in ("transition", "reason", "changed_since") and detail in STATUSES:
        detail = status_text(detail, campaign, texts)
    return texts(f"import.refused.{refusal.code}", label=detail or "（空）",
                 old=status_text(old, campaign, texts) if old else "")


def refusal_line(texts: Texts, refusal: Refusal, statuses: Mapping[str, str],
                 campaign: Campaign) -> str:
    """第 5 行（汉川市人民医院）XG2023-0003：… (HTML-escaped text)."""
    return texts("import.refusal_line", sheet=refusal.sheet, row=refusal.row,
                 receipt=refusal.receipt or "—",
                 why=Raw(refusal_reason(texts, refusal, statuses, campaign)))
