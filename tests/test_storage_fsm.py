"""FSM storage behaviour, the same suite for SqlStorage (SQLite, PostgreSQL) and RedisStorage."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import BaseStorage, StorageKey
from aiogram.fsm.storage.redis import RedisStorage

from bot.settings import Settings
from storage.engine import create_engine, make_sessionmaker, prepare_database
from storage.fsm import (
    SqlStorage,
    bind_session,
    build_fsm_storage,
    fsm_reads_cached,
    record_key,
    redis_key_builder,
)
from storage.types import SHANGHAI
from storage.users import touch_user

KEY = StorageKey(bot_id=42, chat_id=1001, user_id=1001)


class Form(StatesGroup):
    name = State()
    age = State()


@pytest.fixture(params=["sql", "redis"])
async def storage(request, db_url) -> AsyncIterator[BaseStorage]:
    if request.param == "sql":
        engine = create_engine(db_url)
        await prepare_database(engine)
        sql = SqlStorage(engine)
        yield sql
        await sql.close()
        await engine.dispose()
        return
    if "sqlite" not in db_url:  # Redis once is enough, not once per database
        pytest.skip("Redis runs with the SQLite parameter only")
    prefix = request.getfixturevalue("redis_prefix")
    redis = RedisStorage.from_url(
        request.getfixturevalue("redis_url"),
        key_builder=redis_key_builder(prefix),
    )
    yield redis
    await redis.close()


async def test_state_is_set_read_and_cleared(storage):
    assert await storage.get_state(KEY) is None
    await storage.set_state(KEY, Form.name)
    assert await storage.get_state(KEY) == "Form:name"
    await storage.set_state(KEY, "Form:age")
    assert await storage.get_state(KEY) == "Form:age"
    await storage.set_state(KEY, None)
    assert await storage.get_state(KEY) is None


async def test_data_is_replaced_updated_and_copied(storage):
    assert await storage.get_data(KEY) == {}
    await storage.set_data(KEY, {"name": "张三", "choices": ["孝感市中心医院", 2]})
    got = await storage.get_data(KEY)
    assert got == {"name": "张三", "choices": ["孝感市中心医院", 2]}
    got["name"] = "changed outside"
    assert (await storage.get_data(KEY))["name"] == "张三"
    assert await storage.update_data(KEY, {"age": 23}) == {
        "name": "张三", "choices": ["孝感市中心医院", 2], "age": 23,
    }
    assert await storage.get_value(KEY, "age") == 23
    assert await storage.get_value(KEY, "missing", "默认") == "默认"
    await storage.set_data(KEY, {})
    assert await storage.get_data(KEY) == {}


async def test_state_and_data_are_independent(storage):
    await storage.set_data(KEY, {"a": 1})
    assert await storage.get_state(KEY) is None
    await storage.set_state(KEY, Form.age)
    assert await storage.get_data(KEY) == {"a": 1}
    await storage.set_state(KEY, None)
    assert await storage.get_data(KEY) == {"a": 1}


@pytest.mark.parametrize(
    "other",
    [
        StorageKey(bot_id=42, chat_id=1001, user_id=1002),
        StorageKey(bot_id=42, chat_id=-100_123, user_id=1001),  # a group, same user
        StorageKey(bot_id=43, chat_id=1001, user_id=1001),
        StorageKey(bot_id=42, chat_id=1001, user_id=1001, thread_id=7),
        StorageKey(bot_id=42, chat_id=1001, user_id=1001, business_connection_id="bc1"),
        StorageKey(bot_id=42, chat_id=1001, user_id=1001, destiny="reminders"),
    ],
    ids=["user", "chat", "bot", "thread", "business", "destiny"],
)
async def test_every_part_of_the_key_isolates(storage, other):
    await storage.set_state(KEY, Form.name)
    await storage.set_data(KEY, {"who": "key"})
    assert await storage.get_state(other) is None
    assert await storage.get_data(other) == {}
    await storage.set_state(other, Form.age)
    await storage.set_data(other, {"who": "other"})
    assert await storage.get_state(KEY) == "Form:name"
    assert await storage.get_data(KEY) == {"who": "key"}
    assert await storage.get_data(other) == {"who": "other"}


def test_record_keys_do_not_collide():
    keys = {
        record_key(StorageKey(bot_id=1, chat_id=23, user_id=4)),
        record_key(StorageKey(bot_id=12, chat_id=3, user_id=4)),
        record_key(StorageKey(bot_id=1, chat_id=2, user_id=34)),
        record_key(StorageKey(bot_id=1, chat_id=2, user_id=3, thread_id=4)),
        record_key(StorageKey(bot_id=1, chat_id=2, user_id=3, destiny="4")),
    }
    assert len(keys) == 5


async def test_state_survives_a_restart_on_the_same_database(db_url):
    first = create_engine(db_url)
    await prepare_database(first)
    old = SqlStorage(first)
    await old.set_state(KEY, Form.age)
    await old.update_data(KEY, {"name": "李四"})
    await old.close()
    await first.dispose()

    second = create_engine(db_url)  # a new process: new engine, new storage, same database
    try:
        await prepare_database(second)
        new = SqlStorage(second)
        assert await new.get_state(KEY) == "Form:age"
        assert await new.get_data(KEY) == {"name": "李四"}
        await new.close()
    finally:
        await second.dispose()


@pytest.fixture
async def sql_storage(engine) -> AsyncIterator[SqlStorage]:
    storage = SqlStorage(engine)
    yield storage
    await storage.close()


async def test_a_bound_session_makes_fsm_writes_part_of_its_transaction(engine, sql_storage):
    sessionmaker = make_sessionmaker(engine)
    async with sessionmaker() as session:
        with bind_session(session):
            await sql_storage.set_state(KEY, Form.name)
            await sql_storage.update_data(KEY, {"step": 1})
            assert await sql_storage.get_state(KEY) == "Form:name"  # reads its own writes
        await session.rollback()  # the handler failed
    assert await sql_storage.get_state(KEY) is None
    async with sessionmaker() as session:
        with bind_session(session):
            await sql_storage.set_state(KEY, Form.age)
        assert await sql_storage.get_state(KEY) is None  # not committed yet
        await session.commit()
    assert await sql_storage.get_state(KEY) == "Form:age"


async def test_a_commit_inside_the_binding_starts_afresh(engine, sql_storage):
    async with make_sessionmaker(engine)() as session:
        with bind_session(session):
            await sql_storage.set_state(KEY, Form.name)
            await session.commit()
            await sql_storage.set_state(KEY, Form.age)
            await session.rollback()
            assert await sql_storage.get_state(KEY) == "Form:name"
    assert await sql_storage.get_state(KEY) == "Form:name"


async def test_fsm_writes_after_the_updates_own_write_do_not_wait(engine, sql_storage):
    """On SQLite a second connection would wait for the update's write lock (busy timeout)."""
    sessionmaker = make_sessionmaker(engine)
    moment = datetime(2023, 5, 10, 10, 0, tzinfo=SHANGHAI)
    async with sessionmaker() as session:
        await touch_user(session, user_id=1001, first_name="甲", last_name=None, username=None,
                         now=moment)
        with bind_session(session):
            await asyncio.wait_for(sql_storage.set_state(KEY, Form.name), timeout=2)
            await asyncio.wait_for(sql_storage.update_data(KEY, {"a": 1}), timeout=2)
        await session.commit()
    assert (await sql_storage.get_state(KEY), await sql_storage.get_data(KEY)) == (
        "Form:name", {"a": 1},
    )


async def test_closing_returns_the_connection_and_the_next_call_reopens(engine, sql_storage):
    await sql_storage.set_state(KEY, Form.name)
    await sql_storage.close()
    await sql_storage.close()  # twice is harmless
    assert await sql_storage.get_state(KEY) == "Form:name"


def test_build_fsm_storage_picks_redis_only_when_configured(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'z.db'}")
    assert isinstance(build_fsm_storage(Settings(redis_url=None), engine), SqlStorage)
    redis = build_fsm_storage(Settings(redis_url="redis://127.0.0.1:1/0"), engine)
    assert isinstance(redis, RedisStorage)
    assert redis.key_builder.build(KEY, "state") == "zhaolu:42:1001:1001:default:state"


@pytest.fixture
async def cached_redis(redis_url: str, redis_prefix: str, tmp_path) -> AsyncIterator[Any]:
    """build_fsm_storage's Redis storage, with every command it sends counted by name."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'z.db'}")
    storage = build_fsm_storage(Settings(redis_url=redis_url, redis_prefix=redis_prefix), engine)
    sent: list[str] = []
    real = storage.redis.execute_command

    async def counted(*args: Any, **options: Any) -> Any:
        sent.append(str(args[0]))
        return await real(*args, **options)

    storage.redis.execute_command = counted
    storage.sent = sent
    yield storage
    await storage.close()
    await engine.dispose()


async def test_within_an_update_reads_come_from_memory_and_unchanged_writes_stay_home(
        cached_redis):
    storage, sent = cached_redis, cached_redis.sent
    await storage.set_state(KEY, Form.name)
    await storage.set_data(KEY, {"name": "小周", "tags": ["a"]})
    sent.clear()
    with fsm_reads_cached():
        assert await storage.get_state(KEY) == "Form:name"
        data = await storage.get_data(KEY)
        data["tags"].append("changed by the caller")  # not what is kept
        assert await storage.get_state(KEY) == "Form:name"
        assert await storage.get_data(KEY) == {"name": "小周", "tags": ["a"]}
        assert sent == ["GET", "GET"]
        await storage.set_data(KEY, {"name": "小周", "tags": ["a"]})  # renews the expiry
        await storage.set_data(KEY, {"name": "小周", "tags": ["a"]})  # written already: no
        await storage.set_state(KEY, None)
        await storage.set_state(KEY, None)  # deleted already: no
        assert await storage.get_state(KEY) is None
        assert sent == ["GET", "GET", "SET", "DEL"]
    sent.clear()
    assert await storage.get_state(KEY) is None  # outside an update: Redis, every time
    assert await storage.get_data(KEY) == {"name": "小周", "tags": ["a"]}
    assert sent == ["GET", "GET"]


async def test_a_write_that_failed_is_read_back_from_redis(cached_redis):
    storage, sent = cached_redis, cached_redis.sent
    await storage.set_state(KEY, Form.name)
    with fsm_reads_cached():
        assert await storage.get_state(KEY) == "Form:name"
        real = storage.redis.execute_command

        async def refused(*args: Any, **options: Any) -> Any:
            raise ConnectionError("Redis went away")

        storage.redis.execute_command = refused
        with pytest.raises(ConnectionError):
            await storage.set_state(KEY, Form.age)
        storage.redis.execute_command = real
        sent.clear()
        assert await storage.get_state(KEY) == "Form:name"
        assert sent == ["GET"]
