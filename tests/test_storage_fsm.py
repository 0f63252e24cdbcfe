"""FSM storage behaviour, the same suite for SqlStorage (SQLite, PostgreSQL) and RedisStorage."""

from __future__ import annotations

from collections.abc import AsyncIterator

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
    record_key,
    redis_key_builder,
)

KEY = StorageKey(bot_id=42, chat_id=1001, user_id=1001)


class Form(StatesGroup):
    name = State()
    age = State()


@pytest.fixture(params=["sql", "redis"])
async def storage(request, db_url) -> AsyncIterator[BaseStorage]:
    if request.param == "sql":
        engine = create_engine(db_url)
        await prepare_database(engine)
        yield SqlStorage(engine)
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
    finally:
        await second.dispose()


async def test_a_bound_session_makes_fsm_writes_part_of_its_transaction(engine):
    storage = SqlStorage(engine)
    sessionmaker = make_sessionmaker(engine)
    async with sessionmaker() as session:
        with bind_session(session):
            await storage.set_state(KEY, Form.name)
            await storage.update_data(KEY, {"step": 1})
            assert await storage.get_state(KEY) == "Form:name"  # reads its own writes
        await session.rollback()  # the handler failed
    assert await storage.get_state(KEY) is None
    async with sessionmaker() as session:
        with bind_session(session):
            await storage.set_state(KEY, Form.age)
        await session.commit()
    assert await storage.get_state(KEY) == "Form:age"


def test_build_fsm_storage_picks_redis_only_when_configured(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'z.db'}")
    assert isinstance(build_fsm_storage(Settings(redis_url=None), engine), SqlStorage)
    redis = build_fsm_storage(Settings(redis_url="redis://127.0.0.1:1/0"), engine)
    assert isinstance(redis, RedisStorage)
    assert redis.key_builder.build(KEY, "state") == "fsm:42:1001:1001:default:state"
