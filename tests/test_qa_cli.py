"""`zhaolu ask` and `zhaolu unanswered`."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main

NOW = ["--now", "2023-05-10T10:00+08:00"]


def run(argv: list[str], capsys: pytest.CaptureFixture[str], stdin: str | None = None,
        monkeypatch: pytest.MonkeyPatch | None = None) -> tuple[int, str, str]:
    if stdin is not None and monkeypatch is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_ask_imports_neither_aiogram_nor_storage() -> None:
    code = ("import sys; from bot.cli import main; "
            "main(['ask', '--campaign', 'xiaogan-2023', '年龄要求']); "
            "print([m for m in ('aiogram', 'sqlalchemy', 'sqlmodel') if m in sys.modules])")
    env = {k: v for k, v in os.environ.items() if k != "ZHAOLU_DATABASE_URL"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=60, check=True)
    assert "35周岁" in done.stdout
    assert done.stdout.strip().endswith("[]")


def test_jsonl_one_object_per_stdin_line(capsys, monkeypatch) -> None:
    monkeypatch.delenv("ZHAOLU_DATABASE_URL", raising=False)
    code, out, _err = run(["ask", "--campaign", "fujian-2023", "--jsonl", *NOW], capsys,
                          "报名网址是什么\n\n明天天气怎么样\n", monkeypatch)
    assert code == 0
    first, second = (json.loads(line) for line in out.splitlines())
    assert "fjzlqk.wsglw.net" in first["answer"] and first["kind"] == "answered"
    assert first["source"].startswith("《福建省卫生健康委员会")
    assert first["entry"] == "channel" and 0 < first["score"] <= 1
    assert first["alternatives"] == []
    assert second["kind"] == "fallback" and "83574579" in second["answer"]


def test_words_given_are_one_question(capsys, monkeypatch) -> None:
    monkeypatch.delenv("ZHAOLU_DATABASE_URL", raising=False)
    code, out, _err = run(["ask", "--campaign", "xiaogan-2023", *NOW, "汉川", "人民医院", "电话"],
                          capsys)
    assert code == 0 and "8299245" in out and out.count("? ") == 1


def test_several_campaigns_need_a_choice(capsys) -> None:
    code, _out, err = run(["ask", "年龄要求"], capsys)
    assert code == 2
    assert "--campaign" in err and "xiaogan-2023" in err and "fujian-2023" in err
    code, _out, err = run(["ask", "--campaign", "nowhere", "年龄要求"], capsys)
    assert code == 2 and "unknown campaign" in err


def test_unanswered_questions_are_logged_and_listed(tmp_path: Path, capsys,
                                                    monkeypatch) -> None:
    url = f"sqlite+aiosqlite:///{(tmp_path / 'q.db').as_posix()}"
    questions = "明天天气怎么样\n明天天气怎么样？\n报名截止是哪天\n请问住宿怎么安排\n"
    code, _out, _err = run(["ask", "--campaign", "fujian-2023", "--db", url, "--jsonl", *NOW],
                           capsys, questions, monkeypatch)
    assert code == 0
    code, out, _err = run(["unanswered", "--db", url], capsys)
    assert code == 0
    lines = out.splitlines()
    assert "count" in lines[0]
    assert lines[1].split()[0] == "2" and "明天天气怎么样" in lines[1]
    assert lines[2].split()[0] == "1" and "住宿" in lines[2]
    assert not any("报名截止" in line for line in lines)
    code, out, _err = run(["unanswered", "--db", url, "--campaign", "xiaogan-2023"], capsys)
    assert "no unanswered questions" in out
