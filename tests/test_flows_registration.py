"""The pre-registration as applicants use it: reusing the self-check, typing instead of pressing,
old buttons, other flows in between (found by hand in the shell)."""

from __future__ import annotations

from datetime import datetime

from content.registration_form import answers_from_check
from tests.harness import Harness
from tests.registration_helpers import id_number

ID = id_number()
FUJIAN_NOW = datetime.fromisoformat("2023-07-10T10:00:00+08:00")

def test_answers_from_check_stop_at_the_first_unknown_field() -> None:
    full = {"education": "专科", "major": "临床医学", "qualification": "执业助理医师",
            "scope_includes_gp": True}
    assert answers_from_check(full) == {"education": "zk", "major": "临床医学",
                                        "qualification": "asst_gp"}
    # 执业助理医师 without the scope answer, or no 执业资格 asked at all: the form asks it.
    no_scope = {**full, "scope_includes_gp": None}
    assert answers_from_check(no_scope) == {"education": "zk", "major": "临床医学"}
    assert answers_from_check({"education": "专科", "major": "临床医学"}) == {
        "education": "zk", "major": "临床医学"}
    assert answers_from_check({"education": "本科", "major": "<b>"}) == {"education": "bk"}
    assert answers_from_check({"major": "临床医学"}) == {}

async def self_check(harness: Harness, *answers: str) -> None:
    await harness.send("/check")
    for answer in answers:
        await harness.send(answer)

async def form_to_education(harness: Harness) -> str:
    await harness.send("/register")
    await harness.press("✅ 同意并开始")
    await harness.press("✅ 同意提供身份证号")
    for answer in ("张三", ID, "13812345678", "湖北职业技术学院"):
        await harness.send(answer)
    return (await harness.send("2022")).text

async def test_form_reuses_the_self_check(harness: Harness) -> None:
    await harness.send("/start xiaogan-2023")
    await self_check(harness, "专科（高职高专、大专）", "临床医学", "1999-01-01", "都没有",
                     "没有工作单位（应往届毕业生等）", "都不是")
    question = await form_to_education(harness)
    assert "您做过报名条件自查" in question and "专业 <b>临床医学</b>" in question
    assert "✅ 沿用自查结果" in harness.labels()
    calls = await harness.press("✅ 沿用自查结果")
    assert "已沿用自查结果" in calls.text and "人员类型" in calls.text
    await harness.press("应往届毕业生")
    summary = await harness.press("汉川市人民医院（6人）")
    assert "学历：专科（高职高专）" in summary.text and "执业资格：未取得执业资格" in summary.text
    # Still editable: 改学历 asks it again (with the offer) and comes back to the summary.
    edit = await harness.press("改学历")
    assert "沿用自查结果" in edit.text
    back = await harness.press("本科")
    assert "学历：本科" in back.text and "请核对" in back.text

async def test_fujian_check_asks_no_qualification_so_the_form_does(harness: Harness) -> None:
    harness.clock.set(FUJIAN_NOW)
    await harness.send("/start fujian-2023")
    await self_check(harness, "专科（高职高专、大专）", "临床医学",
                     "没有工作单位（应往届毕业生等）", "都不是")
    question = await form_to_education(harness)
    assert "填好这 2 项" in question and "执业资格 <b>" not in question
    calls = await harness.send("沿用自查结果")  # typed rather than pressed
    assert "已沿用自查结果" in calls.text and "请选择<b>执业资格</b>" in calls.text


async def test_no_offer_without_a_check(harness: Harness) -> None:
    await harness.send("/start xiaogan-2023")
    question = await form_to_education(harness)
    assert "自查" not in question and "✅ 沿用自查结果" not in harness.labels()


async def test_typed_consent_starts_the_form(harness: Harness) -> None:
    await harness.send("/start xiaogan-2023")
    await harness.send("/register")
    other = await harness.send("这个要钱吗")  # a question: answered, then the step again
    assert "费用" in other.texts[0] and "同意并开始" in other.texts[-1]
    assert "✅ 同意并开始" in other.labels
    other = await harness.send("嗯嗯")
    assert "同意并开始" in other.text and "隐私说明" in other.text
    sensitive = await harness.send("同意")
    assert "单独同意" in sensitive.text and "请输入<b>姓名</b>" not in sensitive.text
    other = await harness.send("嗯嗯")
    assert "同意提供身份证号" in other.text and "敏感个人信息" in other.text
    calls = await harness.send("同意")
    assert "请输入<b>姓名</b>" in calls.text


async def test_typed_confirm_on_the_summary_stays_in_the_form(harness: Harness) -> None:
    await harness.send("/start xiaogan-2023")
    await form_to_education(harness)
    await harness.press("专科（高职高专）")
    await harness.press("临床医学")
    await harness.press("未取得执业资格")
    await harness.press("应往届毕业生")
    await harness.press("汉川市人民医院（6人）")
    calls = await harness.send("确认")
    assert "还差最后一步" in calls.text and "请核对" in calls.text
    assert "✅ 确认提交" in calls.labels
    receipt = await harness.press("✅ 确认提交")
    assert "XG2023-0001" in receipt.text


async def test_an_id_number_taken_by_another_account_is_refused_at_its_step(
        harness: Harness) -> None:
    await harness.send("/start xiaogan-2023")
    await form_to_education(harness)
    for label in ("专科（高职高专）", "临床医学", "未取得执业资格", "应往届毕业生",
                  "汉川市人民医院（6人）", "✅ 确认提交"):
        await harness.press(label)
    await harness.send("/start xiaogan-2023", user=2002)
    await harness.send("/register", user=2002)
    await harness.press("✅ 同意并开始", user=2002)
    await harness.press("✅ 同意提供身份证号", user=2002)
    await harness.send("李四", user=2002)
    calls = await harness.send(ID, user=2002)
    assert "已由另一个账号" in calls.text and "2349370" in calls.text
    assert "请输入<b>身份证号</b>" in calls.text and "deleteMessage" in calls.methods()
    # The owner editing their own pre-registration keeps the number.
    await harness.send("/my")
    await harness.press("✏️ 修改 XG2023-0001")
    edit = await harness.press("改身份证号")
    assert "身份证号" in edit.text
    summary = await harness.send(ID)
    assert "请核对" in summary.text and "另一个" not in summary.text


async def test_qualification_typed_in_plain_words(harness: Harness) -> None:
    await harness.send("/start xiaogan-2023")
    await form_to_education(harness)
    await harness.press("专科（高职高专）")
    await harness.press("临床医学")
    calls = await harness.send("没有")
    assert "人员类型" in calls.text
    await harness.press("« 上一步")
    again = await harness.send("执业助理医师")  # with or without 全科: only the buttons say
    assert "请点选下面的按钮" in again.text and "执业资格" in again.text
