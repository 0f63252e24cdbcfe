"""The users repository: upsert on every update, chosen campaign, blocked users."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import event

from storage.types import SHANGHAI
from storage.users import (
    get_user,
    mark_blocked,
    reachable_user_ids,
    set_campaign,
    touch_user,
)

T0 = datetime(2023, 5, 4, 9, 0, tzinfo=SHANGHAI)
BIG_ID = 7_123_456_789  # Telegram ids no longer fit in 32 bits


async def _touch(session, user_id=BIG_ID, now=T0, **names):
    fields = {"first_name": "小明", "last_name": "王", "username": "xm"} | names
    return await touch_user(session, user_id=user_id, now=now, **fields)


async def test_touch_creates_then_refreshes_keeping_first_seen(sessionmaker):
    async with sessionmaker() as session:
        created = await _touch(session)
        await session.commit()
    assert (created.id, created.first_name, created.first_seen, created.last_seen) == (
        BIG_ID, "小明", T0, T0,
    )
    later = T0 + timedelta(days=2)
    async with sessionmaker() as session:
        await get_user(session, user_id=BIG_ID)  # already in the identity map: must be refreshed
        refreshed = await _touch(session, now=later, first_name="明", username=None)
        await session.commit()
    assert refreshed.first_seen == T0 and refreshed.last_seen == later
    assert (refreshed.first_name, refreshed.username) == ("明", None)
    async with sessionmaker() as session:
        stored = await get_user(session, user_id=BIG_ID)
    assert stored is not None and stored.last_seen == later and stored.first_name == "明"


async def test_repositories_do_not_commit(sessionmaker):
    async with sessionmaker() as session:
        await _touch(session)
        await session.rollback()
        assert await get_user(session, user_id=BIG_ID) is None


async def test_campaign_is_remembered_and_unknown_users_are_none(sessionmaker):
    async with sessionmaker() as session:
        assert await set_campaign(session, user_id=1, slug="xiaogan-2023") is None
        await _touch(session, user_id=1)
        user = await set_campaign(session, user_id=1, slug="xiaogan-2023")
        await session.commit()
    assert user is not None and user.campaign_slug == "xiaogan-2023"
    async with sessionmaker() as session:
        stored = await get_user(session, user_id=1)
        assert stored is not None and stored.campaign_slug == "xiaogan-2023"
        await set_campaign(session, user_id=1, slug=None)
        await session.commit()
    async with sessionmaker() as session:
        stored = await get_user(session, user_id=1)
    assert stored is not None and stored.campaign_slug is None


async def test_blocked_users_are_not_reachable_until_they_write_again(sessionmaker):
    async with sessionmaker() as session:
        for user_id in (3, 1, 2):
            await _touch(session, user_id=user_id)
        await set_campaign(session, user_id=1, slug="fujian-2023")
        await set_campaign(session, user_id=2, slug="fujian-2023")
        await session.commit()
    async with sessionmaker() as session:
        await mark_blocked(session, user_id=2, now=T0 + timedelta(hours=1))
        await mark_blocked(session, user_id=404, now=T0)  # unknown: nothing happens
        await session.commit()
    async with sessionmaker() as session:
        assert list(await reachable_user_ids(session)) == [1, 3]
        assert list(await reachable_user_ids(session, campaign_slug="fujian-2023")) == [1]
        blocked = await get_user(session, user_id=2)
        assert blocked is not None and blocked.blocked_at == T0 + timedelta(hours=1)
        await _touch(session, user_id=2, now=T0 + timedelta(hours=2))
        await session.commit()
    async with sessionmaker() as session:
        assert list(await reachable_user_ids(session, campaign_slug="fujian-2023")) == [1, 2]
        back = await get_user(session, user_id=2)
        assert back is not None and back.blocked_at is None and back.campaign_slug == "fujian-2023"


async def test_last_seen_is_written_only_when_minutes_old(sessionmaker):
    """Most updates write nothing (SQLite's one write lock stays free); a new user, new names,
    a blocked user writing again and a last_seen LAST_SEEN_EVERY old are still written."""
    from storage.users import LAST_SEEN_EVERY

    async def stored_last_seen():
        async with sessionmaker() as session:
            return (await get_user(session, user_id=BIG_ID)).last_seen

    async def touch_at(now, **names):
        """The statements the touch ran."""
        statements: list[str] = []
        engine = sessionmaker.kw["bind"].sync_engine

        def seen(_conn, _cursor, statement, *_args):
            statements.append(statement.split()[0].upper())

        event.listen(engine, "before_cursor_execute", seen)
        try:
            async with sessionmaker() as session:
                await _touch(session, now=now, **names)
                await session.commit()
        finally:
            event.remove(engine, "before_cursor_execute", seen)
        return statements

    assert "INSERT" in await touch_at(T0)
    soon = T0 + LAST_SEEN_EVERY - timedelta(seconds=1)
    assert await touch_at(soon) == ["SELECT"]
    assert await stored_last_seen() == T0
    await touch_at(soon, first_name="小明明")
    assert await stored_last_seen() == soon
    async with sessionmaker() as session:
        await mark_blocked(session, user_id=BIG_ID, now=soon)
        await session.commit()
    await touch_at(soon + timedelta(seconds=1), first_name="小明明")
    async with sessionmaker() as session:
        assert (await get_user(session, user_id=BIG_ID)).blocked_at is None
    late = soon + timedelta(seconds=1) + LAST_SEEN_EVERY
    await touch_at(late, first_name="小明明")
    assert await stored_last_seen() == late
