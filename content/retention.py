"""How long personal data is kept: per campaign, `retention_days_after_close` days after the
campaign's last date; unfinished forms (FSM data) 30 days after their last change.

The campaign's close is its latest date: the official window's close, the pre-registration's
close, the end (or start) of every dated event. `zhaolu purge` and the daily job
(storage/retention.py) act on what these return; the privacy notice states the same period.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from content.schema import Campaign

UNFINISHED_DAYS = 30


def campaign_closes(campaign: Campaign) -> datetime:
    """The campaign's last date: nothing it describes happens after it."""
    moments = [campaign.registration.window.last]
    if campaign.form is not None:
        moments.append(campaign.form.closes)
    moments += [m for e in campaign.events for m in (e.start, e.end) if m is not None]
    return max(moments)


def purge_after(campaign: Campaign) -> datetime:
    """From this moment on the campaign's personal data is past its retention."""
    return campaign_closes(campaign) + timedelta(days=campaign.retention_days_after_close)


def unfinished_before(now: datetime) -> datetime:
    """Unfinished forms last touched before this are past their retention."""
    return now - timedelta(days=UNFINISHED_DAYS)
