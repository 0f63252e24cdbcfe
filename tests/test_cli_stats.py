"""`zhaolu stats`: the same figures as the chat, as text, as one JSON object, and the chart.

The command runs in its own process on the test's database and never imports aiogram.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

from PIL import Image

from tests.harness import Harness
from tests.staff_helpers import XG, population

ROOT = Path(__file__).resolve().parent.parent
NOW = "2023-05-10T10:00:00+08:00"


def zhaolu(*args: str) -> subprocess.CompletedProcess[str]:
    probe = ("import sys; from bot.cli import main; code = main(sys.argv[1:]); "
             "assert 'aiogram' not in sys.modules, 'imported aiogram'; sys.exit(code)")
    return subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True,
                          cwd=ROOT, env=dict(os.environ), check=False)


async def seeded(db_url: str, tmp_path: Path) -> None:
    h = await Harness.create(db_url, var_dir=tmp_path / "var")
    await population(h)
    await h.close()


async def test_text_jsonl_and_chart_agree_with_the_chat(db_url: str, tmp_path: Path) -> None:
    await seeded(db_url, tmp_path)
    chart = tmp_path / "chart.png"
    done = zhaolu("stats", "--campaign", XG, "--db", db_url, "--now", NOW, "--out", str(chart))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[:2] == ["📊 孝感市 2023 助理全科医生培训（西医）",
                         "范围：整个项目 · 截至 2023-05-10 10:00"]
    assert "<b>" not in done.stdout
    for line in ("选择本项目 11", "资格自测 9（82%）", "符合条件 9（100%）", "已预登记 8（89%）",
                 "已官网报名 4（50%）", "审核通过 3（75%）", "已录取 3（100%）", "已报到 1（33%）",
                 "其中：已撤回 1", "孝感市第一人民医院：1 / 10", "汉川市人民医院：6 / 6（录取 2）",
                 "安陆市普爱医院：1 / 6（录取 1）", "合计：8 / 22"):
        assert line in lines, line
    image = Image.open(io.BytesIO(chart.read_bytes()))
    assert image.format == "PNG" and image.width == 1080

    done = zhaolu("stats", "--campaign", XG, "--db", db_url, "--now", NOW, "--jsonl")
    assert done.returncode == 0, done.stderr
    (line,) = done.stdout.splitlines()  # one object
    figures = json.loads(line)
    assert sorted(figures) == ["bases", "busiest", "campaign", "daily", "daily_total",
                               "funnel", "last_7_days", "name", "no_base", "now", "outcomes",
                               "scope", "total_quota", "window"]
    assert figures["scope"] == "campaign" and figures["total_quota"] == 22
    assert [(s["stage"], s["count"]) for s in figures["funnel"]] == [
        ("chose", 11), ("self_check", 9), ("eligible", 9), ("pre_registered", 8),
        ("officially_registered", 4), ("review_passed", 3), ("admitted", 3), ("reported", 1)]
    assert figures["bases"][1] == {"id": "hanchuan", "name": "汉川市人民医院", "quota": 6,
                                   "pre_registered": 6, "admitted": 2}
    assert figures["outcomes"]["withdrawn"] == 1
    assert figures["window"] == {"opens": "2023-05-04", "closes": "2023-06-30"}
    # The window's days up to --now, zero days included (the seeded rows were made today, in
    # real time, so none falls in 2023's window).
    assert [d["date"] for d in figures["daily"]] == [f"2023-05-{d:02}" for d in range(4, 11)]
    assert figures["daily_total"] == 0 and figures["busiest"] is None


def test_refusals_are_clear(tmp_path: Path) -> None:
    db = f"sqlite+aiosqlite:///{tmp_path / 'z.db'}"
    done = zhaolu("stats", "--campaign", "nowhere-2023", "--db", db)
    assert done.returncode == 2 and "known: " in done.stderr and "xiaogan-2023" in done.stderr
    done = zhaolu("stats", "--campaign", XG, "--db", db, "--now", "yesterday")
    assert done.returncode == 2 and "--now: not an ISO-8601 moment: yesterday" in done.stderr
    done = zhaolu("stats", "--campaign", XG, "--db", db, "--out", str(tmp_path / "no" / "x.png"))
    assert done.returncode == 2 and "cannot write" in done.stderr


def test_the_chart_in_zhaolu_shell(monkeypatch, capsys, db_url: str, tmp_path: Path) -> None:
    """Issue 11's "done when": two applicants pre-register by typing; the admin's /staff → 📊 统计
    shows the figures and the chart, which the shell saves so it can be opened."""
    from tests.test_shell import shell, turns
    from tests.test_shell_staff import pre_register

    monkeypatch.setenv("ZHAOLU_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("ZHAOLU_ADMINS", "1001")
    lines = [
        *pre_register(11, "王小明", "42098419990101123X", "13812345678", "汉川市人民医院（6人）"),
        *pre_register(12, "李华", "420984199802022347", "13912345678", "汉川市人民医院（6人）"),
        ":user 1001", "/staff", "📊 统计", "孝感市 2023 助理全科医生培训（西医）",
    ]
    stats = turns(shell(monkeypatch, capsys, db_url, lines, "--jsonl"))[-1]
    assert [o.get("method", "note") for o in stats] == [
        "answerCallbackQuery", "editMessageText", "sendChatAction", "sendPhoto", "note"]
    text = stats[1]["text"]
    assert "已预登记 2（100%）" in text and "汉川市人民医院：2 / 6" in text
    assert "共 2 人；最多一天：5月10日 2 人" in text  # the shell's clock: 2023-05-10
    saved = Path(stats[-1]["note"].rsplit(" to ", 1)[1])
    assert saved.parent == tmp_path / "var" / "shell-files"
    image = Image.open(io.BytesIO(saved.read_bytes()))
    assert image.format == "PNG" and image.width == 1080
