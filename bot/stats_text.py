"""The statistics as a short text for a phone (Telegram HTML), from storage/stats.py's figures.

The chat sends it as is; the CLI prints it without tags. It never exceeds one message: when a
campaign has so many bases that their lines would not fit, the list is cut with a polite note.
"""

from __future__ import annotations

import html
import re
from datetime import date

from content.texts import Raw, Texts
from storage.stats import OUTCOMES, Figures

LIMIT = 4096
MARGIN = 96  # room for the "…另有 N 个基地" note


def stage_label(texts: Texts, figures: Figures, stage: str) -> str:
    """A funnel stage's name; 已正式报名 rather than 已官网报名 when the notice names no site."""
    key = f"stats.stage.{stage}"
    offline = f"{key}_offline"
    return texts(offline if not figures.online and offline in texts else key)


def day_label(texts: Texts, day: date) -> str:
    return texts("stats.day", month=day.month, day=day.day)


def when_label(figures: Figures) -> str:
    return figures.now.strftime("%Y-%m-%d %H:%M")


def _share(texts: Texts, count: int, previous: int) -> str:
    return f"{round(100 * count / previous)}%" if previous else texts("stats.funnel.no_share")


def _funnel(texts: Texts, figures: Figures) -> list[str]:
    lines = [texts("stats.funnel.title")]
    previous: int | None = None
    for stage, count in figures.funnel:
        if count is None:
            continue
        label = stage_label(texts, figures, stage)
        if previous is None:
            lines.append(texts("stats.funnel.first", label=label, count=count))
        else:
            lines.append(texts("stats.funnel.line", label=label, count=count,
                               share=_share(texts, count, previous)))
        previous = count
    items = [texts(f"stats.outcome.{o}", n=figures.outcomes[o]) for o in OUTCOMES
             if figures.outcomes.get(o)]
    if items:
        lines.append(texts("stats.outcomes", items=" · ".join(items)))
    return lines


def _base_lines(texts: Texts, figures: Figures) -> list[str]:
    lines = []
    for base in figures.bases:
        quota = texts("stats.bases.no_quota") if base.quota is None else str(base.quota)
        admitted = texts("stats.bases.admitted", n=base.admitted) if base.admitted else ""
        lines.append(texts("stats.bases.line", name=base.name, count=base.pre_registered,
                           quota=quota, admitted=Raw(admitted)))
    return lines


def _bases_tail(texts: Texts, figures: Figures) -> list[str]:
    tail = []
    if figures.bases_scope is None and figures.bases:
        count = sum(b.pre_registered for b in figures.bases) + figures.no_base
        quota = texts("stats.bases.no_quota") if figures.total_quota is None \
            else str(figures.total_quota)
        tail.append(texts("stats.bases.total", count=count, quota=quota))
    if figures.no_base:
        key = "stats.bases.no_base" if figures.bases else "stats.bases.unassigned"
        tail.append(texts(key, n=figures.no_base))
    if figures.bases and figures.total_quota is None and figures.quota_source \
            and figures.bases_scope is None:
        tail.append(texts("stats.bases.source", where=figures.quota_source))
    return tail


def _daily(texts: Texts, figures: Figures) -> list[str]:
    title = texts("stats.daily.title", opens=day_label(texts, figures.opens),
                  closes=day_label(texts, figures.closes))
    if not figures.days:
        return [title, texts("stats.daily.before", opens=day_label(texts, figures.opens))]
    busiest = figures.busiest
    top = texts("stats.daily.busiest", day=day_label(texts, busiest[0]), n=busiest[1]) \
        if busiest else texts("stats.daily.no_busiest")
    closed = figures.now.date() > figures.closes
    key = "stats.daily.summary_closed" if closed else "stats.daily.summary"
    return [title, texts(key, total=figures.daily_total, busiest=top, week=figures.last_7_days)]


def _scope(texts: Texts, figures: Figures) -> list[str]:
    when = when_label(figures)
    if figures.bases_scope is None:
        return [texts("stats.scope.campaign", when=when)]
    names = "、".join(b.name for b in figures.bases) or "、".join(figures.bases_scope)
    return [texts("stats.scope.bases", bases=names, when=when), texts("stats.base_note")]


def render(texts: Texts, figures: Figures) -> str:
    """The whole text, at most one Telegram message (4096 characters)."""
    head = [texts("stats.title", campaign=figures.campaign), *_scope(texts, figures), "",
            *_funnel(texts, figures), "", texts("stats.bases.title")]
    tail = ["", *_daily(texts, figures)]
    if figures.bases:
        middle = _base_lines(texts, figures)
        after_bases = _bases_tail(texts, figures)
    else:
        none = figures.quota_source or texts("stats.bases.none")
        middle, after_bases = [texts("stats.bases.plain", text=none)], _bases_tail(texts, figures)
    fixed = len("\n".join(head + after_bases + tail)) + 1
    budget = LIMIT - MARGIN - fixed
    kept: list[str] = []
    for line in middle:
        if len(line) + 1 > budget:
            break
        kept.append(line)
        budget -= len(line) + 1
    if len(kept) < len(middle):
        kept.append(texts("stats.bases.more", n=len(middle) - len(kept)))
    return "\n".join(head + kept + after_bases + tail)[:LIMIT]


_TAG = re.compile(r"<[^>]+>")


def plain(text: str) -> str:
    """The text as a terminal shows it: no tags, entities decoded."""
    return html.unescape(_TAG.sub("", text))
