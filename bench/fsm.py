"""Updates/s through a real Dispatcher for a 3-step form: SqlStorage (SQLite) vs MemoryStorage.

Same handlers, same updates, no network (the recording session answers sendMessage). Each user
sends /form and three answers; every step sets the state and updates the data, the last clears
them. Target: SqlStorage at >= 50% of MemoryStorage.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.types import Chat, Message, Update, User

from bot.recording import RecordingSession
from storage.engine import create_engine, make_sessionmaker, prepare_database
from storage.fsm import SqlStorage, bind_session

USERS = 150
ANSWERS = ("/form", "张三", "23", "孝感市中心医院")
TARGET = 0.5


class Form(StatesGroup):
    name = State()
    age = State()
    base = State()


async def _start(message: Message, state: FSMContext) -> None:
    await state.set_state(Form.name)
    await message.answer("请输入姓名")


async def _name(message: Message, state: FSMContext) -> None:
    await state.update_data(name=message.text)
    await state.set_state(Form.age)
    await message.answer("请输入年龄")


async def _age(message: Message, state: FSMContext) -> None:
    await state.update_data(age=message.text)
    await state.set_state(Form.base)
    await message.answer("请选择基地")


async def _base(message: Message, state: FSMContext) -> None:
    data = await state.update_data(base=message.text)
    await state.clear()
    await message.answer(f"已记录：{data['name']}，{data['age']}，{data['base']}")


def _router() -> Router:
    router = Router()
    router.message.register(_start, F.text == "/form")
    router.message.register(_name, F.text, Form.name)
    router.message.register(_age, F.text, Form.age)
    router.message.register(_base, F.text, Form.base)
    return router


def _updates(round_no: int) -> list[Update]:
    """Users take turns step by step, as real traffic interleaves them."""
    when = datetime(2023, 5, 10, 2, 0, tzinfo=UTC)
    updates = []
    for step, text in enumerate(ANSWERS):
        for user_id in range(1, USERS + 1):
            chat = Chat(id=user_id, type="private")
            sender = User(id=user_id, is_bot=False, first_name="用户")
            message = Message(message_id=step + 1, date=when, chat=chat, from_user=sender,
                              text=text)
            updates.append(Update(update_id=round_no * 10_000 + len(updates), message=message))
    return updates


class _UnitOfWork:
    """What the bot's per-update middleware does: one session per update, bound, one commit."""

    def __init__(self, sessionmaker: Any) -> None:
        self.sessionmaker = sessionmaker

    async def __call__(self, handler: Callable[..., Awaitable[Any]], event: Any,
                       data: dict[str, Any]) -> Any:
        async with self.sessionmaker() as session:
            with bind_session(session):
                result = await handler(event, data)
            await session.commit()
            return result


async def _rate(storage: BaseStorage, middleware: Any = None, rounds: int = 3) -> float:
    dispatcher = Dispatcher(storage=storage)
    if middleware is not None:
        dispatcher.update.outer_middleware(middleware)
    dispatcher.include_router(_router())
    session = RecordingSession()
    bot = Bot(token="42:BENCH", session=session)
    rates = []
    for round_no in range(rounds + 1):  # the first round warms caches up and is not counted
        updates = _updates(round_no)
        begin = time.perf_counter()
        for update in updates:
            await dispatcher.feed_update(bot, update)
        if round_no:
            rates.append(len(updates) / (time.perf_counter() - begin))
    assert len(session.calls) == len(ANSWERS) * USERS * (rounds + 1), "a handler did not answer"
    assert await storage.get_state(_any_key(bot)) is None, "the form did not finish"
    return statistics.median(rates)


def _any_key(bot: Bot) -> Any:
    from aiogram.fsm.storage.base import StorageKey

    return StorageKey(bot_id=bot.id, chat_id=1, user_id=1)


async def _measure(storage: BaseStorage, middleware: Any = None) -> float:
    try:
        return await _rate(storage, middleware)
    finally:
        await storage.close()


async def _run(directory: Path) -> tuple[float, float, float]:
    memory = await _rate(MemoryStorage())
    engine = create_engine(f"sqlite+aiosqlite:///{(directory / 'bench.db').as_posix()}")
    try:
        await prepare_database(engine)
        alone = await _measure(SqlStorage(engine))
        in_session = await _measure(SqlStorage(engine), _UnitOfWork(make_sessionmaker(engine)))
    finally:
        await engine.dispose()
    return memory, alone, in_session


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="zhaolu-bench-") as scratch:
        memory, alone, in_session = asyncio.run(_run(Path(scratch)))
    ratio = alone / memory
    verdict = "ok" if ratio >= TARGET else "BELOW TARGET"
    print(f"fsm 3-step form, MemoryStorage: {memory:.0f} updates/s")
    print(f"fsm 3-step form, SqlStorage on SQLite: {alone:.0f} updates/s "
          f"= {ratio:.0%} of memory (target >= {TARGET:.0%}: {verdict})")
    print(f"fsm 3-step form, SqlStorage bound to a session per update, as the bot runs it "
          f"(the session and commit it pays anyway): {in_session:.0f} updates/s "
          f"= {in_session / memory:.0%} of memory")


if __name__ == "__main__":
    main()
