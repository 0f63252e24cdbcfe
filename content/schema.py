"""The campaign file's schema: one notice as data.

Every fact carries the clause of the notice it comes from (``clause: 二、招录对象``), so answers can
cite it. Times are Asia/Shanghai; a time written without an offset is taken as Shanghai local time.
Feature sections (FAQ, eligibility rules, the pre-registration form, reminders) have their own
models in their own modules and are optional, so a new notice can start with facts alone.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from bot.clock import SHANGHAI, to_shanghai
from content.dates import cn_span, cn_when
from content.schema_base import (
    MAX_SLUG,
    Id,
    LocatedError,
    Phone,
    SectionKey,
    Strict,
    WebAddress,
    dupes,
    given,
    no_split_chinese,
    nonblank,
)
from content.schema_eligibility import EligibilitySpec
from content.schema_export import ExportTable
from content.schema_faq import FaqEntry
from content.schema_form import FormSpec
from content.schema_reminders import ReminderSpec
from content.schema_wechat import WeChatSubscription

SECTION_KEYS = ("training", "applicants", "plan", "registration", "support", "contacts")
# The version of the file format this code reads (content/schema_version.py upgrades older ones).
SCHEMA_VERSION = 2

_LEAVE_OUT = "通知没有这一项时删除这个键（或写 null）"
Title = Annotated[str, given("标题", "通知没有标题时删除 title（或写 title: null）")]
Issuer = Annotated[str, given("发文单位", "通知没有写发文单位时删除 issuer（或写 issuer: null）")]
DocNumber = Annotated[str, given("文号", "通知没有文号时删除 document_number（或写 null）")]
Channel = Annotated[str, given("报名渠道", "通知没有写报名渠道时删除 channel（或写 null）")]
Organisation = Annotated[str, given("单位名称", "写通知里的单位名称，如“县卫健委科教股”")]
Person = Annotated[str, given("联系人", "通知没有写联系人时删除 person")]
Text = Annotated[str, nonblank("文字", _LEAVE_OUT)]


class Fact(Strict):
    """One statement of the notice, in our words or quoted, with where it stands."""

    id: Id = Field(description="Stable key, unique per campaign.")
    title: str = Field(description="Short heading, e.g. 年龄要求.")
    text: str = Field(description="Plain text (no HTML); what an answer says.")
    clause: str = Field(description="Where in the notice: e.g. 二、招录对象.")
    keywords: list[str] = Field(default_factory=list, description="Extra words for matching.")
    refers_elsewhere: bool = Field(
        default=False,
        description="The clause only points elsewhere (the training agreement, a later notice): "
                    "answers quote it and add whom to ask.")

    _text = field_validator("title", "text")(no_split_chinese)


class Notice(Strict):
    title: Title | None = Field(default=None, description="Full title without 《》.")
    issuer: Issuer | None = None
    document_number: DocNumber | None = None
    published: date | None = None
    region: str = Field(description="孝感市 / 福建省")
    source_url: str | None = None
    addressees: list[str] = Field(default_factory=list, description="主送: who it is addressed to.")
    basis: list[str] = Field(default_factory=list, description="Documents it is issued under.")
    attachments: list[str] = Field(default_factory=list)
    disclosure: str | None = Field(default=None, description="此件主动公开, …")


class Contact(Strict):
    id: Id
    organisation: Organisation
    person: Person | None = None
    phones: list[Phone] = Field(
        default_factory=list, description="As printed, quoted; none when the notice gives none.")
    purpose: Text | None = Field(
        default=None, description="What to call about: 招录政策咨询, 网络技术支持, …")
    hours: Text | None = Field(default=None, description="When they answer, as the notice says.")
    hours_end: datetime | None = Field(
        default=None, description="When those hours end (their last day's close): after it the "
                                  "hours are shown as over.")
    note: Text | None = Field(
        default=None, description="What the notice says instead of a phone (到县卫健委科教股咨询).")
    clause: str

    @field_validator("hours_end")
    @classmethod
    def _shanghai(cls, value: datetime | None) -> datetime | None:
        return None if value is None else to_shanghai(value)

    def hours_over(self, now: datetime) -> bool:
        return self.hours_end is not None and now > self.hours_end


class Base(Strict):
    id: Id
    name: str
    aliases: list[str] = Field(default_factory=list, description="Short names: 一医, 孝感一医 …")
    quota: int | None = Field(default=None, ge=0)
    contact_ids: list[str] = Field(default_factory=list)
    clause: str


class Window(Strict):
    opens: datetime | None = Field(
        default=None, description="None when the notice gives only the deadline "
                                  "(5月31日前完成报名): registration is open until it.")
    closes: datetime | None = Field(
        default=None, description="None when the notice gives only the start (5月2日起报名): "
                                  "registration is open from it, with no deadline said.")
    clause: str
    time_stated: bool = Field(
        default=True, description="false when the notice gives the days but no hour "
                                  "(5月4日〜6月30日): reminders then count days, never hours.")

    @field_validator("opens", "closes")
    @classmethod
    def _shanghai(cls, value: datetime | None) -> datetime | None:
        return None if value is None else to_shanghai(value)

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.opens is None and self.closes is None:
            raise ValueError("报名时间至少要写 opens 或 closes：写通知给出的开始或截止日期")
        if self.opens is not None and self.closes is not None and self.closes <= self.opens:
            raise ValueError("closes 必须晚于 opens：核对报名开始和截止时间")
        return self

    def phase(self, now: datetime) -> Literal["before", "open", "closed"]:
        """Where `now` stands: before the opening, open (the close included), or closed.
        Without an opening date it is open until the close, without a close open from the
        opening on: the notice sets no other bound."""
        if self.opens is not None and now < self.opens:
            return "before"
        return "closed" if self.closes is not None and now > self.closes else "open"

    @property
    def span(self) -> str:
        """As the notice says it: 2023年5月4日至6月30日, 2015年5月31日前, 2024年5月2日起."""
        if self.opens is None or self.closes is None:
            return cn_when(self.opens, self.closes)
        return cn_span(self.opens, self.closes)

    @property
    def last(self) -> datetime:
        """The window's last known moment: its close, or with none its opening."""
        last = self.closes or self.opens
        assert last is not None  # the validator wants one of them
        return last


class Event(Strict):
    """A dated step: review, results, report-in, summary … (start alone, or start to end)."""

    id: Id
    title: str
    start: datetime | None = None
    end: datetime | None = None
    when: str | None = Field(
        default=None, description="The date as the notice words it (2023年8月), when coarser."
    )
    text: str
    clause: str

    @field_validator("start", "end")
    @classmethod
    def _shanghai(cls, value: datetime | None) -> datetime | None:
        return None if value is None else to_shanghai(value)

    @model_validator(mode="after")
    def _has_a_date(self) -> Event:
        if self.start is None and self.end is None:
            raise ValueError("事件要有 start、end 或两者都有：通知没有给日期的事件不要写进 "
                             "events，写成 sections 里的一条")
        if self.start and self.end and self.end < self.start:
            raise ValueError("end 不能早于 start：核对日期")
        return self


class MaterialRule(Strict):
    id: Id
    name: str = Field(description="身份证正反面, 高职高专毕业证 …")
    required: bool = True
    formats: list[str] = Field(default_factory=list, description="Lower-case extensions: jpg")
    max_kb: int | None = Field(default=None, gt=0)
    note: str | None = None
    clause: str


class Plan(Strict):
    total_quota: int | None = Field(default=None, ge=0)
    bases: list[Base] = Field(default_factory=list)
    where_published: Text | None = Field(
        default=None, description="When the notice lists no bases: where the plan is published."
    )
    clause: str

    @model_validator(mode="after")
    def _consistent(self) -> Plan:
        quotas = [b.quota for b in self.bases]
        if self.total_quota is not None and quotas and None not in quotas:
            total = sum(q for q in quotas if q is not None)
            if total != self.total_quota:
                message = (f"total_quota 是 {self.total_quota}，但各基地名额加起来是 {total}："
                           "核对通知；通知没写总数就写 total_quota: null")
                raise LocatedError(("total_quota",), message)
        return self


class Registration(Strict):
    channel: Channel | None = Field(
        default=None, description="湖北卫生人才网 / 福建省助理全科医生培训网")
    url: WebAddress | None = Field(
        default=None, description="As printed: https://www.hbwsrc.cn or fjzlqk.wsglw.net.")
    window: Window
    steps: list[Text] = Field(default_factory=list)
    materials: list[MaterialRule] = Field(default_factory=list)
    max_choices: int | None = Field(
        default=None, ge=1,
        description="How many bases (志愿) one may choose; none when the notice does not say.")
    asks_adjustment: bool = Field(default=False, description="是否接受调剂 is asked.")
    step_name: str = Field(
        default="正式报名", max_length=8,
        description="What the notice calls the official online step (正式报名, 预报名 …).")
    note: Text | None = Field(
        default=None, description="What the notice says instead of a site (到县卫健委现场报名).")
    clause: str

    @property
    def online(self) -> bool:
        """Whether the notice names a site to register on (else on paper, at an office, or it
        does not say): only then do texts speak of 官网."""
        return bool(self.channel or self.url)


class Campaign(Strict):
    schema_version: int = Field(
        default=SCHEMA_VERSION, description="The file format's version; 2 is the current one.")
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=MAX_SLUG)
    name: str = Field(description="Short display name: 孝感市 2023 助理全科医生培训")
    year: int
    notice: Notice
    sections: dict[SectionKey, list[Fact]] = Field(
        description=f"Facts by menu section: {', '.join(SECTION_KEYS)}, and any other keys."
    )
    plan: Plan
    registration: Registration
    events: list[Event] = Field(default_factory=list)
    contacts: list[Contact] = Field(
        default_factory=list, description="Every phone the notice gives; [] when it gives none.")
    section_titles: dict[str, str] = Field(
        default_factory=dict,
        description="Menu labels for section keys without a content.section.* text.",
    )
    institution_sections: list[str] = Field(
        default_factory=lambda: ["work_requirements"],
        description="Section keys addressed to institutions (工作要求): kept out of the "
                    "applicant menu, still answered by the Q&A.")
    consultation_note: str | None = Field(
        default=None, description="What to say when the notice is silent, before the contacts."
    )
    phone_note: str | None = Field(
        default=None,
        description="Shown with the contacts: what the notice leaves out, e.g. the area code of "
                    "local numbers (孝感市固定电话区号0712).",
    )
    faq: list[FaqEntry] = Field(default_factory=list)
    eligibility: EligibilitySpec | None = None
    form: FormSpec | None = None
    reminders: list[ReminderSpec] = Field(default_factory=list)
    exports: list[ExportTable] = Field(
        default_factory=list, description="Extra tables the notice asks bases for (汇总表).")
    wechat_subscription: WeChatSubscription | None = Field(
        default=None, description="The WeChat account's subscription template (订阅通知) for "
                                  "reminders and announcements outside the reply window.")
    # Personal data of the campaign goes this many days after its last date (content/retention.py).
    retention_days_after_close: int = Field(
        default=365, ge=1, le=3650,
        description="Days after the campaign's last date (window, form, events) before its "
                    "personal data is deleted or anonymised by `zhaolu purge`.")

    @model_validator(mode="before")
    @classmethod
    def _form_dates(cls, data: object) -> object:
        """form.opens and form.closes left out: the notice's publication (or the official
        window's opening) and the official window's close, as the notice gives them."""
        if not isinstance(data, dict) or not isinstance(data.get("form"), dict):
            return data
        form = dict(data["form"])
        registration = data.get("registration")
        window = registration.get("window") if isinstance(registration, dict) else None
        window = window if isinstance(window, dict) else {}
        notice = data.get("notice") if isinstance(data.get("notice"), dict) else {}
        if form.get("opens") is None:
            published = notice.get("published")
            if isinstance(published, date) and not isinstance(published, datetime):
                form["opens"] = datetime.combine(published, time(0), tzinfo=SHANGHAI)
            elif isinstance(published, str) and len(published) == 10:
                form["opens"] = f"{published}T00:00:00+08:00"
            else:
                form["opens"] = window.get("opens")
        if form.get("closes") is None:
            form["closes"] = window.get("closes")
        return {**data, "form": form}

    @model_validator(mode="after")
    def _references(self) -> Campaign:
        if self.form is not None and self.form.opens is None:
            raise LocatedError(("form", "opens"), "通知没有发布日期，也没有报名开始时间："
                                                  "写 form.opens（预登记开始时间），"
                                                  "或写 notice.published")
        if self.form is not None and self.form.closes is None:
            raise LocatedError(("form", "closes"), "通知没有报名截止时间：写 form.closes"
                                                   "（预登记截止时间）")
        contact_ids = {c.id for c in self.contacts}
        for i, base in enumerate(self.plan.bases):
            missing = set(base.contact_ids) - contact_ids
            if missing:
                raise LocatedError(("plan", "bases", i, "contact_ids"),
                                   f"基地 {base.id} 引用了不存在的联系人 {sorted(missing)}："
                                   "写 contacts 里已有的 id")
        self._unique_ids()
        return self

    def _unique_ids(self) -> None:
        checks: list[tuple[tuple[str, ...], str, list[str]]] = [
            (("sections",), "事实 id", [f.id for fs in self.sections.values() for f in fs]),
            (("contacts",), "联系人 id", [c.id for c in self.contacts]),
            (("plan", "bases"), "基地 id", [b.id for b in self.plan.bases]),
            (("events",), "事件 id", [e.id for e in self.events]),
            (("exports",), "导出表 id", [t.id for t in self.exports]),
            (("faq",), "FAQ id", [f.id for f in self.faq]),
            (("registration", "materials"), "材料 id",
             [m.id for m in self.registration.materials]),
        ]
        for loc, what, ids in checks:
            if twice := dupes(ids):
                raise LocatedError(loc, f"{what}重复：{twice}：每个 id 在文件里只能用一次")

    def fact(self, fact_id: str) -> Fact | None:
        for facts in self.sections.values():
            for fact in facts:
                if fact.id == fact_id:
                    return fact
        return None

    def contact(self, contact_id: str) -> Contact | None:
        return next((c for c in self.contacts if c.id == contact_id), None)

    def event(self, event_id: str) -> Event | None:
        return next((e for e in self.events if e.id == event_id), None)

    @property
    def registration_moment(self) -> datetime:
        """A moment registration is on, to check answers and examples at: its opening; with
        none, the notice's publication, or its close (the close is still open)."""
        window = self.registration.window
        if window.opens is not None:
            return window.opens
        if self.notice.published is not None:
            published = datetime.combine(self.notice.published, time(0), tzinfo=SHANGHAI)
            return min(published, window.last)
        return window.last

    @property
    def citation(self) -> str:
        """《title》 as answers cite it; without a title, the notice described, never invented:
        默县卫生健康局发布的2024年招录通知, or 湖北省2015年招录通知 without an issuer."""
        notice = self.notice
        if notice.title:
            return f"《{notice.title}》"
        if notice.issuer:
            return f"{notice.issuer}发布的{self.year}年招录通知"
        return f"{notice.region}{self.year}年招录通知"

    def cite(self, clause: str) -> str:
        """The citation with a clause: 《title》三、报名; a described notice is set apart from its
        clause by a comma (湖北省2015年招录通知，三、报名), as it has no 《》 to end it."""
        if not clause:
            return self.citation
        return f"{self.citation}{'' if self.notice.title else '，'}{clause}"

    def clause_of(self, source: str) -> str:
        """The clause of a source `cite` wrote (what follows the citation)."""
        return source.removeprefix(self.citation).removeprefix("，")
