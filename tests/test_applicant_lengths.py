"""One phone screen (issue 12 §3): every message the bundled campaigns can send an applicant is
at most 600 visible characters (tags stripped, entities decoded); longer content pages with
更多. The messages come from tests/applicant_tour.py, through the real Dispatcher."""

from __future__ import annotations

from datetime import datetime

import pytest

from content.catalogue import Catalogue
from content.paging import LIMIT, split_pages, visible_length
from tests.applicant_tour import tour
from tests.harness import Harness


@pytest.mark.parametrize("slug", ["xiaogan-2023", "fujian-2023"])
async def test_every_applicant_message_fits_one_phone_screen(harness: Harness,
                                                             catalogue: Catalogue,
                                                             slug: str) -> None:
    seen = await tour(harness, catalogue.get(slug))
    kinds = {s.what.split()[0] for s in seen}
    assert {"start", "section", "verdict", "receipt", "reminder", "notice", "form",
            "marked"} <= kinds
    assert any("更多" in s.what for s in seen)  # something was long enough to page
    too_long = sorted({(visible_length(s.text), s.what, s.now.isoformat()[:16]) for s in seen
                       if visible_length(s.text) > LIMIT}, reverse=True)
    assert not too_long, too_long[:10]
    longest = max(seen, key=lambda s: visible_length(s.text))
    print(f"{slug}: {len(seen)} messages, longest {visible_length(longest.text)} "
          f"({longest.what})")


def test_pages_cut_between_blocks_and_keep_tags_whole() -> None:
    block = "<b>标题</b>\n" + "这是一句话。" * 120 + "\n<i>出处：一、</i>"  # a line > a page
    text = "<b>报名时间与方式</b>｜测试\n\n" + "\n\n".join([block] * 4)
    pages = split_pages(text)
    assert len(pages) > 4 and "".join(pages).count("这是一句话。") == 480
    assert all(visible_length(p) <= LIMIT - 12 for p in pages)
    assert all(p.count("<b>") == p.count("</b>") and p.count("<i>") == p.count("</i>")
               for p in pages)
    assert all(p.startswith("<b>报名时间与方式</b>｜测试（续）") for p in pages[1:])
    assert split_pages("短消息") == ["短消息"]


async def test_more_buttons_are_stale_safe(harness: Harness) -> None:
    harness.clock.set(datetime.fromisoformat("2023-07-10T10:00:00+08:00"))
    menu = await harness.send("/start fujian-2023")
    assert "工作要求" not in menu.labels and "报名时间与方式" in menu.labels  # for institutions
    first = await harness.press("报名时间与方式")
    more = [label for label in first.labels if label.startswith("更多 ›")]
    assert more and "（第 1/" in first.text and "« 返回菜单" in first.labels
    second = await harness.press(more[0])
    assert "（续）" in second.text and "‹ 上一页" in second.labels
    back = await harness.press("‹ 上一页")
    assert back.text == first.text
    for data in ("mp:fujian-2023:registration:9", "mp:fujian-2023:nope:1",
                 "mp:gone-2023:registration:1", "pg:0123456789:1", "pg:x:-1"):
        stale = await harness.press_data(data)
        assert stale.methods() == ["answerCallbackQuery"], data
        assert stale[0].params.get("show_alert") and "失效" in stale[0].params["text"]
    # 工作要求 is left out of the menu, not out of reach: an old button still opens it.
    old = await harness.press_data("m:xiaogan-2023:work_requirements")
    assert "湖北职业技术学院医学院" in old.text


async def test_kept_pages_go_with_the_users_data(harness: Harness) -> None:
    await harness.send("/start xiaogan-2023")
    await harness.send("/check")
    for label in ("本科", ):
        await harness.press(label)
    await harness.send("护理")
    await harness.send("1980-01-01")
    for label in ("都没有", "没有工作单位（应往届毕业生等）", "都不是"):
        if label in harness.labels():
            await harness.press(label)
    verdict = harness.calls[-1]
    more = [b for b, _ in verdict.buttons if b.startswith("更多 ›")]
    assert more, verdict.text
    await harness.send("/delete_my_data")
    await harness.press("确定删除")
    stale = await harness.press(more[0])
    assert stale.methods() == ["answerCallbackQuery"] and stale[0].params.get("show_alert")


async def test_my_and_mydata_with_both_campaigns_fit(harness: Harness) -> None:
    """One person pre-registered in both campaigns: /my and /mydata stay one screen a message."""
    from tests.test_registration_chat import fill_common

    for now, slug, steps in (("2023-05-10T10:00:00+08:00", "xiaogan-2023",
                              ("应往届毕业生", "汉川市人民医院（6人）")),
                             ("2023-07-10T10:00:00+08:00", "fujian-2023", ("社会人", "接受调剂"))):
        harness.clock.set(datetime.fromisoformat(now))
        await harness.send(f"/start {slug}")
        await harness.send("/register")
        await harness.press("✅ 同意并开始")
        await harness.press("✅ 同意提供身份证号")
        await fill_common(harness)
        for label in steps:
            await harness.press(label)
        await harness.press("✅ 确认提交")
    for command in ("/my", "/mydata"):
        calls = await harness.send(command)
        # /my lists both; /mydata pages its message and sends everything as a JSON document.
        files = [data.decode() for c in calls for data in (c.files or {}).values()]
        shown = calls.text + "".join(files)
        assert "XG2023-0001" in shown and "FJ2023-0001" in shown
        assert all(visible_length(t) <= LIMIT for t in calls.texts), [
            visible_length(t) for t in calls.texts]
