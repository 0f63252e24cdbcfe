"""Figures for the commission: a campaign's funnel, pre-registrations per base against the
quotas, and new pre-registrations per day of the registration window.

One function (`figures`) computes them for the chat (/staff → 📊 统计) and the CLI (`zhaolu
stats`), scoped to the viewer: the whole campaign, or the bases a base staff member works for.
A registration belongs to the base of its FIRST choice (so no one is counted twice); the stages
before pre-registration (choosing the campaign, the self-check) know no base, so a base's view
starts at pre-registered.

Three small queries read the campaign's rows (ids, statuses, choices, dates; nothing personal) and
the counting is done here, the same on SQLite and PostgreSQL. Repositories never commit.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import to_shanghai
from content.retention import campaign_closes
from content.schema import Campaign
from storage.eligibility import EligibilityCheck
from storage.models import User
from storage.registrations import Registration
from storage.staff import BASE_STAFF, Access

# The funnel, in order. The first three count people; the rest count active registrations.
STAGES = ("chose", "self_check", "eligible", "pre_registered", "officially_registered",
          "review_passed", "admitted", "reported")
FIRST_REGISTRATION_STAGE = STAGES.index("pre_registered")
PASSING_VERDICTS = ("eligible", "conditional")
WITHDRAWN = "withdrawn"

# The furthest funnel stage each status proves (a registration counts at that stage and at every
# stage before it). Statuses record where a registration stands now, not its history, so a status
# that can be reached from several places proves only what it certainly passed:
# - review_failed and not_admitted were decided on an official registration: 已官网报名;
# - gave_up (放弃) may come at any step after pre-registration: pre_registered only;
# - withdrawn (the applicant withdrew in the bot) is left out of every stage from pre_registered
#   on (it still counts as having chosen the campaign and checked eligibility).
# A status id this module does not know yet (a later feature's) counts as pre_registered.
STAGE_OF: dict[str, str | None] = {
    "pre_registered": "pre_registered",
    "officially_registered": "officially_registered",
    "review_passed": "review_passed",
    "review_failed": "officially_registered",
    "admitted": "admitted",
    "not_admitted": "officially_registered",
    "reported": "reported",
    "gave_up": "pre_registered",
    WITHDRAWN: None,
}
# Statuses that end a registration's way, shown as 其中… under the funnel.
OUTCOMES = ("review_failed", "not_admitted", "gave_up", WITHDRAWN)


def stage_index(status: str) -> int | None:
    """How far a status got (an index into STAGES); None: withdrawn, counted nowhere."""
    stage = STAGE_OF.get(status, "pre_registered")
    return None if stage is None else STAGES.index(stage)


@dataclass(frozen=True)
class BaseFigures:
    id: str
    name: str
    quota: int | None  # None: the notice gives no quota for this base
    pre_registered: int  # active registrations with this base as first choice
    admitted: int  # of those, admitted or reported


@dataclass(frozen=True)
class Figures:
    slug: str
    campaign: str  # its display name
    now: datetime
    bases_scope: tuple[str, ...] | None  # None: the whole campaign; else these bases only
    funnel: tuple[tuple[str, int | None], ...]  # (stage, count); None: not attributable to a base
    outcomes: dict[str, int]  # OUTCOMES in scope
    bases: tuple[BaseFigures, ...]  # the campaign's bases in YAML order (in scope)
    no_base: int  # active registrations whose first choice is no known base (campaign scope)
    total_quota: int | None
    quota_source: str | None  # where the notice says the plan is published, when it lists none
    opens: date
    closes: date
    days: tuple[tuple[date, int], ...]  # each window day up to today, zero days included
    online: bool = True  # registration on a site (已官网报名) or not (已正式报名)

    @property
    def daily_total(self) -> int:
        return sum(n for _, n in self.days)

    @property
    def busiest(self) -> tuple[date, int] | None:
        """The first day with the most new pre-registrations (None: no day has any)."""
        best = max(self.days, key=lambda d: d[1], default=None)
        return best if best is not None and best[1] > 0 else None

    @property
    def last_7_days(self) -> int:
        today = to_shanghai(self.now).date()
        return sum(n for d, n in self.days if today - d < timedelta(days=7))

    def as_json(self) -> dict[str, Any]:
        """The figures as one JSON object (the CLI's --jsonl; keys documented in README)."""
        busiest = self.busiest
        return {
            "campaign": self.slug, "name": self.campaign, "now": self.now.isoformat(),
            "scope": list(self.bases_scope) if self.bases_scope is not None else "campaign",
            "funnel": [{"stage": s, "count": n} for s, n in self.funnel],
            "outcomes": dict(self.outcomes),
            "bases": [asdict(b) for b in self.bases],
            "no_base": self.no_base, "total_quota": self.total_quota,
            "window": {"opens": self.opens.isoformat(), "closes": self.closes.isoformat()},
            "daily": [{"date": d.isoformat(), "count": n} for d, n in self.days],
            "daily_total": self.daily_total,
            "busiest": {"date": busiest[0].isoformat(), "count": busiest[1]} if busiest else None,
            "last_7_days": self.last_7_days,
        }


@dataclass(frozen=True)
class _Reg:
    user_id: int
    status: str
    first: str | None
    created: date


async def _read(session: AsyncSession, slug: str) -> tuple[set[int], dict[int, str], list[_Reg]]:
    chose = set((await session.exec(select(User.id).where(User.campaign_slug == slug))).all())
    checks = dict((await session.exec(
        select(EligibilityCheck.user_id, EligibilityCheck.verdict)
        .where(EligibilityCheck.campaign_slug == slug))).all())
    rows = (await session.exec(
        select(Registration.user_id, Registration.status, Registration.base_choices,
               Registration.created_at).where(Registration.campaign_slug == slug))).all()
    regs = [_Reg(uid, status, (choices or [None])[0], to_shanghai(created).date())
            for uid, status, choices, created in rows]
    return chose, checks, regs


def _funnel(chose: set[int], checks: dict[int, str], regs: list[_Reg],
            by_base: bool) -> tuple[tuple[str, int | None], ...]:
    counts: list[int | None] = [0] * len(STAGES)
    if not by_base:
        # A pre-registration is a choice of the campaign, and its form checked the same rules
        # and stored a passing verdict: the earlier stages include every registrant, so the
        # funnel narrows from one stage to the next.
        registrants = {r.user_id for r in regs}
        counts[0] = len(chose | set(checks) | registrants)
        counts[1] = len(set(checks) | registrants)
        counts[2] = len({u for u, v in checks.items() if v in PASSING_VERDICTS} | registrants)
    else:
        counts[:FIRST_REGISTRATION_STAGE] = [None] * FIRST_REGISTRATION_STAGE
    for reg in regs:
        reached = stage_index(reg.status)
        if reached is not None:
            for i in range(FIRST_REGISTRATION_STAGE, reached + 1):
                counts[i] = (counts[i] or 0) + 1
    return tuple(zip(STAGES, counts, strict=True))


def _bases(campaign: Campaign, regs: list[_Reg],
           scope: tuple[str, ...] | None) -> tuple[tuple[BaseFigures, ...], int]:
    active = [r for r in regs if r.status != WITHDRAWN]
    first = Counter(r.first for r in active)
    admitted_at = STAGES.index("admitted")
    admitted = Counter(r.first for r in active if (stage_index(r.status) or 0) >= admitted_at)
    known = {b.id for b in campaign.plan.bases}
    lines = tuple(BaseFigures(b.id, b.name, b.quota, first[b.id], admitted[b.id])
                  for b in campaign.plan.bases if scope is None or b.id in scope)
    no_base = 0 if scope is not None else sum(n for b, n in first.items() if b not in known)
    return lines, no_base


def _first_day(campaign: Campaign, regs: list[_Reg]) -> date:
    """The chart's first day: the window's opening; a notice giving only the deadline starts
    it with the pre-registration, the notice's publication or the first registration."""
    window, form = campaign.registration.window, campaign.form
    if window.opens is not None:
        return to_shanghai(window.opens).date()
    if form is not None:
        return to_shanghai(form.opens).date()
    known = [campaign.notice.published, *(r.created for r in regs)]
    return min((d for d in known if d is not None), default=window.last.date())


def _last_day(campaign: Campaign) -> date:
    """The chart's last day: the window's close; a notice giving no deadline ends it with the
    pre-registration, else with the campaign's last date."""
    window, form = campaign.registration.window, campaign.form
    closes = window.closes or (form.closes if form is not None else campaign_closes(campaign))
    return to_shanghai(closes).date()


def _days(campaign: Campaign, regs: list[_Reg], now: datetime) -> tuple[tuple[date, int], ...]:
    first_day = _first_day(campaign, regs)
    last_day = min(_last_day(campaign), to_shanghai(now).date())
    per_day = Counter(r.created for r in regs if r.status != WITHDRAWN)
    span = (last_day - first_day).days + 1
    return tuple((d, per_day[d]) for d in (first_day + timedelta(days=i) for i in range(span)))


def _total_quota(campaign: Campaign) -> int | None:
    """The notice's total, else the sum of the bases' quotas when every base has one."""
    quotas = [b.quota for b in campaign.plan.bases]
    if campaign.plan.total_quota is not None or not quotas or None in quotas:
        return campaign.plan.total_quota
    return sum(q for q in quotas if q is not None)


def viewer_bases(access: Access, slug: str) -> tuple[str, ...] | None:
    """The bases a viewer's figures are limited to: None for an admin or the campaign's
    coordinator, else every base their base-staff grants in `slug` name."""
    if access.covers(slug):
        return None
    return tuple(sorted({g.base_id for g in access.grants
                         if g.role == BASE_STAFF and g.campaign_slug == slug and g.base_id}))


async def figures(session: AsyncSession, *, campaign: Campaign, now: datetime,
                  bases_scope: tuple[str, ...] | None = None) -> Figures:
    """The campaign's figures at `now`; with `bases_scope`, only registrations whose first
    choice is one of those bases (and no stage before pre-registration)."""
    chose, checks, regs = await _read(session, campaign.slug)
    if bases_scope is not None:
        regs = [r for r in regs if r.first in bases_scope]
    outcomes = Counter(r.status for r in regs if r.status in OUTCOMES)
    lines, no_base = _bases(campaign, regs, bases_scope)
    return Figures(
        slug=campaign.slug, campaign=campaign.name, now=to_shanghai(now), bases_scope=bases_scope,
        funnel=_funnel(chose, checks, regs, by_base=bases_scope is not None),
        outcomes={o: outcomes[o] for o in OUTCOMES}, bases=lines, no_base=no_base,
        total_quota=_total_quota(campaign) if bases_scope is None else None,
        quota_source=campaign.plan.where_published,
        opens=_first_day(campaign, regs), closes=_last_day(campaign),
        days=_days(campaign, regs, now), online=campaign.registration.online)
