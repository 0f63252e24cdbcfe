"""/metrics: what the exposition text says after real updates went through the real Dispatcher."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from bot import metrics
from storage import delivery as ledger
from tests.delivery_helpers import NOW, add_users
from tests.harness import Harness


def samples(text: bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition, by (name, sorted labels): parsed as Prometheus would."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text.decode())
            for s in family.samples}


def handled(values: dict, outcome: str) -> float:
    return values[("zhaolu_updates_handled_total", (("outcome", outcome),))]


async def test_updates_are_counted_and_timed(harness: Harness) -> None:
    before = samples(await metrics.render())
    await harness.send("/start xiaogan-2023")
    await harness.send("报名条件")
    after = samples(await metrics.render())
    assert handled(after, "handled") - handled(before, "handled") == 2
    assert handled(after, "error") == handled(before, "error")
    count = ("zhaolu_handler_seconds_count", ())
    assert after[count] - before[count] == 2
    assert after[("zhaolu_handler_seconds_sum", ())] > before[("zhaolu_handler_seconds_sum", ())]
    for reason in metrics.RETRY_REASONS:  # present (at 0) before any retry happened
        assert ("zhaolu_bot_api_retries_total", (("reason", reason),)) in after


async def test_the_ledger_rows_are_read_at_scrape_time(harness: Harness) -> None:
    sessionmaker = harness.services.sessionmaker
    await add_users(sessionmaker, [11, 12, 13])
    async with sessionmaker() as session, session.begin():
        await ledger.enqueue(session, key="r1", kind="reminder", text="提醒", recipients=[11, 12],
                             now=NOW)
        await ledger.enqueue(session, key="b1", kind="broadcast", text="通知", recipients=[13],
                             now=NOW)
    values = samples(await metrics.render(sessionmaker))
    row = "zhaolu_ledger_rows"
    assert values[(row, (("kind", "reminder"), ("status", "pending")))] == 2
    assert values[(row, (("kind", "broadcast"), ("status", "pending")))] == 1
    assert values[(row, (("kind", "status"), ("status", "sent")))] == 0
    assert values[("zhaolu_ledger_read_ok", ())] == 1

    async with sessionmaker() as session, session.begin():
        claimed = await ledger.claim(session, limit=10, now=NOW)
        assert len(claimed) == 3
    values = samples(await metrics.render(sessionmaker))
    assert values[(row, (("kind", "reminder"), ("status", "pending")))] == 0  # not kept stale
    assert values[(row, (("kind", "reminder"), ("status", "sending")))] == 2
