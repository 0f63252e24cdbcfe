"""Menu sections: cited, escaped, dated in Chinese, and within Telegram's limit."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from bot.clock import SHANGHAI, parse_moment
from content.catalogue import load_catalogue
from content.dates import cn_deadline, cn_when
from content.schema import SECTION_KEYS, Campaign
from content.sections import TELEGRAM_LIMIT, render_section, section_title
from content.texts import default_texts

CATALOGUE = load_catalogue()
NOW = parse_moment("2023-05-10T10:00")
ALLOWED_TAGS = {"b", "i"}


def _campaign(slug: str) -> Campaign:
    campaign = CATALOGUE.get(slug)
    assert campaign is not None
    return campaign


@pytest.mark.parametrize("slug", CATALOGUE.slugs)
def test_every_section_fits_and_cites(slug: str) -> None:
    campaign = _campaign(slug)
    for key in campaign.sections:
        text = render_section(campaign, key, NOW)
        assert len(text) <= TELEGRAM_LIMIT
        assert "出处：" in text
        assert set(re.findall(r"</?([a-z-]+)", text)) <= ALLOWED_TAGS
        for fact in campaign.sections[key]:
            assert f"出处：{fact.clause}" in text


def test_menu_labels_are_the_issue_s_six() -> None:
    campaign = _campaign("xiaogan-2023")
    labels = [section_title(campaign, key) for key in SECTION_KEYS]
    assert labels == ["培训模式", "报名条件", "招录计划", "报名时间与方式", "待遇保障", "联系方式"]
    texts = default_texts()
    assert all(f"content.section.{key}" in texts for key in SECTION_KEYS)


def test_xiaogan_plan_lists_bases_quotas_phones() -> None:
    text = render_section(_campaign("xiaogan-2023"), "plan", NOW)
    for line in ("<b>孝感市第一人民医院</b>：10人", "<b>汉川市人民医院</b>：6人",
                 "<b>安陆市普爱医院</b>：6人", "合计：22人", "13972678808", "2349370",
                 "13545442175", "13886367950", "出处：附件"):
        assert line in text


def test_fujian_plan_says_where_it_is_published() -> None:
    text = render_section(_campaign("fujian-2023"), "plan", NOW)
    assert "通知未列出各基地及名额" in text and "评审认定" in text
    assert "闽卫科教函〔2023〕1295号" in text


def test_registration_window_in_chinese_dates() -> None:
    text = render_section(_campaign("xiaogan-2023"), "registration", NOW)
    assert "2023年5月4日至6月30日" in text
    assert "报名正在进行，2023年6月30日截止" in text
    fujian = render_section(_campaign("fujian-2023"), "registration", NOW)
    assert "2023年7月9日 8:00至7月12日 17:00" in fujian
    assert "报名尚未开始，2023年7月9日 8:00开始" in fujian
    assert "2023年7月15日起：查看录取结果" in fujian
    assert "2023年8月31日前：到培训基地报到" in fujian
    assert "最多填报2个" in fujian and "jpg格式" in fujian


def test_registration_after_the_window() -> None:
    after = datetime(2023, 7, 1, tzinfo=SHANGHAI)
    text = render_section(_campaign("xiaogan-2023"), "registration", after)
    assert "报名已于2023年6月30日截止" in text


def test_contacts_with_hours() -> None:
    text = render_section(_campaign("fujian-2023"), "contacts", NOW)
    assert "0591-83574579" in text and "400-888-0052" in text
    assert "咨询时间：2023年7月9-12日工作日上午8:30－12:00，下午3:00－6:00" in text
    xiaogan = render_section(_campaign("xiaogan-2023"), "contacts", NOW)
    assert "沈泉" in xiaogan and "2839876" in xiaogan and "0712-2839876" not in xiaogan
    # The numbers as the notice prints them; the area code (public fact) is the phone_note.
    assert "区号0712" in xiaogan


def test_content_text_is_escaped() -> None:
    campaign = _campaign("xiaogan-2023")
    fact = campaign.sections["support"][0].model_copy(update={"text": "<script>&"})
    tampered = campaign.model_copy(update={"sections": {**campaign.sections,
                                                        "support": [fact]}})
    text = render_section(tampered, "support", NOW)
    assert "&lt;script&gt;&amp;" in text and "<script>" not in text


def test_long_section_is_cut_at_a_fact_boundary() -> None:
    campaign = _campaign("xiaogan-2023")
    fact = campaign.sections["support"][0]
    many = [fact.model_copy(update={"id": f"f{i}", "text": "长" * 500}) for i in range(20)]
    tampered = campaign.model_copy(update={"sections": {**campaign.sections, "support": many}})
    text = render_section(tampered, "support", NOW)
    assert len(text) <= TELEGRAM_LIMIT
    assert "内容较长" in text and text.endswith("》")


def test_unknown_section_key_uses_campaign_title() -> None:
    campaign = _campaign("fujian-2023")
    titled = campaign.model_copy(update={"section_titles": {"extra": "其他"}})
    assert section_title(titled, "extra") == "其他"
    assert "通知中没有这方面的内容" in render_section(titled, "extra", NOW)


def test_event_dates() -> None:
    start = datetime(2023, 7, 15, tzinfo=SHANGHAI)
    end = datetime(2023, 8, 31, 23, 59, 59, tzinfo=SHANGHAI)
    assert cn_when(start, None) == "2023年7月15日起"
    assert cn_when(None, end) == "2023年8月31日前"
    assert cn_when(start, end) == "2023年7月15日至8月31日"
    assert cn_deadline(datetime(2023, 7, 12, 17, tzinfo=SHANGHAI)) == "2023年7月12日 17:00"
    with pytest.raises(ValueError):
        cn_when(None, None)
