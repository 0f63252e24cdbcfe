"""The deadline-day bench's arithmetic (bench/deadline.py Tally): the figures `make bench`
prints for issue 15's targets come from here."""

from __future__ import annotations

import pytest

from bench.deadline import Tally


def test_the_sustained_rate_counts_only_the_time_every_user_was_active() -> None:
    tally = Tally(window=(10.0, 20.0))
    # A ramp before the window (fast replies) and stragglers after it (slow ones) are left out.
    for pushed, latency in [(5.0, 0.1), (8.0, 0.1), (25.0, 9.0)]:
        tally.pushed_at.append(pushed)
        tally.latencies.append(latency)
        tally.answered_at.append(pushed + latency)
    for i in range(200):  # 20 replies a second inside the window, one slow one
        pushed = 10.0 + i * 0.05
        latency = 3.0 if i == 150 else 0.2
        tally.pushed_at.append(pushed)
        tally.latencies.append(latency)
        tally.answered_at.append(pushed + latency)
    rate, p99 = tally.sustained()
    # 200 pushed inside it; answered inside it: all but the last 4 and the slow one.
    assert rate == pytest.approx(19.5)
    assert p99 == pytest.approx(0.2)  # 1 slow reply in 200 is under the 99th percentile
    tally.latencies[-1] = tally.latencies[-2] = tally.latencies[-3] = 3.0
    assert tally.sustained()[1] == pytest.approx(3.0)


def test_without_a_window_there_is_no_sustained_rate() -> None:
    with pytest.raises(AssertionError):
        Tally().sustained()
