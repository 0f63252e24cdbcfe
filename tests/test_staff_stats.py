"""/staff → 📊 统计 through the real Dispatcher: the figures on a seeded population, the viewer's
scope, the campaign picker, the chart as a photo, 🔄 刷新, double taps and forged buttons.

The population is tests/staff_helpers.py's (Xiaogan, ids 11–21; Fujian, 22) plus three more
registrations with the statuses staff set (审核未通过, 放弃) and one status id no release knows
yet; a self-check for 11 (ineligible). Pre-registration times are set across the window's first
week, one of them just after midnight Shanghai time (still the previous day in UTC).
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from PIL import Image
from sqlmodel import col, update

from bot.clock import parse_moment
from storage.eligibility import save_check
from storage.registrations import Registration
from storage.staff import BASE_STAFF, COORDINATOR
from tests.delivery_helpers import add_registration
from tests.harness import Calls, Harness
from tests.staff_helpers import (
    ADMIN,
    ANLU_STAFF,
    COORD,
    FJ,
    HANCHUAN_STAFF,
    OUTSIDER,
    XG,
    button_with,
    give_role,
    population,
    press_with,
)

STALE = [("answerCallbackQuery", "这个按钮已失效，请重新打开菜单：/menu")]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# When each registration was made (Shanghai); withdrawn 20 is in no day's count.
MADE = {13: "2023-05-04T00:30", 14: "2023-05-04T09:00", 15: "2023-05-08T10:00",
        16: "2023-05-08T11:00", 17: "2023-05-08T12:00", 18: "2023-05-08T13:00",
        20: "2023-05-09T09:00", 19: "2023-05-10T08:00", 21: "2023-05-10T08:10",
        23: "2023-05-10T08:20", 24: "2023-05-10T08:30", 25: "2023-05-10T08:40"}


@pytest.fixture
async def seeded(db_url: str, tmp_path) -> AsyncIterator[Harness]:
    h = await Harness.create(db_url, var_dir=tmp_path / "var", admins=[ADMIN])
    await population(h)
    sm = h.services.sessionmaker
    for uid, status, bases in ((23, "review_failed", ["anlu_puai"]),
                               (24, "gave_up", ["xiaogan_first"]),
                               (25, "some_future_status", ["hanchuan"])):
        await add_registration(sm, uid, XG, status, bases)
    async with sm() as session, session.begin():
        await save_check(session, user_id=11, campaign_slug=XG, profile={}, verdict="ineligible",
                         rules=["age"], now=h.clock.now())
        for uid, made in MADE.items():
            await session.exec(update(Registration).where(col(Registration.user_id) == uid)
                               .values(created_at=parse_moment(made)))
    await give_role(h, COORD, COORDINATOR, XG)
    await give_role(h, HANCHUAN_STAFF, BASE_STAFF, XG, "hanchuan")
    await give_role(h, ANLU_STAFF, BASE_STAFF, XG, "anlu_puai")
    yield h
    await h.close()


async def open_stats(h: Harness, user: int) -> Calls:
    await h.send("/staff", user)
    return await h.press("📊 统计", user)


async def tap(h: Harness, message: object, data: str) -> Calls:
    return h._checked(await h.driver.press_data(COORD, data, message))  # noqa: SLF001


def photos(calls: Calls) -> list:
    return [c for c in calls if c.method == "sendPhoto"]


def png_of(calls: Calls) -> bytes:
    """The bytes of the one photo the calls uploaded."""
    (photo,) = photos(calls)
    (data,) = photo.files.values()
    return data


def stats_text(calls: Calls) -> str:
    return next(c.text for c in calls if "报名漏斗" in c.text)


async def test_the_coordinator_sees_the_campaign_funnel_bases_and_days(seeded: Harness) -> None:
    h = seeded
    calls = await open_stats(h, COORD)  # one campaign: no picker
    assert calls.methods() == ["answerCallbackQuery", "editMessageText", "sendChatAction",
                               "sendPhoto"]
    text = stats_text(calls)
    for line in ("范围：整个项目 · 截至 2023-05-10 10:00",
                 "选择本项目 14", "资格自测 13（93%）", "符合条件 12（92%）",
                 "已预登记 11（92%）", "已官网报名 5（45%）", "审核通过 3（60%）",
                 "已录取 3（100%）", "已报到 1（33%）",
                 "其中：审核未通过 1 · 放弃 1 · 已撤回 1",
                 "孝感市第一人民医院：2 / 10\n", "汉川市人民医院：7 / 6（录取 2）",
                 "安陆市普爱医院：2 / 6（录取 1）", "合计：11 / 22",
                 "每日新增预登记</b>（5月4日—6月30日）",
                 "共 11 人；最多一天：5月10日 5 人；近 7 天 11 人。"):
        assert line in text, line
    assert len(text) <= 4096
    photo = photos(calls)[0]
    assert photo.params["caption"] == "📊 孝感市 2023 助理全科医生培训（西医） · 2023-05-10 10:00"
    assert [label for label, _ in photo.buttons] == ["🔄 刷新", "« 工作人员菜单"]
    png = png_of(calls)
    assert png.startswith(PNG_MAGIC) and 20_000 < len(png) < 300_000
    image = Image.open(io.BytesIO(png))
    image.load()
    assert image.format == "PNG" and image.width == 1080 and 900 < image.height < 3000


async def test_base_staff_see_their_base_from_pre_registration_on(seeded: Harness) -> None:
    h = seeded
    text = stats_text(await open_stats(h, HANCHUAN_STAFF))
    assert "范围：汉川市人民医院（第一志愿）" in text
    assert "无法归到基地" in text  # why the funnel starts at pre-registered
    for line in ("已预登记 7\n", "已官网报名 3（43%）", "审核通过 2（67%）", "已录取 2（100%）",
                 "已报到 1（50%）", "其中：已撤回 1", "汉川市人民医院：7 / 6（录取 2）",
                 "共 7 人；最多一天：5月10日 3 人；近 7 天 7 人。"):
        assert line in text, line
    for other in ("\n选择本项目 ", "\n资格自测 ", "\n符合条件 ", "孝感市第一人民医院", "安陆",
                  "合计", "审核未通过", "放弃"):
        assert other not in text, other
    anlu = stats_text(await open_stats(h, ANLU_STAFF))
    assert "已预登记 2\n" in anlu and "安陆市普爱医院：2 / 6（录取 1）" in anlu
    assert "其中：审核未通过 1" in anlu and "汉川" not in anlu


async def test_an_admin_picks_the_campaign_and_fujian_lists_no_bases(seeded: Harness) -> None:
    h = seeded
    calls = await open_stats(h, ADMIN)
    assert "请选择招录项目" in calls.text and not photos(calls)
    assert sorted(label for label in calls.labels if "2023" in label) == [
        "孝感市 2023 助理全科医生培训（西医）", "福建省 2023 助理全科医生培训（社会人）"]
    calls = await press_with(h, "福建省 2023", ADMIN)
    text = stats_text(calls)
    assert "选择本项目 1\n" in text and "资格自测 0（0%）" in text and "已预登记 0（—）" in text
    assert "通知未列出各基地及名额。培训基地招生计划在福建省助理全科医生培训网" in text
    assert "报名尚未开始（7月9日 开始）" in text
    assert png_of(calls).startswith(PNG_MAGIC)


async def test_refresh_sends_new_figures_and_a_double_tap_sends_nothing_twice(
        seeded: Harness) -> None:
    h = seeded
    await open_stats(h, COORD)
    await add_registration(h.services.sessionmaker, 26, XG, "pre_registered", ["xiaogan_first"])
    h.clock.advance(timedelta(minutes=5))
    calls = await press_with(h, "🔄 刷新", COORD)
    assert calls.methods() == ["answerCallbackQuery", "sendMessage", "sendChatAction",
                               "sendPhoto"]  # the photo above stays as it was
    assert "已预登记 12（" in calls.text and "孝感市第一人民医院：3 / 10" in calls.text
    assert "截至 2023-05-10 10:05" in calls.text
    message, data = button_with(h, "🔄 刷新", COORD)  # the newest photo
    assert photos(await tap(h, message, data))
    assert (await tap(h, message, data)).methods() == ["answerCallbackQuery"]  # a double tap
    h.clock.advance(timedelta(seconds=10))
    assert photos(await tap(h, message, data))  # a refresh of that photo, later on


async def test_forged_and_out_of_scope_stats_buttons_meet_the_ordinary_fallback(
        seeded: Harness) -> None:
    h = seeded
    await h.send("/start xiaogan-2023", OUTSIDER)
    for data in ("sf:sta:0:", f"sf:sta:0:{XG}", f"sf:sta:1:{XG}"):
        calls = await h.press_data(data, OUTSIDER)
        assert [(c.method, c.params.get("text")) for c in calls] == STALE
    for data in (f"sf:sta:0:{FJ}", "sf:sta:0:nowhere-2023"):
        calls = await h.press_data(data, HANCHUAN_STAFF)
        assert [(c.method, c.params.get("text")) for c in calls] == STALE
    # A base staff member naming the campaign still sees only their base.
    text = stats_text(await h.press_data(f"sf:sta:0:{XG}", HANCHUAN_STAFF))
    assert "汉川市人民医院：7 / 6" in text and "孝感市第一人民医院" not in text


async def test_a_chart_that_cannot_be_drawn_leaves_the_text_and_says_so(
        seeded: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import bot.stats_chart

    def broken(*_args: object) -> bytes:
        raise RuntimeError("no font")

    monkeypatch.setattr(bot.stats_chart, "draw_png", broken)
    calls = await open_stats(seeded, COORD)
    assert "已预登记 11（92%）" in calls.text and not photos(calls)
    assert "图表暂时无法生成" in calls.last.text
    assert [label for label, _ in calls.last.buttons] == ["🔄 刷新", "« 工作人员菜单"]
    assert "stats chart for xiaogan-2023 failed" in caplog.text


async def test_staff_of_a_campaign_no_longer_bundled_are_told_there_is_nothing(
        seeded: Harness) -> None:
    h = seeded
    await give_role(h, 3003, BASE_STAFF, "gone-2022", "somewhere")
    calls = await open_stats(h, 3003)
    assert "暂无统计可看" in calls.text and not photos(calls)
    assert calls.labels == ["« 工作人员菜单"]
