"""The bundled campaigns load, and the facts that matter most are transcribed exactly."""

from __future__ import annotations

import time
from datetime import datetime

import pytest

from bot.clock import SHANGHAI
from content.catalogue import BUNDLED, Catalogue, load_catalogue
from content.loader import check_file
from content.schema import SECTION_KEYS, Campaign


@pytest.mark.parametrize("slug", ["xiaogan-2023", "fujian-2023"])
def test_bundled_file_has_no_issue(slug: str) -> None:
    assert check_file(BUNDLED / f"{slug}.yaml").issues == []


def test_catalogue_order_and_lookup(catalogue: Catalogue) -> None:
    assert catalogue.slugs == ["fujian-2023", "xiaogan-2023"]
    assert [c.slug for c in catalogue.all()] == catalogue.slugs
    assert catalogue.get("nowhere-2023") is None
    assert catalogue.get(None) is None
    assert "xiaogan-2023" in catalogue and len(catalogue) == 2


def test_catalogue_loads_fast() -> None:
    started = time.perf_counter()
    load_catalogue()
    assert time.perf_counter() - started < 0.5


def test_every_campaign_has_the_menu_sections(catalogue: Catalogue) -> None:
    for campaign in catalogue:
        assert set(SECTION_KEYS) <= set(campaign.sections)
        assert all(fact.clause for facts in campaign.sections.values() for fact in facts)


def test_windows_are_exact(xiaogan: Campaign, fujian: Campaign) -> None:
    assert xiaogan.registration.window.opens == datetime(2023, 5, 4, tzinfo=SHANGHAI)
    assert xiaogan.registration.window.closes == datetime(2023, 6, 30, 23, 59, 59,
                                                          tzinfo=SHANGHAI)
    assert fujian.registration.window.opens == datetime(2023, 7, 9, 8, tzinfo=SHANGHAI)
    assert fujian.registration.window.closes == datetime(2023, 7, 12, 17, tzinfo=SHANGHAI)
    assert str(fujian.registration.window.closes.tzinfo) == "Asia/Shanghai"


def test_notice_metadata(xiaogan: Campaign, fujian: Campaign) -> None:
    assert xiaogan.notice.document_number is None
    assert xiaogan.notice.issuer == "孝感市卫生健康委员会"
    assert str(xiaogan.notice.published) == "2023-05-05"
    assert fujian.notice.document_number == "闽卫科教函〔2023〕1295号"
    assert str(fujian.notice.published) == "2023-07-08"


def test_xiaogan_bases_quotas_and_contacts(xiaogan: Campaign) -> None:
    bases = {b.name: b.quota for b in xiaogan.plan.bases}
    assert bases == {"孝感市第一人民医院": 10, "汉川市人民医院": 6, "安陆市普爱医院": 6}
    assert xiaogan.plan.total_quota == 22
    phones = {xiaogan.contact(b.contact_ids[0]).phones[1] for b in xiaogan.plan.bases}
    assert phones == {"13972678808", "13545442175", "13886367950"}
    college = xiaogan.contact("college")
    assert college is not None and college.phones == ["2464255", "13476567654"]


def test_xiaogan_local_numbers_stay_as_printed(xiaogan: Campaign) -> None:
    numbers = {c.person: c.phones for c in xiaogan.contacts if c.id.startswith("hr_")}
    assert numbers == {"沈泉": ["2839876"], "张丹丹": ["2327312"]}
    assert not any("0712" in p for c in xiaogan.contacts for p in c.phones)


def test_xiaogan_gives_no_dates_beyond_the_window(xiaogan: Campaign) -> None:
    assert xiaogan.events == []
    assert xiaogan.registration.max_choices == 1
    assert not xiaogan.registration.asks_adjustment


def test_fujian_form_rules(fujian: Campaign) -> None:
    reg = fujian.registration
    assert reg.max_choices == 2 and reg.asks_adjustment
    assert reg.url == "fjzlqk.wsglw.net"
    rules = {m.name: (m.required, m.formats, m.max_kb) for m in reg.materials}
    assert rules == {
        "身份证正反面": (True, ["jpg"], 300),
        "高职高专毕业证": (True, ["jpg"], 300),
        "执业（助理）医师资格证": (False, ["jpg"], 300),
    }
    assert fujian.plan.bases == [] and "填写志愿并上报" in (fujian.plan.where_published or "")


def test_fujian_events(fujian: Campaign) -> None:
    def day(event_id: str, edge: str) -> str:
        event = fujian.event(event_id)
        assert event is not None
        value = getattr(event, edge)
        return value.strftime("%m-%d") if value else ""

    assert (day("review", "start"), day("review", "end")) == ("07-09", "07-14")
    assert (day("results", "start"), day("results", "end")) == ("07-15", "")
    assert day("report_in", "end") == "08-31"
    assert day("summary", "end") == "09-07"
    assert fujian.event("staff_batch").when == "2023年8月"


def test_fujian_contacts_and_hours(fujian: Campaign) -> None:
    phones = {c.purpose: c.phones for c in fujian.contacts}
    assert phones == {"招录政策咨询": ["0591-83574579"],
                      "网络技术支持": ["400-888-0052", "0591-88502813"]}
    assert all("8:30－12:00" in (c.hours or "") for c in fujian.contacts)


def test_fujian_penalties_and_assessment(fujian: Campaign) -> None:
    penalties = " ".join(f.text for f in fujian.sections["penalties"])
    phrases = ("不接受调剂", "调剂成功但未按时报到", "未在规定时间内报到", "弄虚作假", "移动设备")
    for phrase in phrases:
        assert phrase in penalties
    assessment = " ".join(f.text for f in fujian.sections["assessment"])
    assert "3年内未通过" in assessment and "个人承担" in assessment


def test_xiaogan_support_figures(xiaogan: Campaign) -> None:
    support = " ".join(f.text for f in xiaogan.sections["support"])
    assert "80%" in support and "20%" in support and "省财政" in support
    applicants = xiaogan.sections["applicants"]
    assert {f.clause for f in applicants} >= {"二、招录对象（一）", "二、招录对象（二）",
                                             "二、招录对象（三）"}
