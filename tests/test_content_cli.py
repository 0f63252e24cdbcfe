"""`zhaolu check-content`: output format, exit codes, and no aiogram on its import path."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bot.cli import main
from content.loader import check_file

FIXTURES = Path(__file__).parent / "fixtures" / "content"
ROOT = Path(__file__).resolve().parent.parent


def test_bundled_content_is_ok(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-content"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == "ok: 2 campaigns"


def test_single_valid_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-content", str(FIXTURES / "valid" / "demo-2024.yaml")]) == 0
    assert capsys.readouterr().out.strip() == "ok: 1 campaign"


def test_broken_directory_lists_every_issue(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-content", str(FIXTURES / "broken")]) == 1
    lines = capsys.readouterr().out.strip().splitlines()
    broken = sorted((FIXTURES / "broken").glob("*.yaml"))
    assert lines[-1] == f"{len(broken)} issues in {len(broken)} files"
    assert any(line.endswith("wrong-type.yaml:47: plan.bases[0].quota：应为整数（写阿拉伯数字，"
                             "如 5；通知没写就写 null）（现在是 'five'）")
               for line in lines)
    for path in broken:
        assert any(f"{path.name}:" in line for line in lines[:-1])


def test_missing_target(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["check-content", str(tmp_path / "nowhere")]) == 1
    assert "no such file or directory" in capsys.readouterr().out


def test_section_without_label(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source = (FIXTURES / "valid" / "demo-2024.yaml").read_text(encoding="utf-8")
    extra = "  extra:\n    - id: extra_one\n      title: 其他\n      text: 其他内容。\n" \
            "      clause: 七、其他\nplan:\n"
    path = tmp_path / "demo-2024.yaml"
    path.write_text(source.replace("plan:\n  clause", extra + "  clause", 1), encoding="utf-8")
    assert main(["check-content", str(path)]) == 1
    assert "sections.extra: no menu label" in capsys.readouterr().out
    path.write_text(path.read_text(encoding="utf-8") + "section_titles:\n  extra: 其他事项\n",
                    encoding="utf-8")
    assert main(["check-content", str(path)]) == 0


def test_eligibility_examples_failures_are_issues(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The eligibility section's schema belongs to its feature: stand in for a campaign that has
    # one (at line 66), so this tests how check-content runs and reports the examples.
    import bot.cmd_check_content as command

    loaded = check_file(FIXTURES / "valid" / "demo-2024.yaml")
    assert loaded.campaign is not None
    loaded.campaign = loaded.campaign.model_copy(update={"eligibility": object()})
    loaded.lines[("eligibility",)] = 66
    monkeypatch.setattr(command, "check_catalogue", lambda target: ([loaded], []))
    monkeypatch.setattr(command, "check_examples",
                        lambda campaign: ["eligibility example 'x': expected eligible"],
                        )
    assert main(["check-content"]) == 1
    out = capsys.readouterr().out
    assert "demo-2024.yaml:66: eligibility example 'x': expected eligible" in out

    def crash(campaign: object) -> list[str]:
        raise KeyError("rules")

    monkeypatch.setattr(command, "check_examples", crash)
    assert main(["check-content"]) == 1
    assert "demo-2024.yaml:66: eligibility examples could not run: KeyError" in \
        capsys.readouterr().out


def test_check_content_does_not_import_aiogram() -> None:
    script = textwrap.dedent("""
        import sys
        from bot.cli import main
        code = main(["check-content"])
        heavy = sorted(m for m in sys.modules if m.split(".")[0] in {"aiogram", "sqlalchemy",
                                                                     "sqlmodel"})
        print("HEAVY", heavy)
        sys.exit(code)
    """)
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert "HEAVY []" in result.stdout


def test_form_references_that_do_not_resolve_are_issues(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundled = Path(__file__).resolve().parent.parent / "content" / "campaigns" / "fujian-2023.yaml"
    text = bundled.read_text(encoding="utf-8")
    broken = text.replace("materials: [id_card, diploma, licence]", "materials: [id_card, visa]")
    assert broken != text
    (tmp_path / "fujian-2023.yaml").write_text(broken, encoding="utf-8")
    assert main(["check-content", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "fujian-2023.yaml:" in out and "visa" in out
