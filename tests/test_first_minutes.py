"""A newcomer's first minutes (README Quickstart): the shell at a chosen moment, two shells on one
database, settings every command reads alike, typed labels, a clean package list."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

from tests.harness import Harness

ROOT = Path(__file__).resolve().parent.parent
XG = "xiaogan-2023"
XG_NAME = "孝感市 2023 助理全科医生培训（西医）"


def zhaolu(args: list[str], *, stdin: str = "", env: dict[str, str] | None = None,
           cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`zhaolu ARGS` as its own process (as `.venv/bin/zhaolu` runs it), ZHAOLU_* from `env`."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ZHAOLU_")}
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], input=stdin, text=True,
                          capture_output=True, env=clean | (env or {}), cwd=cwd or ROOT,
                          timeout=120)


def turns(out: str) -> list[list[dict[str, Any]]]:
    result: list[list[dict[str, Any]]] = [[]]
    for line in out.splitlines():
        obj = json.loads(line)
        if obj == {"idle": True}:
            result.append([])
        else:
            result[-1].append(obj)
    return result[:-1]


def test_a_second_shell_presses_the_first_shells_buttons(tmp_path: Path) -> None:
    db = f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}"
    env = {"ZHAOLU_VAR_DIR": str(tmp_path / "var"), "ZHAOLU_NOW": "2023-06-20T10:00+08:00"}
    first = zhaolu(["shell", "--jsonl", "--db", db], stdin=f"/start {XG}\n", env=env)
    assert first.returncode == 0, first.stderr
    (start,) = turns(first.stdout)
    offer = start[-1]
    assert offer["buttons"] == [[["🔔 开启报名提醒", f"rm:on:{XG}"],
                                 ["暂不需要", f"rm:later:{XG}"]]]

    second = zhaolu(["shell", "--jsonl", "--db", db], stdin="🔔 开启报名提醒\n报名条件\n", env=env)
    assert second.returncode == 0, second.stderr
    subscribe, conditions = turns(second.stdout)
    # Pressed, not typed: a callback answer, and the offer edited in place.
    assert subscribe[0]["method"] == "answerCallbackQuery"
    assert [o["method"] for o in subscribe][:2] == ["answerCallbackQuery", "editMessageText"]
    # The menu's 报名条件 button of the first shell's message is pressed too (an edit of it).
    assert conditions[0]["method"] == "answerCallbackQuery"
    assert "招录对象" in conditions[1]["text"]

    # The ids go on from where the first shell stopped: nothing collides.
    third = zhaolu(["shell", "--jsonl", "--db", db], stdin="报名时间\n", env=env)
    (answer,) = turns(third.stdout)
    sent = [o for o in answer if o.get("method") == "sendMessage"]
    assert sent and all(o.get("text") for o in sent)


def test_zhaolu_now_opens_the_shell_at_that_moment(tmp_path: Path) -> None:
    env = {"ZHAOLU_VAR_DIR": str(tmp_path / "var"), "ZHAOLU_NOW": "2023-05-10T10:00+08:00",
           "ZHAOLU_BOT_TOKEN": ""}  # empty counts as unset: the shell, not Telegram
    run = zhaolu(["run"], stdin=f"/start {XG}\n📝 预登记\n", env=env)
    assert run.returncode == 0, run.stderr
    assert "clock set to 2023-05-10T10:00:00+08:00" in run.stderr
    assert "预登记" in run.stdout and "已截止" not in run.stdout and "未开始" not in run.stdout


def test_zhaolu_now_with_a_token_is_refused_in_one_line(tmp_path: Path) -> None:
    env = {"ZHAOLU_VAR_DIR": str(tmp_path / "var"), "ZHAOLU_NOW": "2023-05-10T10:00+08:00",
           "ZHAOLU_BOT_TOKEN": "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghi"}
    run = zhaolu(["run"], env=env)
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1 and "ZHAOLU_NOW" in run.stderr
    assert "Traceback" not in run.stderr and "ABCDEFG" not in run.stderr
    assert run.stdout == ""


def test_a_bad_moment_names_its_setting() -> None:
    run = zhaolu(["ask", "--campaign", XG, "报名时间"], env={"ZHAOLU_NOW": "next tuesday"})
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert run.stderr.startswith("zhaolu ask: ZHAOLU_NOW: not an ISO-8601 moment")
    run = zhaolu(["ask", "--campaign", XG, "--now", "soon", "报名时间"])
    assert run.returncode == 2 and "--now: not an ISO-8601 moment: soon" in run.stderr


def test_make_run_passes_now_to_the_bot() -> None:
    if shutil.which("make") is None:  # pragma: no cover - make is a set-up requirement
        raise AssertionError("make is needed: the README's two set-up commands use it")
    dry = subprocess.run(["make", "-n", "-W", "pyproject.toml", "run",
                          "NOW=2023-05-10T10:00+08:00"], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    assert "ZHAOLU_NOW='2023-05-10T10:00+08:00' .venv/bin/zhaolu run" in dry.stdout
    plain = subprocess.run(["make", "-n", "-W", "pyproject.toml", "run"], cwd=ROOT,
                           capture_output=True, text=True, check=True)
    assert "ZHAOLU_NOW" not in plain.stdout and ".venv/bin/zhaolu run" in plain.stdout


def test_every_command_reads_the_content_directory_setting(tmp_path: Path) -> None:
    only_fujian = tmp_path / "campaigns"
    only_fujian.mkdir()
    shutil.copy(ROOT / "content" / "campaigns" / "fujian-2023.yaml", only_fujian)
    env = {"ZHAOLU_CONTENT_DIR": str(only_fujian), "ZHAOLU_NOW": "2023-05-10T10:00+08:00"}
    ask = zhaolu(["ask", "--jsonl", "报名截止时间"], env=env)  # one campaign: no choice needed
    assert ask.returncode == 0, ask.stderr
    assert "福建" in json.loads(ask.stdout)["answer"] or "fujian" in ask.stdout
    check = zhaolu(["check-content"], env=env)
    assert check.returncode == 0 and "1" in check.stdout  # the one campaign there
    broken = ROOT / "tests" / "fixtures" / "content" / "broken"
    check = zhaolu(["check-content"], env={"ZHAOLU_CONTENT_DIR": str(broken)})
    assert check.returncode == 1


async def test_typed_labels_press_buttons_without_their_decoration(harness: Harness) -> None:
    await harness.send(f"/start {XG}")
    calls = await harness.press("开启报名提醒")  # the button reads "🔔 开启报名提醒"
    assert calls.methods()[0] == "answerCallbackQuery"
    await harness.press("切换招录项目")
    assert f"✅ {XG_NAME}" in harness.labels()
    chosen = await harness.press(XG_NAME)  # typed without the "✅ " the current one carries
    assert chosen.methods()[:2] == ["answerCallbackQuery", "editMessageText"]
    assert "请选择要查看的内容" in chosen[1].text


def test_the_package_list_is_every_package_folder() -> None:
    listed = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = sorted(".".join(p.parent.relative_to(ROOT).parts)
                   for top in ("bot", "content", "handlers", "storage")
                   for p in (ROOT / top).rglob("__init__.py"))
    assert sorted(listed["packages"]) == found
    tops = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()}
    assert tops - {"tests", "bench"} == {"bot", "content", "handlers", "storage"}


def test_the_quickstart_demo_tours_the_applicant_side(tmp_path: Path) -> None:
    """The README's demo lines, pasted into `make run NOW=…` (ZHAOLU_NOW + zhaolu run)."""
    readme = (ROOT / "README.md").read_text()
    block = readme.split("<!-- demo:", 1)[1].split("<!-- /demo -->", 1)[0]
    lines = block.split("```", 2)[1].strip().splitlines()
    env = {"ZHAOLU_VAR_DIR": str(tmp_path / "var"), "ZHAOLU_NOW": "2023-05-10T10:00+08:00"}
    run = zhaolu(["run"], stdin="\n".join(lines) + "\n", env=env, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "2023年6月30日" in out  # the answer to the deadline question
    assert "✅ 按您填写的情况，符合报名条件" in out  # the self-check's verdict
    assert "预登记成功" in out and "XG2023-0001" in out  # the receipt
    reminder = out.split("» clock: 2023-06-29T09:00:00+08:00", 1)[1]
    assert "⏰" in reminder and "还剩约1天" in reminder and "sent=1" in reminder
    # Every line was understood: no "please press a button" or "not understood" on the way.
    assert "请点击下面的按钮" not in out and "没有看懂" not in out and "不正确" not in out


async def test_a_bot_serving_one_campaign_needs_no_chooser(db_url: str, tmp_path: Path) -> None:
    """A county's own bot has one campaign: /start greets with it and shows its menu, and a
    question typed first is answered at once, not sent to a chooser of one."""
    only = tmp_path / "campaigns"
    only.mkdir()
    shutil.copy(ROOT / "content" / "campaigns" / "fujian-2023.yaml", only)
    h = await Harness.create(db_url, var_dir=tmp_path / "var", content_dir=only)
    try:
        asked = await h.send("报名截止时间是什么时候", user=7)
        assert "请先选择" not in asked.text and "7月12日" in asked.text
        started = await h.send("/start")
        assert "福建省 2023 助理全科医生培训（社会人）的报名者" in started[0].text
        assert "报名条件" in started.labels and "请选择您关注的招录通知" not in started.text
    finally:
        await h.close()
