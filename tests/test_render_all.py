"""Silence is data (issue 13): every message of every campaign renders without an empty value.

For each campaign file of RENDERED (the bundled ones and the fixtures of notices that leave
things out), tests/applicant_tour.py drives the real Dispatcher with the shell's recording
session, as an applicant would at every date that matters: every menu page and its 更多 pages,
/help /settings /my /mydata /subscribe, the self-check, the pre-registration with its receipt and
next steps, staff status notices, every reminder; plus answers to the questions every recruitment
group asks. No message may show an empty value ("网址：" followed by nothing, "（）", "None", a
label ending its line with nothing after it, an unfilled {placeholder}), announce a number of
choices the notice does not give, or promise a reminder or an event the campaign lacks.

To cover another notice, add its file (or a glob) to RENDERED.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from content.catalogue import BUNDLED, load_catalogue
from content.schema import Campaign
from tests.applicant_tour import Seen, Tour, tour
from tests.harness import Harness
from tests.test_applicant_promises import broken_promises

FIXTURES = Path(__file__).parent / "fixtures"
# One list: campaign files (globs) whose every message is rendered and checked.
RENDERED = [BUNDLED / "*.yaml", FIXTURES / "silent" / "*.yaml", FIXTURES / "notices" / "*.yaml"]
FILES = sorted({p for pattern in RENDERED for p in pattern.parent.glob(pattern.name)})

# Questions every recruitment group asks, including about what a notice may leave out.
QUESTIONS = ["报名网址是什么", "咨询电话多少", "能报几个志愿", "有哪些培训基地", "招多少人",
             "报名步骤", "要交什么材料", "什么时候报到", "这个通知是哪个单位发的", "怎么报名",
             "护理专业能报吗", "我35岁能报吗"]
# What a notice leaves out, asked: the answer says so plainly and whom to ask.
SILENT_ANSWERS = {"报名网址是什么": (lambda c: not c.registration.url, "通知未写明报名网址"),
                  "能报几个志愿": (lambda c: c.registration.max_choices is None, "通知未写明")}

EMPTY = [
    (re.compile(r"(网址|网站|电话|渠道|报名方式|联系人|咨询时间|出处|依据)[：:][ \t]*(\n|$|（|<)"),
     "a label with nothing after it"),
    (re.compile(r"（\s*）|\(\s*\)"), "empty brackets"),
    (re.compile(r"\bNone\b|\bnull\b"), "None"),
    (re.compile(r"(?<![{])\{[a-z_]+\}(?![}])"), "an unfilled placeholder"),
    # A label ending its line with nothing on the next one either ("网址：\n\n", "：\n出处").
    (re.compile(r"[：:](</[bi]>)?[ \t]*\n[ \t]*(\n|<i>出处|出处|依据|（来源)"),
     "a label with nothing after it"),
    (re.compile(r"，[。；]|：[。；，]"), "a value left out between punctuation"),
]


def empty_values(campaign: Campaign, seen: Seen) -> list[str]:
    text = seen.text
    found = [f"{why}: {text[max(m.start() - 10, 0):m.end() + 40]!r}" for pattern, why in EMPTY
             for m in pattern.finditer(text)]
    if campaign.registration.max_choices is None and re.search(
            r"选择?(1个|一家)培训基地|最多(可填报)?\s*\d+\s*个", seen.text):
        found.append("announces a number of choices the notice does not give")
    if not campaign.registration.url and "网址：" in seen.text:
        found.append("names a web address the notice does not give")
    return found + wording(campaign, seen)


def wording(campaign: Campaign, seen: Seen) -> list[str]:
    """Words that must follow from the campaign's data: 官网 only for registration on a site;
    an untitled notice's citation set apart from its clause; 年龄 named as a condition only
    where a rule reads it; a silence asked about said plainly, with whom to ask."""
    text, found = seen.text, []
    if not campaign.registration.online and "官网" in text:
        found.append("speaks of 官网 for a registration not on a website")
    if not campaign.notice.title and re.search(re.escape(campaign.citation) + r"[^，。：；）\s<]",
                                               text):
        found.append("an untitled notice's citation runs into its clause")
    spec = campaign.eligibility
    ages = spec is not None and any("birth_date" in rule.when for rule in spec.rules)
    if not ages and re.search(r"其他条件（[^）]*年龄", text):
        found.append("names 年龄 as a condition the notice does not set")
    silent, says = SILENT_ANSWERS.get(seen.what.removeprefix("answer "), (None, ""))
    if silent is not None and silent(campaign) and (says not in text or "可以咨询" not in text):
        found.append(f"does not say plainly that the notice leaves it out ({says})")
    return found


@pytest.fixture(params=FILES, ids=[p.stem for p in FILES])
async def rendered(request: pytest.FixtureRequest, db_url: str,
                   tmp_path: Path) -> AsyncIterator[tuple[Harness, Campaign]]:
    """The bot serving one campaign file (alone in its content directory)."""
    path: Path = request.param
    content = tmp_path / "content"
    content.mkdir()
    shutil.copy(path, content / path.name)
    campaign = load_catalogue(content).get(path.stem)
    assert campaign is not None
    h = await Harness.create(db_url, var_dir=tmp_path / "var", content_dir=content)
    yield h, campaign
    await h.close()


async def messages(harness: Harness, campaign: Campaign) -> list[Seen]:
    """The applicant tour (shared with the promise and length tests for bundled files) plus the
    answers to QUESTIONS at each date of the tour."""
    if campaign.slug in {p.stem for p in BUNDLED.glob("*.yaml")}:
        seen = await tour(harness, campaign)
    else:
        trip = Tour(harness, campaign)
        seen = await trip.run()
        trip.every_reminder()
    user = 9000
    await harness.send(f"/start {campaign.slug}", user)
    for question in QUESTIONS:
        calls = await harness.send(question, user)
        seen += [Seen(campaign.slug, harness.clock.now(), f"answer {question}", text,
                      frozenset({"subscribers_not_preregistered"})) for text in calls.texts]
    return seen


async def test_no_empty_value_or_unsupported_promise(
        rendered: tuple[Harness, Campaign]) -> None:
    harness, campaign = rendered
    seen = await messages(harness, campaign)
    kinds = {s.what.split()[0] for s in seen}
    assert {"start", "section", "answer"} <= kinds
    if campaign.form is not None:
        assert {"receipt", "form"} <= kinds
    if campaign.reminders:
        assert "reminder" in kinds
    problems = sorted({(problem, s.what, s.now.isoformat()[:16]) for s in seen
                       for problem in [*empty_values(campaign, s), *broken_promises(campaign, s)]})
    assert not problems, problems[:12]


@pytest.mark.parametrize(("text", "says"), [
    ("报名渠道：湖北卫生人才网（）", "empty brackets"),
    ("网址：\n报名时间：5月", "nothing after it"),
    ("电话：None", "None"),
    ("请登录{channel}报名", "placeholder"),
    ("<b>志愿</b>：选择1个培训基地", "number of choices"),
    ("每人只能选一家培训基地（1个志愿）。", "number of choices"),
    ("请在官网报名时上传这些文件。", "官网"),
    ("（来源：静县2024年招录通知新闻稿第三段）", "runs into its clause"),
    ("其他条件（学历、专业、年龄等）请完整自查", "年龄"),
    ("报名方式：\n出处：三、报名", "nothing after it"),
])
def test_the_checker_catches_each_kind(text: str, says: str) -> None:
    silent = load_catalogue(FIXTURES / "silent").get("silent-2024")
    assert silent is not None
    from datetime import datetime

    seen = Seen("silent-2024", datetime.fromisoformat("2024-05-05T10:00:00+08:00"), "old", text,
                frozenset({"subscribers_not_preregistered"}))
    assert any(says in problem for problem in empty_values(silent, seen))
