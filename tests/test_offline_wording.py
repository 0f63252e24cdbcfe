"""A notice that names no site to register on (paper forms, an office, or it does not say) is
never spoken of as 官网 — in the staff's words too (statistics, audiences, records, the Excel
round trip) — and the ID-number consent names the birth date as a purpose only when the
campaign's rules have an age limit."""

from __future__ import annotations

import io
from datetime import date, datetime

from openpyxl import load_workbook

from bot.stats_text import render
from bot.xlsx_export import field_values
from bot.xlsx_import import Refusal, read_file, status_labels, validate
from bot.xlsx_report import count_lines, refusal_reason
from content.catalogue import Catalogue
from content.schema import Campaign
from content.texts import default_texts
from handlers.registration_flow import has_age_rule, sensitive_text
from handlers.staff.words import audience_label
from storage.stats import Figures
from tests.harness import Harness
from tests.test_xlsx_import import ID, columns_of, record, workbook_of

TEXTS = default_texts()
NOW = datetime.fromisoformat("2023-05-10T10:00:00+08:00")


def offline(campaign: Campaign) -> Campaign:
    """The same campaign, registered for at the county office instead of on a site."""
    registration = campaign.registration.model_copy(
        update={"channel": None, "url": None, "note": "到县卫健委现场报名"})
    result = campaign.model_copy(update={"registration": registration})
    assert not result.registration.online
    return result


def figures(online: bool) -> Figures:
    return Figures(slug="xiaogan-2023", campaign="孝感", now=NOW, bases_scope=None,
                   funnel=(("pre_registered", 3), ("officially_registered", 1)), outcomes={},
                   bases=(), no_base=0, total_quota=None, quota_source=None,
                   opens=date(2023, 5, 1), closes=date(2023, 5, 20), days=(), online=online)


def test_statistics_name_the_official_step_as_the_notice_does() -> None:
    assert "已官网报名" in render(TEXTS, figures(online=True))
    text = render(TEXTS, figures(online=False))
    assert "已正式报名" in text and "官网" not in text


def test_audiences_records_and_import_reports_follow_the_campaign(xiaogan: Campaign) -> None:
    office = offline(xiaogan)
    catalogue = Catalogue([office])
    label = audience_label(TEXTS, catalogue, office.slug, "not_official", None)
    assert label == "已预登记、未标记正式报名"
    online = audience_label(TEXTS, Catalogue([xiaogan]), xiaogan.slug, "not_official", None)
    assert "官网" in online
    counts = count_lines(TEXTS, {"officially_registered": 2}, office)
    assert "已正式报名" in counts and "官网" not in counts


def test_the_excel_round_trip_speaks_of_the_official_step(xiaogan: Campaign) -> None:
    office = offline(xiaogan)
    values = field_values(record(1, "officially_registered"), ID, office, TEXTS, masked=True)
    assert values["status"] == "已正式报名"
    data = workbook_of(office, [record(1, "officially_registered"), record(2)])
    book = load_workbook(io.BytesIO(data))
    sheet = book["汉川市人民医院"]
    assert sheet["B2"].value == "已正式报名"
    rule = next(iter(sheet.data_validations.dataValidation))
    assert "已正式报名" in rule.formula1 and "官网" not in rule.formula1
    sheet["B3"] = "资格审核通过"  # 2: a change; 1 keeps the offline wording: unchanged
    out = io.BytesIO()
    book.save(out)
    parsed = read_file(out.getvalue(), texts=TEXTS, columns_of=columns_of)
    records = {r.receipt_no: r for r in (record(1, "officially_registered"), record(2))}
    preview = validate(parsed, registrations=records, texts=TEXTS, scope_base=None,
                       id_matches=lambda r, cell: True)
    assert [(c.receipt, c.new) for c in preview.changes] == [("XG2023-0002", "review_passed")]
    assert preview.unchanged == 1 and not preview.refusals
    # Either wording reads back as the same status, whichever campaign the file came from.
    labels = status_labels(TEXTS)
    assert labels["已正式报名"] == labels["已官网报名"] == "officially_registered"
    refusal = Refusal(sheet="s", row=2, receipt="XG2023-0002", code="transition",
                      detail="pre_registered")
    reason = refusal_reason(TEXTS, refusal, {"XG2023-0002": "officially_registered"}, office)
    assert reason == "当前状态“已正式报名”不能改为“已预登记”"


def test_the_id_consent_names_the_birth_date_only_for_an_age_limit(
        xiaogan: Campaign, fujian: Campaign) -> None:
    assert has_age_rule(xiaogan) and not has_age_rule(fujian)
    assert "年龄条件" in sensitive_text(TEXTS, xiaogan)
    text = sensitive_text(TEXTS, fujian)
    assert "出生日期" not in text and "确认每人只预登记一次，供审核时核对身份" in text


async def test_the_consent_in_the_chat_follows_the_campaign(harness: Harness) -> None:
    harness.clock.set(datetime.fromisoformat("2023-07-10T10:00:00+08:00"))  # Fujian's form
    await harness.send("/start fujian-2023")
    await harness.send("/register")
    sensitive = await harness.press("✅ 同意并开始")
    assert "敏感个人信息" in sensitive.text and "年龄条件" not in sensitive.text
    await harness.send("/cancel")
    harness.clock.set(NOW)  # Xiaogan's form
    await harness.send("/start xiaogan-2023")
    await harness.send("/register")
    sensitive = await harness.press("✅ 同意并开始")
    assert "核对出生日期（年龄条件）" in sensitive.text
