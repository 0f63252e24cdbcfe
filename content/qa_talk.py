"""What a message is before it is a question: small talk, English, several questions, a
follow-up (content/qa.py decides what to do with each).

Small talk and acknowledgements ("在吗", "谢谢", "好的", "1", "？？？") are recognised when
nothing but such words, punctuation, digits or emoji is left of the message; English when it
has Latin words and no Chinese at all. A pasted paragraph is cut into sentences; a statement
("我是护理专业的。") is kept as the context of the question after it. A follow-up is a short
question that leans on the previous one ("那我咋办", "那要多久").
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

import yaml

from content.normalise import default_lexicon, normalise
from content.qa_knowledge import INTENTS_PATH

_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN_WORD = re.compile(r"[a-z]{2,}")
# "两个问题", "问几个问题": a message announcing its questions.
_ANNOUNCED = re.compile(r"(?:问|请教)?[一二两三四五六七八九十几\d]+个问题[:：]?")
# "1汉川招几个", "2、…", "(3) …": an item's number before its first word (not 35岁).
_ENUMERATOR = re.compile(r"^(?:[(（]?[1-9][)）.．、:：]?|[一二三四五][、.．])\s*(?=[\u3400-\u9fff])"
                         r"(?![岁年个月日号人名家天点次位所项种张份志届周])")
_SENTENCE_END = re.compile(r"[？?。！!；;\n]+")
_SPACE_BREAK = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff\d])")
# A sentence asks something when it ends with a question mark or holds a question word.
# 几 asks, but not in 好几 / 十几 / 几乎 ("在村卫生室干了好几年了" states, it does not ask).
_ASKS = re.compile(r"吗|么|什么|怎|哪|(?<![好十])几(?!乎)|多少|多久|多长|是否|能否|可否|可不可以|"
                   r"能不能|有没有|是不是|会不会|要不要|谁|啥|咋|如何|为什么|呢")
_ASKS_BY_NOT = re.compile(r"[不没][\s？?。！!]*$")
_NOISE = re.compile(r"[\W\d_]+", re.UNICODE)
# Leans on what was asked before: starts with 那 / 那么 / 还有 …, or is only a question frame.
_FOLLOW_START = re.compile(r"^(那|那么|那我|那要|那如果|如果|要是|还有|然后|另外|那这个|这个)")
MAX_PARTS = 4


@cache
def _words() -> dict[str, tuple[str, ...]]:
    data = yaml.safe_load(INTENTS_PATH.read_text(encoding="utf-8"))["smalltalk"]
    return {kind: tuple(sorted((_fold(w) for w in words), key=len, reverse=True))
            for kind, words in data.items()}


@cache
def _letters() -> frozenset[str]:
    """Every character of a small-talk word: a message with any other letter is a question."""
    return frozenset("".join(word for words in _words().values() for word in words))


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower().strip()


def small_talk(text: str) -> str | None:
    """The kind of small talk ("greeting", "thanks", "ack", "noise"), or None for a question.

    The message is small talk when its words are all small-talk words (好的谢谢老师), or when
    it has no letters at all (1, ？？？, 👍)."""
    folded = _fold(text)
    letters = _NOISE.sub("", folded)
    if not letters:
        return "noise"
    if not _letters().issuperset(letters):
        return None  # a letter no small-talk word has (most questions): no need to look further
    rest, first = folded, None
    found: list[tuple[int, str]] = []
    for kind, words in _words().items():
        if kind == "filler":
            continue
        for word in words:
            at = rest.find(word)
            if at >= 0:
                found.append((at, kind))
                rest = rest.replace(word, " ")
    for word in _words().get("filler", ()):
        rest = rest.replace(word, " ")
    if _NOISE.sub("", rest) or not found:
        return None
    first = min(found)[1]
    return first


def is_english(text: str) -> bool:
    folded = _fold(text)
    return not _CJK.search(folded) and len(_LATIN_WORD.findall(folded)) >= 2


def questions(text: str) -> list[str]:
    """The questions of a paragraph, each with the statement just before it as context; one
    item when the message holds one question (or none)."""
    # People type on a phone without punctuation: a space between two Chinese phrases
    # ("预报名是啥 报了就算录上了吗") ends a sentence too.
    sentences = [s.strip(" ，,") for part in _SENTENCE_END.split(text)
                 for s in _spaced(part) if s.strip(" ，,")]
    # "两个问题 1汉川招几个 2…": the announcement is no context, the numbers no words.
    sentences = [_ENUMERATOR.sub("", s) for s in sentences if not _ANNOUNCED.fullmatch(s)]
    found: list[str] = []
    context = ""
    for sentence in sentences:
        if _ASKS.search(sentence) or not _CJK.search(sentence):
            found.append(f"{context}，{sentence}" if context else sentence)
            context = ""
        else:
            context = f"{context}，{sentence}" if context else sentence
    if context and found:
        found[-1] = f"{found[-1]}，{context}"
    return found if len(found) > 1 else [text]


def _spaced(part: str) -> list[str]:
    """A part cut at its spaces when each piece says what it is about: "报名费多少钱 交到哪"
    is one question (交到哪 leans on what precedes it)."""
    pieces = _SPACE_BREAK.split(part)
    return pieces if all(own_topic(piece) for piece in pieces) else [part]


def asks_something(text: str) -> bool:
    """Whether a piece of a message asks (a question word or particle, or a verb with 不 or
    没 after it: 可以请假不), or only tells."""
    return bool(_ASKS.search(text) or _ASKS_BY_NOT.search(text))


def own_topic(text: str) -> bool:
    """Whether the question says what it is about, beyond its frame (多久, 怎么办, 什么时候)."""
    lexicon = default_lexicon()
    flat = normalise(text, atomic=False).replace(" ", "")
    for word in sorted(lexicon.light_words, key=len, reverse=True):
        flat = flat.replace(word, "")
    return sum(1 for char in flat if char not in lexicon.light) >= 2


def follow_up(text: str) -> str | None:
    """The question without its leaning word when it leans on the previous one, else None."""
    stripped = text.strip(" ？?。！!")
    match = _FOLLOW_START.match(stripped)
    if match and len(stripped) <= 12:
        return stripped[match.end():] or stripped
    return None
