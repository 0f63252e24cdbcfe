"""Authoring in Chinese (issue 13): the key reference of content/AUTHORING.md is the schema's,
and `zhaolu new-campaign` writes a skeleton that fails check-content until its blanks are filled
and passes once they are."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from content.authoring import AUTHORING, BEGIN, END, models, reference, updated
from content.loader import check_file
from content.schema import SCHEMA_VERSION


def test_the_reference_in_authoring_md_is_generated_from_the_schema() -> None:
    text = AUTHORING.read_text(encoding="utf-8")
    assert BEGIN in text and END in text
    block = text[text.index(BEGIN):text.index(END) + len(END)]
    assert block == reference(), "run: python -m content.authoring"
    assert updated(text) == text


def test_every_key_and_allowed_value_is_in_the_reference() -> None:
    block = reference()
    for model in models():
        assert f"### `{model.__name__}`" in block
        for key, info in model.model_fields.items():
            assert f"| `{info.alias or key}` |" in block, (model.__name__, key)
    for value in ("`social`", "`pick`", "`not_officially_registered`", "`ineligible`",
                  "`基层医疗卫生机构`", "`receipt_no`", f"`schema_version: {SCHEMA_VERSION}`"):
        assert value in block
    assert "网址（http(s)://… 或照通知写域名）" in block and "电话号码" in block


def test_a_new_schema_key_makes_the_check_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import Field

    from content import authoring, schema

    class Notice(schema.Notice):
        newspaper: str | None = Field(default=None, description="The paper it appeared in.")

    real = authoring.models
    monkeypatch.setattr(authoring, "models",
                        lambda: [Notice if m is schema.Notice else m for m in real()])
    text = AUTHORING.read_text(encoding="utf-8")
    assert "| `newspaper` |" in reference() and updated(text) != text
    assert authoring.main(["--check"]) == 1


def test_authoring_is_written_in_chinese() -> None:
    text = AUTHORING.read_text(encoding="utf-8")
    prose = text[:text.index(BEGIN)]
    chinese = len(re.findall(r"[\u4e00-\u9fff]", prose))
    assert chinese > 1500
    for part in ("## 最小模板", "## 示例", "zhaolu new-campaign", "schema_version",
                 "通知没写的，就不写"):
        assert part in prose


def _fill(text: str) -> str:
    """What an author does: each blank replaced by the notice's words (dates where dates go)."""
    values = {"published": "2024-04-28", "opens": "2024-05-02T00:00:00+08:00",
              "closes": "2024-05-20T23:59:59+08:00", "name": "青溪县 2024 助理全科医生培训",
              "region": "青溪县"}

    def one(match: re.Match[str]) -> str:
        key = match.group(1)
        return f"{match.group(0).split(':')[0]}: {values.get(key, '示例内容')}"

    return re.sub(r"(?m)^\s*-?\s*(\w+): 【填写：[^】]*】", one, text)


def test_new_campaign_writes_a_skeleton_that_passes_once_filled(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["new-campaign", "qingxi-2024", "--out", str(tmp_path)]) == 0
    path = tmp_path / "qingxi-2024.yaml"
    assert f"wrote {path}" in capsys.readouterr().out
    text = path.read_text(encoding="utf-8")
    assert text.count("【填写") >= 10 and "# " in text  # commented
    assert main(["check-content", str(path)]) == 1
    out = capsys.readouterr().out
    assert re.search(r"qingxi-2024\.yaml:\d+: name：还没填写", out)
    assert "issues in 1 file" in out
    path.write_text(_fill(text), encoding="utf-8")
    assert main(["check-content", str(path)]) == 0, capsys.readouterr().out
    assert capsys.readouterr().out.strip() == "ok: 1 campaign"
    campaign = check_file(path).campaign
    assert campaign is not None and campaign.schema_version == SCHEMA_VERSION
    assert campaign.registration.url is None and campaign.contacts == []
    # The example lines, uncommented, are valid too.
    example = re.sub(r"(?m)^(\s*)# (  )?(?=[a-z_-]+:|- id:|  )", r"\1\2", _fill(text))
    data = yaml.safe_load(example)
    assert data["plan"]["bases"][0]["quota"] == 7 and data["contacts"][0]["phones"]


def test_new_campaign_refuses_to_overwrite_or_a_bad_slug(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["new-campaign", "demo-2024", "--out", str(tmp_path)]) == 0
    assert main(["new-campaign", "demo-2024", "--out", str(tmp_path)]) == 1
    assert "--force" in capsys.readouterr().out
    assert main(["new-campaign", "demo-2024", "--out", str(tmp_path), "--force"]) == 0
    assert main(["new-campaign", "Demo_2024", "--out", str(tmp_path)]) == 2
    assert main(["new-campaign", "demo-2024", "--out", str(tmp_path / "other.yaml")]) == 2


def test_the_minimal_template_in_authoring_md_passes(tmp_path: Path) -> None:
    text = AUTHORING.read_text(encoding="utf-8")
    template = text.split("## 最小模板", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "qingxi-2024.yaml"
    path.write_text(template, encoding="utf-8")
    loaded = check_file(path)
    assert loaded.issues == [] and loaded.hints == []
    assert loaded.campaign is not None and loaded.campaign.registration.max_choices is None
