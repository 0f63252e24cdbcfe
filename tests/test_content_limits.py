"""Slugs, ids and section keys travel in callback data (64 bytes at most): the schema caps
their lengths, and a campaign at every cap still makes only valid buttons."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from content.loader import check_file
from content.schema_base import MAX_ID, MAX_SECTION_KEY, MAX_SLUG
from tests.harness import Harness
from tests.registration_helpers import id_number

XIAOGAN = Path(__file__).resolve().parent.parent / "content" / "campaigns" / "xiaogan-2023.yaml"
SLUG = "xiaogan-2023-" + "x" * (MAX_SLUG - len("xiaogan-2023-"))
BASE = "hanchuan" + "_" * (MAX_ID - len("hanchuan"))
SECTION = "s" * MAX_SECTION_KEY
EXTRA = f"""  {SECTION}:
    - id: {"f" * MAX_ID}
      title: 附加说明
      text: 这是一条附加说明。
      clause: 七、附则
"""


def at_the_limits(slug: str = SLUG, section: str = SECTION) -> str:
    text = XIAOGAN.read_text(encoding="utf-8")
    text = text.replace("slug: xiaogan-2023\n", f"slug: {slug}\n")
    text = text.replace("    - id: hanchuan\n", f"    - id: {BASE}\n")
    return text.replace("sections:\n", "sections:\n" + EXTRA.replace(SECTION, section), 1)


@pytest.mark.parametrize(("slug", "section", "says"), [
    (SLUG + "x", SECTION, "最多 32 个字符"),
    (SLUG, SECTION + "s", "最多 24 个字符"),
])
def test_too_long_for_a_button_is_refused(tmp_path: Path, slug: str, section: str,
                                          says: str) -> None:
    path = tmp_path / f"{slug}.yaml"
    path.write_text(at_the_limits(slug, section), encoding="utf-8")
    issues = check_file(path).issues
    assert issues and says in issues[0].message


@pytest.fixture
async def limits(db_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    content = tmp_path / "content"
    content.mkdir()
    (content / f"{SLUG}.yaml").write_text(at_the_limits(), encoding="utf-8")
    assert not check_file(content / f"{SLUG}.yaml").issues
    h = await Harness.create(db_url, var_dir=tmp_path / "var", content_dir=content,
                             now=datetime.fromisoformat("2023-05-10T10:00:00+08:00"))
    yield h
    await h.close()


async def test_a_campaign_at_every_limit_makes_valid_buttons(limits: Harness) -> None:
    """The harness validates each request against the Bot API (callback_data <= 64 bytes)."""
    calls = await limits.send(f"/start {SLUG}")
    assert any(data.startswith("m:") and data.endswith(SECTION) for _, data in calls.buttons)
    assert all(len(data.encode()) <= 64 for _, data in calls.buttons)
    page = await limits.press_data(f"m:{SLUG}:{SECTION}")
    assert "这是一条附加说明" in page.text
    await limits.press("🔔 提醒设置")
    await limits.send("/register")
    await limits.press("✅ 同意并开始")
    await limits.press("✅ 同意提供身份证号")
    for answer in ("张三", id_number(), "13812345678", "湖北职业技术学院", "2022"):
        await limits.send(answer)
    await limits.press("专科（高职高专）")
    await limits.press("临床医学")
    await limits.press("未取得执业资格")
    bases = await limits.press("应往届毕业生")
    assert f"rg:a:bases:{BASE}" in [data for _, data in bases.buttons]
