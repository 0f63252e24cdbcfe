"""What a personal question says about the asker: "我今年36岁还能报吗", "护理专业能报吗".

The facts are read from the question's readable normal form (content/normalise.py `normalise`
with ``atomic=False``: synonyms folded, fillers dropped, numerals as digits), with the word lists
of ``personal:`` in content/intents.yaml. A fact stated loosely keeps every value it may stand
for: "36岁" today is any birth date of a 36-year-old, "在职" is any workplace. A question is
personal only when it also asks whether the asker may apply (能报, 可以参加, 可以吗 …).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from typing import Any

import yaml

from content.normalise import normalise
from content.qa_knowledge import INTENTS_PATH
from content.schema_conditions import Question

_AGE = re.compile(r"(超过|过了|大于|满)?(\d{2})岁(以上|以下|以内|之前|之后|前|后|左右)?")
# "我37了", "今年36": an age said without 岁 (the whole message is about the asker).
_THIS_YEAR_AGE = re.compile(r"()今年(?:都|已经)?(\d{2})(?![\d年月日号届级])()")
# (我 and 了 are fillers, gone from the normal form.)
_BARE_AGE = re.compile(r"^((?:我|今年|都|已经)*)(\d{2})(了)?$")
# "我36了还能报名不": the same, before the question (还能报, 能不能报 …).
# "我38了福建的还能报不", "我38了 在职的 卡年龄不": a few words may come between (not a year, a
# class or a unit).
_LEADING_AGE = re.compile(
    r"^()(?:我|今年|都|已经)*(\d{2})(?![\d年月日号届级个%.岁])(?=\D{0,6}?(?:还|也|可以|能|卡))()")
# "我93年的", "1993年出生": a birth year (a graduation year, 22年毕业 / 22年的毕业生, is not one;
# nor is a year that makes the asker younger than 16: 18年的大专).
_BIRTH_YEAR = re.compile(r"(?<!\d)(19\d{2}|\d{2})年(?:的|出生|生)(?!毕业|应届|往届|届|\d)")
_MAJOR = re.compile(r"([\u4e00-\u9fff]{2,12})专业")
# Longest first: 学历护理 loses 学历, not 学.
MAJOR_PREFIXES = ("学历", "学的", "读的", "念的", "毕业", "专科", "本科", "中专", "硕士", "博士",
                  "是", "学", "读", "的")
NOT_A_MAJOR = ("什么", "哪", "其他", "非", "别", "相关", "对口", "要求", "这", "那", "所有", "同",
               "一个", "任何", "各")
# Right after a major's name these make it a place or a department (中医院, 口腔科), not a major.
# A scope of practice (全科医学范围) is not a major either.
_PLACE_AFTER = ("院", "科", "诊", "门诊", "医生", "医师", "范围", "执业范围")
# "没考证能报吗", "还没拿到证": no licence, said without naming it (毕业证 has a word between).
_NO_LICENCE = re.compile(
    r"(?:没|没有|未|无)(?:考|拿|取得|拿到|考到|考取|考过)?(?:执业证|资格证|证)(?!明)")
_NEGATION = ("没有", "没", "未", "无", "不是", "非")
# A negation with its verb before the word: 还没考执业助理, 没拿到执业证, 未取得执业助理医师资格.
_NEGATED_VERB = re.compile(
    r"(?:没有|没|未|无|不是|非)(?:考|拿|取得|拿到|考到|考取|考过|通过|获得|有)$")
# "培训完包分配工作不", "能帮忙找工作吗": a job asked for, not the asker's own.
# "培训期间能考执业助理医师吗", "什么时候可以考助理": the exam asked about, not a licence held
# (考过, 考到, 考了 say it is held; 没考 says it is not: _negated).
_EXAM_ASKED = re.compile(r"(?:能|可以|可不可以|能不能|能否|才能|去|要|再|报|参加)考$")
# "有助理证 范围是内科": the licence's scope named (执业范围是全科医学 says it includes 全科).
_SCOPE_NAMED = re.compile(r"范围(?:是|为|只有|就是|只是|在)([^\s，,。；;]{1,8})")
_JOB_ASKED = re.compile(r"(?:分配|安排|找|包|推荐|介绍|落实|解决|保证)(?:个|份)?(?:工作|就业)")
_FRAME_BEFORE = re.compile(r"可以|能不能|能否|可否|能|报名|报考|参加|申请|想|我|是|的|吗")


@dataclass(frozen=True)
class Words:
    asks: re.Pattern[str]
    majors: tuple[str, ...]
    grassroots: tuple[str, ...]
    workplaces: tuple[str, ...]
    working: re.Pattern[str]
    employed: tuple[str, ...]
    unemployed: re.Pattern[str]


@cache
def words() -> Words:
    data = yaml.safe_load(INTENTS_PATH.read_text(encoding="utf-8"))["personal"]
    return Words(re.compile(data["asks"]), tuple(sorted(data["majors"], key=len, reverse=True)),
                 tuple(data["grassroots"]), tuple(data["workplaces"]),
                 re.compile(data["working"]), tuple(data["employed"]),
                 re.compile(data["unemployed"]))


@dataclass
class Stated:
    """Each stated profile field with the values it may stand for, and what was said (for the
    reply: field -> the value as the asker put it)."""

    options: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    said: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.options)


def stated(text: str, today: date, questions: Sequence[Question] = ()) -> Stated | None:
    """The facts of a personal question, or None when it is not one (or states nothing).
    `questions`: the campaign's own (content/schema_conditions.py), read from their choices'
    words."""
    flat = text.replace(" ", "")
    w = words()
    bare = _BARE_AGE.match(flat)
    if bare:  # "我37了": a statement of age is a question whether that age may apply
        age = bare.group(2)
        flat = f"{age}岁"
    elif not w.asks.search(flat):
        return None
    found = Stated()
    _age(flat, today, found)
    _education(flat, found)
    _major(flat, w, found)
    _qualification(flat, found)
    _employment(flat, w, found)
    if "订单定向" in flat and not _negated(flat, flat.index("订单定向")):
        found.options["sponsorship"] = ("农村订单定向",)
        found.said["sponsorship"] = "农村订单定向"
    for question in questions:
        _own(flat, question, found)
    return found or None


def _own(text: str, question: Question, found: Stated) -> None:
    """A choice of one of the campaign's questions, named by its value or one of its words
    (folded like the question). Words are taken leftmost and longest first, so 非全日制 is not
    read as 全日制. A negated word (不是全日制) names the other choice of a two-way question;
    of more choices it says nothing certain."""
    spans: list[tuple[int, int, str]] = []
    for value, words in question.said_words().items():
        for word in words:
            folded = normalise(word, atomic=False).replace(" ", "")
            start = text.find(folded)
            while folded and start >= 0:
                spans.append((start, start + len(folded), value))
                start = text.find(folded, start + 1)
    taken: list[tuple[int, int, str]] = []
    for span in sorted(spans, key=lambda s: (s[0], s[0] - s[1])):
        if not taken or span[0] >= taken[-1][1]:
            taken.append(span)
    values = set()
    for start, _, value in taken:
        if _negated(text, start):
            others = [v for v in question.values() if v != value]
            if len(others) != 1:
                return
            value = others[0]
        values.add(value)
    if len(values) == 1:
        value = values.pop()
        found.options[question.id] = (value,)
        found.said[question.id] = value


def _negated(text: str, at: int) -> bool:
    before = text[:at]
    return (any(before.endswith(n) for n in _NEGATION) or text[max(0, at - 3):at] in _NEGATION
            or _NEGATED_VERB.search(before) is not None)


def birth_dates(age: int, today: date) -> tuple[date, date]:
    """The youngest and the oldest birth date of someone `age` years old today."""
    try:
        youngest = today.replace(year=today.year - age)
    except ValueError:  # 29 February
        youngest = date(today.year - age, 2, 28)
    oldest = youngest.replace(year=youngest.year - 1) + timedelta(days=1) \
        if not (youngest.month == 2 and youngest.day == 29) else date(youngest.year - 1, 3, 1)
    return youngest, oldest


def _age(text: str, today: date, found: Stated) -> None:
    ages = [m for m in _AGE.finditer(text) if not m.group(3)]
    if not ages:  # "我今年36了 还能报不": this year and a number, not a year or a class
        ages = list(_THIS_YEAR_AGE.finditer(text)) or list(_LEADING_AGE.finditer(text))
    if len(ages) != 1:
        _birth_year(text, today, found)
        return
    age = int(ages[0].group(2)) + (1 if ages[0].group(1) in ("超过", "过了", "大于") else 0)
    if 16 <= age <= 70:
        found.options["birth_date"] = birth_dates(age, today)
        found.said["birth_date"] = f"{age}岁"


def _birth_year(text: str, today: date, found: Stated) -> None:
    years = _BIRTH_YEAR.findall(text)
    if len(years) != 1:
        return
    year = int(years[0])
    if year < 100:
        year += 2000 if year <= today.year % 100 else 1900
    if 16 <= today.year - year <= 70:
        # Born that year: the birth date is anywhere in it (its last day is the youngest).
        found.options["birth_date"] = (date(year, 12, 31), date(year, 1, 1))
        found.said["birth_date"] = f"{year}年出生"


def _education(text: str, found: Stated) -> None:
    # 专升本 alone says no level (on the way or done); "专升本读完本科了" says 本科.
    text = text.replace("专升本", "  ")
    levels = {"中专": "中专", "专科": "专科", "本科": "本科", "硕士": "硕士", "研究生": "硕士",
              "博士": "博士"}
    named = {level for word, level in levels.items()
             if word in text and not _negated(text, text.index(word))}
    if len(named) == 1:
        level = named.pop()
        found.options["education"] = (level,)
        found.said["education"] = level


def _major(text: str, w: Words, found: Stated) -> None:
    name = None
    match = _MAJOR.search(text)
    if match:
        name = match.group(1)
        while any(name.startswith(p) and len(name) > len(p) for p in MAJOR_PREFIXES):
            prefix = next(p for p in MAJOR_PREFIXES if name.startswith(p) and len(name) > len(p))
            name = name[len(prefix):]
        # "可以报名护理专业": the frame before the name is not part of it.
        known = next((m for m in w.majors if name.endswith(m)), None)
        if known:
            name = known
        else:
            name = _FRAME_BEFORE.split(name)[-1]
        negated = _negated(text, match.start(1) + match.group(1).rindex(name))
        if negated or any(word in name for word in NOT_A_MAJOR) or len(name) < 2:
            return
    else:
        for major in w.majors:
            at = text.find(major)
            after = text[at + len(major):]
            if at >= 0 and not after.startswith(_PLACE_AFTER) and not _negated(text, at):
                name = major
                break
    if name:
        found.options["major"] = (name,)
        found.said["major"] = name


def _qualification(text: str, found: Stated) -> None:
    held = [q for q in ("执业助理医师", "执业医师") if q in text]
    if not held and _NO_LICENCE.search(text):
        # 证 alone in an applicant's question is the licence (没考证, 还没拿证), not a diploma.
        found.options["qualification"] = ("无",)
        found.said["qualification"] = "无"
        return
    if len(held) != 1:
        return
    before = text[:text.index(held[0])]
    if _EXAM_ASKED.search(before) and not _negated(text, text.index(held[0])):
        return
    value = "无" if _negated(text, text.index(held[0])) else held[0]
    found.options["qualification"] = (value,)
    found.said["qualification"] = value
    if value != "执业助理医师":
        return
    scope = _SCOPE_NAMED.search(text)
    if "加注" in text:
        found.options["scope_includes_gp"] = (not _negated(text, text.index("加注")),)
    elif scope is not None:  # "范围是内科": a scope named, 全科 or not
        found.options["scope_includes_gp"] = ("全科" in scope.group(1),)
    else:
        return
    found.said["scope_includes_gp"] = str(found.options["scope_includes_gp"][0])


def _employment(text: str, w: Words, found: Stated) -> None:
    text = _JOB_ASKED.sub("", text)
    if w.unemployed.search(text):  # "毕业后一直待业 没单位": no workplace
        found.options["employment"] = ("无",)
        found.said["employment"] = "无"
        return
    if not w.working.search(text):
        return
    if any(place in text for place in w.grassroots):
        value: tuple[str, ...] = ("基层医疗卫生机构",)
    elif any(place in text for place in w.workplaces):
        value = ("其他单位",)
    elif any(word in text for word in w.employed):
        value = ("基层医疗卫生机构", "其他单位")
    else:
        return
    found.options["employment"] = value
    found.said["employment"] = value[0] if len(value) == 1 else "在职"
