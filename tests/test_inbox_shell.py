"""The staff inbox in `zhaolu shell`, as issue 11's "done when" says: an applicant's unanswered
question reaches a base's staff member, the reply comes back, becomes an FAQ entry that answers
the next applicant; and the same through a forum group bound with /bind (the shell's :group).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_shell import shell, turns
from tests.test_shell_staff import pre_register

ADMIN, BASE_STAFF = "1001", "3001"
GROUP = "-1001500"


@pytest.fixture(autouse=True)
def admins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZHAOLU_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("ZHAOLU_ADMINS", ADMIN)


def invite_base_staff(monkeypatch, capsys, db_url: str) -> str:
    first = [
        *pre_register(11, "王小明", "42098419990101123X", "13812345678", "汉川市人民医院（6人）"),
        f":user {ADMIN}", "/staff", "👥 人员与邀请", "➕ 邀请", "基地工作人员",
        "孝感市 2023 助理全科医生培训（西医）", "汉川市人民医院",
    ]
    link = turns(shell(monkeypatch, capsys, db_url, first, "--jsonl"))[-1][-1]["text"]
    return link.split("https://t.me/zhaolu_bot?start=")[1].split()[0]


def to(objs: list[dict], chat: str | int) -> list[dict]:
    return [o for o in objs if str(o.get("chat_id")) == str(chat)]


def test_question_reply_and_faq_in_private_chats(monkeypatch, capsys, db_url) -> None:
    payload = invite_base_staff(monkeypatch, capsys, db_url)
    second = [
        f":user {BASE_STAFF}", f"/start {payload}",
        ":user 11", "宿舍是几人间？有事打13812345678", "💬 问老师", "📨 直接发送这个问题",
        f":user {BASE_STAFF}", "✍️ 回复", "一般四人间，有空调。", "📚 存为问答", "✏️ 修改问题",
        "汉川基地的宿舍是几人间？", "✅ 保存为问答",
        ":user 12", "/start xiaogan-2023", "汉川基地宿舍是几人间",
    ]
    out = turns(shell(monkeypatch, capsys, db_url, second, "--jsonl"))
    found, ask, send = out[3], out[4], out[5]
    assert "💬 问老师" in [b[0] for o in found for row in o.get("buttons", []) for b in row]
    assert "138****5678" in ask[-1]["text"]
    card = to(send, BASE_STAFF)
    assert card and "王小明（预登记：汉川市人民医院）" in card[0]["text"]
    assert "13812345678" not in card[0]["text"] and "已自动隐藏" in card[0]["text"]
    reply = out[8]
    back = [o for o in to(reply, 11) if o["method"] == "sendMessage"]
    assert back[0]["text"] == "【汉川市人民医院 老师答复】\n一般四人间，有空调。"
    assert "已保存为问答" in out[12][-1]["text"]
    answer = out[-1][-1]["text"]
    assert "一般四人间，有空调。" in answer and "工作人员答复" in answer


def test_question_and_reply_through_a_forum_group(monkeypatch, capsys, db_url) -> None:
    payload = invite_base_staff(monkeypatch, capsys, db_url)
    lines = [
        f":user {BASE_STAFF}", f"/start {payload}",
        f":user {ADMIN}", f":group {GROUP} /bind xiaogan-2023",
        ":user 11", "/ask_staff", "报到那天几点到？",
    ]
    out = turns(shell(monkeypatch, capsys, db_url, lines, "--jsonl"))
    assert "已把本群绑定为" in out[3][-1]["text"]
    asked = out[-1]
    assert [o["method"] for o in asked][:2] == ["createForumTopic", "sendMessage"]
    topic = asked[1]["message_thread_id"]
    assert asked[0]["name"] == "提问 #1 · 王小明"
    lines = [f":user {BASE_STAFF}", f":group {GROUP} #{topic} 上午8点到科教科。"]
    out = turns(shell(monkeypatch, capsys, db_url, lines, "--jsonl"))
    back = [o for o in to(out[-1], 11) if o["method"] == "sendMessage"]
    assert back[0]["text"] == "【汉川市人民医院 老师答复】\n上午8点到科教科。"
    assert "答复已发送给学员" in to(out[-1], GROUP)[-1]["text"]
