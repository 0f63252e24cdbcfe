"""Input-method slips: a character picked for another of the same sound (报明 for 报名).

People type Chinese on a phone with a pinyin input method and often send the first candidate:
社宝 for 社保, 补主 for 补助, 定象生 for 定向生. Such a pair of characters is no word the bot
knows, so the question loses the very word that says what it is about. A pair of characters
is put right when it is unknown (in no text the bot has: the campaign, the intents, the synonyms,
its own messages), neither of its characters is known beside its other neighbour (unless the
word put right makes a known run of three with it), and changing one of its characters for one
that sounds the same makes one pair of a topic's words, and only one. "Sounds the same": the
first reading (the one an input method offers a character under) without its tone, forgiving
one of the confusions many speakers' input methods are set to forgive at a time (zh/z, ch/c,
sh/s, n/l; -ing/-in, -eng/-en, -ang/-an).

Two degrees of certainty (content/qa.py uses both): a slip into a two-character topic word
(社保, 补助, 报名) is put right before the question is read; one into a pair inside a longer
term (执业助理医师) only when the question as typed gets no sure answer, because a pair the bot
lacks is as often a word it does not know (平时, 一共) as a slip.

The readings come from pypinyin's table of characters (its phrase table is not needed).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from functools import cache

_HANZI = re.compile(r"[\u4e00-\u9fff]")
_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")
_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("n", "l"))
_FINALS = (("ing", "in"), ("eng", "en"), ("ang", "an"))


@cache
def _table() -> dict[int, str]:
    from pypinyin.pinyin_dict import pinyin_dict  # about 0.1 s: only when a question comes

    return pinyin_dict


def _plain(syllable: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", syllable)
                   if not unicodedata.combining(c)).replace("ü", "v")


def _forgiven(plain: str) -> tuple[str, str]:
    """Two keys of a toneless syllable: with its initial's confusion folded (shen -> sen),
    and with its final's (shen -> shen, sheng -> shen). Two syllables sound alike when one of
    the keys is the same: one confusion at a time (sheng and sen are too far apart)."""
    initial = plain
    for long, short in _INITIALS:
        if plain.startswith(long):
            initial = short + plain[len(long):]
            break
    final = plain
    for long, short in _FINALS:
        if plain.endswith(long):
            final = plain[: -len(long)] + short
            break
    return "i:" + initial, "f:" + final


@cache
def sounds(char: str) -> tuple[str, str]:
    """The keys of a character's first reading, the one an input method offers it under
    (() for no Chinese character)."""
    readings = _table().get(ord(char), "")
    return _forgiven(_plain(readings.split(",")[0])) if readings else ()


def _pairs(text: str) -> set[str]:
    return {a + b for run in _RUN.findall(text) for a, b in zip(run, run[1:], strict=False)}


def _runs(text: str) -> set[str]:
    return {run[i:i + 3] for run in _RUN.findall(text) for i in range(len(run) - 2)}


class Homophones:
    """The known pairs of one body of text, and the repair of questions against them."""

    def __init__(self, texts: Iterable[str], terms: Iterable[str], frame: str = "",
                 running: Iterable[str] = ()) -> None:
        """`texts`: the words the bot knows (a pair in them is never a slip); `terms`: the
        words a slip may be put right to (a topic's words); `frame`: characters that frame a
        question (什么, 可以 …): a pair with one of them is never taken for a slip; `running`:
        running text (the notice's sentences), whose pairs across two words (确保到位: 保到)
        stop only a slip into a longer term, not into a two-character one (保到 -> 报到)."""
        terms = list(terms)
        self.known: set[str] = set()
        self.runs: set[str] = set()  # three characters in a row
        for text in texts:
            self.known.update(_pairs(text))
            self.runs.update(_runs(text))
        self.running: set[str] = set()
        for text in running:
            self.running.update(_pairs(text))
            self.runs.update(_runs(text))
        self.frame = frozenset(frame)
        self.terms = {pair for term in terms for pair in _pairs(term)
                      if not self.frame.intersection(pair)}
        self.known |= self.terms
        self.words = {term for term in terms if len(term) == 2 and term in self.terms}
        self._by_sound: dict[tuple[str, str, int], set[str]] | None = None

    def _index(self) -> dict[tuple[str, str, int], set[str]]:
        """(kept character, the other one's sound, which one is kept) -> known pairs."""
        if self._by_sound is None:
            index: dict[tuple[str, str, int], set[str]] = defaultdict(set)
            for pair in self.terms:
                first, second = pair
                for sound in sounds(second):
                    index[(first, sound, 0)].add(pair)
                for sound in sounds(first):
                    index[(second, sound, 1)].add(pair)
            self._by_sound = index
        return self._by_sound

    def warm(self) -> None:
        """Build what the first repair would (the index by sound, the readings' table)."""
        self._index()

    def _fits(self, neighbour: str, run: str) -> bool:
        """Whether a pair put right may keep its character: that character's pair with its other
        neighbour (`neighbour`) is unknown, frames a question or is absent, or the three in a
        row (`run`) are known."""
        return (not neighbour or not self._knows(neighbour)
                or bool(self.frame.intersection(neighbour)) or run in self.runs)

    def _knows(self, pair: str) -> bool:
        return pair in self.known or pair in self.running

    def repair(self, text: str, words_only: bool = False) -> str:
        """The text with each unknown pair that has one known pair of the same sound replaced;
        unchanged when nothing is to be put right. `words_only`: only slips into two-character
        terms (报名, 社保), which may be pairs of the running text (保到 -> 报到)."""
        if all(a + b in self.known for run in _RUN.findall(text)
               for a, b in zip(run, run[1:], strict=False)):
            return text
        chars = list(text)
        index = self._index()
        for at in range(len(chars) - 1):
            first, second = chars[at], chars[at + 1]
            pair = first + second
            if pair in self.known or not (_HANZI.match(first) and _HANZI.match(second)):
                continue
            if self.frame.intersection(pair) or (pair in self.running and not words_only):
                continue
            before = chars[at - 1] + first if at else ""
            after = second + chars[at + 2] if at + 2 < len(chars) else ""
            # The slip is not a character known beside its other neighbour (福建报名: 建 is
            # known beside 福, so 建报 is no slip of 兼报); the character kept, when known
            # beside its other neighbour, must make a known run with the word put right
            # (培训基低 -> 训基地 is known; 财政剩下 -> 财政审 is not, so 政剩 is no slip of 政审).
            found = set()
            if not self._knows(after):  # the second is the slip, the first is kept
                found |= {p for sound in sounds(second) for p in index.get((first, sound, 0), ())
                          if self._fits(before, before[:1] + p)}
            if not self._knows(before):  # the first is the slip
                found |= {p for sound in sounds(first) for p in index.get((second, sound, 1), ())
                          if self._fits(after, p + after[1:])}
            if words_only:
                found &= self.words
            if len(found) == 1:
                chars[at], chars[at + 1] = next(iter(found))
        return "".join(chars)
