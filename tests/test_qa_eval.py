"""The question sets, scored as /work/shared/eval/score_qa.py scores them, in-process.

The dev set is a copy of the shared eval folder's questions-dev.tsv in tests/fixtures/qa-dev.tsv
(ZHAOLU_QA_DEV_SET points elsewhere, e.g. at a newer shared copy); the held-out phrasings
(tests/fixtures/qa-heldout.tsv) were written before any tuning and are never copied into intents
or FAQ entries.
"""

from __future__ import annotations

import html
import os
import re
import unicodedata
from pathlib import Path

from bot.clock import parse_moment
from content.catalogue import load_catalogue
from content.qa import answer

FIXTURES = Path(__file__).parent / "fixtures"
DEV = Path(os.environ.get("ZHAOLU_QA_DEV_SET", FIXTURES / "qa-dev.tsv"))
HELD_OUT = FIXTURES / "qa-heldout.tsv"
FRESH = FIXTURES / "qa-fresh.tsv"
HOLDOUT2 = FIXTURES / "qa-holdout2.tsv"
MAX_CHARS = 600


def norm(text: str) -> str:
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def score(path: Path) -> tuple[float, list[str]]:
    catalogue = load_catalogue()
    rows = [line.split("\t") + ["", ""] for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]
    failures = []
    for slug, now, question, must, must_not, *_rest in rows:
        campaign = catalogue.get(slug.strip())
        assert campaign is not None, slug
        reply = answer(campaign, question.strip(), parse_moment(now))
        flat = norm(reply.text)
        facts = [[norm(a) for a in f.split("|") if a.strip()] for f in must.split(" ; ")]
        missing = [f[0] for f in facts if f and not any(alt in flat for alt in f)]
        bad = must_not.strip() and re.search(must_not.strip(),
                                             unicodedata.normalize("NFKC", reply.text))
        if missing or bad or len(flat) > MAX_CHARS:
            failures.append(f"{question}: missing {missing}, says {bool(bad)}, {len(flat)} chars")
    return 1 - len(failures) / len(rows), failures


def test_dev_set() -> None:
    share, failures = score(DEV)
    assert share >= 0.95, "\n".join(failures)


def test_held_out_phrasings() -> None:
    share, failures = score(HELD_OUT)
    # Measured 0.92 (78/85) when this floor was set, 0.93 since; it guards against losing
    # generality.
    assert share >= 0.9, "\n".join(failures)


def test_fresh_phrasings() -> None:
    """80 colloquial questions written from the notices alone, without reading the matcher
    (tests/fixtures/qa-fresh.tsv). They scored 51/80 when written; the general fixes made after
    reading the misses raised that, so they are no longer held out: a floor, not a target."""
    share, failures = score(FRESH)
    assert share >= 0.7, "\n".join(failures)


def test_second_held_out_set() -> None:
    """60 phrasings written from the notices alone after the matcher's last general change,
    then scored once: 56/60. One content fix followed (a clause that only points to the
    training agreement now comes with the contacts): 57/60; then "可以报名" began quoting whom
    the notice recruits (应往届): 58/60."""
    share, failures = score(HOLDOUT2)
    assert share >= 0.9, "\n".join(failures)
