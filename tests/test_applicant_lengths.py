"""One phone screen (issue 12 §3): every message the bundled campaigns can send an applicant is
at most 600 visible characters (tags stripped, entities decoded); longer content pages with
更多. The messages come from tests/applicant_tour.py, through the real Dispatcher."""

from __future__ import annotations

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
