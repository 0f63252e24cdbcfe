"""Roles through the real Dispatcher: the gate, forged buttons, invitations, revocation, menus.

Whoever is not staff meets exactly what an applicant meets for any unknown command or button;
staff of one base cannot touch another base's work; a revocation bites at the next update.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from storage import announcements as ann_repo
from storage import audit
from storage.staff import (
    ADMIN,
    COORDINATOR,
    access_of,
    create_invite,
    list_grants,
    revoke,
)
from tests.harness import Harness
from tests.staff_helpers import ADMIN as ADMIN_ID
from tests.staff_helpers import (
    ANLU_STAFF,
    COORD,
    HANCHUAN_STAFF,
    OUTSIDER,
    XG,
    choose,
    compose,
    copies,
    send_now,
    tick,
)

# Every staff action, with data that would be valid for the right person (announcement #1).
ACTIONS = ["home", "hist", "log", "ppl", "new:0:", f"new:0:{XG}", "aud:1:everyone",
           "base:1:*", "base:1:hanchuan", "build:1:", "prev:1:", "opts:1:", "urg:1:",
           "urgok:1:", "now:1:", "day:1:", "day:1:20230510", "time:1:202305101500", "ok:1:now",
           "ok:1:202305101500", "drop:1:", "stop:1:", "stopok:1:", "keep:1:", "inv:0:", "inv:2:",
           f"inv:2:{XG}", f"inv:3:{XG}", "invb:3:hanchuan", "rv:0:1", "rvok:0:1"]


def staff_data(action: str) -> str:
    name, _, rest = action.partition(":")
    ann, _, arg = rest.partition(":")
    return f"sf:{name}:{ann or 0}:{arg}"




async def _ordinary(h: Harness, user: int, data: str) -> list:
    """What an applicant gets for a button nobody knows: the stale-button alert, nothing else."""
    calls = await h.press_data(data, user)
    return [(c.method, c.params.get("text")) for c in calls]


STALE = [("answerCallbackQuery", "这个按钮已失效，请重新打开菜单：/menu")]


async def _state(h: Harness) -> tuple[list, list]:
    async with h.services.sessionmaker() as session:
        announcement = await ann_repo.get(session, announcement_id=1)
        entries = await audit.latest(session, limit=100)
    return [announcement.status, announcement.audience, announcement.base_id,
            announcement.urgent], [(e.action, e.actor_id) for e in entries]


@pytest.mark.parametrize("action", ACTIONS)
async def test_forged_staff_buttons_from_a_non_staff_user_meet_the_ordinary_fallback(
        staffed: Harness, action: str) -> None:
    h = staffed
    await compose(h, HANCHUAN_STAFF)  # announcement #1 exists, a draft
    before = await _state(h)
    await h.send("/start xiaogan-2023", OUTSIDER)
    assert await _ordinary(h, OUTSIDER, staff_data(action)) == STALE
    assert await _state(h) == before


@pytest.mark.parametrize("action", ACTIONS)
async def test_forged_buttons_from_staff_of_another_base_change_nothing(
        staffed: Harness, action: str) -> None:
    h = staffed
    await compose(h, HANCHUAN_STAFF)
    before = await _state(h)
    calls = await h.press_data(staff_data(action), ANLU_STAFF)
    if action.split(":")[0] in ("home", "hist", "log", "new"):
        assert calls.methods()[0] == "answerCallbackQuery"  # their own menu: allowed
    else:
        assert [(c.method, c.params.get("text")) for c in calls] == STALE
    assert await _state(h) == before


async def test_a_sent_announcement_can_be_stopped_only_within_scope(staffed: Harness) -> None:
    h = staffed
    await compose(h, HANCHUAN_STAFF)
    await choose(h, HANCHUAN_STAFF, "preregistered")
    await send_now(h, HANCHUAN_STAFF)
    assert await _ordinary(h, ANLU_STAFF, "sf:stopok:1:") == STALE
    assert await _ordinary(h, OUTSIDER, "sf:stopok:1:") == STALE
    calls = await h.press_data("sf:stopok:1:", COORD)  # the coordinator covers every base
    assert any("停止" in c.text for c in calls)


async def test_a_draft_belongs_to_its_author(staffed: Harness) -> None:
    h = staffed
    await compose(h, HANCHUAN_STAFF)
    assert await _ordinary(h, COORD, "sf:ok:1:now") == STALE
    assert await _ordinary(h, ADMIN_ID, "sf:aud:1:everyone") == STALE


async def test_staff_command_from_a_non_staff_user_is_an_unknown_command(staffed: Harness) -> None:
    h = staffed
    await h.send("/start xiaogan-2023", OUTSIDER)
    unknown = await h.send("/nonsense", OUTSIDER)
    staff = await h.send("/staff", OUTSIDER)
    assert [c.text for c in staff] == [c.text for c in unknown]
    assert "工作人员" not in staff.text


async def test_base_staff_cannot_choose_another_base(staffed: Harness) -> None:
    h = staffed
    await compose(h, HANCHUAN_STAFF)
    assert await _ordinary(h, HANCHUAN_STAFF, "sf:base:1:xiaogan_first") == STALE
    assert await _ordinary(h, HANCHUAN_STAFF, "sf:base:1:*") == STALE
    assert await _ordinary(h, HANCHUAN_STAFF, "sf:base:1:nowhere") == STALE


async def test_revocation_takes_effect_at_the_next_update_even_mid_flow(staffed: Harness) -> None:
    h = staffed
    await h.send("/staff", COORD)
    await h.press("📢 发通知", COORD)  # now waiting for the announcement's message
    async with h.services.sessionmaker() as session, session.begin():
        grant = (await list_grants(session, campaign_slug=XG))[0]
        assert grant.telegram_id == COORD
        await revoke(session, grant_id=grant.id, by=None, now=h.clock.now())
    calls = await h.send("明天上午资格审核", COORD)
    assert "【" not in calls.text  # not taken as an announcement: answered as a question
    assert await h.driver.dispatcher.storage.get_state(_key(h, COORD)) is None
    assert await _ordinary(h, COORD, "sf:home:0:") == STALE
    calls = await h.send("/staff", COORD)
    assert "工作人员菜单" not in calls.text


def _key(h: Harness, user: int):  # noqa: ANN202
    from aiogram.fsm.storage.base import StorageKey

    return StorageKey(bot_id=h.bot.id, chat_id=user, user_id=user)


async def test_a_draft_author_revoked_mid_flow_loses_the_next_step(staffed: Harness) -> None:
    h = staffed
    await compose(h, HANCHUAN_STAFF)
    await choose(h, HANCHUAN_STAFF, "preregistered")
    await h.press("👁 预览", HANCHUAN_STAFF)
    async with h.services.sessionmaker() as session, session.begin():
        access = await access_of(session, telegram_id=HANCHUAN_STAFF)
        await revoke(session, grant_id=access.grants[0].id, by=COORD, now=h.clock.now())
    calls = await h.press("🚀 立即发送", HANCHUAN_STAFF)
    assert [(c.method, c.params.get("text")) for c in calls] == STALE
    assert copies(await tick(h)) == []


async def test_invitation_by_chat_admin_to_coordinator_to_base_staff(staffed: Harness) -> None:
    h = staffed
    await h.send("/staff", ADMIN_ID)
    await h.press("👥 人员与邀请", ADMIN_ID)
    calls = await h.press("➕ 邀请", ADMIN_ID)
    assert set(calls.labels) >= {"管理员", "协调员", "基地工作人员"}
    await h.press("协调员", ADMIN_ID)
    calls = await h.press("福建省 2023 助理全科医生培训（社会人）", ADMIN_ID)
    link = calls.text.split("https://t.me/zhaolu_bot?start=")[1].split()[0]
    assert link.startswith("staff-") and len(link) <= 64
    new = 5001
    calls = await h.send(f"/start {link}", new)
    assert "协调员" in calls.text and "福建省" in calls.text
    menu = [c for c in calls if c.method == "setMyCommands"]
    assert menu and menu[0].params["scope"] == {"type": "chat", "chat_id": new}
    assert "staff" in [c["command"] for c in menu[0].params["commands"]]
    again = await h.send(f"/start {link}", 5002)
    assert "已经被使用过" in again.text
    # The new coordinator invites base staff of Fujian? Fujian lists no bases.
    await h.send("/staff", new)
    await h.press("👥 人员与邀请", new)
    calls = await h.press("➕ 邀请", new)
    assert calls.labels[:1] == ["基地工作人员"] and "协调员" not in calls.labels
    calls = await h.press("基地工作人员", new)  # their one campaign, which lists no bases
    assert "没有列出培训基地" in calls.text


async def test_a_coordinator_invites_base_staff_of_their_campaign_only(staffed: Harness) -> None:
    h = staffed
    await h.send("/staff", COORD)
    await h.press("👥 人员与邀请", COORD)
    await h.press("➕ 邀请", COORD)
    calls = await h.press("基地工作人员", COORD)
    assert "汉川市人民医院" in calls.labels  # their one campaign: no campaign to pick
    calls = await h.press("汉川市人民医院", COORD)
    token = calls.text.split("start=")[1].split()[0]
    calls = await h.send(f"/start {token}", 5003)
    assert "基地工作人员" in calls.text and "汉川市人民医院" in calls.text
    assert await _ordinary(h, COORD, "sf:inv:2:") == STALE  # a coordinator: not by a coordinator
    assert await _ordinary(h, COORD, "sf:inv:3:fujian-2023") == STALE


async def test_expired_used_and_unknown_links(staffed: Harness) -> None:
    h = staffed
    async with h.services.sessionmaker() as session, session.begin():
        _, token = await create_invite(session, role=COORDINATOR, campaign_slug=XG, base_id=None,
                                       created_by=None, now=h.clock.now(), hours=1)
    h.clock.set(h.clock.now() + timedelta(hours=2))
    calls = await h.send(f"/start staff-{token}", 5004)
    assert "已于" in calls.text and "过期" in calls.text
    calls = await h.send("/start staff-NotARealTokenAtAll1234", 5004)
    assert "链接里的招录项目未找到" in calls.text  # as any unknown link: nothing revealed
    async with h.services.sessionmaker() as session:
        assert await access_of(session, telegram_id=5004) is None


async def test_revoke_in_chat_clears_the_menu_and_is_audited(staffed: Harness) -> None:
    h = staffed
    await h.send("/staff", ADMIN_ID)
    calls = await h.press("👥 人员与邀请", ADMIN_ID)
    revoke_label = next(label for label in calls.labels if label.startswith("撤销"))
    calls = await h.press(revoke_label, ADMIN_ID)
    assert "确定撤销" in calls.text
    calls = await h.press("确定撤销", ADMIN_ID)
    assert "已撤销" in calls.text
    cleared = [c for c in calls if c.method == "deleteMyCommands"]
    assert len(cleared) == 1
    async with h.services.sessionmaker() as session:
        entries = await audit.latest(session)
    assert entries[0].action == "staff.revoke" and entries[0].actor_id == ADMIN_ID


async def test_cli_revocation_reaches_the_menu_at_the_next_tick(staffed: Harness) -> None:
    h = staffed
    await h.send("/start staff-x", COORD)  # COORD has written: Telegram knows the chat
    first = await tick(h)
    assert {int(c.params["scope"]["chat_id"]) for c in first if c.method == "setMyCommands"} \
        >= {COORD}
    async with h.services.sessionmaker() as session, session.begin():
        grant = (await list_grants(session, campaign_slug=XG))[0]
        await revoke(session, grant_id=grant.id, by=None, now=h.clock.now())
    calls = await tick(h)
    assert [int(c.params["scope"]["chat_id"]) for c in calls if c.method == "deleteMyCommands"] \
        == [COORD]
    assert not [c for c in await tick(h) if "MyCommands" in c.method]


async def test_env_admins_every_start_and_the_old_name(db_url: str, tmp_path, caplog) -> None:
    var = tmp_path / "var"
    h = await Harness.create(db_url, var_dir=var, admins=[7001, 7002])
    async with h.services.sessionmaker() as session:
        assert {g.telegram_id for g in await list_grants(session)} == {7001, 7002}
    await h.close()
    with caplog.at_level(logging.WARNING):
        h = await Harness.create(db_url, var_dir=var, coordinators=[7002])
    assert any("ZHAOLU_COORDINATORS is deprecated" in r.message for r in caplog.records)
    async with h.services.sessionmaker() as session:
        active = await list_grants(session)
        entries = await audit.latest(session)
    assert [(g.telegram_id, g.role) for g in active] == [(7002, ADMIN)]
    assert entries[0].action == "staff.revoke" and "7001" in entries[0].detail
    await h.close()


async def test_a_staff_button_with_an_impossible_row_id_is_refused_as_stale(
        staffed: Harness) -> None:
    """A forged number beyond a 32-bit row id never reaches a query (PostgreSQL would refuse
    it): the press gets exactly what an applicant gets for a button nobody knows."""
    ordinary = await _ordinary(staffed, OUTSIDER, "zz:unknown")
    for action in ("stop", "rec", "ibx", "prev"):
        assert await _ordinary(staffed, ADMIN_ID, f"sf:{action}:{2**40}:") == ordinary
