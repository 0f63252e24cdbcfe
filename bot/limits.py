"""Telegram's sending limits as the sender keeps them: a global token bucket and per-chat turns.

Both take the clock (`monotonic`) and `sleep` as parameters, so tests can run them on a faster
clock; every bound holds on whatever clock they are given.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

Sleep = Callable[[float], Awaitable[None]]


class TokenBucket:
    """`rate` tokens a second, at most `burst` saved up; `pause` stops everyone for a while."""

    def __init__(self, rate: float, burst: float, *, monotonic: Callable[[], float],
                 sleep: Sleep) -> None:
        self.rate, self.burst = rate, max(burst, 1.0)
        self._monotonic, self._sleep = monotonic, sleep
        self._tokens, self._last, self.paused_until = 1.0, monotonic(), 0.0

    def pause(self, seconds: float) -> None:
        self.paused_until = max(self.paused_until, self._monotonic() + seconds)
        self._tokens = 0.0  # no burst right after a 429: start again at the steady rate

    async def acquire(self) -> None:
        while True:
            now = self._monotonic()
            if now < self.paused_until:
                await self._sleep(self.paused_until - now)
                continue
            elapsed = max(0.0, now - max(self._last, self.paused_until))
            self._tokens = min(self.burst, self._tokens + elapsed * self.rate)
            self._last = now
            if self._tokens >= 1.0 - 1e-9:  # float sums of fractions fall just short of 1
                self._tokens = max(0.0, self._tokens - 1.0)
                return
            await self._sleep((1.0 - self._tokens) / self.rate)


class ChatPacer:
    """At most one message per `interval` seconds to each chat.

    A chat's turn is held from the wait through the send, so its messages go in order, one at a
    time, and a pause of the global bucket (429) can never bunch two of them together.
    """

    def __init__(self, interval: float, *, monotonic: Callable[[], float], sleep: Sleep) -> None:
        self.interval = interval
        self._monotonic, self._sleep = monotonic, sleep
        self._last: dict[int, float] = {}
        self._turns: dict[int, asyncio.Lock] = {}

    @asynccontextmanager
    async def turn(self, chat_id: int) -> AsyncIterator[None]:
        lock = self._turns.setdefault(chat_id, asyncio.Lock())
        async with lock:
            last = self._last.get(chat_id)
            if last is not None and (wait := last + self.interval - self._monotonic()) > 0:
                await self._sleep(wait)
            yield
        if not lock.locked():
            self._turns.pop(chat_id, None)

    def sent(self, chat_id: int) -> None:
        """Call when a call to the chat has ended: its next turn counts from now.

        Counting from the end, not the start, keeps the next request a whole interval after this
        one whatever the time each took on the way. Skip it when Telegram refused the call (429,
        5xx): nothing reached the chat, so a retry waits only for its own backoff.
        """
        now = self._monotonic()
        if len(self._last) > 50_000:
            self._last = {c: t for c, t in self._last.items() if t + self.interval > now}
        self._last[chat_id] = now
