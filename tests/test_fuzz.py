"""3,000 random updates with a fixed seed through the real Dispatcher (tests/fuzz.py): every
request valid, no exception, no reply to the wrong person, nobody shown another's data.
`make fuzz` runs 20,000 with a random seed."""

from __future__ import annotations

from tests.fuzz import run

SEED = 20261204


async def test_fuzz_3000_updates_with_a_fixed_seed() -> None:
    reached = await run(SEED, 3000)
    assert reached["updates"] == 3000
    # The walk reaches the deep states, not only the menus.
    for kind in ("registrations", "self_checks", "inbox_threads", "subscriptions"):
        assert reached[kind] >= 1, reached
