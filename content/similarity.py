"""How alike two questions are, to group the unanswered ones for coordinators.

A form is a question after content/normalise.py (synonyms folded to one word, fillers dropped:
哪些 and 什么 are one, 资料 is 材料, 请问 is gone). It is cut into unigrams and bigrams, and a gram
weighs its IDF (among the forms being grouped and the generic intents' phrasings) times the
lexicon's weight, so a question-frame character (什么, 吗, 要 …) counts little and a word most
questions share (报名) less than the one that tells them apart (材料, 截止). Two forms are alike
when the weighted cosine of their gram sets reaches THRESHOLD, chosen on the Q&A's dev and
held-out questions (README, "FAQ overlay and unanswered questions").

Clustering is greedy over the most asked: forms in order of how often they were asked, each joins
the group whose first (most asked) form it is most alike, or starts a new one. Comparing with the
seed alone keeps a chain (A like B, B like C, A unlike C) from drifting into one group.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from content.normalise import default_lexicon, ngrams, normalise

THRESHOLD = 0.5


@dataclass(frozen=True)
class Form:
    text: str  # normalised question
    count: int = 1


class Weights:
    """Gram weights over a set of forms: IDF among them times the lexicon's frame weight."""

    def __init__(self, texts: Iterable[str]) -> None:
        self.grams = {text: frozenset(ngrams(normalise(text))) for text in texts}
        background, size = _background()
        df: Counter[str] = Counter(background)
        for grams in self.grams.values():
            df.update(grams)
        n = size + len(self.grams)
        lexicon = default_lexicon()
        # Squared weights, the cosine's terms, for every gram of these forms.
        self.squared = {g: (math.log(1 + (n + 1) / (df[g] + 0.5)) * lexicon.weight(g)) ** 2
                        for grams in self.grams.values() for g in grams}
        self.norms = {text: math.sqrt(sum(self.squared[g] for g in grams))
                      for text, grams in self.grams.items()}

    def weight(self, gram: str) -> float:
        return math.sqrt(self.squared[gram])

    def norm(self, text: str) -> float:
        return self.norms[text]

    def prefix(self, text: str, threshold: float) -> list[str]:
        """The heaviest grams of `text` that any form alike to it must share one of.

        Alike means shared mass >= threshold * |a| * |b|, and |b| >= threshold * |a|, so at
        least threshold² of a's mass is shared: whatever lies outside the heaviest grams that
        hold the rest cannot reach it alone (prefix filtering, as in set-similarity joins).
        The rare grams come first, and their postings are short."""
        squared = self.squared
        ranked = sorted(self.grams[text], key=lambda g: (-squared[g], g))
        rest = self.norms[text] ** 2
        floor = threshold ** 2 * rest
        taken = []
        for gram in ranked:
            if rest < floor:
                break
            taken.append(gram)
            rest -= squared[gram]
        return taken

    def similarity(self, a: str, b: str) -> float:
        """Weighted cosine of the two forms' gram sets, 0..1."""
        shared = self.grams[a] & self.grams[b]
        denominator = self.norms[a] * self.norms[b]
        if not shared or not denominator:
            return 1.0 if a == b else 0.0
        squared = self.squared
        return sum(squared[g] for g in shared) / denominator


@cache
def _background() -> tuple[Counter[str], int]:
    """Document frequencies over the generic intents' phrasings (content/intents.yaml): what
    applicants' questions share in general (培训, 报名, 什么时候) weighs little even when only a
    few questions are grouped."""
    from content.qa_knowledge import intent_table

    df: Counter[str] = Counter()
    phrasings = [p for intent in intent_table().intents.values() for p in intent.phrasings]
    for phrasing in phrasings:
        df.update(frozenset(ngrams(normalise(phrasing))))
    return df, len(phrasings)


def cluster(forms: Sequence[Form], threshold: float = THRESHOLD) -> list[list[Form]]:
    """Groups of alike forms, each headed by its most asked; groups in the order they started."""
    ordered = sorted(forms, key=lambda f: -f.count)  # stable: equal counts keep their order
    weights = Weights(f.text for f in ordered)
    groups: list[list[Form]] = []
    seeds_by_gram: dict[str, list[int]] = {}  # every gram of every seed
    norms = weights.norms
    for form in ordered:
        norm = norms[form.text]
        candidates = {i for g in weights.prefix(form.text, threshold)
                      for i in seeds_by_gram.get(g, ())}
        best, best_score = None, threshold
        for i in sorted(candidates):
            seed = groups[i][0].text
            # Cosine of weighted sets is at most the ratio of their norms.
            if min(norm, norms[seed]) < threshold * max(norm, norms[seed]):
                continue
            score = weights.similarity(seed, form.text)
            if score >= best_score:
                best, best_score = i, score
        if best is not None:
            groups[best].append(form)
            continue
        groups.append([form])
        for gram in weights.grams[form.text]:
            seeds_by_gram.setdefault(gram, []).append(len(groups) - 1)
    return groups


def matching(text: str, texts: Iterable[str], threshold: float = THRESHOLD) -> list[str]:
    """The `texts` alike to `text` (as `cluster` would judge them against it as a seed)."""
    others = list(dict.fromkeys(texts))
    weights = Weights([text, *others])
    return [other for other in others if weights.similarity(text, other) >= threshold]
