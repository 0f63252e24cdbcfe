"""The two or three contacts that fit a question, not every number of the notice.

Each contact is matched by its organisation, person and purpose (招录政策咨询, 网络技术支持,
学院联系方式 …) against the question: "学院老师电话" finds the college, "技术支持电话" the
technical support line, "基地电话" the bases. When nothing in the question points to one, the
contacts of the notice's first purpose (the ones it lists first for questions about the
recruitment) are given, and the reply says where the others are.
"""

from __future__ import annotations

from functools import cache

from content.matching import Index
from content.normalise import default_lexicon, normalise
from content.schema import Campaign, Contact

MAX_SHOWN = 3
# A contact fits when it scores this much, and at least this share of the best one.
MIN_SCORE = 0.12
NEAR_BEST = 0.6
_INDEXES: dict[int, tuple[Campaign, Index]] = {}
# Words every contact question has: they tell no contact apart.
_FRAME = tuple(normalise(w) for w in ("电话", "联系人", "咨询", "多少", "方式", "找谁", "打"))


def _without_frame(text: str) -> str:
    for word in _FRAME:
        text = text.replace(word, " ")
    return " ".join(text.split())


def _index(campaign: Campaign) -> Index:
    cached = _INDEXES.get(id(campaign))
    if cached is None or cached[0] is not campaign:
        index = Index(background=f"{campaign.notice.title or ''} {campaign.name}")
        for contact in campaign.contacts:
            index.add(contact.id, [_without_frame(normalise(text)) for text in (
                contact.organisation, contact.purpose or "", contact.person or "")])
        cached = _INDEXES[id(campaign)] = (campaign, index)
    return cached[1]


def fitting(campaign: Campaign, question: str) -> list[Contact]:
    """The contacts the (normalised) question points to, at most MAX_SHOWN; [] when none."""
    if not campaign.contacts:
        return []
    words = _without_frame(question)
    ranked = _index(campaign).rank(words) if words.strip() else []
    named_people = _people_named(campaign, words)
    if named_people:
        # Two 胡老师: the rest of the question (湖北职院医学院) tells them apart when it can.
        scores = dict(ranked)
        best = max(scores.get(c.id, 0.0) for c in named_people)
        return [c for c in named_people if scores.get(c.id, 0.0) >= best * NEAR_BEST]
    # A term the question names (技术支持, 卫健委) that a contact has only a piece of, inside
    # another word, rules it out: 技术支持 is not 职业技术学院. Terms no contact has a piece of
    # (学员, 报名) tell none apart.
    texts = _texts(campaign)
    named = _terms(words)
    ranked = [(key, score) for key, score in ranked
              if not any(_piece_only(term, texts[key]) for term in named)]
    if not ranked or ranked[0][1] < MIN_SCORE:
        return []
    top = ranked[0][1]
    ids = [key for key, score in ranked if score >= top * NEAR_BEST][:MAX_SHOWN]
    return [c for c in campaign.contacts if c.id in ids]


def _people_named(campaign: Campaign, words: str) -> list[Contact]:
    """The contacts whose person the (normalised) question names (吕老师, 沈泉), at most
    MAX_SHOWN: a name outranks every other word of the question."""
    flat = words.replace(" ", "")
    named = [c for c in campaign.contacts
             if c.person and (person := normalise(c.person).replace(" ", "")) and person in flat]
    return named[:MAX_SHOWN]


def _piece_only(term: str, text: str) -> bool:
    return term not in text and any(term[i:i + 2] in text for i in range(len(term) - 1))


def _terms(words: str) -> set[str]:
    """The vocabulary's terms (canonical, two characters or more, not a question's frame) the
    normalised words say."""
    lexicon = default_lexicon()
    flat = words.replace(" ", "")
    return {term for term in _heads() if term in flat
            and not all(char in lexicon.light for char in term)
            and term not in lexicon.light_words}


@cache
def _heads() -> frozenset[str]:
    return frozenset(h for h in default_lexicon().canonical.values() if len(h) > 1)


def _texts(campaign: Campaign) -> dict[str, str]:
    return {c.id: normalise(f"{c.organisation}{c.purpose or ''}{c.person or ''}").replace(" ", "")
            for c in campaign.contacts}


def people_named(campaign: Campaign, question: str) -> list[Contact]:
    """The contacts a (normalised) question names by their person, narrowed as `fitting` does."""
    if not _people_named(campaign, _without_frame(question)):
        return []
    return fitting(campaign, question)


def default(campaign: Campaign) -> list[Contact]:
    """The contacts of the notice's first purpose (at most MAX_SHOWN)."""
    if not campaign.contacts:
        return []
    first = campaign.contacts[0].purpose
    return [c for c in campaign.contacts if c.purpose == first][:MAX_SHOWN]


def chosen(campaign: Campaign, question: str) -> list[Contact]:
    """The contacts that fit the (normalised) question, else those its last phrase asks for (a
    story told first can rule a contact out: "临床医学专业毕业" has a piece of the college's
    name), else the notice's first ones."""
    *told, last = question.split() or [""]
    return (fitting(campaign, question) or (told and fitting(campaign, last))
            or default(campaign))


def key_for(contacts: list[Contact], campaign: Campaign) -> str:
    """The answer key naming these contacts ("contacts" when they are all of them)."""
    if len(contacts) == len(campaign.contacts):
        return "contacts"
    return "contacts:pick:" + "+".join(c.id for c in contacts)
