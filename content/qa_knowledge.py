"""What the Q&A knows about one campaign: its match indexes and the places it names.

Built once per campaign (about 20 ms) and kept: the generic intents from
``content/intents.yaml``, the campaign's FAQ entries and its facts go into one index the question
is ranked against; the facts and the events have their own small indexes, so an intent ("age")
can find the fact or event that answers it in ANY campaign file by its topic words plus the
question's own words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache, cached_property
from pathlib import Path

import yaml

from content.homophones import Homophones
from content.matching import Index
from content.normalise import SYNONYMS_PATH, fold, normalise, synonyms_data
from content.schema import Campaign, Fact

INTENTS_PATH = Path(__file__).resolve().parent / "intents.yaml"
TEXTS_DIR = Path(__file__).resolve().parent / "texts"
_LEFT_OUT = normalise("未尽事宜")  # a notice's catch-all clause says it
# A fact matched directly weighs less than an intent: an intent is a whole question, and its
# answer comes from structured data. A fact's long text says less than its title and keywords.
TITLE_WEIGHT = 0.9
KEYWORD_WEIGHT = 0.85
TEXT_WEIGHT = 0.75
_GENERIC_NAMES = {"医院", "人民医院", "中心", "培训中心", "培训基地", "卫健委"}
_ELSEWHERE = "外省"
_RESIDENCE = re.compile(r"户口|户籍|籍贯|落户")


@cache
def _bot_texts() -> tuple[str, ...]:
    """Every text of the bot's own (the intents, the synonyms, its messages), folded: read once
    for all campaigns, not again each time a campaign's knowledge is rebuilt (staff entries)."""
    paths = [INTENTS_PATH, SYNONYMS_PATH, *sorted(TEXTS_DIR.glob("*.yaml"))]
    return tuple(fold(path.read_text(encoding="utf-8")) for path in paths)


@cache
def provinces() -> tuple[str, ...]:
    """Province names (content/synonyms.yaml), the longest first."""
    return tuple(sorted(synonyms_data().get("provinces", []), key=len, reverse=True))


@dataclass(frozen=True)
class Intent:
    id: str
    title: str
    answer: str
    topic: str
    phrasings: tuple[str, ...]
    # When the campaign has nothing on the topic: "silent" (the notice does not say, and whom
    # to ask) or another builder's key ("window": a late registration is a question of dates).
    otherwise: str = "silent"
    # The kinds of question its phrasings ask (count, who, when …; see question_types in
    # content/intents.yaml), derived from them at load.
    asks: frozenset[str] = frozenset()


@dataclass(frozen=True)
class IntentTable:
    intents: dict[str, Intent]
    amount_markers: tuple[str, ...]
    address_markers: tuple[str, ...] = ()
    # kind of question -> its markers, normalised ("多少": how many, "谁": who).
    question_types: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # kind of question -> words of a clause that answers it (folded; see answer_markers there).
    answer_markers: dict[str, tuple[str, ...]] = field(default_factory=dict)
    fault_words: tuple[str, ...] = ()
    entry_words: tuple[str, ...] = ()

    def own_entry(self, normalised: str) -> bool:
        """Whether a question speaks of a phone number as the asker's entry on the form."""
        flat = normalised.replace(" ", "")
        return PHONE in flat and any(word in flat for word in self.entry_words)

    def answers(self, text: str) -> frozenset[str]:
        """The kinds of question (among those with answer markers) a clause's text answers."""
        folded = normalise(text, atomic=False).replace(" ", "")
        return frozenset(kind for kind, markers in self.answer_markers.items()
                         if any(marker in folded for marker in markers))

    def asked(self, normalised: str) -> frozenset[str]:
        """The kinds of question a normalised question (or phrasing) asks."""
        flat = normalised.replace(" ", "")
        kinds = frozenset(kind for kind, markers in self.question_types.items()
                          if any(marker in flat for marker in markers))
        return kinds - {"phone"} if "phone" in kinds and self.own_entry(flat) else kinds


PHONE = normalise("电话")


@cache
def intent_table(path: Path = INTENTS_PATH) -> IntentTable:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    types = {kind: tuple(normalise(m).replace(" ", "") for m in markers)
             for kind, markers in (data.get("question_types") or {}).items()}
    probe = IntentTable({}, (), (), types)
    intents = {}
    for item in data["intents"]:
        phrasings = tuple(str(p) for p in item["phrasings"])
        asks = frozenset().union(*(probe.asked(normalise(p)) for p in phrasings))
        intents[item["id"]] = Intent(item["id"], str(item.get("title", "")), item["answer"],
                                     str(item.get("topic", "")), phrasings,
                                     str(item.get("otherwise", "silent")), asks)
    markers = tuple(normalise(m) for m in data.get("amount_markers", []))
    addresses = tuple(normalise(m) for m in data.get("address_markers", []))
    answering = {kind: tuple(normalise(m, atomic=False).replace(" ", "") for m in words)
                 for kind, words in (data.get("answer_markers") or {}).items()}
    faults, entries = (tuple(normalise(w, atomic=False).replace(" ", "")
                             for w in data.get(name, []))
                       for name in ("fault_words", "entry_words"))
    return IntentTable(intents, markers, addresses, types, answering, faults, entries)


@dataclass(frozen=True)
class StaffEntry:
    """An FAQ entry staff added in the chat (storage/faq_overlay.py), ranked like the YAML's
    own FAQ entries and cited as a staff answer of its date."""

    id: int
    phrasings: tuple[str, ...]
    answer: str
    created_at: datetime


@dataclass(frozen=True)
class Entity:
    """A base or a contact's organisation named in a question: ``base:<id>``, ``contact:<id>``."""

    ref: str
    name: str


class Knowledge:
    def __init__(self, campaign: Campaign, table: IntentTable | None = None,
                 staff: tuple[StaffEntry, ...] = ()) -> None:
        self.campaign = campaign
        self.table = table or intent_table()
        self.staff = {entry.id: entry for entry in staff}
        # What every question about this notice shares (助理全科医生培训) tells no answer apart.
        background = f"{campaign.notice.title or ''} {campaign.name}"
        self.main = Index(background=background)
        # The clauses the eligibility rules are written from (a personal answer reads them).
        spec = campaign.eligibility
        self.rule_clauses = frozenset(
            c for c in ([*(r.clause for r in spec.rules), *(o.clause for o in spec.open_on)]
                        if spec is not None else []) if c)
        self.facts = Index(background=background)
        self.events = Index(background=background)
        self._build()
        self._variants = self._entity_variants()
        region = normalise(campaign.notice.region)
        self._regions = sorted({region, region.rstrip("市省县区")} - {""}, key=len, reverse=True)
        own = campaign.model_dump_json()
        self._elsewhere = tuple(p for p in provinces() if p not in own)

    @cached_property
    def homophones(self) -> Homophones:
        """Slips of a pinyin input method put right (社宝 -> 社保): the words known are every
        text the bot has (the campaign, the intents, the synonyms, its own messages); the words
        a slip is put right to are a topic's (the synonyms, the clauses' titles and keywords,
        the events, materials, bases and organisations, the intents' titles and topics)."""
        campaign = self.campaign
        terms = [str(term) for group in synonyms_data()["groups"] for term in group]
        for facts in campaign.sections.values():
            for fact in facts:
                terms += [fact.title, *fact.keywords]
        terms += [event.title for event in campaign.events]
        terms += [m.name for m in campaign.registration.materials]
        terms += [b.name for b in campaign.plan.bases]
        # The place and the bases' short names are words too (孝敢 -> 孝感, 普艾 -> 普爱).
        terms += [campaign.notice.region.rstrip("市省县区")]
        terms += [alias for b in campaign.plan.bases for alias in b.aliases]
        terms += [c.organisation for c in campaign.contacts]
        for intent in self.table.intents.values():
            terms += [intent.title, *intent.topic.split()]
        return Homophones(_bot_texts(), [fold(term) for term in terms],
                          fold(str(synonyms_data().get("light", ""))),
                          running=[fold(campaign.model_dump_json())])

    @cached_property
    def fact_order(self) -> tuple[str, ...]:
        """Every `fact:<id>` key, in the campaign file's order."""
        return tuple(self._facts)

    def fact(self, key: str) -> Fact | None:
        """The clause of a `fact:<id>` answer key; None for any other key."""
        return self._facts.get(key)

    @cached_property
    def _facts(self) -> dict[str, Fact]:
        return {f"fact:{fact.id}": fact for facts in self.campaign.sections.values()
                for fact in facts}

    def elsewhere(self, question: str) -> str:
        """"我河南的 能报吗" to a campaign whose text never names 河南: "我外省的 能报吗". Not
        where a 户口 is said to be there ("户口是湖南的"): that asks about 户籍, which the
        province names as well as 外省 would, and 外省 would pull it to the students' answer."""
        if _RESIDENCE.search(question):
            return question
        for province in self._elsewhere:
            if province in question:
                question = question.replace(province, _ELSEWHERE)
        return question

    def _build(self) -> None:
        for intent in self.table.intents.values():
            self.main.add(f"intent:{intent.id}", [intent.title, *intent.phrasings])
        for entry in self.campaign.faq:
            self.main.add(f"faq:{entry.id}", entry.questions)
        for staff in self.staff.values():  # the staff's own FAQ entries rank like the YAML's
            self.main.add(f"staff:{staff.id}", staff.phrasings)
        # What kinds of question each entry made of questions asks (how many, who …).
        self.asks = {f"intent:{i.id}": i.asks for i in self.table.intents.values()}
        asked = self.table.asked
        for entry in self.campaign.faq:
            self.asks[f"faq:{entry.id}"] = frozenset().union(
                *(asked(normalise(q)) for q in entry.questions))
        for staff in self.staff.values():
            self.asks[f"staff:{staff.id}"] = frozenset().union(
                *(asked(normalise(q)) for q in staff.phrasings))
        # What kinds of question each fact answers by its words (a sanction: "…会怎么样").
        self.gives: dict[str, frozenset[str]] = {}
        for facts in self.campaign.sections.values():
            for fact in facts:
                key = f"fact:{fact.id}"
                self.main.add(key, [fact.title], TITLE_WEIGHT)
                self.main.add(key, fact.keywords, KEYWORD_WEIGHT)
                self.main.add(key, [fact.text], TEXT_WEIGHT)
                # One document per fact: how much of a topic a fact covers decides.
                self.facts.add(key, [" ".join([fact.title, *fact.keywords, fact.text])],
                               heading=fact.title)
                self.gives[key] = self.table.answers(fact.text)
        # Answers written for applicants, by topic: a clause addressed to institutions (工作要求)
        # gives way to one of them on the same topic (content/qa.py `on_topic`).
        self.written = Index(background=f"{self.campaign.notice.title or ''} {self.campaign.name}")
        for entry in self.campaign.faq:
            self.written.add(f"faq:{entry.id}", [" ".join([*entry.questions, entry.answer])],
                             heading=entry.questions[0])
        # The notice's clause on what it leaves out (其他未尽事宜，按照…执行), if it has one: a
        # topic it is silent on quotes it (content/qa_builders.py `_silent`).
        self.catch_all: Fact | None = next(
            (fact for facts in self.campaign.sections.values() for fact in facts
             if _LEFT_OUT in normalise(fact.text)), None)
        self.institutional = {f"fact:{fact.id}" for section in self.campaign.institution_sections
                              for fact in self.campaign.sections.get(section, [])}
        self._build_structured()

    def _build_structured(self) -> None:
        """Structured parts are answers too, found by their own words (身份证正反面)."""
        campaign = self.campaign
        for event in campaign.events:
            self.events.add(f"event:{event.id}", [f"{event.title} {event.text}"],
                            heading=event.title)
            self.main.add(f"event:{event.id}", [event.title], TITLE_WEIGHT)
            self.main.add(f"event:{event.id}", [event.text], TEXT_WEIGHT)
        materials = campaign.registration.materials
        self.main.add("materials", [m.name for m in materials], KEYWORD_WEIGHT)
        self.main.add("materials", [m.note for m in materials if m.note], TEXT_WEIGHT)
        self.main.add("contacts", [c.purpose for c in campaign.contacts if c.purpose],
                      KEYWORD_WEIGHT)
        # Each step of registration, by its own words ("培训人员类型那栏选啥": 选择“社会人”).
        self.main.add("steps", list(campaign.registration.steps), TEXT_WEIGHT)

    def _entity_variants(self) -> list[tuple[str, Entity]]:
        """(normalised name variant, entity), longest first; variants two entities share dropped."""
        owners: dict[str, set[str]] = {}
        entities: dict[str, Entity] = {}
        named = [(f"base:{b.id}", b.name, b.aliases) for b in self.campaign.plan.bases]
        base_names = {normalise(b.name) for b in self.campaign.plan.bases}
        for contact in self.campaign.contacts:
            if normalise(contact.organisation) not in base_names:
                named.append((f"contact:{contact.id}", contact.organisation, []))
        for ref, name, aliases in named:
            entity = entities.setdefault(name, Entity(ref, name))
            for variant in self._name_variants(name, aliases):
                owners.setdefault(variant, set()).add(entity.name)
        result = [(v, entities[next(iter(names))]) for v, names in owners.items()
                  if len(names) == 1]
        return sorted(result, key=lambda item: -len(item[0]))

    def _name_variants(self, name: str, aliases: list[str]) -> set[str]:
        region = normalise(self.campaign.notice.region)
        short_region = region.rstrip("市省县区")
        forms = {name, *aliases}
        # 福建省全科医学培训中心（省培训中心）: the bracketed short name is a name too.
        forms |= {part for form in list(forms) for part in re.split(r"[（）()]", form) if part}
        variants: set[str] = set()
        for form in forms:
            norm = normalise(form).replace(" ", "")
            variants |= {norm, norm.replace("市", "").replace("县", "")}
            for prefix in (region, short_region):
                if prefix and norm.startswith(prefix):
                    variants.add(norm[len(prefix):])
        return {v for v in variants
                if len(v) >= 2 and v not in (region, short_region) and v not in _GENERIC_NAMES}

    def named_bases(self, question: str) -> list[Entity]:
        """The distinct bases a normalised question names, in the order it names them."""
        return [entity for _, entity in self.bases_at(question)]

    def bases_at(self, question: str) -> list[tuple[int, Entity]]:
        """(where it is named, base) for each distinct base a normalised question names, in
        the order it names them."""
        found: dict[str, tuple[int, Entity]] = {}
        for variant, entity in self._variants:
            at = question.find(variant)
            if at >= 0 and entity.ref.startswith("base:") and entity.ref not in found:
                found[entity.ref] = (at, entity)
                question = question.replace(variant, " " * len(variant))
        return sorted(found.values(), key=lambda item: item[0])

    def find_entity(self, question: str) -> tuple[Entity | None, str]:
        """The base or organisation the normalised question names, and the question without it."""
        found = None
        for variant, entity in self._variants:
            if variant in question:
                found, question = entity, question.replace(variant, " ")
                break
        # 孝感一共招多少人: the campaign's own region says nothing about what is asked.
        for region in self._regions:
            question = question.replace(region, " ")
        return found, " ".join(question.split())
