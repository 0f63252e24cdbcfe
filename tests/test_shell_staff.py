"""The staff side in `zhaolu shell`, as a new coordinator would try it (issue 10's "done when").

Three applicants pre-register by typing, one marks 已官网报名; the admin (ZHAOLU_ADMINS) invites
a coordinator in the chat; in a second shell on the same database the coordinator opens the
link, sends a formatted PDF to "汉川 pre-registered, not yet registered officially", sees the
preview and the count, confirms, and `:tick` delivers it to that one applicant only. The audit
log has it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_shell import shell, turns

ADMIN, COORD = "1001", "2001"
CONSENT = ["/start xiaogan-2023", "暂不需要", "📝 预登记", "✅ 同意并开始", "✅ 同意提供身份证号"]


def pre_register(user: int, name: str, id_number: str, phone: str, base: str) -> list[str]:
    return [f":user {user}", *CONSENT, name, id_number, phone, "湖北职业技术学院", "2023",
            "专科（高职高专）", "临床医学", "未取得执业资格", "应往届毕业生", base,
            "✅ 确认提交"]


@pytest.fixture(autouse=True)
def admins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZHAOLU_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("ZHAOLU_ADMINS", ADMIN)


def test_a_coordinator_invited_in_the_chat_announces_to_one_base(monkeypatch, capsys,
                                                                  db_url) -> None:
    first = [
        *pre_register(11, "王小明", "42098419990101123X", "13812345678", "汉川市人民医院（6人）"),
        *pre_register(12, "李华", "420984199802022347", "13912345678", "汉川市人民医院（6人）"),
        "/my", "✅ 我已在官网报名 XG2023-0002",
        *pre_register(13, "张丽", "42090219970303345X", "13712345678",
                      "孝感市第一人民医院（10人）"),
        f":user {ADMIN}", "/staff", "👥 人员与邀请", "➕ 邀请", "协调员",
        "孝感市 2023 助理全科医生培训（西医）",
    ]
    out = turns(shell(monkeypatch, capsys, db_url, first, "--jsonl"))
    link = out[-1][-1]["text"]
    assert "协调员" in link and "72 小时内有效" in link
    payload = link.split("https://t.me/zhaolu_bot?start=")[1].split()[0]

    second = [
        f":user {COORD}", f"/start {payload}", "/staff", "📢 发通知",
        ":document 资格审核安排.pdf 300 <b>汉川基地</b>：5月12日上午9点资格审核，请带<u>原件</u>",
        "汉川市人民医院（2）", "已预登记、未标记官网报名（1）", "👁 预览", "🚀 立即发送",
        "✅ 确认发送", ":tick", "/staff", "📜 操作记录",
    ]
    (welcome, home, ask, content, base, audience, preview, now, confirm, tick, _, log) = \
        turns(shell(monkeypatch, capsys, db_url, second, "--jsonl"))[1:]
    assert "协调员" in welcome[0]["text"] and [
        o["method"] for o in welcome[1:]] == ["setMyCommands"]
    assert "【孝感市 2023 · 孝感市卫生健康委员会】" in ask[-1]["text"]
    composed = content[0]
    assert composed["method"] == "copyMessage" and composed["file"] == "资格审核安排.pdf"
    assert composed["caption"].startswith("【孝感市 2023 · 孝感市卫生健康委员会】\n汉川基地：")
    bold = [e for e in composed["caption_entities"] if e["type"] in ("bold", "underline")]
    assert len(bold) == 3  # the header, 汉川基地, and 原件 underlined
    assert "将发送给 <b>1</b> 人" in audience[-1]["text"]
    assert preview[1]["method"] == "copyMessage" and "目前 <b>1</b> 人" in preview[2]["text"]
    assert "人数：<b>1</b> 人" in now[-1]["text"]
    assert "已提交" in confirm[-1]["text"] and confirm[-1]["buttons"] == [
        [["⏹ 停止发送", "sf:stop:1:"]]]
    delivered = [o for o in tick if o.get("method") == "copyMessage"]
    assert [o["chat_id"] for o in delivered] == [11]
    assert delivered[0]["file"] == "资格审核安排.pdf"
    card = [o for o in tick if o.get("method") == "editMessageText"][-1]
    assert "已发送完毕" in card["text"] and "送达 1" in card["text"]
    assert "发通知" in log[-1]["text"] and "1 人" in log[-1]["text"]
    assert "接受邀请" in log[-1]["text"]
