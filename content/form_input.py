"""Text typed at a step of a form (the self-check, the pre-registration): an answer, a button's
label typed out, or a question asked in passing.

Applicants on phones type rather than press, and ask while they answer ("报名时间" at the name
step, "乡镇卫生院算基层吗" at the employer step). A question must be answered and the step asked
again, never stored as the answer; a button's label (or an obvious synonym of it) typed out is
that button. Nothing here knows Telegram.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from content.hanzi import simplified_table
from content.normalise import numerals_to_digits
from content.qa import answer
from content.qa_knowledge import StaffEntry
from content.qa_menu import typed_menu
from content.schema import Campaign
from content.texts import Texts

# A Q&A match this sure names a topic of the notice, not a person, school or major (names and
# schools score below 0.4 on the bundled notices; "报名时间", "学费", "待遇" score 0.85 and more).
CONFIDENT = 0.6
_QUESTION_MARKS = re.compile(r"[?？]")
# Question words: a form's answers (names, schools, majors, dates) do not contain these.
_QUESTION_WORDS = re.compile(
    r"什么|怎么|怎样|怎么样|如何|为什么|为啥|哪里|哪儿|哪个|哪些|哪天|哪家|多少|几号|几月|几点|"
    r"几天|几年|几岁|几个|是否|能否|可否|能不能|可不可以|可以不|行不行|有没有|是不是|要不要|"
    r"会不会|算不算|请问|咨询一下|想问|啥|咋")
# "还能报不", "要钱不": a verb or a modal and 不 at the end asks yes or no, as 吗 does (不 alone,
# or 不同意, answers).
_QUESTION_END = re.compile(r"[吗嘛么呢]$|(?:能|可以|要|会|有|是|行|去|报|考)[^不]{0,4}不$")
_PUNCT = re.compile(r"[\W_]+")
# The shape of an answer to a free-text step: a school's name ends like one, a major like one.
_SCHOOL_END = re.compile(r"(学院|大学|学校|卫校|医专|职院|中专|分校|校区|院|校|学|专|部)$")
_MAJOR_END = re.compile(r"(学|医|护理|技术|工程|管理|科学|学类|专业|药|助产|检验|影像|康复)$")
_PAREN = re.compile(r"[(（][^()（）]*[)）]$")
_WORDS = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[A-Za-z]{2,}")
_NEGATION = re.compile(r"[不没无非未否]")
# Steps whose answers are digits (a date, an ID or phone number, a year): validation decides.
NUMERIC_FIELDS = frozenset({"id_number", "phone", "graduation_year", "birth_date"})


def fold(text: str) -> str:
    """Compared form: half-width, simplified, lower case, no spaces or punctuation."""
    text = unicodedata.normalize("NFKC", text).translate(simplified_table()).lower()
    return _PUNCT.sub("", text)


def same_label(typed: str, label: str) -> bool:
    """Whether typed text names a button: its label with or without the decoration ("✅ ",
    "🔔 ", "« ", " ›"), width, case, spaces and punctuation. The one comparison of typed text
    with a button's label (the shell presses with it; the flows accept typed choices by it)."""
    key = fold(typed)
    return bool(key) and key == fold(label)


def is_question(text: str) -> bool:
    """A question mark, a question word, or a question particle at the end."""
    stripped = unicodedata.normalize("NFKC", text).strip().rstrip("。.!！~～ ")
    return bool(_QUESTION_MARKS.search(stripped) or _QUESTION_WORDS.search(stripped)
                or _QUESTION_END.search(stripped))


def fits_field(field: str, text: str, known: Iterable[str] = ()) -> bool:
    """Whether `text` has the shape of an answer to `field` (then a Q&A match does not count)."""
    folded = fold(text)
    if field in NUMERIC_FIELDS:  # 二〇二二年 too
        return any(c.isdigit() for c in numerals_to_digits(folded))
    words = {fold(k) for k in known}
    # A button's label or a known major, alone or within the text ("执业助理医师" where only the
    # buttons can say with or without 全科): an answer, maybe a vague one, not a question.
    if folded in words or any(len(w) >= 2 and w in folded for w in words):
        return True
    if field == "school":
        return bool(_SCHOOL_END.search(fold(_PAREN.sub("", text.strip()))))
    if field == "major":
        return bool(_MAJOR_END.search(fold(_PAREN.sub("", text.strip()))))
    return False


def asks_instead(text: str, field: str, campaign: Campaign, now: datetime, texts: Texts, *,
                 staff: tuple[StaffEntry, ...] = (), known: Iterable[str] = ()) -> bool:
    """Whether `text`, typed at the step `field`, is a question to answer rather than the answer:
    it looks like a question, names a menu page ("报名时间"), or (unless it has the shape of the
    step's answer) the Q&A matches it confidently."""
    if not text.strip():
        return False
    if not _WORDS.search(text):  # digits and signs (a date, a number): an answer, or a slip
        return is_question(text)
    if is_question(text) or typed_menu(text, campaign, texts) is not None:
        return True
    if fits_field(field, text, known):
        return False
    reply = answer(campaign, text, now, texts, staff=staff)
    return reply.entry is not None and not reply.entry.startswith("input:") \
        and reply.score >= CONFIDENT


def known_majors(campaign: Campaign | None) -> set[str]:
    """The majors the campaign's rules name: answers to the major step whatever they look like."""
    spec = campaign.eligibility if campaign is not None else None
    if spec is None:
        return set()
    return {m for group in spec.major_groups.values() for m in group.majors}


def label_variants(label: str) -> list[str]:
    """专科（高职高专、大专） -> 专科（高职高专、大专）, 专科, 高职高专, 大专: the label, its head,
    and each example in its brackets (a trailing 等 dropped)."""
    found = [label]
    match = re.match(r"^(?P<head>[^(（]+)[(（](?P<inner>[^)）]*)[)）]$", label.strip())
    if match:
        found.append(match.group("head"))
        for part in re.split(r"[、，,/；;]|或|及", match.group("inner")):
            part = part.strip().removesuffix("等")
            if part:
                found.append(part)
    return found


def match_choice(typed: str, options: Mapping[Any, Iterable[str]], *,
                 contained: bool = True) -> Any | None:
    """The option whose label or synonym `typed` is, compared folded; else the one option a
    synonym of which `typed` contains ("我在乡镇卫生院上班"), unless the rest negates it ("不在
    基层") or two options are contained equally (or `contained` is False: for a question,
    "乡镇卫生院算基层吗", only the exact words count). None when no option fits."""
    text = fold(typed)
    if not text:
        return None
    words = {value: {fold(w) for w in names if fold(w)} for value, names in options.items()}
    exact = [value for value, names in words.items() if text in names]
    if len(exact) == 1:
        return exact[0]
    if not contained:
        return None
    best: dict[Any, str] = {}
    for value, names in words.items():
        inside = [w for w in names if len(w) >= 2 and w in text]
        if inside:
            best[value] = max(inside, key=len)
    if not best:
        return None
    longest = max(len(w) for w in best.values())
    top = [value for value, w in best.items() if len(w) == longest]
    if len(top) != 1:
        return None
    rest = text.replace(best[top[0]], "", 1)
    return None if _NEGATION.search(rest) else top[0]
