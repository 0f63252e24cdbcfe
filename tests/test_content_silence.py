"""Silence is data (issue 13): a notice's missing facts are left out of the file, never faked.

check-content refuses empty strings and placeholders where a web address, a phone or a name is
expected, and campaign-written texts that would print a value the file does not have; a file
written for an older schema version is read as it meant, with advice on what to change.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.cli import main
from content.loader import check_file
from content.schema import SCHEMA_VERSION

FIXTURES = Path(__file__).parent / "fixtures"
DEMO = FIXTURES / "content" / "valid" / "demo-2024.yaml"
SILENT = FIXTURES / "silent" / "silent-2024.yaml"


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / f"{data['slug']}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _demo() -> dict:
    return yaml.safe_load(DEMO.read_text(encoding="utf-8"))


@pytest.mark.parametrize("url", ["", " ", "无", "暂无", "待定", "TBD", "xxx", "新闻未给出网址",
                                 "ftp://example.org", "见通知", "湖北卫生人才网", "https://"])
def test_a_url_that_is_no_url_is_refused(tmp_path: Path, url: str) -> None:
    data = _demo()
    data["registration"]["url"] = url
    loaded = check_file(_write(tmp_path, data))
    issues = loaded.issues
    assert len(issues) == 1, issues
    assert issues[0].line == loaded.lines[("registration", "url")]  # FILE:LINE of the key
    assert "registration.url" in issues[0].message and "网址" in issues[0].message
    assert "删除 url" in issues[0].message or "https://" in issues[0].message


@pytest.mark.parametrize("url", ["https://www.hbwsrc.cn", "http://example.org/a?b=1",
                                 "fjzlqk.wsglw.net", "www.hbwsrc.cn/zlqk"])
def test_web_addresses_as_notices_print_them_pass(tmp_path: Path, url: str) -> None:
    data = _demo()
    data["registration"]["url"] = url
    assert check_file(_write(tmp_path, data)).issues == []


@pytest.mark.parametrize("phone", ["", "无", "待定", "新闻未给出电话", "xxx", "电话见通知", "12",
                                   "0712-xxxxxxx"])
def test_a_phone_that_is_no_phone_is_refused(tmp_path: Path, phone: str) -> None:
    data = _demo()
    data["contacts"][0]["phones"] = [phone]
    issues = check_file(_write(tmp_path, data)).issues
    assert len(issues) == 1, issues
    assert "contacts[0].phones[0]" in issues[0].message
    assert "通知没有电话：删除 phones，或写 phones: [] 并在 note 里说明" in issues[0].message


@pytest.mark.parametrize("phone", ["0712-2839876", "400-888-0052", "13812345678", "2839876",
                                   "(027)87654321转8001", "+86 10 12345678"])
def test_phones_as_notices_print_them_pass(tmp_path: Path, phone: str) -> None:
    data = _demo()
    data["contacts"][0]["phones"] = [phone]
    assert check_file(_write(tmp_path, data)).issues == []


@pytest.mark.parametrize(("path", "value"), [
    (("notice", "issuer"), "待定"), (("notice", "title"), ""), (("registration", "channel"), "无"),
    (("contacts", 0, "organisation"), "xxx"), (("contacts", 0, "person"), "暂无"),
])
def test_names_are_not_placeholders(tmp_path: Path, path: tuple, value: str) -> None:
    data = _demo()
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    issues = check_file(_write(tmp_path, data)).issues
    assert len(issues) == 1, issues
    assert ".".join(map(str, path)).replace(".0", "[0]") in issues[0].message
    assert "删除" in issues[0].message or "写" in issues[0].message


def test_the_silent_notice_passes_with_nothing_faked() -> None:
    loaded = check_file(SILENT)
    assert loaded.issues == [] and loaded.hints == []
    campaign = loaded.campaign
    assert campaign is not None
    reg = campaign.registration
    assert (reg.url, reg.channel, reg.max_choices, reg.steps) == (None, None, None, [])
    assert campaign.contacts == [] and campaign.plan.bases == [] and campaign.events == []
    assert campaign.notice.title is None and campaign.citation == "静县2024年招录通知"


def test_a_template_naming_a_value_the_file_lacks_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = yaml.safe_load(SILENT.read_text(encoding="utf-8"))
    data["faq"] = [{"id": "site", "questions": ["网址"], "answer": "请登录{url}报名。",
                    "clause": "新闻稿第三段"}]
    path = _write(tmp_path, data)
    assert main(["check-content", str(path)]) == 1
    out = capsys.readouterr().out
    assert "faq[0].answer 用了 {url}，但本文件没有 registration.url" in out
    assert f"{path.name}:" in out


def test_an_old_file_is_read_as_it_meant_and_told_what_to_change(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _demo()
    del data["schema_version"]
    del data["registration"]["max_choices"]
    path = _write(tmp_path, data)
    loaded = check_file(path)
    assert loaded.issues == [] and loaded.campaign is not None
    assert loaded.campaign.registration.max_choices == 1  # version 1's default, kept
    assert main(["check-content", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"{path.name}:1: 提示：旧格式（schema_version 1），仍可使用。" in out
    assert f"schema_version: {SCHEMA_VERSION}" in out and "max_choices: 1" in out
    # Brought up to date as told: no advice, and max_choices absent now means silence.
    data["schema_version"] = SCHEMA_VERSION
    path = _write(tmp_path, data)
    assert check_file(path).hints == [] and check_file(path).campaign.registration.max_choices \
        is None


def test_a_newer_file_is_refused_with_the_fix(tmp_path: Path) -> None:
    data = _demo()
    data["schema_version"] = SCHEMA_VERSION + 1
    issues = check_file(_write(tmp_path, data)).issues
    assert len(issues) == 1 and issues[0].line == 1
    assert "请更新 zhaolu" in issues[0].message


def test_an_announcement_from_a_notice_without_issuer_names_someone() -> None:
    from bot.announce_compose import sender_label
    from content.catalogue import load_catalogue

    catalogue = load_catalogue(FIXTURES / "silent")
    assert sender_label(catalogue.get("silent-2024"), None) == "静县 2024 助理全科医生培训"
    assert sender_label(catalogue.get("hushed-2024"), None) == "默县卫生健康局"


ONGOING = FIXTURES / "silent" / "ongoing-2024.yaml"


def test_a_window_needs_a_start_or_a_close(tmp_path: Path) -> None:
    data = _demo()
    window = data["registration"]["window"]
    window.pop("opens"), window.pop("closes")
    issues = check_file(_write(tmp_path, data)).issues
    assert len(issues) == 1 and "至少要写 opens 或 closes" in issues[0].message, issues


def test_a_window_with_only_a_start_never_closes(tmp_path: Path) -> None:
    """5月6日起报名，招满为止: open from the start on, no deadline said, no reminder on a close,
    kept for the retention period after the campaign's last date (here the form's close)."""
    from datetime import datetime

    from content.reminders import reminder_problems
    from content.retention import campaign_closes
    from content.schema_reminders import ReminderSpec

    campaign = check_file(ONGOING).campaign
    assert campaign is not None and campaign.registration.window.closes is None
    window = campaign.registration.window
    assert window.span == "2024年5月6日起"
    assert window.phase(datetime.fromisoformat("2024-05-05T10:00:00+08:00")) == "before"
    assert window.phase(datetime.fromisoformat("2030-01-01T10:00:00+08:00")) == "open"
    assert campaign.form is not None and campaign_closes(campaign) == campaign.form.closes
    closing = ReminderSpec.model_validate({"id": "closes", "event": "registration.closes",
                                           "offsets": ["-1d@09:00"], "text": "明天截止",
                                           "audience": ["subscribers_not_preregistered"]})
    problems = reminder_problems(campaign.model_copy(update={"reminders": [closing]}))
    assert len(problems) == 1 and "没有 closes" in problems[0], problems


async def test_a_window_with_only_a_start_in_the_chat(db_url: str, tmp_path: Path) -> None:
    from bot.clock import parse_moment
    from handlers.keyboards import MenuCb
    from tests.harness import Harness

    h = await Harness.create(db_url, now=parse_moment("2024-09-01T10:00:00+08:00"),
                             var_dir=tmp_path / "var", content_dir=ONGOING.parent)
    try:
        await h.send("/start ongoing-2024")
        page = await h.press_data(MenuCb(slug="ongoing-2024", section="registration").pack())
        assert "2024年5月6日起" in page.text and "通知未写明截止时间" in page.text, page.text
        reply = await h.send("报名截止到什么时候")
        assert "通知未写明截止时间" in reply.text and "已截止" not in reply.text, reply.text
    finally:
        await h.close()


def test_the_form_dates_follow_the_notice_when_left_out(tmp_path: Path) -> None:
    """form.opens / form.closes left out: the notice's publication (or the window's opening)
    and the window's close; with neither a close nor form.closes, check-content says what to
    write, at the form's line."""
    from datetime import datetime

    data = yaml.safe_load((Path("content/campaigns/xiaogan-2023.yaml")).read_text("utf-8"))
    written = check_file(_write(tmp_path, data)).campaign
    del data["form"]["opens"], data["form"]["closes"]
    campaign = check_file(_write(tmp_path, data)).campaign
    assert campaign is not None and campaign.form is not None and written is not None
    assert (campaign.form.opens, campaign.form.closes) == (written.form.opens,
                                                           written.form.closes)
    del data["notice"]["published"]
    campaign = check_file(_write(tmp_path, data)).campaign
    assert campaign is not None and campaign.form is not None
    assert campaign.form.opens == datetime.fromisoformat("2023-05-04T00:00:00+08:00")
    del data["registration"]["window"]["closes"]
    loaded = check_file(_write(tmp_path, data))
    messages = [i.message for i in loaded.issues]
    assert any("通知没有报名截止时间：写 form.closes" in m for m in messages), messages
    issue = next(i for i in loaded.issues if "form.closes" in i.message)
    assert issue.line == loaded.lines[("form",)]
