"""`zhaolu eligibility`: the verdict as JSON or text; missing and invalid fields reported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main as cli

NOW = "2023-05-10T10:00:00+08:00"
XIAOGAN_TITLE = "《关于做好我市2023年助理全科医生培训（西医）招录工作的通知》"
PROFILE = {"education": "专科", "major": "临床医学", "birth_date": "1988-06-30",
           "qualification": "执业助理医师", "scope_includes_gp": False, "employment": "无",
           "sponsorship": "无"}


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli(["eligibility", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_jsonl_prints_the_verdict_and_every_reason(capsys: pytest.CaptureFixture[str]) -> None:
    profile = {**PROFILE, "birth_date": "1987-06-30", "scope_includes_gp": True}
    code, out, _ = run(capsys, "--campaign", "xiaogan-2023", "--profile", json.dumps(profile),
                       "--now", NOW, "--jsonl")
    assert code == 0
    result = json.loads(out)
    assert result["verdict"] == "ineligible"
    assert [r["rule"] for r in result["reasons"]] == ["age_over_35", "assistant_with_gp_scope"]
    for reason in result["reasons"]:
        assert set(reason) == {"rule", "text", "source"}
        assert reason["source"].startswith(f"{XIAOGAN_TITLE}二、")
    assert result["reasons"][1]["source"].endswith("二、招录对象（二）")
    assert out.count("\n") == 1


def test_readable_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--campaign", "xiaogan-2023", "--profile", json.dumps(PROFILE),
                       "--now", NOW)
    assert code == 0
    assert "符合报名条件" in out and "35周岁" in out and "<b>" not in out
    assert "报名时间为2023年5月4日至6月30日" in out


def test_a_profile_from_a_file_and_the_other_batch(capsys: pytest.CaptureFixture[str],
                                                   tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"education": "专科", "major": "临床医学",
                                "employment": "基层医疗卫生机构", "sponsorship": "农村订单定向"}),
                    encoding="utf-8")
    code, out, _ = run(capsys, "--campaign", "fujian-2023", "--profile", f"@{path}", "--jsonl")
    assert code == 0
    result = json.loads(out)
    assert result["verdict"] == "conditional"
    assert {r["rule"] for r in result["reasons"]} == {"grassroots_staff", "oriented_graduate"}
    assert "2023年8月" in result["next_steps"][0]


def test_missing_fields_are_reported(capsys: pytest.CaptureFixture[str]) -> None:
    profile = {"education": "专科", "major": "临床医学", "qualification": "执业助理医师"}
    code, out, _ = run(capsys, "--campaign", "xiaogan-2023", "--profile", json.dumps(profile),
                       "--jsonl")
    assert code == 2
    assert json.loads(out) == {"error": "missing_fields", "missing": [
        "birth_date", "scope_includes_gp", "employment", "sponsorship"]}
    code, _, err = run(capsys, "--campaign", "xiaogan-2023", "--profile", json.dumps(profile))
    assert code == 2 and "出生日期（birth_date）" in err


@pytest.mark.parametrize(("profile", "error"), [
    ('{"education": "大学", "birth_date": "1990/01/02"}', "invalid_profile"),
    ('{"education": "专科", "id_number": "1"}', "invalid_profile"),
    ('{"education": ', "profile"),
    ('["专科"]', "profile"),
    ("@/no/such/file.json", "profile"),
])
def test_invalid_input_is_reported(capsys: pytest.CaptureFixture[str], profile: str,
                                   error: str) -> None:
    code, out, _ = run(capsys, "--campaign", "xiaogan-2023", "--profile", profile, "--jsonl")
    assert code == 2
    assert json.loads(out)["error"] == error


def test_invalid_values_name_their_fields(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--campaign", "xiaogan-2023", "--profile",
                       '{"education": "大学", "birth_date": "1990/01/02"}')
    assert code == 2
    assert "education:" in err and "birth_date:" in err


def test_an_unknown_campaign(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--campaign", "nowhere", "--profile", "{}")
    assert code == 2 and "xiaogan-2023" in err


def test_the_command_imports_neither_aiogram_nor_storage() -> None:
    script = (
        "import sys\n"
        "from bot.cli import main\n"
        "main(['eligibility', '--campaign', 'fujian-2023', '--jsonl', '--profile',"
        " '{\"education\": \"专科\", \"major\": \"临床医学\", \"employment\": \"无\","
        " \"sponsorship\": \"无\"}'])\n"
        "assert 'aiogram' not in sys.modules, 'aiogram imported'\n"
        "assert 'sqlalchemy' not in sys.modules, 'storage imported'\n"
    )
    run_ = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, cwd=Path(__file__).resolve().parents[1])
    assert run_.returncode == 0, run_.stderr
    assert json.loads(run_.stdout)["verdict"] == "eligible"
