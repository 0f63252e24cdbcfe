"""Matching Chinese free text: normalisation and a character n-gram scorer.

No segmenter: questions are short and colloquial, and a segmenter's dictionary costs seconds to
load. Text is folded (NFKC, traditional to simplified with zhconv's table, Chinese numerals to
digits), domain synonyms are rewritten to one canonical form (``content/synonyms.yaml``), filler
words are dropped, and the result is cut into character unigrams and bigrams (a run of Latin
letters or digits counts as one unit). Scores are normalised to 0..1 so one threshold serves
every campaign; how the scorer was chosen is recorded in the README's Q&A section.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

import yaml

from content.hanzi import simplified_table

TRIGRAMS = False
# "overlap" or "bm25" (see Index); overlap measured better on the dev and held-out sets.
METHOD = "overlap"
# overlap: the weight of "how much of the question is matched" against "how much of the phrasing".
QUERY_SHARE = 0.7
SYNONYMS_PATH = Path(__file__).resolve().parent / "synonyms.yaml"

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
           "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_NUMERAL_RUN = re.compile(r"[零〇一二两三四五六七八九十百千]+")
# A lone 一 is a number only before a measure word: 一共, 一下, 一医 and 第一 stay words.
_MEASURE = "岁年个月日号人名家天点次位所项种张份志届周"
_DAY_NUMBER = re.compile(r"(\d+)号")
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
                   frozenset(_fold(light)), light_weight, grams, units)

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
def default_lexicon() -> Lexicon:
    data = yaml.safe_load(SYNONYMS_PATH.read_text(encoding="utf-8"))
    return Lexicon.from_data(data["groups"], data.get("fillers", []), data.get("light", ""),
                             float(data.get("light_weight", 1.0)), data.get("light_words", []),
                             data.get("atomic", []))


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

    return _DAY_NUMBER.sub(r"\1日", _NUMERAL_RUN.sub(convert, text))


def normalise(text: str, lexicon: Lexicon | None = None, *, atomic: bool = True) -> str:
    """The form questions and content are compared in: folded, rewritten, without filler.

    ``atomic=False`` keeps atomic terms as words: a readable form, e.g. to group questions."""
    lexicon = lexicon or default_lexicon()
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


@lru_cache(maxsize=256)
def _telling_grams(question: str) -> tuple[str, ...]:
    """The grams that can tell entries apart; single characters are left out (科 is in 本科
    and in 专科). Cached: a question is discriminated once per intent it matched."""
    return tuple(g for g in ngrams(question) if len(g) > 1 or g >= "\ue000")


class Index:
    """Entries (each with several phrasings) scored against a question.

    ``overlap``: IDF-weighted n-gram overlap, the geometric mean of how much of the question the
    phrasing covers and how much of the phrasing the question covers. ``bm25``: Okapi BM25 over
    phrasings, divided by the question's score against itself. An entry scores its best phrasing;
    a phrasing's weight scales its score (a fact's long text counts less than its title).
    """

    def __init__(self, method: str | None = None, k1: float = 1.2, b: float = 0.75,
                 lexicon: Lexicon | None = None, background: str = "") -> None:
        self.method, self.k1, self.b = method or METHOD, k1, b
        self.lexicon = lexicon or default_lexicon()
        # Grams made of the background's characters (a notice's title: 助理全科医生培训) are in
        # every question about it: light.
        self.background = frozenset(units(normalise(background, self.lexicon)))
        self._keys: list[str] = []
        self._grams: list[Counter[str]] = []
        self._weights: list[float] = []
        self._df: Counter[str] = Counter()
        self._entries: dict[str, set[str]] = {}
        self._postings: dict[str, list[int]] | None = None
        self._idf = {}
        self._terms = {}

    def add(self, key: str, phrasings: Iterable[str], weight: float = 1.0) -> None:
        """Add an entry's phrasings; adding to an existing key adds more phrasings to it."""
        seen: set[str] = set()
        for text in phrasings:
            grams = ngrams(normalise(text, self.lexicon))
            if grams:
                self._keys.append(key)
                self._grams.append(grams)
                self._weights.append(weight)
                seen.update(grams)
        # Document frequency counts entries, not phrasings: each gram once per entry.
        known = self._entries.setdefault(key, set())
        self._df.update(seen - known)
        known |= seen
        self._postings = None
        self._idf: dict[str, float] = {}
        self._terms: dict[str, list[tuple[str, float]]] = {}

    def idf(self, gram: str) -> float:
        value = self._idf.get(gram)
        if value is None:
            idf = math.log(1 + (len(self._entries) + 1) / (self._df.get(gram, 0) + 0.5))
            value = self._idf[gram] = idf * self.weight(gram)
        return value

    def weight(self, gram: str) -> float:
        inside = all(unit in self.background for unit in units(gram))
        light = self.lexicon.light_weight if inside else 1.0
        return self.lexicon.weight(gram) * light

    def _prepare(self) -> dict[str, list[int]]:
        if self._postings is None:
            postings: dict[str, list[int]] = {}
            for i, grams in enumerate(self._grams):
                for gram in grams:
                    postings.setdefault(gram, []).append(i)
            self._postings = postings
            self._totals = [sum(self.idf(g) for g in grams) for grams in self._grams]
            self._lengths = [sum(grams.values()) for grams in self._grams]
            self._avg = sum(self._lengths) / max(1, len(self._lengths))
        return self._postings

    def rank(self, question: str, coverage: bool = False) -> list[tuple[str, float]]:
        """(entry key, score in 0..1), best first; the question is already normalised.

        With `coverage`, a phrasing scores by how much of the question it covers alone (the
        overlap method), whatever its length: for choosing among long texts."""
        query = ngrams(question)
        postings = self._prepare()
        if not query:
            return []
        weights = {g: self.idf(g) for g in query}
        if self.method == "bm25" and not coverage:
            return self._rank_bm25(query, weights)
        # Shared weight per phrasing, gathered from the postings: only phrasings that share a
        # gram with the question are touched.
        shared: dict[int, float] = {}
        get = shared.get
        for gram, weight in weights.items():
            for i in postings.get(gram, ()):
                shared[i] = get(i, 0.0) + weight
        q_total = sum(weights.values())
        keys, totals, factors = self._keys, self._totals, self._weights
        best: dict[str, float] = {}
        for i, weight in shared.items():
            covered = weight / q_total
            value = factors[i] * (covered if coverage else covered ** QUERY_SHARE
                                  * (weight / totals[i]) ** (1 - QUERY_SHARE))
            if value > best.get(keys[i], 0.0):
                best[keys[i]] = value
        return sorted(best.items(), key=lambda kv: -kv[1])

    def _rank_bm25(self, query: Counter[str], weights: dict[str, float]) -> list[tuple[str, float]]:
        postings = self._prepare()
        shared: dict[int, list[str]] = {}
        for gram in query:
            for i in postings.get(gram, ()):
                shared.setdefault(i, []).append(gram)
        best: dict[str, float] = {}
        for i, grams in shared.items():
            value = self._bm25(query, i, grams, weights) * self._weights[i]
            if value > best.get(self._keys[i], 0.0):
                best[self._keys[i]] = value
        return sorted(best.items(), key=lambda kv: -kv[1])

    def covering(self, term: str) -> list[tuple[str, float]]:
        """`rank(term, coverage=True)` for a fixed term (a topic word), computed once."""
        found = self._terms.get(term)
        if found is None:
            found = self._terms[term] = self.rank(normalise(term, self.lexicon), coverage=True)
        return found

    def discriminate(self, question: str, keys: Iterable[str]) -> dict[str, float]:
        """How well each of `keys` matches the question on the words that tell them apart.

        Weights are IDF within `keys` alone: a word all of them share says nothing about which
        one is meant (资格证 in every licence fact), a word one alone has says much (本科)."""
        sets = {key: self._entries[key] for key in keys}
        scores = dict.fromkeys(sets, 0.0)
        for gram in _telling_grams(question):
            holders = [key for key, grams in sets.items() if gram in grams]
            if holders:
                weight = self.weight(gram) * math.log((len(sets) + 1) / len(holders))
                for key in holders:
                    scores[key] += weight
        return scores

    def _bm25(self, query: Counter[str], i: int, grams: list[str], w: dict[str, float]) -> float:
        def part(tf: int, length: int) -> float:
            return tf * (self.k1 + 1) / (tf + self.k1 * (1 - self.b + self.b * length / self._avg))

        doc = self._grams[i]
        raw = sum(w[g] * part(doc[g], self._lengths[i]) for g in grams)
        size = sum(query.values())
        ceiling = sum(w[g] * part(query[g], size) for g in query)
        return min(1.0, raw / ceiling) if ceiling else 0.0
