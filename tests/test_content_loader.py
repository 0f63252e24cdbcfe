"""The loader pinpoints every kind of broken campaign file by file and line."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from content.catalogue import load_catalogue
from content.loader import ContentError, check_file, load_campaign

FIXTURES = Path(__file__).parent / "fixtures" / "content"
BROKEN = sorted((FIXTURES / "broken").glob("*.yaml"))
EXPECT = re.compile(r"#\s*expect:\s*(.+?)\s*$")


def _expectation(path: Path) -> tuple[int, str]:
    """Each broken fixture marks its faulty line with `# expect: <part of the message>`."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        match = EXPECT.search(line)
        if match:
            return number, match.group(1)
    raise AssertionError(f"{path.name} has no '# expect:' marker")


def test_fixture_set_covers_every_kind_of_error() -> None:
    names = {p.stem for p in BROKEN}
    assert {"wrong-type", "missing-key", "bad-date", "duplicate-key", "syntax-error",
            "unknown-key", "slug-mismatch"} <= names


@pytest.mark.parametrize("path", BROKEN, ids=lambda p: p.stem)
def test_broken_file_reported_at_its_line(path: Path) -> None:
    line, fragment = _expectation(path)
    issues = check_file(path).issues
    assert issues, f"{path.name} was accepted"
    assert any(i.line == line and fragment in i.message for i in issues), \
        [str(i) for i in issues]
    assert all(i.file.endswith(path.name) for i in issues)


@pytest.mark.parametrize("path", BROKEN, ids=lambda p: p.stem)
def test_issue_prints_as_file_colon_line(path: Path) -> None:
    line, _ = _expectation(path)
    shown = path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path
    printed = [str(i) for i in check_file(path).issues]
    assert any(p.startswith(f"{shown}:{line}: ") for p in printed), printed


def test_missing_key_points_at_nearest_parent() -> None:
    issue = check_file(FIXTURES / "broken" / "missing-key.yaml").issues[0]
    assert issue.message.startswith("notice：缺少必填键 “region”，请照通知补上")


def test_unknown_key_suggests_the_right_one() -> None:
    issue = check_file(FIXTURES / "broken" / "unknown-key.yaml").issues[0]
    assert "是不是想写 “title”" in issue.message


def test_duplicate_key_names_both_lines() -> None:
    issue = check_file(FIXTURES / "broken" / "duplicate-key.yaml").issues[0]
    assert "第一次在第 7 行" in issue.message


def test_load_campaign_raises_with_issues() -> None:
    with pytest.raises(ContentError) as caught:
        load_campaign(FIXTURES / "broken" / "wrong-type.yaml")
    assert caught.value.issues[0].line == 47
    assert "wrong-type.yaml:47:" in str(caught.value)


def test_folded_chinese_text_is_refused(tmp_path: Path) -> None:
    source = (FIXTURES / "valid" / "demo-2024.yaml").read_text(encoding="utf-8")
    folded = "      text: >-\n        享受生活\n        补助。"
    broken = source.replace("      text: 享受生活补助。", folded)
    path = tmp_path / "demo-2024.yaml"
    path.write_text(broken, encoding="utf-8")
    issues = check_file(path).issues
    assert len(issues) == 1
    assert issues[0].line == broken.splitlines().index("      text: >-") + 1
    assert "space between Chinese characters" in issues[0].message


def test_empty_and_non_mapping_files(tmp_path: Path) -> None:
    (tmp_path / "empty.yaml").write_text("# nothing\n", encoding="utf-8")
    (tmp_path / "list.yaml").write_text("- a\n- b\n", encoding="utf-8")
    assert "文件是空的" in check_file(tmp_path / "empty.yaml").issues[0].message
    assert "映射" in check_file(tmp_path / "list.yaml").issues[0].message


def test_catalogue_collects_issues_of_all_files(tmp_path: Path) -> None:
    for name in ("wrong-type", "missing-key"):
        shutil.copy(FIXTURES / "broken" / f"{name}.yaml", tmp_path)
    shutil.copy(FIXTURES / "valid" / "demo-2024.yaml", tmp_path)
    with pytest.raises(ContentError) as caught:
        load_catalogue(tmp_path)
    files = {Path(i.file).name for i in caught.value.issues}
    assert files == {"wrong-type.yaml", "missing-key.yaml"}


def test_catalogue_of_an_empty_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ContentError, match="这里没有招录文件"):
        load_catalogue(tmp_path)


def test_an_faq_id_used_twice_is_refused(tmp_path: Path) -> None:
    """A hand merge of `zhaolu faq export` output can repeat an id: check-content says so."""
    import yaml

    source = Path("content/campaigns/xiaogan-2023.yaml")
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    assert data["faq"], "the bundled campaign has FAQ entries"
    data["faq"].append(dict(data["faq"][0], questions=["另一个说法？"]))
    path = tmp_path / source.name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    issues = check_file(path).issues
    assert any("FAQ id重复" in i.message and data["faq"][0]["id"] in i.message
               for i in issues), [str(i) for i in issues]
