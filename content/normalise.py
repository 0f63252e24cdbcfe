"""Normalising Chinese free text for matching, and cutting it into n-grams.

No segmenter: questions are short and colloquial, and a segmenter's dictionary costs seconds to
load. Text is folded (NFKC, traditional to simplified with zhconv's table, Chinese numerals to
digits), domain synonyms are rewritten to one canonical form (``content/synonyms.yaml``), filler
words are dropped, and the result is cut into character unigrams and bigrams (a run of Latin
letters or digits counts as one unit). Scores are normalised to 0..1 so one threshold serves
every campaign (the scorer is in ``content/matching.py``).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from content.hanzi import simplified_table

TRIGRAMS = False
MEMO_SIZE = 20_000  # normalised texts kept per lexicon (entries, questions, their parts)
SYNONYMS_PATH = Path(__file__).resolve().parent / "synonyms.yaml"

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
           "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_NUMERAL_RUN = re.compile(r"[零〇一二两三四五六七八九十百千]+")
# A lone 一 is a number only before a measure word: 一共, 一下, 一医 and 第一 stay words.
_MEASURE = "岁年个月日号人名家天点次位所项种张份志届周"
_DAY_NUMBER = re.compile(r"(\d+)号")
# "6月30过了": a day said without 日 or 号.
_BARE_DAY = re.compile(r"(\d{1,2}月\d{1,2})(?![\d日号])")
# Atomic terms become one private-use character each, so they are one unit (see Lexicon).
_ATOMIC_BASE = 0xE000
_UNIT_SPLIT = re.compile(r"[a-z0-9]+(?:[.+:/_-][a-z0-9]+)*|[\ue000-\uf8ff]|[^\W\d_a-z]",
                         re.UNICODE)


@dataclass(frozen=True)
class Lexicon:
    """Synonym rewriting and filler removal, compiled from the YAML table."""

    canonical: dict[str, str]
    fillers: tuple[str, ...]
    _rewrite: re.Pattern[str] = field(repr=False)
    _filler: re.Pattern[str] = field(repr=False)
    light: frozenset[str] = frozenset()
    light_weight: float = 1.0
    light_grams: frozenset[str] = frozenset()
    atomic: dict[str, str] = field(default_factory=dict)
    light_words: tuple[str, ...] = ()
    # normalise()'s results: the same entry texts are normalised again for every question (about
    # 80 calls a question, ~9% of a loaded worker's CPU; issue 15). Bounded: emptied when full.
    memo: dict[tuple[str, bool], str] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_data(cls, groups: Iterable[list[str]], fillers: Iterable[str], light: str = "",
                  light_weight: float = 1.0, light_words: Iterable[str] = (),
                  atomic: Iterable[str] = ()) -> Lexicon:
        canonical: dict[str, str] = {}
        for group in groups:
            head = _fold(str(group[0]))
            for term in group:
                canonical.setdefault(_fold(str(term)), head)
        fill = tuple(_fold(f) for f in fillers)
        grams = frozenset(g for word in light_words for g in ngrams(_fold(word)))
        units = {_fold(term): chr(_ATOMIC_BASE + i) for i, term in enumerate(atomic)}
        return cls(canonical, fill, _alternation(canonical), _alternation(fill),
                   frozenset(_fold(light)), light_weight, grams, units,
                   tuple(_fold(word) for word in light_words))

    def rewrite(self, text: str, atomic: bool = True) -> str:
        # Until stable: 招几个人 -> 招多少人 -> 名额, whichever variant the writer chose.
        for _ in range(3):
            done = self._rewrite.sub(lambda m: self.canonical[m.group(0)], text)
            if done == text:
                break
            text = done
        for term in sorted(self.atomic, key=len, reverse=True) if atomic else ():
            text = text.replace(term, self.atomic[term])
        return text

    def weight(self, gram: str) -> float:
        """How much a gram says about the topic: light when it has a question-frame character
        (以报 in 可以报名 is frame, 报名 is topic)."""
        light = gram in self.light_grams or any(c in self.light for c in gram)
        # An atomic term stands for the several n-grams its characters would have made.
        whole = 1 + sum(c >= "\ue000" for c in gram)
        return (self.light_weight if light else 1.0) * whole

    def drop_fillers(self, text: str) -> str:
        return self._filler.sub("", text)


def _alternation(terms: Iterable[str]) -> re.Pattern[str]:
    ordered = sorted(set(terms), key=lambda t: (-len(t), t))
    return re.compile("|".join(re.escape(t) for t in ordered) or r"(?!)")


@cache
def synonyms_data() -> dict[str, Any]:
    """content/synonyms.yaml, read once (the lexicon and the province list both use it)."""
    return yaml.safe_load(SYNONYMS_PATH.read_text(encoding="utf-8"))


@cache
def default_lexicon() -> Lexicon:
    data = synonyms_data()
    return Lexicon.from_data(data["groups"], data.get("fillers", []), data.get("light", ""),
                             float(data.get("light_weight", 1.0)), data.get("light_words", []),
                             data.get("atomic", []))


def fold(text: str) -> str:
    """NFKC, lower case, simplified characters: the form before any rewriting."""
    return _fold(text)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower().translate(simplified_table())


def chinese_number(numeral: str) -> int | None:
    """二十二 -> 22, 十二 -> 12, 三五 -> 35 (digit by digit); None if not a number."""
    if all(c in _DIGITS for c in numeral):
        return int("".join(str(_DIGITS[c]) for c in numeral))
    total, digit = 0, None
    for char in numeral:
        if char in "零〇":  # 一百零五: a place holder, not a digit
            continue
        if char in _DIGITS:
            if digit is not None:
                return None
            digit = _DIGITS[char]
        else:
            total += (1 if digit is None else digit) * _UNITS[char]
            digit = None
    return total + (digit or 0)


def numerals_to_digits(text: str) -> str:
    def convert(match: re.Match[str]) -> str:
        run = match.group(0)
        after = text[match.end():match.end() + 1]
        before = text[match.start() - 1:match.start()] if match.start() else ""
        lone_word = len(run) == 1 and (not after or after not in _MEASURE
                                       or (before != "" and before in "第统唯"))
        if lone_word:
            return run
        value = chinese_number(run)
        return run if value is None else str(value)

    return _BARE_DAY.sub(r"\1日", _DAY_NUMBER.sub(r"\1日", _NUMERAL_RUN.sub(convert, text)))


def normalise(text: str, lexicon: Lexicon | None = None, *, atomic: bool = True) -> str:
    """The form questions and content are compared in: folded, rewritten, without filler.

    ``atomic=False`` keeps atomic terms as words: a readable form, e.g. to group questions."""
    lexicon = lexicon or default_lexicon()
    key = (text, atomic)
    known = lexicon.memo.get(key)
    if known is None:
        if len(lexicon.memo) >= MEMO_SIZE:
            lexicon.memo.clear()
        known = lexicon.memo[key] = _normalise(text, lexicon, atomic)
    return known


def _normalise(text: str, lexicon: Lexicon, atomic: bool) -> str:
    text = lexicon.rewrite(_fold(text), atomic=atomic)
    text = numerals_to_digits(text)
    text = lexicon.drop_fillers(text)
    # Punctuation and spaces become one space: a bigram never spans two phrases.
    pieces: list[str] = []
    last = None
    for match in _UNIT_SPLIT.finditer(text):
        if last is not None and match.start() != last:
            pieces.append(" ")
        pieces.append(match.group(0))
        last = match.end()
    return "".join(pieces)


def units(normalised: str) -> list[str]:
    return _UNIT_SPLIT.findall(normalised)


def ngrams(normalised: str) -> Counter[str]:
    """Unigrams and bigrams of units, bigrams within each space-separated phrase."""
    grams: Counter[str] = Counter()
    for phrase in normalised.split():
        # A number says little about the topic, what follows it says much: 36岁 matches 35岁.
        parts = ["#" if unit.isdigit() else unit for unit in units(phrase)]
        grams.update(parts)
        grams.update(a + b for a, b in zip(parts, parts[1:], strict=False))
        if TRIGRAMS:
            grams.update(a + b + c for a, b, c in zip(parts, parts[1:], parts[2:], strict=False))
    return grams
