"""The privacy notice before the pre-registration follows PIPL (issue 14, finding 8): the
controller, the retention period and who sees the data come from the campaign file and the
staff roles; the passage through Telegram's servers abroad is said plainly; the ID number,
sensitive personal information, has its own consent before it is asked; who declines keeps the
Q&A and the self-check."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select

from content.paging import visible_length
from content.texts import default_texts
from handlers.registration_flow import privacy_text, roles_text, sensitive_text
from storage import staff
from storage.models import FsmRecord
from storage.registrations import Registration
from tests.harness import Harness

FUJIAN_NOW = datetime.fromisoformat("2023-07-10T10:00:00+08:00")


async def test_the_notice_names_controller_retention_roles_and_the_passage_abroad(
        harness: Harness) -> None:
    await harness.send("/start xiaogan-2023")
    notice = (await harness.send("/register")).text
    for expected in ("处理者：孝感市卫生健康委员会", "2023年6月30日）后 365 天删除或匿名化",
                     "未提交的填写 30 天后删除", "中国大陆境外的服务器", "单独同意",
                     "/mydata", "/delete_my_data"):
        assert expected in notice, expected
    # Every staff role the code knows is named with what it sees; none else.
    for role in staff.ROLES:
        assert default_texts()(f"privacy.role.{role}") in notice, role
    assert harness.labels() == ["✅ 同意并开始", "不同意"]


def test_the_notice_follows_the_campaign_file(xiaogan, fujian) -> None:
    texts, now = default_texts(), FUJIAN_NOW
    shorter = xiaogan.model_copy(update={"retention_days_after_close": 90})
    assert "后 90 天删除" in privacy_text(shorter, texts, now)
    assert "处理者：福建省卫生健康委员会" in privacy_text(fujian, texts, now)
    assert "2023年9月7日）后 365 天" in privacy_text(fujian, texts, now)  # its last event
    # A notice without bases has no base staff to promise.
    no_bases = xiaogan.model_copy(update={"plan": xiaogan.plan.model_copy(
        update={"bases": [], "where_published": "另行公布"})})
    assert texts("privacy.role.base_staff") not in roles_text(no_bases, texts)
    assert texts("privacy.role.coordinator") in roles_text(no_bases, texts)
    for campaign in (xiaogan, fujian):
        assert visible_length(privacy_text(campaign, texts, now)) <= 600
        assert visible_length(sensitive_text(texts, campaign, "wechat")) <= 600


async def test_the_id_number_has_its_own_consent_before_it_is_asked(harness: Harness) -> None:
    await harness.send("/start xiaogan-2023")
    await harness.send("/register")
    sensitive = await harness.press("✅ 同意并开始")
    assert "敏感个人信息" in sensitive.text and "请输入" not in sensitive.text
    assert harness.labels() == ["✅ 同意提供身份证号", "不同意"]
    # Typing the name now is not consent: the consent is asked again, nothing stored.
    again = await harness.send("张三")
    assert "同意提供身份证号" in again.text and "请输入" not in again.text
    first = await harness.press("✅ 同意提供身份证号")
    assert "请输入<b>姓名</b>" in first.text


async def test_a_forged_or_early_id_consent_starts_nothing(harness: Harness) -> None:
    await harness.send("/start xiaogan-2023")
    forged = await harness.press_data("rg:idok::")
    assert forged.methods() == ["answerCallbackQuery"]
    await harness.send("/register")
    early = await harness.press_data("rg:idok::")  # the notice not yet agreed to
    assert early.methods() == ["answerCallbackQuery"] and "请输入" not in early.text
    # /register again while the ID consent is open shows the notice from the start.
    await harness.press("✅ 同意并开始")
    assert "隐私说明" in (await harness.send("/register")).text


async def _nothing_kept(harness: Harness) -> None:
    async with harness.services.sessionmaker() as session:
        assert (await session.exec(select(Registration))).all() == []
        data = [r.data for r in (await session.exec(select(FsmRecord))).all()]
    assert all('"rg"' not in d for d in data)


async def test_declining_keeps_questions_and_the_self_check(harness: Harness) -> None:
    await harness.send("/start xiaogan-2023")
    await harness.send("/register")
    declined = await harness.press("不同意")
    assert "/register" in declined.text and "/check" in declined.text
    assert visible_length(declined.text) <= 600
    await _nothing_kept(harness)
    answer = await harness.send("年龄有什么要求")
    assert "35周岁" in answer.text
    check = await harness.send("/check")
    assert "学历" in check.text and "中专" in " ".join(check.labels)
    # Declining the ID number alone, after the notice, is the same.
    await harness.send("/cancel")
    await harness.send("/register")
    await harness.press("✅ 同意并开始")
    declined = await harness.press("不同意")
    assert "没有保存" in declined.text
    await _nothing_kept(harness)
    assert "35周岁" in (await harness.send("年龄有什么要求")).text
    # Coming back: the notice and both consents again.
    assert "隐私说明" in (await harness.send("/register")).text


async def test_both_consents_are_kept_with_the_registration(harness: Harness) -> None:
    from tests.test_registration_my import register_xiaogan

    await register_xiaogan(harness)
    async with harness.services.sessionmaker() as session:
        [row] = (await session.exec(select(Registration))).all()
    assert row.consented_at == row.id_consented_at == harness.clock.now()
    mydata = await harness.send("/mydata")
    assert "同意隐私说明：2023年5月10日 10:00；单独同意提供身份证号：2023年5月10日 10:00" in \
        mydata.text
