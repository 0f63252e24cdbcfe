"""Pre-registrations in the database: encryption at rest, one per ID number, receipts, export."""

from __future__ import annotations

import asyncio
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import registrations as repo
from storage.eligibility import checks_of_user, save_check
from storage.registration_materials import add_material, materials_for
from storage.users import get_user, touch_user
from tests.registration_helpers import VAULT, applicant, id_number

NOW = datetime.fromisoformat("2023-05-10T10:00:00+08:00")
SLUG = "xiaogan-2023"


async def _create(session: AsyncSession, user_id: int, **changes) -> repo.Outcome:
    return await repo.create(
        session, vault=VAULT, campaign_slug=SLUG, receipt_prefix="XG2023", user_id=user_id,
        applicant=applicant(**changes), verdict="eligible", conditions=[], now=NOW,
    )


async def test_created_with_sequential_receipts_and_the_id_encrypted(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with sessionmaker() as session:
        first = await _create(session, 1)
        second = await _create(session, 2, id_number=id_number("42090219980202123"))
        await session.commit()
    assert first.kind == second.kind == "created"
    assert [first.registration.receipt_no, second.registration.receipt_no] == [
        "XG2023-0001", "XG2023-0002"]
    async with sessionmaker() as session:
        raw = (await session.exec(text("SELECT * FROM registrations"))).mappings().all()
    dumped = repr(raw)
    assert id_number() not in dumped and id_number()[6:14] not in dumped
    row = next(r for r in raw if r["user_id"] == 1)
    assert VAULT.decrypt(row["id_cipher"]) == id_number()
    assert row["id_masked"] == id_number()[:4] + "*" * 10 + id_number()[-4:]


async def test_same_id_same_user_is_the_existing_one_other_user_is_refused(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with sessionmaker() as session:
        created = await _create(session, 1)
        again = await _create(session, 1, phone="13900000000")
        other = await _create(session, 2, name="李四")
        await session.commit()
    assert (again.kind, again.registration.id) == ("existing", created.registration.id)
    assert (other.kind, other.registration.user_id) == ("taken", 1)
    async with sessionmaker() as session:
        assert len(await repo.active_for_export(session, campaign_slug=SLUG)) == 1


async def test_concurrent_confirms_register_once(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """Two updates in flight at once (a double tap, or two accounts): one row, no error."""
    async with sessionmaker() as first, sessionmaker() as second:
        winner = await _create(first, 1)

        async def late() -> repo.Outcome:
            outcome = await _create(second, 2)
            await second.commit()
            return outcome

        loser = asyncio.create_task(late())
        await asyncio.sleep(0.2)  # the second insert now waits for the first transaction
        await first.commit()
        outcome = await loser
    assert winner.kind == "created" and outcome.kind == "taken"
    async with sessionmaker() as session:
        rows = await repo.active_for_export(session, campaign_slug=SLUG)
        # The loser's receipt number went back with its savepoint: numbers stay gapless.
        third = await _create(session, 3, id_number=id_number("35010219970303123"))
    assert [r.user_id for r in rows] == [1]
    assert third.registration.receipt_no == "XG2023-0002"


async def test_withdrawn_frees_the_id_and_export_lists_only_active(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with sessionmaker() as session:
        old = (await _create(session, 1)).registration
        await repo.set_status(session, registration=old, status=repo.WITHDRAWN, now=NOW)
        new = await _create(session, 2)
        official = (await _create(session, 3, id_number=id_number("35010219970303123"),
                                   base_choices=("anlu_puai",))).registration
        await repo.set_status(session, registration=official,
                              status=repo.OFFICIALLY_REGISTERED, now=NOW)
        await session.commit()
    assert new.kind == "created"
    async with sessionmaker() as session:
        everyone = await repo.active_for_export(session, campaign_slug=SLUG)
        anlu = await repo.active_for_export(session, campaign_slug=SLUG, base_id="anlu_puai")
        other = await repo.active_for_export(session, campaign_slug="fujian-2023")
    assert [r.user_id for r in everyone] == [2, 3]
    assert [r.user_id for r in anlu] == [3]
    assert other == []


async def test_update_refuses_an_id_held_by_another(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with sessionmaker() as session:
        mine = (await _create(session, 1)).registration
        await _create(session, 2, id_number=id_number("35010219970303123"))
        taken = await repo.update(
            session, vault=VAULT, registration=mine,
            applicant=applicant(id_number=id_number("35010219970303123")),
            verdict="eligible", conditions=[], now=NOW)
        changed = await repo.update(
            session, vault=VAULT, registration=mine, applicant=applicant(phone="13900001111"),
            verdict="conditional", conditions=["由委托培训单位选送"], now=NOW)
        await session.commit()
    assert taken.kind == "taken"
    assert changed.kind == "created"
    assert (mine.phone, mine.verdict, VAULT.decrypt(mine.id_cipher)) == (
        "13900001111", "conditional", id_number())


async def test_delete_user_data_erases_registrations_and_materials(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with sessionmaker() as session:
        for user_id in (1, 2):
            await touch_user(session, user_id=user_id, first_name="张", last_name=None,
                             username=None, now=NOW)
            await save_check(session, user_id=user_id, campaign_slug=SLUG,
                             profile={"education": "专科"}, verdict="eligible", rules=[],
                             now=NOW)
        mine = (await _create(session, 1)).registration
        await _create(session, 2, id_number=id_number("35010219970303123"))
        await add_material(session, registration=mine, rule_id="id_card", file_id="F",
                                file_unique_id="U", mime_type="image/jpeg",
                                size_bytes=1000, problems=[], now=NOW)
        await session.commit()
    async with sessionmaker() as session:
        assert await repo.delete_user_data(session, user_id=1) == 1
        await session.commit()
    async with sessionmaker() as session:
        assert await repo.list_for_user(session, user_id=1) == []
        assert len(await repo.list_for_user(session, user_id=2)) == 1
        assert await materials_for(session, registration_id=mine.id) == []
        # Every table with a user_id, and the user row: not only this feature's data.
        assert await checks_of_user(session, user_id=1) == []
        assert len(await checks_of_user(session, user_id=2)) == 1
        assert await get_user(session, user_id=1) is None
        assert await get_user(session, user_id=2) is not None
