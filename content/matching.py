"""Matching Chinese free text: a character n-gram scorer over normalised text.

Questions and content are compared after ``content/normalise.py`` has folded and cut them.
Scores are normalised to 0..1 so one threshold serves every campaign; how the scorer was chosen
is recorded in the README's Q&A section.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

from content.normalise import Lexicon, default_lexicon, ngrams, normalise, units

# "overlap" or "bm25" (see Index); overlap measured better on the dev and held-out sets.
METHOD = "overlap"
# overlap: the weight of "how much of the question is matched" against "how much of the phrasing".
QUERY_SHARE = 0.7
# An entry is about a topic when it holds this much of one of the topic's terms.
TERM_MIN = 0.75
# A fact that names the topic's terms more often leans to being about it (capped).
MENTION_BONUS = 0.15
MENTIONS_MAX = 4
# A fact headed by a term the question says (笔试 for "有笔试吗") is about it; one that only
# mentions it (无须参加笔试 in the clause on postgraduates) is about something else.
HEADING_BONUS = 0.5
# When a question says some of a topic's terms, the others weigh this much in its centrality.
UNNAMED_WEIGHT = 0.5
# "非全日制", "不是应届", "非本县": a qualified term is another category than its base term. The
# two units after the prefix stand for the term (全日, 应届, 本县); 是不是 asks, it does not deny.
_QUALIFIED = re.compile(r"(?<!是)(?:非|不是)((?:[\u4e00-\u9fff\ue000-\uf8ff]){2})")
# An entry about the base term answers a question about the qualified one (or the reverse) only
# when nothing else does: its score is scaled by this.
QUALIFIED_PENALTY = 0.5


def qualified_terms(flat: str) -> set[str]:
    """The terms a text (without spaces) says with 非/不是 before them."""
    return {m.group(1) for m in _QUALIFIED.finditer(flat)}


def said_plainly(flat: str, term: str) -> bool:
    """Whether the text says `term` somewhere without 非/不是 right before it."""
    at = flat.find(term)
    while at >= 0:
        before = flat[:at]
        qualified = (before.endswith("非") and not before.endswith("是非")) or (
            before.endswith("不是") and not before.endswith("是不是"))
        if not qualified:
            return True
        at = flat.find(term, at + 1)
    return False


def mismatched(question: str, qualified: set[str], texts: list[str]) -> bool:
    """Whether a question (without spaces) and an entry (its texts, the terms they qualify)
    disagree: the question says 非X and the entry only X, or the question says X and the entry
    only 非X."""
    asked = qualified_terms(question)
    if any(term not in qualified and any(said_plainly(t, term) for t in texts)
           for term in asked):
        return True
    return any(term not in asked and said_plainly(question, term)
               and not any(said_plainly(t, term) for t in texts) for term in qualified)


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
        self._background_text = normalise(background, self.lexicon).replace(" ", "")
        self._keys: list[str] = []
        self._grams: list[Counter[str]] = []
        self._weights: list[float] = []
        self._df: Counter[str] = Counter()
        self._entries: dict[str, set[str]] = {}
        self._postings: dict[str, list[int]] | None = None
        self._idf = {}
        self._terms = {}
        self._shares: dict[str, float] = {}
        self._centrals = {}
        self._mention_counts = {}
        self._texts: dict[str, list[str]] = {}
        self._raw: dict[str, list[str]] = {}
        self._headings: dict[str, str] = {}
        self._qualified = None

    def add(self, key: str, phrasings: Iterable[str], weight: float = 1.0,
            heading: str = "") -> None:
        """Add an entry's phrasings; adding to an existing key adds more phrasings to it.
        `heading`: what the entry is about in a few words (a fact's title)."""
        if heading:
            self._headings[key] = heading
        seen: set[str] = set()
        for text in phrasings:
            self._raw.setdefault(key, []).append(text)
            normalised = normalise(text, self.lexicon)
            self._texts.setdefault(key, []).append(normalised.replace(" ", ""))
            grams = ngrams(normalised)
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
        self._qualified: dict[str, set[str]] | None = None
        self._idf: dict[str, float] = {}
        self._terms: dict[str, list[tuple[str, float]]] = {}
        self._shares: dict[str, float] = {}
        # What depends on the entries and a topic's terms only, not on the question: computed
        # once per index (a topic's terms are the same for every question that reaches it).
        self._centrals: dict[tuple[tuple[str, ...], tuple[str, ...]], dict[str, float]] = {}
        self._mention_counts: dict[tuple[str, tuple[str, ...]], int] = {}

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

    def disagrees(self, question: str, key: str) -> bool:
        """Whether the entry `key` and the (normalised) question disagree on a qualified term
        (非全日制 / 全日制, 非本县 / 本县): then the entry is about another category."""
        flat = question.replace(" ", "")
        if self._qualified is None:
            self._qualified = {k: terms for k, texts in self._texts.items()
                               if (terms := set().union(*map(qualified_terms, texts)))}
        terms = self._qualified.get(key, set())
        if not terms and not _QUALIFIED.search(flat):
            return False
        return mismatched(flat, terms, self._texts.get(key, []))

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

    def best_on_topic(self, question: str, topic: str, core: str = "") -> str | None:
        """The entry that is about the topic (space-separated terms) and, among those, closest
        to the (normalised) question.

        An entry is about the topic when it contains one of the topic's terms (nearly) whole; the
        more terms it holds, the more central it is. When the question says some of the terms
        itself (往届 in "往届生可以报吗"), the entry must hold them, not only another term of the
        topic that many clauses share (毕业生); when no entry holds them, only the terms of the
        topic's `core` (its name: 考试录取 for "有笔试吗") still mark an entry as about it."""
        # A term of the notice's own title (住院医师 in a 住院医师规范化培训 notice) is in every
        # fact of it: it cannot mark one as being about the topic.
        terms = [t for t in topic.split() if not self._in_background(t)] or topic.split()
        named = self._named(question, terms)
        on_topic = self._central(terms, named)
        if named:
            # The core as written: synonyms may fold a name whole (考试录取 -> 笔试).
            in_core = [t for t in terms if t in core] or self._named(self._flat(core), terms)
            on_topic = self._holding(named, on_topic) or self._holding(in_core, on_topic,
                                                                       share=0.0)
        if not on_topic:
            return None
        # Among them the question's own words tell them apart (执业医师 vs 执业助理医师).
        by_question = self.discriminate(question, on_topic)
        top = max(by_question.values()) or 1.0
        # Of facts alike on both, the one that says the topic's terms more often is about it
        # (财政补助 three times in the clause on its use, once in the one on pay).
        # A heading naming what the question says counts as far as the question's other words
        # allow it ("生活补助按啥发放 没报到有吗" is about 报到 more than the clause on 生活补助).
        return max(on_topic, key=lambda key: by_question[key] / top + on_topic[key]
                   + MENTION_BONUS * self._mentions(key, named or terms)
                   + HEADING_BONUS * self._headed(key, named) * by_question[key] / top)

    def says(self, key: str, terms: Iterable[str]) -> bool:
        """Whether the entry says one of the terms as written, not only a synonym of it (同意证明
        holds 材料 once synonyms are folded, but is a certificate, not the materials)."""
        raw = "".join(self._raw.get(key, ()))
        return any(term and term in raw for term in terms)

    def saying(self, terms: Iterable[str]) -> list[str]:
        """The entries that say one of the terms as written."""
        terms = [term for term in terms if term]
        return [key for key in self._raw if self.says(key, terms)] if terms else []

    def _headed(self, key: str, terms: list[str]) -> bool:
        """Whether the entry's heading says one of the terms as written: synonyms fold too
        much for this (技能操作考试 would say 笔试)."""
        heading = self._headings.get(key, "")
        return any(term in heading for term in terms)

    def _named(self, question: str, terms: list[str]) -> list[str]:
        """The topic terms the (normalised) question says."""
        flat = question.replace(" ", "")
        return [t for t in terms if (norm := self._flat(t)) and norm in flat]

    def _central(self, terms: list[str], named: list[str]) -> dict[str, float]:
        """Entries holding one of the terms, the more terms the more central; when the question
        says some of them, the others count less (录取 in a clause, for "有笔试吗")."""
        memo = (tuple(terms), tuple(named))
        known = self._centrals.get(memo)
        if known is not None:
            return dict(known)
        weights = {t: 1.0 if not named or t in named else UNNAMED_WEIGHT for t in terms}
        total = sum(weights.values())
        on_topic: dict[str, float] = {}
        for term in terms:
            for key, share in self.covering(term):
                if share >= TERM_MIN:
                    on_topic[key] = on_topic.get(key, 0.0) + share * weights[term] / total
        self._centrals[memo] = dict(on_topic)
        return on_topic

    def _holding(self, terms: list[str], on_topic: dict[str, float],
                 share: float = 0.5) -> dict[str, float]:
        """Those of `on_topic` holding more than `share` of the terms' weight (any of them with
        share 0), each term weighing by how rare it is among the entries: the rare word a
        question turns on counts, a word many clauses share does not make up for it."""
        held = {t: {k for k, s in self.covering(t) if s >= TERM_MIN} for t in terms}
        rarity = {t: math.log(1 + (len(self._entries) + 1) / (len(keys) + 0.5))
                  for t, keys in held.items()}
        need = sum(rarity.values()) * share
        return {key: centrality for key, centrality in on_topic.items()
                if (weight := sum(rarity[t] for t, keys in held.items() if key in keys)) > 0
                and weight >= need}

    def _flat(self, term: str) -> str:
        return normalise(term, self.lexicon).replace(" ", "")

    @property
    def size(self) -> int:
        """How many entries the index holds."""
        return len(self._texts)

    def share(self, term: str) -> float:
        """The share of entries whose text holds the term (报名: nearly half of a notice)."""
        if (value := self._shares.get(term)) is None:
            flat = self._flat(term)
            found = sum(1 for texts in self._texts.values()
                        if flat and any(flat in text for text in texts))
            value = self._shares[term] = found / max(1, len(self._texts))
        return value

    def background_run(self, normalised: str, least: int) -> str:
        """The longest run (`least` characters or more, no space) of a normalised text that is
        in the background (the notice's title): "" when none."""
        longest = ""
        for start in range(len(normalised)):
            end = start + max(least, len(longest) + 1)
            while end <= len(normalised):
                piece = normalised[start:end]
                if " " in piece or piece not in self._background_text:
                    break
                longest, end = piece, end + 1
        return longest

    def _in_background(self, term: str) -> bool:
        flat = normalise(term, self.lexicon).replace(" ", "")
        return len(flat) > 1 and flat in self._background_text

    def _mentions(self, key: str, terms: list[str]) -> int:
        memo = (key, tuple(terms))
        count = self._mention_counts.get(memo)
        if count is None:
            flat = [normalise(term, self.lexicon).replace(" ", "") for term in terms]
            count = self._mention_counts[memo] = min(MENTIONS_MAX, sum(
                text.count(term) for text in self._texts.get(key, ()) for term in flat if term))
        return count

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
