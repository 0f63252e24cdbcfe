"""The per-user Redis lock (bot/user_lock.py) on a real Redis: a dead holder's lock frees within
its lifetime, a long handler keeps it past many lifetimes, and the wait is bounded."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiogram.fsm.storage.base import DefaultKeyBuilder, StorageKey
from redis.asyncio import Redis
from redis.asyncio.lock import Lock

from bot.user_lock import RenewedRedisIsolation, UserBusy
from storage.fsm import fsm_reads_cached
from tests.harness import Harness

KEY = StorageKey(bot_id=42, chat_id=7001, user_id=7001)
LIFETIME = 0.6


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


def _isolation(redis: Redis, prefix: str, *, wait: float = 5.0) -> RenewedRedisIsolation:
    return RenewedRedisIsolation(redis, DefaultKeyBuilder(prefix=prefix, with_destiny=True),
                                 lifetime=LIFETIME, wait=wait)


async def test_a_lock_left_by_a_killed_process_frees_within_its_lifetime(
        redis: Redis, redis_url: str, redis_prefix: str) -> None:
    child = textwrap.dedent(f"""
        import asyncio, os, signal
        from aiogram.fsm.storage.base import DefaultKeyBuilder, StorageKey
        from redis.asyncio import Redis
        from bot.user_lock import RenewedRedisIsolation

        async def main():
            isolation = RenewedRedisIsolation(
                Redis.from_url({redis_url!r}),
                DefaultKeyBuilder(prefix={redis_prefix!r}, with_destiny=True), lifetime=1.5)
            async with isolation.lock(StorageKey(bot_id=42, chat_id=7001, user_id=7001)):
                os.kill(os.getpid(), signal.SIGKILL)  # mid-update, nothing released

        asyncio.run(main())
    """)
    done = subprocess.run([sys.executable, "-c", child], cwd=Path(__file__).parent.parent,
                          capture_output=True, timeout=30, check=False)
    assert done.returncode == -9, done.stderr.decode()
    name = DefaultKeyBuilder(prefix=redis_prefix, with_destiny=True).build(KEY, "lock")
    left = await redis.pttl(name)
    assert 0 < left <= 1500  # the dead worker's lock is there, with its short lifetime
    begin = time.monotonic()
    async with _isolation(redis, redis_prefix).lock(KEY):
        waited = time.monotonic() - begin
    assert left / 1000 - 0.5 < waited < left / 1000 + 0.5


async def test_a_long_handler_keeps_its_lock_past_many_lifetimes(
        redis: Redis, redis_prefix: str) -> None:
    isolation = _isolation(redis, redis_prefix)
    name = isolation.key_builder.build(KEY, "lock")
    order: list[str] = []

    async def long_handler() -> None:
        async with isolation.lock(KEY):
            order.append("first in")
            for _ in range(8):  # 2.4 s, four lifetimes
                await asyncio.sleep(LIFETIME / 2)
                assert 0 < await redis.pttl(name) <= LIFETIME * 1000
            order.append("first out")

    async def double_tap() -> None:
        await asyncio.sleep(0.1)
        async with isolation.lock(KEY):
            order.append("second in")

    await asyncio.gather(long_handler(), double_tap())
    assert order == ["first in", "first out", "second in"]
    assert await redis.exists(name) == 0  # released, not left to expire


async def test_an_update_ending_mid_renewal_lets_the_renewal_finish_then_releases(
        redis: Redis, redis_prefix: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The renewer is stopped, never cancelled mid-command (bot/user_lock.py's module doc): the
    update ends while a renewal is on its way to Redis, the renewal completes, then the lock is
    released and the next update of the user gets in at once."""
    isolation = _isolation(redis, redis_prefix)
    name = isolation.key_builder.build(KEY, "lock")
    in_flight, may_answer = asyncio.Event(), asyncio.Event()
    renewals: list[str] = []
    reacquire = Lock.reacquire

    async def slow_reacquire(self: Lock) -> bool:
        in_flight.set()
        try:
            await may_answer.wait()  # the round trip, held open by the test
        except asyncio.CancelledError:
            renewals.append("cancelled")
            raise
        renewals.append("done")
        return await reacquire(self)

    monkeypatch.setattr(Lock, "reacquire", slow_reacquire)

    async def update() -> None:
        async with isolation.lock(KEY):
            await in_flight.wait()  # the update ends while the renewal is in flight

    ending = asyncio.create_task(update())
    await in_flight.wait()
    await asyncio.sleep(0.05)
    assert not ending.done()  # waits for the renewal rather than cutting it off
    may_answer.set()
    await asyncio.wait_for(ending, 2)
    assert renewals == ["done"]
    assert await redis.exists(name) == 0
    begin = time.monotonic()
    async with isolation.lock(KEY):
        assert time.monotonic() - begin < 0.2


async def test_the_redis_client_lets_a_cancelled_command_end_its_task(redis: Redis) -> None:
    """Why pyproject.toml keeps redis-py below 8: on 8.1/8.2 a task cancelled while it sends a
    command could swallow the cancellation and run on, so a timed-out wait_for never returned."""
    for delay in [i / 10_000 for i in range(300)]:
        async def pings() -> None:
            while True:
                await redis.ping()
                await asyncio.sleep(0)

        task = asyncio.create_task(pings())
        await asyncio.sleep(delay % 0.003)
        task.cancel()
        done, _ = await asyncio.wait([task], timeout=1)  # wait() does not cancel again
        assert done, f"the task ran on after its cancel (delay {delay % 0.003:.4f} s)"


async def test_the_wait_for_a_busy_user_is_bounded(redis: Redis, redis_prefix: str) -> None:
    holder = _isolation(redis, redis_prefix)
    impatient = _isolation(redis, redis_prefix, wait=0.3)
    async with holder.lock(KEY):
        begin = time.monotonic()
        with pytest.raises(UserBusy):
            async with impatient.lock(KEY):
                pytest.fail("ran beside the holder")
        assert time.monotonic() - begin < 1.0


async def test_the_dispatcher_on_redis_uses_the_renewed_lock(
        db_url: str, redis_url: str, redis_prefix: str, tmp_path: Path) -> None:
    harness = await Harness.create(db_url, var_dir=tmp_path / "var", redis_url=redis_url,
                                   redis_prefix=redis_prefix)
    try:
        assert isinstance(harness.dispatcher.fsm.events_isolation, RenewedRedisIsolation)
        assert "招录助手" in (await harness.send("/start")).text
    finally:
        await harness.close()


async def test_the_lock_is_taken_with_the_users_state_and_data_read_along(
        db_url: str, redis: Redis, redis_url: str, redis_prefix: str, tmp_path: Path) -> None:
    """One round trip takes the lock and reads the user's state and data: after it, the update
    reads them from what came along, not from Redis again (so a value changed in Redis after
    the lock was taken is not seen), and the lock's key is under the deployment's prefix."""
    harness = await Harness.create(db_url, var_dir=tmp_path / "var", redis_url=redis_url,
                                   redis_prefix=redis_prefix)
    try:
        storage, isolation = harness.dispatcher.storage, harness.dispatcher.fsm.events_isolation
        await storage.set_state(KEY, "Registration:name")
        await storage.set_data(KEY, {"campaign": "xiaogan-2023"})
        with fsm_reads_cached():
            async with isolation.lock(KEY):
                lock_name = storage.key_builder.build(KEY, "lock")
                assert lock_name.startswith(f"{redis_prefix}:")
                assert await redis.exists(lock_name) == 1
                await redis.set(storage.key_builder.build(KEY, "state"), "Changed:behind")
                assert await storage.get_state(KEY) == "Registration:name"
                assert await storage.get_data(KEY) == {"campaign": "xiaogan-2023"}
        assert await redis.exists(lock_name) == 0
        with fsm_reads_cached():  # the next update reads afresh
            assert await storage.get_state(KEY) == "Changed:behind"
    finally:
        await harness.close()


async def test_a_busy_first_try_waits_and_then_reads_from_redis(
        db_url: str, redis: Redis, redis_url: str, redis_prefix: str, tmp_path: Path) -> None:
    harness = await Harness.create(db_url, var_dir=tmp_path / "var", redis_url=redis_url,
                                   redis_prefix=redis_prefix)
    try:
        storage, isolation = harness.dispatcher.storage, harness.dispatcher.fsm.events_isolation
        await storage.set_state(KEY, "Eligibility:education")
        order: list[str] = []

        async def second() -> None:
            await asyncio.sleep(0.05)
            with fsm_reads_cached():
                async with isolation.lock(KEY):
                    order.append(await storage.get_state(KEY) or "")

        async def first() -> None:
            async with isolation.lock(KEY):
                await asyncio.sleep(0.3)  # the second's first try meets the lock taken
                await storage.set_state(KEY, "Eligibility:work")
                order.append("first done")

        await asyncio.gather(first(), second())
        assert order == ["first done", "Eligibility:work"]  # read after the wait, not before
    finally:
        await harness.close()
