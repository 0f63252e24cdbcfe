"""`zhaolu shell`: its public contract (README, "The shell contract"), a season replayed in it."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from tests.bot_api import problems

START = "2023-05-10T10:00:00+08:00"
XG = "xiaogan-2023"


def shell(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], db_url: str,
          lines: list[str], *options: str) -> str:
    """Run `zhaolu shell` on `lines` as standard input; its standard output."""
    monkeypatch.setattr("sys.stdin", io.StringIO("".join(f"{line}\n" for line in lines)))
    capsys.readouterr()
    assert main(["shell", "--db", db_url, "--now", START, *options]) == 0
    return capsys.readouterr().out


def turns(out: str) -> list[list[dict[str, Any]]]:
    """The JSONL output cut at each {"idle": true}: what each input line produced."""
    result: list[list[dict[str, Any]]] = [[]]
    for line in out.splitlines():
        obj = json.loads(line)  # every line is one JSON object
        if obj == {"idle": True}:
            result.append([])
        else:
            result[-1].append(obj)
    assert result[-1] == [], "output after the last idle marker"
    return result[:-1]


def sends(objs: list[dict[str, Any]]) -> list[tuple[int, str]]:
    return [(o["chat_id"], o["text"]) for o in objs if o.get("method") == "sendMessage"]


@pytest.fixture(autouse=True)
def var_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZHAOLU_VAR_DIR", str(tmp_path / "var"))


def test_jsonl_contract(monkeypatch, capsys, db_url) -> None:
    out = shell(monkeypatch, capsys, db_url,
                ["/start", "孝感市 2023 助理全科医生培训（西医）", ":user 2", ":now nonsense",
                 ":now 2023-06-01T12:00", "", ":sticker", ":quit", "never read"], "--jsonl")
    chooser, chosen, user, bad_now, now, empty, sticker, quit_ = turns(out)  # then it stops
    (greeting,) = chooser
    assert greeting["method"] == "sendMessage" and greeting["chat_id"] == 1001
    # Rows of [label, data], as the phone lays them out: one campaign per row.
    assert [["孝感市 2023 助理全科医生培训（西医）", f"c:{XG}"]] in greeting["buttons"]
    assert all(isinstance(row, list) and all(len(b) == 2 for b in row)
               for row in greeting["buttons"])
    # A line that is a button's label presses it: a callback answer, then the campaign.
    assert chosen[0]["method"] == "answerCallbackQuery" and "孝感" in chosen[0]["text"]
    assert chosen[1]["method"] == "editMessageText" and chosen[1]["chat_id"] == 1001
    assert "孝感" in chosen[1]["text"] and "message_id" in chosen[1]
    for obj in chooser + chosen + sticker:
        params = {k: v for k, v in obj.items() if k not in ("method", "buttons")}
        assert not problems(obj["method"], params), obj
    assert user == [{"note": "current user: 2"}]
    assert bad_now == [{"note": "not an ISO-8601 time: nonsense"}]
    assert now == [{"note": "clock: 2023-06-01T12:00:00+08:00"}]  # naive means Shanghai
    assert empty == []
    assert sends(sticker)[0][0] == 2 and "贴纸" in sends(sticker)[0][1]
    assert quit_ == []


def test_readable_output(monkeypatch, capsys, db_url) -> None:
    out = shell(monkeypatch, capsys, db_url, [f"/start {XG}", ":help"])
    assert "<b>" not in out and "孝感市 2023 助理全科医生培训（西医）" in out
    assert "[报名条件]" in out and "[🔔 开启报名提醒] [暂不需要]" in out  # a row of buttons
    assert "» shell commands:" in out and ":tick" in out


def test_the_state_survives_a_second_shell(monkeypatch, capsys, db_url) -> None:
    shell(monkeypatch, capsys, db_url, [f"/start {XG}"], "--jsonl")
    (answer,) = turns(shell(monkeypatch, capsys, db_url, ["报名截止时间是什么时候"], "--jsonl"))
    text = " ".join(t for _, t in sends(answer))
    assert "6月30日" in text and "请先选择" not in text


def test_a_season_replayed_sends_each_reminder_once_to_its_audience(monkeypatch, capsys,
                                                                     db_url) -> None:
    """1 and 2 subscribe; 3 subscribes then unsubscribes; 4 says not now. (Audiences by
    registration status are replayed tick by tick in tests/test_reminders_tick.py.)"""
    setup = [":user 1", f"/start {XG}", "🔔 开启报名提醒",
             ":user 2", f"/start {XG}", "🔔 开启报名提醒",
             ":user 3", f"/start {XG}", "🔔 开启报名提醒", "/unsubscribe",
             ":user 4", f"/start {XG}", "暂不需要"]
    three_days = [":now 2023-06-27T09:00:00+08:00", ":tick", ":tick"]
    out = turns(shell(monkeypatch, capsys, db_url, setup + three_days, "--jsonl"))
    first, second = out[-2], out[-1]
    got = sends(first)
    assert sorted(chat for chat, _ in got) == [1, 2]
    assert all("还剩约3天" in text and "6月30日" in text for _, text in got)
    assert [o["buttons"] for o in first if "buttons" in o] == [
        [[["🔕 不再提醒此项目", f"rm:stop:{XG}"]]]] * 2
    assert sends(second) == [] and "nothing new" in second[-1]["note"]

    # A new shell on the same database: nothing again, then the season goes on.
    later = [":now 2023-06-27T10:00:00+08:00", ":tick",
             ":now 2023-06-29T23:00:00+08:00", ":tick",  # quiet hours: nothing
             ":now 2023-06-30T08:00:00+08:00", ":tick",  # the day-before reminder, late
             ":now 2023-07-01T09:00:00+08:00", ":tick"]  # the window has closed
    again, night, morning, closed = turns(shell(monkeypatch, capsys, db_url, later,
                                                "--jsonl"))[1::2]
    assert sends(again) == [] and sends(night) == [] and sends(closed) == []
    assert "quiet hours" in night[-1]["note"]
    assert sorted(chat for chat, _ in sends(morning)) == [1, 2]
    assert all("6月30日" in text for _, text in sends(morning))


def test_fujian_season_for_a_subscriber(monkeypatch, capsys, db_url) -> None:
    """Each of the four window reminders once, at its time; results and report-in reminders
    are for the pre-registered and the admitted, so this subscriber gets none of them."""
    moments = ["2023-07-08T09:00", "2023-07-08T09:30", "2023-07-09T07:59", "2023-07-09T08:00",
               "2023-07-11T09:00", "2023-07-12T15:00", "2023-07-12T17:01", "2023-07-15T09:00",
               "2023-08-24T09:00", "2023-08-31T09:00"]
    lines = ["/start fujian-2023", "🔔 开启报名提醒"]
    for moment in moments:
        lines += [f":now {moment}", ":tick"]
    out = turns(shell(monkeypatch, capsys, db_url, lines, "--jsonl"))
    got = {moment: sends(turn) for moment, turn in zip(moments, out[3::2], strict=True)}
    assert {moment: len(sent) for moment, sent in got.items() if sent} == {
        "2023-07-08T09:00": 1, "2023-07-09T08:00": 1, "2023-07-11T09:00": 1,
        "2023-07-12T15:00": 1}
    assert all(chat == 1001 for sent in got.values() for chat, _ in sent)
    assert "7月12日" in got["2023-07-11T09:00"][0][1]


def test_readable_reminders_name_their_recipient(monkeypatch, capsys, db_url) -> None:
    script = [":user 1", f"/start {XG}", "🔔 开启报名提醒", ":user 2",
              ":now 2023-06-27T09:00:00+08:00", ":tick"]
    out = shell(monkeypatch, capsys, db_url, script)
    reminder = out[out.index("→ 用户 1"):]
    assert "还剩约3天" in reminder
    assert "→ 用户 2" not in out  # the current user's own messages carry no header
