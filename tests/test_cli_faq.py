"""`zhaolu faq export|list` and `zhaolu ask --db` with the overlay.

The export is valid campaign YAML: pasted under a copy of the campaign file's ``faq:`` key it
passes `zhaolu check-content`, and the merged campaign answers with the staff's words.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from bot.clock import parse_moment
from content.catalogue import BUNDLED as CAMPAIGNS_DIR
from content.catalogue import load_catalogue
from content.qa import answer
from storage.engine import create_engine, make_sessionmaker, prepare_database
from storage.faq_overlay import add_entry, remove_entry

XG, FJ = "xiaogan-2023", "fujian-2023"
SAVED_AT = parse_moment("2023-05-10T07:30:00+08:00")  # 2023-05-09 in UTC
NOW = ["--now", "2023-05-20T10:00+08:00"]
AIRCON = "有的，每间宿舍都装了空调。\n电费按 {实际用量} 自理，详见入住须知：“宿舍#3”"


def _url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{(tmp_path / 'faq.db').as_posix()}"


async def _seed(url: str) -> dict[str, int]:
    engine = create_engine(url)
    await prepare_database(engine)
    ids = {}
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            for key, slug, question, text in (
                    ("aircon", XG, "宿舍有空调吗", AIRCON),
                    ("leave", XG, "培训期间可以请假吗", "可以，需提前向基地申请。"),
                    ("gone", XG, "食堂吃饭要钱吗", "按成本收费。"),
                    ("fujian", FJ, "可以带电脑吗", "可以。")):
                entry = await add_entry(session, campaign_slug=slug, question=question,
                                        answer=text, author_id=2001, author_label="协调员 张老师",
                                        now=SAVED_AT)
                ids[key] = entry.id or 0
            await remove_entry(session, entry_id=ids["gone"], by=2001, now=SAVED_AT)
    finally:
        await engine.dispose()
    return ids


@pytest.fixture
def seeded(tmp_path: Path) -> tuple[str, dict[str, int]]:
    url = _url(tmp_path)
    return url, asyncio.run(_seed(url))


def _merge(campaign_file: Path, exported: str, target: Path) -> Path:
    """Paste the exported items under the campaign file's `faq:` key, as an author would."""
    items = exported.split("\nfaq:\n", 1)[1]
    text = campaign_file.read_text(encoding="utf-8")
    assert "\nfaq:\n" in text
    target.write_text(text.replace("\nfaq:\n", "\nfaq:\n" + items, 1), encoding="utf-8")
    return target


def test_export_merges_into_the_campaign_file_and_passes_check_content(
        seeded, tmp_path: Path, capsys) -> None:
    url, ids = seeded
    out = tmp_path / "faq-export.yaml"
    assert main(["faq", "export", "--campaign", XG, "--db", url, "--out", str(out)]) == 0
    exported = out.read_text(encoding="utf-8")
    items = yaml.safe_load(exported)["faq"]
    assert [item["id"] for item in items] == [f"staff_{ids['aircon']}", f"staff_{ids['leave']}"]
    assert items[0]["questions"] == ["宿舍有空调吗"]
    assert items[0]["clause"] == "工作人员答复 2023-05-10"  # the Shanghai date
    assert "按成本收费" not in exported  # removed
    assert "可以带电脑吗" not in exported  # another campaign
    assert "2 entries" in capsys.readouterr().err

    merged = _merge(CAMPAIGNS_DIR / f"{XG}.yaml", exported, tmp_path / f"{XG}.yaml")
    assert main(["check-content", str(merged)]) == 0
    assert "ok: 1 campaign" in capsys.readouterr().out
    campaign = load_catalogue(merged).get(XG)
    assert campaign is not None
    reply = answer(campaign, "住的地方有没有空调", parse_moment("2023-05-20T10:00+08:00"))
    assert reply.entry == f"faq:staff_{ids['aircon']}"
    assert "电费按 {实际用量} 自理" in reply.text  # braces kept as written, not a placeholder
    assert "工作人员答复 2023-05-10" in reply.text


def test_export_ids_never_collide_with_the_campaign_faq(seeded, tmp_path: Path,
                                                        capsys) -> None:
    url, ids = seeded
    content = tmp_path / "content"
    content.mkdir()
    source = (CAMPAIGNS_DIR / f"{XG}.yaml").read_text(encoding="utf-8")
    taken = f"staff_{ids['aircon']}"
    clash = (f"\nfaq:\n  - id: {taken}\n    questions: [报名后多久出结果]\n"
             f"    answer: 请关注基地通知。\n    clause: 六、工作要求（三）\n")
    (content / f"{XG}.yaml").write_text(source.replace("\nfaq:\n", clash, 1), encoding="utf-8")
    shutil.copy(CAMPAIGNS_DIR / f"{FJ}.yaml", content / f"{FJ}.yaml")
    code = main(["faq", "export", "--campaign", XG, "--db", url, "--content", str(content)])
    exported = capsys.readouterr().out
    assert code == 0
    new_ids = [item["id"] for item in yaml.safe_load(exported)["faq"]]
    assert taken not in new_ids and f"{taken}_2" in new_ids
    merged = _merge(content / f"{XG}.yaml", exported, content / f"{XG}.yaml")
    assert main(["check-content", str(content)]) == 0
    campaign = load_catalogue(content).get(XG)
    assert campaign is not None and len({e.id for e in campaign.faq}) == len(campaign.faq)
    assert merged.exists()


def test_export_without_entries_and_of_an_unknown_campaign(tmp_path: Path, capsys) -> None:
    url = _url(tmp_path)
    assert main(["faq", "export", "--campaign", FJ, "--db", url]) == 0
    assert yaml.safe_load(capsys.readouterr().out) == {"faq": []}
    assert main(["faq", "export", "--campaign", "nowhere", "--db", url]) == 2
    assert "unknown campaign" in capsys.readouterr().err


def test_list_newest_first_with_removed_on_request_and_jsonl(seeded, capsys) -> None:
    url, ids = seeded
    assert main(["faq", "list", "--db", url]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["id", "created", "campaign", "state", "author", "question"]
    assert [int(line.split()[0]) for line in lines[1:]] == \
        [ids["fujian"], ids["leave"], ids["aircon"]]
    assert "2023-05-10 07:30" in lines[1] and "active" in lines[1]
    assert main(["faq", "list", "--db", url, "--campaign", XG, "--all"]) == 0
    lines = capsys.readouterr().out.splitlines()[1:]
    assert [(int(line.split()[0]), line.split()[4]) for line in lines] == \
        [(ids["gone"], "removed"), (ids["leave"], "active"), (ids["aircon"], "active")]
    assert main(["faq", "list", "--db", url, "--jsonl", "--all"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    gone = next(r for r in rows if r["id"] == ids["gone"])
    assert (gone["active"], gone["removed_by"], gone["campaign"]) == (False, 2001, XG)
    assert next(r for r in rows if r["id"] == ids["aircon"])["answer"] == AIRCON


def test_list_of_an_empty_database(tmp_path: Path, capsys) -> None:
    assert main(["faq", "list", "--db", _url(tmp_path), "--campaign", XG]) == 0
    assert capsys.readouterr().out.strip() == f"no FAQ entries for {XG}"


def test_ask_with_a_database_answers_from_the_overlay_and_without_from_the_yaml(
        seeded, capsys, monkeypatch) -> None:
    url, _ids = seeded
    monkeypatch.delenv("ZHAOLU_DATABASE_URL", raising=False)
    question = ["住的地方有没有空调"]
    assert main(["ask", "--campaign", XG, "--jsonl", *NOW, "--db", url, *question]) == 0
    with_db = json.loads(capsys.readouterr().out)
    assert with_db["kind"] == "answered" and with_db["entry"].startswith("staff:")
    assert with_db["source"] == "工作人员答复（2023年5月10日）"
    assert main(["ask", "--campaign", XG, "--jsonl", *NOW, *question]) == 0
    without = json.loads(capsys.readouterr().out)
    assert not (without["entry"] or "").startswith("staff:") and "空调" not in without["answer"]


def test_faq_and_unanswered_never_import_aiogram(tmp_path: Path) -> None:
    url = _url(tmp_path)
    code = ("import sys; from bot.cli import main; "
            f"main(['faq', 'list', '--db', {url!r}]); main(['unanswered', '--db', {url!r}]); "
            f"main(['faq', 'export', '--campaign', {XG!r}, '--db', {url!r}]); "
            "print('aiogram' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=True, cwd=Path(__file__).resolve().parent.parent)
    assert done.stdout.strip().endswith("False"), done.stdout + done.stderr
