"""Two costs aiogram puts on every update, taken off (issue 15: webhook workers CPU-bound).

Measured by profiling a webhook worker of bench/workers.py (py-spy, GIL samples):

- **Response types rebuilt.** Each Bot API answer is read as ``Response[method.__returning__]``
  (aiogram's BaseSession.check_response). pydantic caches a parametrised generic model only
  weakly, and the class lives in reference cycles: every garbage collection drops it, and the
  next answer builds the model and its validator again (1–5 ms each; about 10% of a worker's
  CPU). :class:`PinResponseTypes` holds one strong reference per method class, so each is built
  once per process.
- **Filters run in threads.** aiogram runs any filter that is a plain function (``F.text``
  magic filters, FSM states, our predicates) through ``asyncio.to_thread``: a thread-pool round
  trip and two GIL hand-overs per check, and a message is checked against dozens of them on its
  way through the routers (about 10%). They are pure and take microseconds;
  :func:`run_filters_inline` makes them run in the event loop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiogram import Bot, Router
from aiogram.client.session.base import Response
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.dispatcher.event.handler import CallableObject
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType

_PINNED: dict[type, Any] = {}


class PinResponseTypes(BaseRequestMiddleware):
    """Keeps ``Response[T]`` of every method called alive for the process (see the module)."""

    async def __call__(self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot,
                       method: TelegramMethod[TelegramType]) -> Response[TelegramType]:
        kind = type(method)
        if kind not in _PINNED:
            _PINNED[kind] = Response[method.__returning__]  # type: ignore[name-defined]
        return await make_request(bot, method)


def pin_response_types(bot: Bot) -> None:
    """Register the middleware on `bot`'s session once (a session may serve several Bots)."""
    if not any(isinstance(m, PinResponseTypes) for m in bot.session.middleware):
        bot.session.middleware(PinResponseTypes())


def _inline(function: Callable[..., Any]) -> Callable[..., Any]:
    async def run(*args: Any, **kwargs: Any) -> Any:
        return function(*args, **kwargs)

    return run


def _make_inline(item: CallableObject) -> None:
    if not item.awaitable:  # params and varkw stay those of the function itself
        item.callback = _inline(item.callback)
        item.awaitable = True


def run_filters_inline(router: Router) -> None:
    """Every plain-function filter of `router` and the routers below it runs in the event loop
    instead of a thread (see the module). Handlers are left as they are: all of ours are
    coroutines, and a plain-function handler may well be slow."""
    for observer in router.observers.values():
        for item in observer._handler.filters or []:  # the observer's own filters
            _make_inline(item)
        for handler in observer.handlers:
            for item in handler.filters or []:
                _make_inline(item)
    for child in router.sub_routers:
        run_filters_inline(child)
