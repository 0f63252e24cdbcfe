"""Policy Q&A: a free-text question answered from the campaign's notice, cited, time-aware.

The question is normalised (content/normalise.py), a base or organisation it names is taken out,
and the rest is ranked against the generic intents, the campaign's FAQ (with the entries staff
saved in the chat, storage/faq_overlay.py, passed in as `staff`) and its facts. Each
candidate resolves to an answer key (content/qa_builders.py), so the same answer reached twice
counts once. Below the threshold, or when the notice is silent (no amount, no total), the reply
says so and gives the campaign's consultation contacts: it never invents a figure. Of two close
answers the best is given and the other offered with a tap: no guessing in silence, and no
question answered only with a question.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from functools import cache, lru_cache

from bot.clock import to_shanghai
from content.matching import QUALIFIED_PENALTY
from content.normalise import default_lexicon, ngrams, normalise
from content.qa_builders import (
    Part,
    condition_facts,
    contact_lines,
    named_contacts,
    render,
    window_status,
)
from content.qa_contacts import chosen, fitting, key_for, people_named
from content.qa_knowledge import Entity, Intent, Knowledge, StaffEntry
from content.qa_personal import personal_part
from content.qa_profile import words
from content.qa_reply import (
    ANSWERED,
    CHAT,
    FALLBACK,
    MAX_CHARS,
    Answer,
    ambiguous,
    compose,
    cut,
    fallback,
    visible_length,
)
from content.qa_talk import (
    MAX_PARTS,
    asks_something,
    follow_up,
    is_english,
    own_topic,
    questions,
    small_talk,
)
from content.schema import Campaign, Contact, Registration
from content.texts import Raw, Texts, default_texts

MAX_QUESTION = 300
# Scores are 0..1 (content/matching.py); the figures were chosen on the dev and held-out sets.
THRESHOLD = 0.3
# Between HEDGE and THRESHOLD the closest answer is given as a guess, with the contacts.
HEDGE = 0.2
# A best answer nothing else comes near (every other under LONE_SHARE of its score) is a guess
# from LONE_HEDGE. On the read sets LONE_HEDGE 0.1-0.15 with LONE_SHARE 0.25-0.5 scored the same.
LONE_HEDGE, LONE_SHARE = 0.15, 0.33
MARGIN = 0.015
# Two dated steps this close are told apart by the date: the deadline that comes next.
DEADLINE_MARGIN = 0.05
# Further apart than MARGIN but within PAIR_MARGIN, two clauses of the notice are given together
# ("订单定向的必须参加吗": who sends them, and that they train in batches): each says part of the
# answer, and a button for the second would hide it. A guess (below THRESHOLD) shows the two
# closest clauses the same way. Chosen on the read sets (all of them, 1,911
# questions): 0.1 gained 11 and lost none; 0.3 gained 4 more and paired twice as many answers,
# some with a clause beside the point.
PAIR_MARGIN = 0.1
RESOLVE_TOP = 5
ENTITY_BONUS = 0.2
# A question asking how many, who, when, where or a phone number weighs this much for an intent
# or FAQ entry none of whose phrasings asks it (question_types in content/intents.yaml).
TYPE_PENALTY = 0.8
# A question naming a fault and asking its outcome ("没去报到会怎样"), a clause stating no sanction.
SANCTION_PENALTY = 0.5
# An answer on registering (its window, late entries) to a question on reporting in (报到).
OTHER_STEP = 0.5
# A fact names an organisation when it holds this much of the name's grams.
NAMED = 0.99
# How much a second route to the same answer adds (noisy-or, damped).
SUPPORT = 0.3
# A question asking "when" (any of its synonyms, content/synonyms.yaml) leans to dated answers.
_WHEN = normalise("什么时候")
WHEN_BONUS = 0.1
# An intent matched on the question's frame alone (最晚…什么时候: 报名时间) weighs less when the
# question names another intent's topic (报到 in "最晚几号要报到") in a word that is not in every
# other clause (报名 is in nearly half of a notice: it names nothing).
FRAME_ONLY = 0.94
COMMON_SHARE = 0.3
# "现在还能报名吗", "明天就能报了吧": registration asked about at a moment is a "when" question.
_REGISTER = normalise("报名")
_REPORT_IN = normalise("报到")
# "考试考哪些内容", "考啥科目", "有没有复习范围" (after synonyms: 啥 is 什么): what an exam covers;
# a clause gives it when it names subjects, a scope or the parts (理论统考、技能考核).
_EXAM_SCOPE = re.compile(
    r"考(?:些)?什么|考哪|(?:什么|哪些)(?:内容|科目)|科目|(?:考试|复习)(?:范围|内容)")
_SCOPE_GIVEN = re.compile(r"科目|范围|大纲|统考|理论|技能|笔试|面试|操作")
# Something went wrong for the asker (查不到, 登不上, 提交不了, 咋回事): whom to ask goes with the
# answer.
_TROUBLE = re.compile(
    r"(?:查|登|进|打|提交|上传|传|报|交|收|点)(?:不到|不上|不了|不进去?|不开|不出来?)|登录不|"
    r"没反应|出错|报错|失败|卡住|卡死|咋回事|怎么回事|什么情况|没收到|收不到|显示异常|异常")
_SITE_TROUBLE = re.compile(
    r"(?:登|进|打|提交|上传|传)(?:不上|不了|不进去?|不开)|登录不|网站|系统|页面|网页|报错|卡住|卡死")
_TECHNICAL = normalise("网络技术支持")
# "提交了还能改吗", "填错了能修改不", "手机号填错了咋办": whether what was sent can be changed (raw
# question); a clause that speaks of changing (不予…更改信息, 撤回) answers it.
_CHANGE_ASKED = re.compile(
    r"(?:还|能|可以|可不可以|允许)(?:不能|再)?(?:改|修改|更改|更换|换|撤回|撤销|重新填|重填|重报)"
    r"|(?:填|写|输|选|报)错了?(?:咋办|怎么办|怎么弄|咋弄|咋整|怎么处理)")
_CHANGE_GIVEN = re.compile(r"改|更换|撤回|撤销|重新|补报")
# "接下来要做啥", "下一步干嘛": what comes next, asked (read in the raw question).
_NEXT_ASKED = re.compile(r"接下来|下一步|接着|然后(?:呢|要|该|做|干)|之后(?:要|该|做|干|呢)")
_WHAT_TO_DO = re.compile(r"做|干|办|弄|怎么|咋|流程|呢")
# "名额还剩多少", "报满了没": how many places are left, which no notice can say.
_LEFT_ASKED = re.compile(r"还剩|剩(?:多少|几个|下|余)|报满|满了|满没|满员|招满")
_LEFT_GIVEN = re.compile(r"剩|满")
# "万一招满了": what happens if a base fills up, not how many places are left now.
_IF_FULL = re.compile(r"(?:万一|要是|如果|假如|若是)[^，,。？?]{0,8}(?:满|招满|报满)")
# "公示在哪看", "结果去哪查": where to look something up, asked (raw question); an answer naming
# no site, account or publication says nothing of where.
_LOOKUP_ASKED = re.compile(r"(?:在哪|哪里|哪儿|去哪|到哪|哪个网站?|什么网站?|啥网站?)(?:里|儿)?"
                           r"(?:看|查|找|公布|公示|发布|下载)")
_LOOKUP_GIVEN = re.compile(r"网|系统|平台|公众号|登录|账号|公告|首页|短信|电话|https?://|\.cn|\.com")
# "补贴是按月发的吗", "工资几号发": when or how often money is paid, asked (raw question); an
# answer naming no period or payment says nothing of it.
_PAY_TIMING_ASKED = re.compile(r"(?:补贴|补助|工资|待遇|钱|生活费|绩效).*?(?:按月|按季|按年|"
                               r"每个?月[发给打到]|几号[发给打到]|多久[发给打]|发几次|"
                               r"(?:什么|啥)时候[发给打到]|哪天[发给打到]|按时[发给])")
_PAY_TIMING_GIVEN = re.compile(r"每月|按月|月发|季度|发放|拨付|按时足额")
# "毕业证还没发下来 上传啥": a document the asker does not hold yet (raw question); an answer
# saying nothing of one not held (未取得者可不提交) leaves that open.
_NOT_HELD = re.compile(r"(毕业证|学位证|资格证|执业证|证书)[^，,。？?！! ]{0,3}?"
                       r"(?:还没|没有?|未|尚未)(?:拿到|发|下来|领|到手|取得|办|出来)"
                       r"|(?:还没|没有?|未|尚未)(?:拿到|领到|取得|发)"
                       r"(毕业证|学位证|资格证|执业证|证书)")
_NOT_HELD_GIVEN = re.compile(r"未取得|尚未取得|可不提交|暂未|承诺|待取得|取得后")
# "报名条件是啥", "有什么要求": the conditions as a whole, asked (raw question).
_CONDITIONS_ASKED = re.compile(r"条件|要求|资格|门槛")
_DEADLINE_WORDS = tuple(normalise(w).replace(" ", "") for w in (
    "截止", "最后期限", "期限", "最后一天", "最晚", "结束", "几号", "哪天"))
# "截止到几点": the hour asked (几点 becomes 什么时候 in normalised text: read in the raw one);
# a time of day given (17:00, 上午8:30, 12点).
_HOUR_ASKED = re.compile(r"几点|几时|哪个钟点|具体时刻|时间点")
_CLOCK = re.compile(r"\d{1,2}\s*[:：]\s*\d{2}|\d{1,2}\s*[点时](?!前后)|[上下]午|中午|晚上")
# "要不要笔试面试", "录取要考试吗" (after synonyms: 笔试 or 考核, not 结业考核): whether there is
# an exam; a clause that names none (系统录取) is said to be silent on it.
_EXAM_ASKED = re.compile(r"笔试|(?<!结业)考核")
_EXAM_GIVEN = re.compile(r"考|笔试|面试")
# A clause that says the notice leaves a point open ("…通知没有写明"): whom to ask goes with it.
_LEAVES_OPEN = re.compile(r"通知(?:没有|未)(?:写明|写|列出|规定|说明)")
# "报名以后还有哪些流程", "报完名之后干啥": what follows registration, not its steps.
# (also 预报名交了 后面, 报完名 接下来, 网上提交以后: 后面 and 接下来 are 以后 after synonyms)
_AFTER_REGISTERING = re.compile(r"(?:报(?:名|完名?)|提交|填完)(?:交|完|好|提交)?\s?以后")
_STILL = tuple(normalise(w) for w in ("还能", "可以", "来得及", "赶得上", "还行"))
_NOW_WORDS = tuple(normalise(w) for w in ("现在", "今天", "明天", "后天", "目前", "已经", "还可以"))
_DATE = re.compile(r"\d+月\d+日|\d{4}年\d+月")
# A month alone, as a time (将于8月进行, 9月上旬, 8月底前): a clause saying it answers "when".
_MONTH_GIVEN = re.compile(r"(?<![\d年])(?:1[0-2]|[1-9])月"
                          r"(?:进行|开始|举行|上旬|中旬|下旬|底|初|前|份)|于(?:1[0-2]|[1-9])月")
# "7月13号了还能报不" asked on 7月13日: the date is the asker's today, not a topic; as a date it
# matched every clause with a date in it. Said as 今天 it frames the question as 现在 does.
_ASKED_DAY = re.compile(r"(?<!\d)(?:(\d{1,2})月)?(\d{1,2})日")
_TODAY = normalise("今天")
# "X的时候" with the question after it (什么时候, 啥时候 ask when: they have no 的).
_FRAME = re.compile(r"的时候(?=\S{2})")
# "除了学历年龄 还有啥条件": what follows 除(了) is what the asker knows already; the question is
# about the others (其他). 开除, 扣除, 排除 … are not this 除.
_BESIDES = re.compile(
    r"(?<![开扣排删免清解去切])除(?!非)[^\s还]{1,12}?(?:以外|之外)?\s*(?=还|\s[^\s还]{1,6}还)")
_OTHERS = normalise("其他")
# Asking how to use something (a site), not where it is: 咋操作, 看不懂, 不会用.
_OPERATING = re.compile(r"怎么(?:操作|使用|用于|填|注册|登录|上传)|看不懂|不会用|不会操作")
# Whether one may still apply: 还能报, 还招人吗, 还来得及 (after content/synonyms.yaml).
_STILL_APPLY = re.compile("|".join(normalise(w, atomic=False).replace(" ", "") for w in (
    "还能报", "还可以报", "还招", "还在招", "还收", "还在收", "还来得及", "还有机会", "还能申请",
    "还能预报", "还能补报", "还能补传", "还能提交", "还能上传", "还有没有机会")))
# The frame of 还有别的吗, no topic of its own: 培训期间除了国家补助还有别的吗 asks about X's kind.
_FRAME_OF_OTHERS = re.compile("|".join(
    normalise(w) for w in ("培训期间", "期间", "别的", "其他", "其它", "另外", "额外")))
NEAR = timedelta(days=7)
# A sum, or a share of one ("多少是发给学员的": 80%).
_MONEY = re.compile(r"\d+(?:\.\d+)?\s*(?:元|块|万|%)|全部|全额")
# A phone number in an answer: seven digits or more, dashes allowed (0591-83574579, 400-888-0052).
_PHONE = re.compile(r"\d[\d-]{5,}\d")
# Asking for a number or for a person to ask (联系人是谁, 哪个科) is asking for contacts.
_PHONE_WORDS = (normalise("电话"), normalise("联系人"))
# A number of three digits or more (dashes and spaces inside), not a date, age or count.
_NUMBER = re.compile(r"(?<![\d.])\d{3,}(?:[-\s]\d+)*(?![\d.]|\s*[年月日号岁周名个人元块%])")
# A message's sentences and clauses (the last is where a story told first ends in its question).
_CLAUSES = re.compile(r"[，,。；;！!？?\s]+")
# Another line asked for besides the number quoted ("没人接 还能打哪个", "有别的电话吗").
_ANOTHER = re.compile(r"别的|其他|其它|另外|另一个|还能打"
                      r"|还有(?:啥|什么|哪个|没有)?(?:电话|号码|号)|换(?:个|一个)|没人接|打不通|占线")
# With a contact's person named (吕老师), asking who or where she is asks for that contact.
_WHO_WHERE = tuple(normalise(w).replace(" ", "")
                   for w in ("哪个", "哪家", "哪里", "哪儿", "谁", "什么单位"))
# A word of the question found in under RARE_SHARE of the notice's entries (单位人, 挂靠) must be
# said by the answer when one of the leading answers says it: the others weigh RARE_PENALTY.
# Chosen on the read sets (1,911 questions): 0.1 and 0.8 gained 13 and lost 3; 0.05 or 0.2, and
# 0.6, 0.7 or 0.9, gained less.
RARE_SHARE = 0.1
RARE_PENALTY = 0.8
# A silent topic's answer ("通知没有写明录取结果") weighs SILENT_RARE_PENALTY when a covered
# answer says a word of the question in under SILENT_RARE_SHARE of the entries that the silent
# one does not (公示). Chosen on the read sets (2,361 questions): with 0.1, 录取 counted and
# "录取以后哪天去报到" lost its answer; 0.05 lost nothing.
SILENT_RARE_PENALTY = 0.5
SILENT_RARE_SHARE = 0.05
# With two bases named, these ask how many each takes (招多少, 收几个, 名额), as written.
_QUOTA_WORDS = [normalise(w) for w in ("招", "收", "名额")]
# "报名到7月底", "报名截止到8月": until when registration is said to run.
_REGISTRATION_UNTIL = re.compile(normalise("报名") + r"(?:时间)?(?:是|要|能)?(?:到|截止到?|截至)"
                                 r"\d{1,2}月")
_HOW_MANY = re.compile(r"多少|几个|几名|几人|一共|加起来|合计|总共|各")
# What a body must do, asked ("我们局要做哪些事", "学校要配合做啥", "基地这边负责干啥").
_DUTY_ASKED = re.compile(r"(?:要|得|需要|应该|应当|负责|配合)[^\s，,。？?]{0,4}?(?:啥|什么|哪些)"
                         r"|干(?:啥|嘛|什么)|职责|任务|要做哪些|做哪些事|做些什么|负责什么")
NAMED_BODY = 4  # characters of a body's name, when no clause was matched with confidence
MIN_BODY = 3  # characters of a body's name shared by the question and a clause's beginning
SUBJECT_CHARS = 14  # the beginning of a clause that names whom it addresses
# Two bases compared ("哪个名额多一些", "哪家招得少"), and one named to be left out.
_COMPARED = re.compile(r"哪(?:个|家|边)[^，,。？?\s]{0,4}[多少]|[多少]一[些点]|更[多少]|最[多少]"
                       r"|谁[多少]")
_LEFT_OUT_BASE = re.compile(r"不想在|不想去|不去|不要|不选|除了|除")
MIN_PROGRAMME = 4  # characters of the notice's title that name the programme (助理全科)
# A share the question quotes (20%) and a clause gives, as written: that clause is asked about.
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*%")
FIGURE_BONUS = 0.4
FIGURE_ENTRIES = 2  # a figure said by more entries than this tells none of them apart
_DAY = re.compile(r"(?<!\d)(1[0-2]|[1-9])\s*月\s*(3[01]|[12]\d|[1-9])\s*[日号]")
# "8月份还有没有机会" in July: a month to come said alone (no day), as a notice says what
# happens in it (将于8月进行).
_MONTH_ALONE = re.compile(r"(?<![\d年])(1[0-2]|[1-9])\s*月(?:份)?(?![\d日号底初中几])")
_YEAR = re.compile(r"(?<!\d)(20\d{2})\s*年")
_CHANNEL = "channel"  # the intent (and answer key) that gives the registration address
_TIME_WORDS = frozenset({"期间", "时候", "以后", "之后", "以前", "之前", "当中", "过程"})
_CODE = re.compile(r"[0-9a-z]+[+/][0-9a-z]+")  # 5+3, 3+2: a programme named by a code
# A programme's code said as its name, after 这个 or 的 ("孝感的3+2啥时候报名"), not asked about.
_PROGRAMME_CODE = re.compile(r"(?:这个|的)\s*\d\+\d(?![\d年])")
_WHO = "who"  # the intent that gives who may apply (招录对象)
_REVIEW, _REVIEW_TOPIC = "review", "资格审核"  # the intent on reviewing applications, its word

_KNOWLEDGE: dict[tuple[int, bool], tuple[Campaign, tuple[StaffEntry, ...], Knowledge]] = {}


def knowledge(campaign: Campaign, staff: tuple[StaffEntry, ...] = ()) -> Knowledge:
    """Built once per campaign object (campaigns are immutable once loaded) and, with the staff's
    FAQ entries (storage/faq_overlay.py), again each time they change: one set is kept per
    campaign beside the YAML-only one, so a removed entry stops answering at once."""
    slot = (id(campaign), bool(staff))
    cached = _KNOWLEDGE.get(slot)
    if cached is None or cached[0] is not campaign or cached[1] != staff:
        cached = (campaign, staff, Knowledge(campaign, staff=staff))
        _KNOWLEDGE[slot] = cached
    return cached[2]


def answer(campaign: Campaign, question: str, now: datetime,
           texts: Texts | None = None, staff: tuple[StaffEntry, ...] = (),
           last: str | None = None) -> Answer:
    """`staff`: the campaign's active staff FAQ entries, ranked like the YAML's FAQ.

    `last`: the answer key of the user's previous answer, while it is recent (handlers/qa.py
    keeps it): a follow-up ("那要多久") is read as being about it.

    A question answered only with a guess or "the notice does not say" is read again with its
    input-method slips put right (社宝 -> 社保, content/homophones.py), and that reading's
    answer is taken when it is a sure one. Only then: a pair of characters the bot does not know
    is as often a word it lacks (平台, 开始) as a slip, and a sure answer is left as it is."""
    t = texts or default_texts()
    kn = knowledge(campaign, staff)
    sure = kn.homophones.repair(question, words_only=True)
    reply = _answer(kn, sure, now, t, last)
    if reply.kind != FALLBACK or (reply.entry or "").startswith("input:"):
        return reply
    repaired = kn.homophones.repair(sure)
    if repaired == sure:
        return reply
    again = _answer(kn, repaired, now, t, last)
    return again if again.kind != FALLBACK else reply


def _answer(kn: Knowledge, question: str, now: datetime, t: Texts, last: str | None) -> Answer:
    stripped = question.strip()
    if not stripped:
        return Answer(t("qa.empty"), "", "input:empty", 0.0, FALLBACK)
    if len(stripped) > MAX_QUESTION:
        text = t("qa.too_long", length=len(stripped), limit=MAX_QUESTION)
        return Answer(text, "", "input:too_long", 0.0, FALLBACK)
    talk = small_talk(stripped)
    if talk is not None:
        return Answer(t(f"qa.chat.{talk}"), "", f"input:{talk}", 1.0, CHAT)
    if is_english(stripped):
        return Answer(t("qa.chat.english"), "", "input:english", 1.0, CHAT)
    stripped = kn.elsewhere(stripped)
    person = _person_asked(kn, stripped, now, t)
    if person is not None:
        return person
    asked = questions(stripped)
    if len(asked) > 1:
        return several(kn, asked, now, t)
    reply = _single(kn, stripped, now, t)
    leaning = follow_up(stripped)
    # A topic the notice is silent on, named by the question ("能报几个志愿"), is an answer: said
    # so with whom to ask, not read as a follow-up of the previous topic (the contacts).
    said = reply.kind != FALLBACK or _silence(reply)
    # "那要多久": the previous topic and this question's frame; "那什么时候出结果" names its own.
    if last and (leaning is not None or not said) and not (
            said and own_topic(leaning or stripped)):
        topic = render(kn, last, now, t)
        if topic is not None:
            again = _single(kn, f"{topic.title} {leaning or stripped}", now, t)
            # "培训期间能考执业助理医师吗" after 报名时间: a question in words of its own that
            # finds only the previous answer again is not about it; the guess stands.
            echoed = leaning is None and again.entry == last and own_topic(stripped)
            # "录取会考虑地域吗 我想留泉州" after 志愿: a guess of its own (the clause naming 地域)
            # is not traded for another guess made with the previous topic's words.
            own_guess = (leaning is None and reply.kind == FALLBACK and bool(reply.entry)
                         and again.kind == FALLBACK and own_topic(stripped))
            if (again.kind != FALLBACK or not said) and not echoed and not own_guess:
                return again
    if leaning is not None and not own_topic(stripped) and reply.kind != FALLBACK \
            and not (reply.entry or "").startswith("eligibility:"):
        # "那我咋办" with nothing before it: a frame alone matches anything; say so.
        return fallback(kn, None, reply.score, t, now=now)
    return reply


def _person_asked(kn: Knowledge, stripped: str, now: datetime, t: Texts) -> Answer | None:
    """"吕老师是哪个医院的 电话多少": a person of the notice's contacts named with a question of
    who, where or which number is that contact's line, however many parts the message has."""
    quoted = _numbers_quoted(kn, stripped)
    if quoted and _ANOTHER.search(stripped):
        # "打2839876一直没人接 还能打哪个": the others, those of the same office first.
        return _contacts_reply(kn, _other_lines(kn, quoted), 1.0, now, t) or \
            _contacts_reply(kn, quoted, 1.0, now, t)
    if quoted:  # "那个400电话是干嘛的": the contact whose number it is
        return _contacts_reply(kn, quoted, 1.0, now, t)
    normalised = normalise(stripped)
    flat = normalised.replace(" ", "")
    if not (_asks_phone(kn, normalised) or any(word in flat for word in _WHO_WHERE)):
        return None
    return _contacts_reply(kn, people_named(kn.campaign, normalised), 1.0, now, t)


def _other_lines(kn: Knowledge, quoted: list[Contact]) -> list[Contact]:
    """Contacts besides the quoted ones (with a phone), those of a quoted one's office first."""
    offices = {c.organisation for c in quoted}
    others = [c for c in kn.campaign.contacts if c not in quoted and c.phones]
    return sorted(others, key=lambda c: c.organisation not in offices)[:3]


def _contacts_reply(kn: Knowledge, contacts: list[Contact], score: float, now: datetime,
                    t: Texts) -> Answer | None:
    """The reply giving these contacts' lines; None when there are none."""
    part = render(kn, key_for(contacts, kn.campaign), now, t) if contacts else None
    return compose(kn, part, score, t) if part is not None else None


def _numbers_quoted(kn: Knowledge, raw: str) -> list[Contact]:
    """The contacts whose phone number the question quotes: its start (400, 0591-8357) or, seven
    digits or more, any part of it; not a date, an age or a count (2023年, 35岁, 10名)."""
    folded = unicodedata.normalize("NFKC", raw)
    quoted = [re.sub(r"\D", "", m.group(0)) for m in _NUMBER.finditer(folded)]
    found = []
    for contact in kn.campaign.contacts:
        phones = [re.sub(r"\D", "", phone) for phone in contact.phones]
        if any(phone.startswith(q) or (len(q) >= 7 and q in phone)
               for q in quoted for phone in phones):
            found.append(contact)
    return found[:3]


def _framed(question: str) -> str:
    """"报名的时候要选基地不": a moment said before the question frames it; the question is what
    follows. The frame stays a phrase apart (its words do not run into the question's), and
    its 的时候 is not read as asking when."""
    return _FRAME.sub(" ", question)


def _quota_of_bases(kn: Knowledge, normalised: str, asked: str, t: Texts) -> Part | None:
    """"孝感一院跟安陆普爱加起来一共招多少人": two bases or more named with a quota question get
    each one's quota and their sum (when the notice gives every one of them)."""
    # "不想在孝感一院，汉川和安陆这两家一共能招多少人": a base named to be left out is not counted.
    bases = [entity for at, entity in kn.bases_at(normalised)
             if not _LEFT_OUT_BASE.search(normalised[max(0, at - 4):at])]
    quota = kn.table.intents.get("quota")
    words = [normalise(w) for w in quota.topic.split()] if quota else []
    compared = _COMPARED.search(asked)
    if len(bases) < 2 or not _asks(normalised, words + _QUOTA_WORDS) \
            or not (_HOW_MANY.search(asked) or compared):
        return None
    plan = {f"base:{b.id}": b for b in kn.campaign.plan.bases}
    chosen = [plan[entity.ref] for entity in bases]
    if any(base.quota is None for base in chosen):
        return None
    lines = [t("qa.quota.base", name=base.name, quota=base.quota) for base in chosen]
    if not compared:  # "哪个名额多": each one's quota says it; their sum does not
        lines.append(t("qa.quota.sum", n=len(chosen),
                       total=sum(b.quota for b in chosen if b.quota)))
    return Part("quota:sum", t("qa.quota.title"), tuple(lines), chosen[0].clause)


def _besides(normalised: str) -> str:
    """"除了学历年龄 还有啥条件": the question is about the others (其他 条件), the words after
    除 left out; "除了国家补助还有别的吗" keeps them, the rest saying nothing on its own."""
    if not _BESIDES.search(normalised):
        return normalised
    rest = _BESIDES.sub(" ", normalised).strip()
    if own_topic(_FRAME_OF_OTHERS.sub("", rest)):
        return f"{_OTHERS} {rest}"
    return _BESIDES.sub(lambda m: f"{_OTHERS} {m.group(0)[1:]}", normalised)


def _without_programme(kn: Knowledge, normalised: str) -> str:
    """"福建这个助理全科招的什么人": the programme named from the notice's own title (4
    characters or more of it) is the question's subject, not its topic; taken out when the rest
    still says what is asked ("助理全科是什么" keeps it)."""
    named = _PROGRAMME_CODE.search(normalised)  # "福建这个3+2招哪些人": 3+2 is the programme
    if named:
        rest = (normalised[:named.start()] + " " + normalised[named.end():]).strip()
        if own_topic(rest):
            normalised = rest
    longest = kn.main.background_run(normalised, MIN_PROGRAMME)
    if not longest:
        return normalised
    rest = normalised.replace(longest, " ").strip()
    return rest if own_topic(rest) else normalised


def _today_said(normalised: str, now: datetime) -> str:
    """The question with a date that is the asker's today (in Shanghai) said as 今天."""
    today = to_shanghai(now)

    def day(match: re.Match[str]) -> str:
        month, number = match.group(1), int(match.group(2))
        same = number == today.day and (month is None or int(month) == today.month)
        return _TODAY if same else match.group(0)

    return _ASKED_DAY.sub(day, normalised)


def _silence(reply: Answer) -> bool:
    """Whether a fallback reply says the notice leaves out a topic the question was matched to
    with confidence (not a guess, not "no answer found")."""
    entry = reply.entry or ""
    return bool(entry) and not entry.startswith("input:") and reply.score >= THRESHOLD


def _single(kn: Knowledge, stripped: str, now: datetime, t: Texts) -> Answer:
    """One question, answered from the notice."""
    # "护理专业能报吗": the eligibility rules answer for the facts the question states.
    personal = personal_part(kn, normalise(stripped, atomic=False), now, t)
    normalised = _besides(_today_said(normalise(_framed(stripped)), now))
    summed = _quota_of_bases(kn, normalised, stripped, t)
    if summed is not None:
        return compose(kn, summed, 1.0, t)
    entity, rest = kn.find_entity(normalised)
    if entity is not None and _IF_FULL.search(stripped):
        entity = None  # "选了孝感一院，万一招满了": what then (调剂), not the base itself
    if personal is not None:
        beside = _beside(kn, personal, _candidates(kn, rest, entity, now, t), t, rest)
        if beside is not None:
            reply = compose(kn, _still_open(kn, beside, normalised, now, t), 1.0, t)
            if visible_length(reply.text) <= MAX_CHARS:  # else the rules' answer alone
                return reply
        return compose(kn, _still_open(kn, personal, normalised, now, t), 1.0, t)
    rest = _without_programme(kn, rest)
    direct: dict[str, float] = {}
    ranked = [(part, score) for part, score in _candidates(kn, rest, entity, now, t,
                                                           _figures(stripped, now), direct)]
    if ranked and ranked[0][1] < _hedge_floor(ranked) and _names_rare_code(kn, stripped,
                                                                           ranked[0][0]):
        ranked[0] = (ranked[0][0], _hedge_floor(ranked))  # offered, as a guess
    if not ranked or ranked[0][1] < _hedge_floor(ranked):
        best = ranked[0][1] if ranked else 0.0
        closed = _closed_window(kn, normalised, now, t)
        if closed is not None:  # "还来得及不 刚看到这个通知" after the window: that it closed
            return compose(kn, closed, THRESHOLD, t)
        named = _duties_named(kn, stripped, now, t)
        if named is not None:  # "作为培训基地 我们要走完哪些程序": what that body must do
            return _sure(kn, named, THRESHOLD, "", now, t)
        # "我女儿在泉州医专读临床今年毕业，她要去哪里报名": the asker's story drowns the question;
        # its last sentence alone, when that says its own topic and is answered.
        *told, last = _CLAUSES.split(stripped.strip(" ？?。！!"))
        if told and not any(asks_something(piece) for piece in told) and own_topic(last):
            alone = _single(kn, last, now, t)
            if alone.kind != FALLBACK:
                return alone
        return fallback(kn, None, best, t, question=rest if _asks_phone(kn, rest) else "",
                        now=now)
    ranked = _next_deadline_first(kn, ranked, now, rest)
    part, score = ranked[0]
    step = _next_step(kn, part, score, stripped, now, t)
    if step is not part:  # sure of the step: it is the campaign's next date
        part, score = step, max(score, THRESHOLD)
    part = _still_open(kn, part, normalised, now, t)
    if _asks_phone(kn, normalised) and not _PHONE.search(" ".join(part.lines)):
        # "技术支持电话多少": the number, not a clause that only says whom to call.
        picked = render(kn, key_for(chosen(kn.campaign, rest), kn.campaign), now, t)
        if picked is not None:
            return compose(kn, picked, max(score, THRESHOLD), t)
    if _wants_address(kn, part, normalised, rest, stripped):
        picked = render(kn, _CHANNEL, now, t)
        if picked is not None:
            return compose(kn, picked, max(score, THRESHOLD), t)
    asked = rest if _asks_phone(kn, rest) else ""  # the contacts shown: those asked for, if any
    if not part.covered:
        return _silent_on(kn, part, score, stripped, rest, entity, asked, now, t)
    if _CHANGE_ASKED.search(stripped) and not any(
            _CHANGE_GIVEN.search("".join(p.lines)) for p, _s in ranked[:3]):
        # "报名时选了基地 之后还能改吗": no clause near it speaks of changing: say so, whom to
        # ask, and the closest clause (not "a guess", not a choice between two).
        return fallback(kn, part, score, t, lead=t("qa.change.lead"), question=asked, now=now)
    if score < THRESHOLD and _asks_amount(kn, normalised) and not any(
            _MONEY.search(" ".join(p.lines)) for p, _s in ranked[:3]):
        # "培训期间一个月到手具体多少钱": no clause near it gives a sum: say so, not "a guess".
        return fallback(kn, part, score, t, lead=t("qa.amount.lead"), question=asked, now=now)
    if score < THRESHOLD:
        named = _duties_named(kn, stripped, now, t)
        if named is not None:  # "作为培训基地 我们要走完哪些程序": what that body must do
            return _sure(kn, named, THRESHOLD, asked, now, t)
        # Near the topic but not sure: the closest clause, said to be a guess, and whom to ask.
        paired = _with_close_clause(kn, part, ranked, score, HEDGE, t, direct)
        if paired is not part:
            reply = fallback(kn, paired, score, t, lead=t("qa.hedge.lead"), question=asked,
                             now=now)
            if visible_length(reply.text) <= MAX_CHARS:  # else the closest alone
                return reply
        return fallback(kn, _dated_restatement(kn, part, now, t), score, t,
                        lead=t("qa.hedge.lead"), question=asked, now=now)
    if _asks_amount(kn, normalised) and not _MONEY.search(" ".join(part.lines)):
        return fallback(kn, part, score, t, lead=t("qa.amount.lead"), question=asked,
                        now=now)
    # In trouble with the site (登不上, 上传不了): its technical support, when the notice has one.
    trouble = "" if not _TROUBLE.search(stripped) or _PHONE.search(" ".join(part.lines)) else (
        f"{rest} {_TECHNICAL}" if _SITE_TROUBLE.search(stripped) else rest)
    duties = _duties_of_body(kn, part, stripped, now, t)
    if duties is not part:  # "县卫健局要做哪些事": each clause on what that body must do
        return _sure(kn, duties, score, asked, now, t, trouble)
    close = [p for p, s in ranked[1:2] if s >= THRESHOLD and score - s <= MARGIN
             and not _restates(p, part)]
    if close:
        return ambiguous(kn, [part, close[0]], score, t)
    paired = _with_close_clause(kn, part, ranked, score, THRESHOLD, t, direct)
    if paired is not part:
        reply = _sure(kn, paired, score, asked, now, t, trouble)
        if visible_length(reply.text) <= MAX_CHARS:  # else the first alone, whole
            return _no_date_said(kn, part.key, paired, reply, normalised, asked, now, t,
                                 stripped)
    part = _all_conditions(kn, _dated_restatement(kn, part, now, t), rest, entity, stripped,
                           now, t)
    part = _whole_topic(kn, part, rest, now, t)
    return _no_date_said(kn, part.key, part, _sure(kn, part, score, asked, now, t, trouble),
                         normalised, asked, now, t, stripped)


def _duties_of_body(kn: Knowledge, part: Part, raw: str, now: datetime, t: Texts) -> Part:
    """"我是县卫健局的 我们局要做哪些事": asked what a body named in the question must do, and the
    answer is a clause addressed to institutions that begins with that body (各县（市、区）卫健局
    …), the other such clauses beginning with it come too (成立领导小组…), as one screen allows."""
    if part.key not in kn.institutional or not _DUTY_ASKED.search(raw):
        return part
    asked = normalise(raw).replace(" ", "")
    body = _shared_run(asked, _subject(kn, part.key))
    if len(body) < MIN_BODY:
        return part
    return _with_body(kn, part, body, now, t)


def _duties_named(kn: Knowledge, raw: str, now: datetime, t: Texts) -> Part | None:
    """"作为培训基地，招录这块我们要走完哪些程序", matched to no clause with confidence: the
    clauses addressed to institutions that begin with the body the question names (4
    characters or more of it: 培训基地), in the notice's order; None when none does."""
    if not _DUTY_ASKED.search(raw):
        return None
    asked = normalise(raw).replace(" ", "")
    runs = {key: _shared_run(asked, _subject(kn, key)) for key in kn.institutional}
    longest = max((len(run) for run in runs.values()), default=0)
    if longest < NAMED_BODY:
        return None
    first = next(key for key in kn.fact_order if len(runs.get(key, "")) == longest)
    part = render(kn, first, now, t)
    if part is None or not part.covered:
        return None
    return _with_body(kn, part, runs[first], now, t)


def _with_body(kn: Knowledge, part: Part, body: str, now: datetime, t: Texts) -> Part:
    """The answer with every other clause to institutions beginning with `body`."""
    whole = part
    for key in sorted(kn.institutional):
        if key == part.key or body not in _subject(kn, key):
            continue
        other = render(kn, key, now, t)
        if other is None or not other.covered or _restates(other, whole):
            continue
        joined = _paired(whole, other, t)
        if visible_length(compose(kn, joined, 1.0, t).text) <= MAX_CHARS:
            whole = joined
    return whole


def _subject(kn: Knowledge, key: str) -> str:
    """How a clause begins (its first words, brackets left out): whom it addresses."""
    fact = kn.fact(key)
    if fact is None:
        return ""
    text = re.sub(r"（[^）]*）|\([^)]*\)", "", fact.text)
    return normalise(text[:SUBJECT_CHARS]).replace(" ", "")


def _shared_run(asked: str, subject: str) -> str:
    """The longest run of characters the question and a clause's beginning share."""
    best = ""
    for start in range(len(subject)):
        for end in range(start + len(best) + 1, len(subject) + 1):
            if subject[start:end] not in asked:
                break
            best = subject[start:end]
    return best


def _whole_topic(kn: Knowledge, part: Part, rest: str, now: datetime, t: Texts) -> Part:
    """"有五险一金吗": asked in the topic's general word (社会保险) and none of its narrower ones
    (养老保险, 医疗保险), a fact on it comes with the other facts of its clause on the topic (the
    pension and medical subsidies), as the notice says them together."""
    if not part.key.startswith("fact:") or not part.clause:
        return part
    flat = rest.replace(" ", "")
    for intent in kn.table.intents.values():
        words = _topic_words(intent.topic) if intent.answer == "fact" else ()
        if len(words) < 2 or words[0] not in flat or any(w in flat for w in words[1:]) or (
                not kn.facts.says(part.key, words[:1])):
            continue
        terms = intent.topic.split()
        whole = _with_siblings(kn, part, now, t, lambda key, terms=terms: kn.facts.says(key, terms))
        if whole is not part:
            return whole
    return part


@cache
def _topic_words(topic: str) -> tuple[str, ...]:
    """An intent's topic words as questions are normalised."""
    return tuple(normalise(word).replace(" ", "") for word in topic.split())


def _all_conditions(kn: Knowledge, part: Part, rest: str, entity: Entity | None, raw: str,
                    now: datetime, t: Texts) -> Part:
    """"报名条件是啥": the clause on whom the notice recruits, with the other facts written
    from the same clause (年龄要求, 其他基本条件), as the notice lists them together."""
    if not _CONDITIONS_ASKED.search(raw) or not part.key.startswith("fact:"):
        return part
    if part.key != resolve(kn, f"intent:{_WHO}", rest, entity) or not part.clause:
        return part
    return _with_siblings(kn, part, now, t, lambda key: True)


def _with_siblings(kn: Knowledge, part: Part, now: datetime, t: Texts,
                   wanted: Callable[[str], bool]) -> Part:
    """The answer with the other facts written from its clause that `wanted` (a fact's key)
    accepts, each under its heading; the answer alone when that does not fit one screen."""
    whole = part
    for facts in kn.campaign.sections.values():
        for fact in facts:
            key = f"fact:{fact.id}"
            if fact.clause != part.clause or key == part.key or not wanted(key):
                continue
            sibling = render(kn, key, now, t)
            if sibling is not None and sibling.covered and not any(
                    line in whole.lines for line in sibling.lines):
                whole = _paired(whole, sibling, t)
    if whole is part or visible_length(compose(kn, whole, 1.0, t).text) > MAX_CHARS:
        return part
    return whole


def _names_rare_code(kn: Knowledge, raw: str, part: Part) -> bool:
    """"听说以后全科主要是5+3": a code (5+3, a figure joined by a sign) that few of the notice's
    entries say, and the best answer does: that clause is about it, however little else the
    question shares with it."""
    codes = [c for c in _CODE.findall(unicodedata.normalize("NFKC", raw).lower())
             if 0 < kn.main.share(c) < RARE_SHARE]
    if codes and _says_any(part, codes):
        return True
    # A word one entry alone says ("录取会考虑地域吗": 地域): not a word of time (期间), nor two
    # characters across a word many entries say (训期: 培训 + 期间).
    once = 1.5 / max(1, kn.main.size)
    normalised = normalise(raw)
    flat = normalised.replace(" ", "")
    words = [g for g in ngrams(normalised) if len(g) == 2 and "#" not in g
             and all("\u4e00" <= c <= "\u9fff" for c in g) and kn.main.lexicon.weight(g) >= 1
             and g not in _TIME_WORDS and 0 < kn.main.share(g) <= once
             and not _across_common(kn, flat, g)]
    return bool(words) and _says_any(part, words)


def _across_common(kn: Knowledge, flat: str, gram: str) -> bool:
    """Whether `gram` begins inside a word many of the notice's entries say (训期 in 培训期间)."""
    start = flat.find(gram)
    return start > 0 and kn.main.share(flat[start - 1:start + 1]) >= RARE_SHARE


def _closed_window(kn: Knowledge, normalised: str, now: datetime, t: Texts) -> Part | None:
    """The registration window's answer, when it has closed and the question asks whether one
    may still apply and nothing else matched it; else None."""
    if kn.campaign.registration.window.phase(now) != "closed" \
            or not _STILL_APPLY.search(normalised):
        return None
    return render(kn, "window", now, t)


def _still_open(kn: Knowledge, part: Part, normalised: str, now: datetime, t: Texts) -> Part:
    """"今年社会人还能报吗" after the window closed: that it has closed comes first, whatever
    else the answer says (who may apply)."""
    win = kn.campaign.registration.window
    if (win.phase(now) != "closed" or not _STILL_APPLY.search(normalised)
            or part.key.startswith(("window", "late", "register_now"))):
        return part
    return replace(part, lines=(window_status(win, now, t), *part.lines))


def _silent_on(kn: Knowledge, part: Part, score: float, stripped: str, rest: str,
               entity: Entity | None, asked: str, now: datetime, t: Texts) -> Answer:
    """The notice is silent on what was asked. "外省人能报吗 户口有要求不" asks whether one may
    apply as well: who may, as the notice says, comes with it (the 招收对象 clause)."""
    if part.key.startswith("silent:") and words().asks.search(
            normalise(stripped, atomic=False).replace(" ", "")):
        key = resolve(kn, f"intent:{_WHO}", rest, entity)
        who = render(kn, key, now, t) if key else None
        if who is not None and who.covered and who.key != part.key:
            reply = fallback(kn, _paired(part, who, t), score, t, question=asked, now=now)
            if visible_length(reply.text) <= MAX_CHARS:
                return reply
    return fallback(kn, part, score, t, question=asked, now=now)


def _sure(kn: Knowledge, part: Part, score: float, asked: str, now: datetime,
          t: Texts, trouble: str = "") -> Answer:
    """The answer; one whose clause says the notice leaves a point open ("需上传哪些材料…通知
    没有写明") names whom to ask as well, as every "the notice does not say" reply does, when
    that fits one screen. So does one to a user in trouble ("登上去查不到录取结果 咋回事":
    `trouble`, the normalised question), with the contacts that fit it."""
    if trouble or _LEAVES_OPEN.search(" ".join(part.lines)):
        told = fallback(kn, part, score, t, question=asked or trouble, now=now, kind=ANSWERED)
        if visible_length(told.text) <= MAX_CHARS:
            return told
    return compose(kn, part, score, t)


def _no_date_said(kn: Knowledge, key: str, part: Part, reply: Answer, normalised: str,
                  asked: str, now: datetime, t: Texts, raw: str) -> Answer:
    """"招录考试是哪天考": asked when, and the answer found (`key`) is not about a date (an
    event, a dated clause): the notice gives none, said before the answer. "招录考试考哪些科目":
    asked what an exam covers, and the answer names no subject or scope: the same. "6月30号截止是
    到几点": asked the hour, and the answer gives a day but no time of day: the same. "提交了还能
    改吗": asked whether what was sent can be changed, and the answer says nothing of changing.
    "名额还剩多少": asked what is left, and the answer gives the plan only. "公示在哪看": asked
    where to look it up, and the answer names no site, account or notice board. "补贴是按月发
    的吗": asked when money is paid, and the answer gives no period or payment. "毕业证还没发下
    来 上传啥": a document not held yet, which the answer asks for without saying what then."""
    if _HOUR_ASKED.search(raw) and _dated(kn, key) and not _CLOCK.search("".join(part.lines)):
        lead = "qa.hour.lead"
    elif _WHEN in normalised and not _dated(kn, key) and not _MONTH_GIVEN.search(
            "".join(part.lines)):
        lead = "qa.when.lead"
    elif _EXAM_SCOPE.search(normalised.replace(" ", "")) and not _SCOPE_GIVEN.search(
            "".join(part.lines)):
        lead = "qa.exam_scope.lead"
    elif _EXAM_ASKED.search(normalised) and not _EXAM_GIVEN.search("".join(part.lines)):
        lead = "qa.exam.lead"
    elif _CHANGE_ASKED.search(raw) and not _CHANGE_GIVEN.search("".join(part.lines)):
        lead = "qa.change.lead"
    elif _LEFT_ASKED.search(raw) and not _IF_FULL.search(raw) and not _LEFT_GIVEN.search(
            "".join(part.lines)):
        lead = "qa.left.lead"
    elif _LOOKUP_ASKED.search(raw) and not _LOOKUP_GIVEN.search("".join(part.lines)):
        lead = "qa.lookup.lead"
    elif _PAY_TIMING_ASKED.search(raw) and not _PAY_TIMING_GIVEN.search("".join(part.lines)):
        lead = "qa.pay_timing.lead"
    elif _not_held_open(raw, part):
        lead = "qa.not_held.lead"
    else:
        return reply
    if lead == "qa.exam.lead":
        part = _with_review(kn, part, normalised, now, t)
    return fallback(kn, part, reply.score, t, lead=t(lead), question=asked, now=now)


def _with_review(kn: Knowledge, part: Part, normalised: str, now: datetime, t: Texts) -> Part:
    """"有笔试吗" where the notice names no exam: what it does say of the step between applying
    and admission (资格审核), before the clause found, when the notice has one."""
    key = resolve(kn, f"intent:{_REVIEW}", normalise(_REVIEW_TOPIC), None)
    review = render(kn, key, now, t) if key else None
    if review is None or not review.covered or review.key == part.key or _restates(review, part):
        return part
    both = _paired(review, part, t)
    return both if visible_length(compose(kn, both, 1.0, t).text) <= MAX_CHARS else part


def _not_held_open(raw: str, part: Part) -> bool:
    """"毕业证还没发下来 上传啥": the answer names the document and says nothing of one not held
    yet (a rule on a licence not held, 未取得者可不提交, is about another document)."""
    found = _NOT_HELD.search(raw)
    if found is None:
        return False
    document = found.group(1) or found.group(2)
    names = ("资格证", "执业") if document in ("资格证", "执业证") else (document,)
    naming = [line for line in part.lines if any(name in line for name in names)]
    return bool(naming) and not any(_NOT_HELD_GIVEN.search(line) for line in naming)


def _dated_restatement(kn: Knowledge, part: Part, now: datetime, t: Texts) -> Part:
    """"还没去报到 现在去还来得及吗": a clause (未在规定时间内报到者，取消录取资格…) that an
    event of the campaign restates with its date (报到: 8月31日前) is answered by the event."""
    if not part.key.startswith("fact:") or not part.clause:
        return part
    said = "".join(part.lines)
    for event in kn.campaign.events:
        if event.clause == part.clause:
            dated = render(kn, f"event:{event.id}", now, t)
            day = event.end or event.start
            # The clause the event was written from: its words, or its date (8月31日前 …) when
            # the event says as much (not a summary of a longer clause).
            if dated is not None and (_restates(dated, part) or (
                    day is not None and f"{day.month}月{day.day}日" in said
                    and len(event.text) >= len(said))):
                return dated
    return part


def _hedge_floor(ranked: list[tuple[Part, float]]) -> float:
    """The score a best answer needs to be offered as a guess: HEDGE, or LONE_HEDGE when nothing
    else comes near it (every other answer under LONE_SHARE of its score)."""
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    return LONE_HEDGE if runner_up < ranked[0][1] * LONE_SHARE else HEDGE


def _beside(kn: Knowledge, personal: Part, ranked: list[tuple[Part, float]],
            t: Texts, question: str = "") -> Part | None:
    """"我是外省高职毕业的 能报孝感的基地吗": the rules answer for 高职, and the clause the
    question is closest to (面向全国) answers the rest. That clause, when it is the matcher's
    confident first answer and one the personal reply does not cite already, goes under its
    heading before the reply's last line (the pointer to /check); None when there is none."""
    said = " ".join(personal.lines)
    if not ranked:
        return None
    part, score = ranked[0]
    if score < THRESHOLD or not _beside_fits(kn, personal, part, said):
        # "我河南的临床专科生 外省的能报吗": the first is the rules' own clause (招录对象); a
        # close one that says a rare word of the question the rules' reply does not (外地: 面向
        # 全国). Not beside a "no": it would read as contradicting it.
        unsaid = {g for g in _topic_grams(question) - _topic_grams(f"{personal.title} {said}")
                  if kn.main.share(g) < RARE_SHARE}
        part = None if personal.key.endswith(":ineligible") else next(
            (p for p, s in ranked[1:3] if s >= HEDGE and _beside_fits(kn, personal, p, said)
             and unsaid & _topic_grams(" ".join((p.title, *p.lines)))), None)
    if part is None:
        return None
    *body, last = personal.lines
    # Its clause said after it, as the rules' lines say theirs (the source line is the rules').
    *said_lines, end = part.lines
    cited = f"{end}{t('qa.multi.source', clause=part.clause)}" if part.clause else end
    return replace(personal, lines=(*body, t("qa.title", title=part.title), *said_lines, cited,
                                    last))


def _topic_grams(text: str) -> set[str]:
    """The two-unit grams of a text that say a topic (not the frame of a question)."""
    lexicon = default_lexicon()
    return {g for g in ngrams(normalise(text)) if len(g) > 1 and lexicon.weight(g) >= 1.0}


def _beside_fits(kn: Knowledge, personal: Part, part: Part, said: str) -> bool:
    """Whether a clause may go beside the rules' answer: a clause or FAQ answer the rules do
    not read (as the asker's facts say) and the reply does not cite already."""
    if not part.key.startswith(("fact:", "faq:")) or not part.covered:
        return False
    return not (part.clause and (part.clause == personal.clause or f"（{part.clause}）" in said
                                 or part.clause in kn.rule_clauses))


def _with_close_clause(kn: Knowledge, part: Part, ranked: list[tuple[Part, float]],
                       score: float, floor: float, t: Texts,
                       direct: dict[str, float] | None = None) -> Part:
    """The answer with the runner-up clause beside it when that one scores at least `floor`
    and within PAIR_MARGIN of it, in all or in the notice's own words (`direct`), and may pair
    with it; else the answer as it is."""
    own = direct or {}
    # An intent's route lifts the one clause it resolves to ("社保怎么交": 养老保险补助) above
    # another as close to the question in its own words (社会保险): close in those, they pair.
    second = [p for p, s in ranked[1:2] if s >= floor and (
        score - s <= PAIR_MARGIN or own.get(p.key, 0.0) >= own.get(part.key, 0.0) - PAIR_MARGIN)]
    return _paired(part, second[0], t) if second and _pairs_with(kn, part, second[0]) else part


def _pairs_with(kn: Knowledge, part: Part, other: Part) -> bool:
    """Whether two clauses of the notice, close in score, are given together: both clauses
    (not a built answer or a staff entry), saying different things. An answer the campaign
    wrote for applicants (its FAQ) is not joined by a clause addressed to institutions (工作要求),
    which it already puts in applicants' words."""
    clauses = ("fact:", "faq:", "graduates:")  # the last, a clause with a line after it
    if part.key.startswith("faq:") and other.key in kn.institutional:
        return False
    return (part.key.startswith(clauses) and other.key.startswith(clauses) and other.covered
            and bool(part.clause) and bool(other.clause) and other.key != part.key
            and not _restates(other, part))


def _paired(part: Part, other: Part, t: Texts) -> Part:
    """One answer of two clauses: the first, then the second under its own heading; the
    source line cites both."""
    if other.clause in (part.clause, ""):
        clause = part.clause
    elif not part.clause:  # a silent topic's reply cites no clause of its own
        clause = other.clause
    else:
        clause = t("qa.pair.clauses", first=part.clause, second=other.clause)
    return replace(part, lines=(*part.lines, t("qa.title", title=other.title), *other.lines),
                   clause=clause)


def several(kn: Knowledge, asked: list[str], now: datetime, t: Texts) -> Answer:
    """A pasted paragraph: each question answered briefly, the parts the notice leaves out
    named; more than MAX_PARTS questions: asked to send one at a time."""
    if len(asked) > MAX_PARTS:
        text = t("qa.multi.too_many", n=len(asked), first=asked[0][:40])
        return Answer(text, "", "input:several", 0.0, FALLBACK)
    replies: list[Answer] = []
    for question in asked:
        reply = _single(kn, question, now, t)
        if reply.kind == FALLBACK and not _silence(reply):
            before = next((r for r in reversed(replies) if r.kind != FALLBACK and r.entry), None)
            if before is not None:
                reply = _after(kn, before, question, reply, now, t)
        replies.append(reply)
    replies = _contacts_of_the_whole(kn, asked, replies, now, t)
    keys = {r.entry for r in replies}
    if len(keys) == 1 and any(r.kind != FALLBACK for r in replies):
        # One clause for every part: the reply that says what it leaves out ("有工资吗 一个月多少
        # 钱": no amount given), if one does and is sure of its clause.
        return next((r for r in replies if r.kind == FALLBACK and r.score >= THRESHOLD),
                    next(r for r in replies if r.kind != FALLBACK))
    covered = [(q, r) for q, r in zip(asked, replies, strict=True) if r.kind != FALLBACK]
    missing = [q for q, r in zip(asked, replies, strict=True) if r.kind == FALLBACK]
    if not covered:
        return _left_out(asked, replies, t)
    lead = t("qa.multi.lead", n=len(asked))
    tail = _uncovered(kn, missing, now, t) if missing else []
    source = t("qa.multi.source_line", citation=kn.campaign.citation)
    briefs = [(*_brief(r, t), kn.campaign.clause_of(r.source)) for _q, r in covered]
    width = 160
    while True:
        lines = [lead]
        for n, (title, body, clause) in enumerate(briefs, 1):
            lines.append(t("qa.multi.item", n=n, title=Raw(title)))
            # A part that fits keeps its lines (a list reads as a list on a phone); a longer
            # one is run together and cut, with "…".
            whole = " ".join(body)
            shown = [cut(line, width) for line in body] if visible_length(whole) <= width \
                else [cut(whole, width)]
            shown[-1] += t("qa.multi.source", clause=clause) if clause else ""
            lines.extend(shown)
        text = "\n".join([*lines, *tail, source])
        if visible_length(text) <= MAX_CHARS or width <= 40:
            break
        width -= 20
    score = min(r.score for _q, r in covered)
    return Answer(text, covered[0][1].source, "several:" + "+".join(
        str(r.entry) for _q, r in covered), score, ANSWERED)


def _contacts_of_the_whole(kn: Knowledge, asked: list[str], replies: list[Answer],
                           now: datetime, t: Texts) -> list[Answer]:
    """"汉川基地招几个人 电话多少": a part asking for contacts in words that name none is about
    what the rest of the message names (汉川's base: its contacts), when that names a contact."""
    whole: list[Contact] | None = None
    for n, (question, reply) in enumerate(zip(asked, replies, strict=True)):
        if not (reply.entry or "").startswith("contacts") or fitting(
                kn.campaign, normalise(question)):
            continue
        if whole is None:
            said = normalise(" ".join(asked))
            entity, _rest = kn.find_entity(said)
            whole = (named_contacts(kn.campaign, entity.ref) if entity else []) or fitting(
                kn.campaign, said)
        replies[n] = _contacts_reply(kn, whole, reply.score, now, t) or reply
    return replies


def _after(kn: Knowledge, before: Answer, question: str, alone: Answer, now: datetime,
           t: Texts) -> Answer:
    """A part that finds no sure answer alone, read as about the part answered before it (as a
    follow-up is: answer's `last`). "网上预报名要填啥 要传东西吗": nothing alone, the 预报名
    clause with it. "预报名完了就算报上了吗 后面还有啥": a guess alone (what follows 预报名),
    sure with it. A guess alone that the previous part's topic only repeats stays a guess
    ("网上报名都要弄些啥 填啥东西": the steps, not 招录对象 again)."""
    topic = render(kn, str(before.entry), now, t)
    if topic is None:
        return alone
    again = _single(kn, f"{topic.title} {question}", now, t)
    if again.kind == FALLBACK:
        return alone
    if alone.entry and again.entry == before.entry and again.entry != alone.entry:
        return alone
    return again


def _uncovered(kn: Knowledge, missing: list[str], now: datetime, t: Texts) -> list[str]:
    """The parts the notice leaves out, named, and whom to ask about them (the contacts that
    fit the first, as a silent reply would give)."""
    named = _named_missing(missing, t)
    contacts = chosen(kn.campaign, normalise(missing[0]))
    if not contacts:
        return [named]
    return [named, t("qa.fallback.contacts"),
            *contact_lines(contacts, t, kn.campaign.phone_note, now)]


def _named_missing(parts: list[str], t: Texts) -> str:
    """通知没有写明：“…”、“…”: the parts of a pasted paragraph the notice leaves out."""
    return t("qa.multi.uncovered", parts=Raw("、".join(
        t("qa.multi.uncovered_part", text=q[:30]) for q in parts)))


def _left_out(asked: list[str], replies: list[Answer], t: Texts) -> Answer:
    """No part answered: a topic the notice is plainly silent on says so, before a guess, and
    the other parts are named as left out too (above the source line, which ends a reply)."""
    said = next((r for r in replies if _silence(r)), None)
    if said is None:
        return replies[0]
    rest = [q for q, r in zip(asked, replies, strict=True) if r.entry != said.entry]
    if not rest:
        return said
    tail = _named_missing(rest, t)
    *body, source = said.text.split("\n")
    return replace(said, text="\n".join([*body, tail, source]))


def _brief(reply: Answer, t: Texts) -> tuple[str, list[str]]:
    """The title (HTML) and the lines of a composed answer, without its source line, the
    other answer an ambiguous one offers, or whom to ask."""
    lines = reply.text.split("\n")
    title = re.sub(r"</?b>", "", lines[0]) if lines[0].startswith("<b>") else ""
    asides = tuple(_lead_of(t, key, name) for key, name in (
        ("qa.source", "source"), ("qa.ambiguous.also", "labels"))) + (t("qa.fallback.contacts"),)
    body = [line for line in lines[1 if title else 0:]
            if line and not line.startswith(asides)]
    # All of it: the reply's width cuts it, with "…" ("共3家培训基地" and only two listed, when
    # the first three lines were taken, read as the whole list).
    return title, body


def _lead_of(t: Texts, key: str, field: str) -> str:
    """The fixed words a text starts with, before its first field."""
    return t(key, **{field: Raw("\x00")}).split("\x00")[0]


def answer_key(campaign: Campaign, key: str, now: datetime,
               texts: Texts | None = None, staff: tuple[StaffEntry, ...] = ()) -> Answer | None:
    """The answer behind a key (a button of an ambiguous answer); None if the key is unknown
    (or a staff entry since removed)."""
    t = texts or default_texts()
    kn = knowledge(campaign, staff)
    part = render(kn, key, now, t)
    if part is None:
        return None
    return compose(kn, part, 1.0, t) if part.covered else fallback(kn, part, 1.0, t,
                                                                  now=now)


def _wants_address(kn: Knowledge, part: Part, normalised: str, rest: str, raw: str) -> bool:
    """"谁有报名网址 发一下": the address, not a clause that names the site without it. But
    "在平台上怎么上传材料" is about the materials, "网站打不开" gets whom to call, and
    "湖北卫生人才网上入口在哪" knows the site: it asks where on it."""
    reg = kn.campaign.registration
    said = " ".join(part.lines)
    if not reg.url or reg.url in said or _PHONE.search(said) or _names_site(reg, raw):
        return False
    if _OPERATING.search(normalised):
        return False  # "网站咋操作啊 看不懂": how to use the site, not where it is
    return _asks(normalised, kn.table.address_markers) and not any(
        _names_rare_topic(kn, rest, intent) for name, intent in kn.table.intents.items()
        if name != _CHANNEL)


def _names_site(reg: Registration, question: str) -> bool:
    flat = normalise(question).replace(" ", "")
    return bool(reg.channel) and normalise(reg.channel).replace(" ", "") in flat


def _names_window_day(kn: Knowledge, normalised: str) -> bool:
    """Whether the question names the day registration opens or closes (6月30日), or says
    until when it runs (报名到7月底: a rumour to check against the window)."""
    window = kn.campaign.registration.window
    moments = (to_shanghai(m) for m in (window.opens, window.closes) if m is not None)
    days = {f"{moment.month}月{moment.day}日" for moment in moments}
    flat = normalised.replace(" ", "")
    return any(day in flat for day in days) or bool(_REGISTRATION_UNTIL.search(flat))


def _figures(question: str, now: datetime | None = None) -> list[str]:
    """The shares, years and days a question quotes ("那20%是干嘛用的", "到2025年要达到啥目标",
    "9月7号之前基地要交啥"), as a notice writes them (20%, 2025年, 9月7日), and a month still to
    come at `now` said alone ("8月份还有没有机会" in July: 于8月)."""
    folded = unicodedata.normalize("NFKC", question)
    return [f"{number}%" for number in _PERCENT.findall(folded)] + [
        f"{year}年" for year in _YEAR.findall(folded)] + [
        f"{month}月{day}日" for month, day in _DAY.findall(folded)] + [
        f"于{month}月" for month in _MONTH_ALONE.findall(folded)
        if now is not None and int(month) > to_shanghai(now).month]


def _candidates(kn: Knowledge, question: str, entity: Entity | None, now: datetime,
                t: Texts, figures: list[str] | None = None,
                direct: dict[str, float] | None = None) -> list[tuple[Part, float]]:
    """The best two answers and their scores. `direct`, when given, receives each answer's
    score from the notice's own text alone (no intent's route to it)."""
    routes: dict[str, dict[bool, float]] = {}
    asks_when = _WHEN in question or (_REGISTER in question
                                       and any(word in question for word in _NOW_WORDS))
    kinds = kn.table.asked(question)
    entry_asked = kn.table.own_entry(question)
    reports_in = _REPORT_IN in question and _REGISTER not in question
    after_registering = _AFTER_REGISTERING.search(question) is not None
    faulted = (kinds & kn.table.answer_markers.keys()
               if _asks(question, kn.table.fault_words) else frozenset())
    ranked = kn.main.rank(question)[:RESOLVE_TOP] if question else []
    named = {entry for entry, _ in ranked if entry.startswith("intent:")
             and _names_rare_topic(kn, question, kn.table.intents[entry[7:]])}
    for entry, score in ranked:
        key = resolve(kn, entry, question, entity)
        if kinds and entry in kn.asks and not kinds & kn.asks[entry]:
            score *= TYPE_PENALTY  # "可以报几个基地" is not "谁可以报名": another kind of question
        elif faulted and key in kn.gives and not faulted & kn.gives[key]:
            # "没去报到会怎样": a clause stating no sanction, reached by the words or by an intent
            # ("调剂到不想去的基地 不去报到会咋样": 调剂 is not what it turns on)
            score *= SANCTION_PENALTY
        if entry_asked and key and key.startswith("contacts"):
            score *= TYPE_PENALTY  # "报名留的电话要注意啥": the asker's number, not whom to call
        if key and reports_in and (key == "window" or key.startswith("late")):
            score *= OTHER_STEP  # "还没去报到 现在去还来得及吗": report-in, not registration
        if key == "steps" and after_registering:
            score *= OTHER_STEP  # "报名以后还有哪些流程": what follows, not the steps again
        if key and kn.main.disagrees(question, key):
            score *= QUALIFIED_PENALTY  # 非全日制 asked, a clause on 全日制 found (or the reverse)
        if entry.startswith("intent:") and named and entry not in named:
            score *= FRAME_ONLY
        if key and asks_when and _dated(kn, key):
            score += WHEN_BONUS  # "什么时候…": the answer is a date, whatever else it shares
            if key == "window" and _near(kn, now):
                score += WHEN_BONUS / 2  # while registration is on, "when" is mostly about it
        if key:
            by_kind = routes.setdefault(key, {})
            is_intent = entry.startswith("intent:")
            by_kind[is_intent] = max(score, by_kind.get(is_intent, 0.0))
    # An intent and the content itself leading to one answer are more evidence than either.
    scores = {key: _combine(list(found.values())) for key, found in routes.items()}
    if direct is not None:
        direct.update({key: found.get(False, 0.0) for key, found in routes.items()})
    for figure in figures or ():
        saying = kn.main.saying([figure])
        if len(saying) > FIGURE_ENTRIES:
            continue  # the campaign's own year, in many clauses, names none of them
        for key in saying:
            if faulted and key in kn.gives and not faulted & kn.gives[key]:
                continue  # "8月31号前没去报到会咋样": the sanction, not the clause with the day
            if key.startswith(("fact:", "faq:")):  # the clause that gives the figure quoted
                scores[key] = scores.get(key, 0.0) + FIGURE_BONUS
    if "intent:late" in named:
        # "错过了报名时间还能补报吗": the late answer says where registration stands too, and the
        # notice's words on late entries; named (补报, 逾期), it is the answer over the window's.
        for key in [k for k in scores if k.split(":")[0] == "late"]:
            scores[key] = max(scores[key], scores.get("window", 0.0) + MARGIN * 2)
    _late_after_close(kn, question, entity, now, scores)
    if _names_window_day(kn, question):
        # "6月30过了是不是报不了了": the day registration closes (or opens), named.
        scores["window"] = scores.get("window", 0.0) + FIGURE_BONUS
    if entity is not None:
        # The question names a base or an organisation: answers about it come first, and when
        # nothing else fits, what we know of it.
        for key in scores:
            if key.endswith(entity.ref) or key == f"base:{entity.ref[5:]}":
                scores[key] += ENTITY_BONUS
        if not entity.ref.startswith("base:"):
            # "省培训中心挂靠在哪个学校": the clause naming the organisation is about it.
            full = dict(kn.main.rank(question)) if question else {}
            for key, share in kn.facts.covering(entity.name):
                if share >= NAMED:
                    scores[key] = max(scores.get(key, 0.0), full.get(key, 0.0)) + ENTITY_BONUS
        kind, _, ident = entity.ref.partition(":")
        key = f"base:{ident}" if kind == "base" else f"contacts:{entity.ref}"
        # "省培训中心是哪个单位的": nothing but the name and a question frame asks about it.
        bare = not question.strip() or not own_topic(question)
        if bare and question.strip() and kind != "base":
            # What the notice says of an organisation is the fact that names it, if any.
            key = _naming_fact(kn, entity) or key
        floor = 1.0 if bare else THRESHOLD
        scores[key] = max(scores.get(key, 0.0), floor)
    rendered: dict[str, Part | None] = {}  # each answer rendered once per question

    def part_of(key: str) -> Part | None:
        if key not in rendered:
            rendered[key] = render(kn, key, now, t)
        return rendered[key]

    _hold_rare_words(kn, question, scores, part_of)
    parts: list[tuple[Part, float]] = []
    for key, score in sorted(scores.items(), key=lambda kv: -kv[1]):
        part = part_of(key)
        if part is not None:
            parts.append((part, score))
            if len(parts) == 2:  # the answer, and its rival for an ambiguity check
                break
    return parts


def _late_after_close(kn: Knowledge, question: str, entity: Entity | None, now: datetime,
                      scores: dict[str, float]) -> None:
    """"现在还能报吗" once registration has closed: the late answer (where registration stands,
    and the notice's words on late entries: 逾期不予补报) takes the window's place, when the
    notice has such words."""
    closes = kn.campaign.registration.window.closes
    if closes is None or now <= closes or not scores:
        return
    if not any(word in question for word in _STILL):
        return  # "报名时间是哪几天" asks for the dates, not whether it is too late
    if max(scores, key=lambda key: scores[key]) != "window":
        return
    late = resolve(kn, "intent:late", "", entity)  # the notice's clause on late entries
    if late is not None and late.startswith("late:"):
        scores[late] = max(scores.get(late, 0.0), scores.pop("window"))


def _hold_rare_words(kn: Knowledge, question: str, scores: dict[str, float],
                     part_of: Callable[[str], Part | None]) -> None:
    """"单位人的招录啥时候开始": 单位人 is in few of the notice's entries; when one of the leading
    answers says it, those that do not (the registration window, matched on 招录…啥时候开始)
    weigh RARE_PENALTY. Words in many entries (报名) name nothing."""
    grams = [g for g in ngrams(question) if len(g) > 1 and "#" not in g
             and 0 < kn.main.share(g) < RARE_SHARE]
    if not grams:
        return
    top = [key for key, _ in sorted(scores.items(), key=lambda kv: -kv[1])[:RESOLVE_TOP]]
    held = {key: frozenset(g for g in grams if _says_any(part_of(key), [g])) for key in top}
    if any(held.values()):
        for key in top:
            # None of them said, or fewer than another says, which says one no other entry of
            # the notice says ("省属培训基地 汇总表": both say 汇总 and 设区市, one says 省属).
            if not held[key] or any(held[key] < other and any(
                    round(kn.main.share(g) * kn.main.size) <= 1 for g in other - held[key])
                    for other in held.values()):
                scores[key] *= RARE_PENALTY
    _silence_gives_way(kn, question, grams, top, scores, part_of)


def _silence_gives_way(kn: Knowledge, question: str, grams: list[str], top: list[str],
                       scores: dict[str, float],
                       part_of: Callable[[str], Part | None]) -> None:
    """"录取名单会公示吗": that the notice is silent on 录取结果 is wrong when a clause says
    what the question asks of it, a rare word said after the topic (公示: 公示报到). One said
    before the topic describes the asker ("外地的 基地包住宿吗": 外地 students; 住宿 is still
    unsaid)."""
    flat = question.replace(" ", "")
    for key in top:
        part = part_of(key)
        if part is None or part.covered:
            continue
        said = [g for g in ngrams(question) if len(g) > 1 and "#" not in g
                and _says_any(part, [g])]
        held = [flat.find(g) for g in said]
        after = min(held) if held else 0
        covered = _covered_by(flat, said)
        unsaid = [g for g in grams if kn.main.share(g) < SILENT_RARE_SHARE
                  and kn.main.lexicon.weight(g) >= 1  # not 不在: a word that says something
                  and flat.find(g) > after and not _says_any(part, [g])
                  and not _straddles(flat, g, covered)]
        if unsaid and any(_says_any(other, unsaid) for other in map(part_of, top)
                          if other is not None and other.covered):
            scores[key] *= SILENT_RARE_PENALTY


def _covered_by(flat: str, grams: list[str]) -> set[int]:
    """The positions of `flat` inside some occurrence of one of `grams`."""
    covered: set[int] = set()
    for gram in grams:
        start = flat.find(gram)
        while start >= 0:
            covered.update(range(start, start + len(gram)))
            start = flat.find(gram, start + 1)
    return covered


def _straddles(flat: str, gram: str, covered: set[int]) -> bool:
    """"过了报名时间 还有补报的机会吗": 名时 is the end of 报名 and the start of 时间, two words a
    clause holds, not a third word it leaves out."""
    start = flat.find(gram)
    return start >= 0 and all(i in covered for i in range(start, start + len(gram)))


def _says_any(part: Part | None, grams: list[str]) -> bool:
    if part is None:
        return False
    flat = normalise(" ".join([part.title, *part.lines])).replace(" ", "")
    return any(gram in flat for gram in grams)


def _naming_fact(kn: Knowledge, entity: Entity) -> str | None:
    """The fact that names an organisation most fully (its name and the short name it gives)."""
    found = [key for key, share in kn.facts.covering(entity.name) if share >= NAMED]
    return found[0] if found else None


def _restates(one: Part, other: Part) -> bool:
    """Whether two answers cite one clause and one's words hold the other's (an event and the
    fact it was written from): a button for it would say the same again."""
    if not one.clause or one.clause != other.clause:
        return False
    mine, theirs = set(one.lines), set(other.lines)
    return any(a in b or b in a for a in mine for b in theirs if min(len(a), len(b)) >= 10)


def _dated(kn: Knowledge, key: str) -> bool:
    """Whether the answer behind `key` gives a date (or says the notice gives none)."""
    kind, _, ident = key.partition(":")
    if kind in ("window", "event"):
        return True
    if kind in ("silent", "undated"):
        return kn.table.intents[ident.partition(":")[0]].answer in ("window", "event")
    fact = kn.campaign.fact(ident) if kind == "fact" else None
    return fact is not None and _DATE.search(fact.text) is not None


def _next_step(kn: Knowledge, part: Part, score: float, raw: str, now: datetime,
               t: Texts) -> Part:
    """"查到录取了 接下来要做啥": the applicants' next dated step (registration before it opens;
    an event the campaign reminds them of that has not begun, or has not ended and has no
    start), then the clause found when that is sure (THRESHOLD) and not already a dated step."""
    if not (_NEXT_ASKED.search(raw) and _WHAT_TO_DO.search(raw)) or part.key == "window" \
            or part.key.startswith("event:"):
        return part
    reminded = {spec.event for spec in kn.campaign.reminders}
    window = kn.campaign.registration.window
    # Before registration opens, registering is the next step.
    coming = [(window.opens, "window")] if window.opens is not None and window.opens > now \
        else []
    for event in kn.campaign.events:
        if event.id in reminded and (event.start > now if event.start is not None
                                     else event.end is not None and event.end >= now):
            coming.append((event.start or event.end, f"event:{event.id}"))
    if not coming:
        return part
    step = render(kn, min(coming)[1], now, t)
    if step is None:
        return part
    return _paired(step, part, t) if score >= THRESHOLD else step


def _next_deadline_first(kn: Knowledge, ranked: list[tuple[Part, float]], now: datetime,
                         normalised: str) -> list[tuple[Part, float]]:
    """"截止到什么时候" during registration: two dated steps (the window, report-in) the words
    cannot tell apart (within DEADLINE_MARGIN) are the one whose deadline comes next; a question
    of a deadline alone, naming no step ("截止到几点"), is that of the next dated step among
    the leading answers, however far apart their scores."""
    if len(ranked) < 2:
        return ranked
    if _bare_deadline(normalised):
        pool = range(min(len(ranked), RESOLVE_TOP))
    elif ranked[0][1] - ranked[1][1] <= DEADLINE_MARGIN and all(
            _deadline(kn, part.key) is not None for part, _score in ranked[:2]):
        pool = range(2)
    else:
        return ranked
    coming = [(end, n) for n in pool
              if (end := _deadline(kn, ranked[n][0].key)) is not None and end >= now]
    if not coming or min(coming)[1] == 0:
        return ranked
    first = min(coming)[1]
    return [ranked[first], *(r for n, r in enumerate(ranked) if n != first)]


def _bare_deadline(normalised: str) -> bool:
    """A question of a deadline and nothing else: 截止到什么时候, 最后期限是哪天."""
    flat = normalised.replace(" ", "")
    if not any(word in flat for word in _DEADLINE_WORDS):
        return False
    lexicon = default_lexicon()
    for word in sorted((*lexicon.light_words, *_DEADLINE_WORDS), key=len, reverse=True):
        flat = flat.replace(word, "")
    return all(char in lexicon.light for char in flat)


def _deadline(kn: Knowledge, key: str) -> datetime | None:
    if key == "window":
        return kn.campaign.registration.window.closes
    event = kn.campaign.event(key[6:]) if key.startswith("event:") else None
    return None if event is None else event.end or event.start


def _near(kn: Knowledge, now: datetime) -> bool:
    window = kn.campaign.registration.window
    # No opening date: registration is on from the notice until its close.
    opened = window.opens is None or window.opens - NEAR <= now
    return opened and (window.closes is None or now <= window.closes + NEAR)


def _combine(scores: list[float]) -> float:
    best, *others = sorted(scores, reverse=True)
    for other in others:
        best += (1 - best) * other * SUPPORT
    return best


def on_topic(kn: Knowledge, question: str, topic: str, core: str) -> str | None:
    """The clause on the topic closest to the question; one addressed to institutions (工作要求:
    各培训基地…完成资格审核、考试录取) gives way to an answer the campaign wrote for applicants on
    the same topic ("有笔试吗": what follows 预报名)."""
    key = kn.facts.best_on_topic(question, topic, core)
    if key in kn.institutional:
        return kn.written.best_on_topic(question, topic, core) or key
    return key


def resolve(kn: Knowledge, entry: str, question: str, entity: Entity | None) -> str | None:
    """The answer key a ranked entry stands for, in this campaign and for this question."""
    kind, _, ident = entry.partition(":")
    if entry == "contacts":  # matched on the contacts' purposes: those that fit the question
        return key_for(chosen(kn.campaign, question), kn.campaign)
    if kind != "intent":
        return entry
    intent = kn.table.intents[ident]
    campaign = kn.campaign
    builder, core = intent.answer, intent.title
    base = entity.ref if entity and entity.ref.startswith("base:") else None
    # A question plainly about a topic this notice leaves out gets "the notice does not say"
    # (or the intent's `otherwise`), not the next-best answer about something else.
    otherwise = f"silent:{ident}" if intent.otherwise == "silent" else intent.otherwise
    if not _names_topic(question, intent):
        otherwise = None  # matched on the question's frame (能不能报名), not on its topic
    if builder in ("fact", "silent"):
        found = on_topic(kn, question, intent.topic, core)
        if found is None and ident == _WHO and otherwise and condition_facts(campaign):
            return "conditions"  # no fact says whom it recruits; its sub-clauses do, together
        return found or otherwise
    if builder == "graduates":  # 往届的可以报吗: who may apply, and what limits a graduate
        fact = on_topic(kn, question, intent.topic, core)
        return f"graduates:{fact}" if fact else otherwise
    if builder == "late":  # where registration stands, with the notice's words on late entries
        fact = on_topic(kn, question, intent.topic, core)
        return f"late:{fact}" if fact else "late"
    if builder == "event":
        # Asked for a date: a fact on the topic answers only if it gives one.
        fact = on_topic(kn, question, intent.topic, core)
        # "报名以后会审核吗" is not asking for a date: the notice's clause on the topic answers.
        fits = fact is not None and (_dated(kn, fact) or _WHEN not in question)
        event = kn.events.best_on_topic(question, intent.topic, core)
        # An event is about the topic when it says a topic word as written: synonyms fold 被录取
        # (the admitted trainees who must confirm by a date) into 录取结果, which it does not give.
        if event is not None and not kn.events.says(event, intent.topic.split()):
            event = None
        if event is None and fact is not None and not fits and fact.startswith(("fact:", "faq:")):
            # 什么时候出录取结果 where the clause on results gives no date: said, with the clause.
            return f"undated:{ident}:{fact}"
        return event or (fact if fits else None) or otherwise
    if builder == "materials" and not campaign.registration.materials:
        # No list of materials: a fact answers only if it names them as the topic words do.
        fact = kn.facts.best_on_topic(question, intent.topic, core)
        return fact if fact and kn.facts.says(fact, intent.topic.split()) else otherwise
    if builder == "quota":
        return f"quota:{base}" if base else "quota"
    if builder == "contacts":
        if entity:
            return f"contacts:{entity.ref}"
        return key_for(chosen(campaign, question), campaign)
    if builder == "channel" and not campaign.registration.url and _asks(
            question, kn.table.address_markers):
        return "url"  # 报名网址: the notice gives no address, said plainly with whom to ask
    if builder == "bases" and base:
        return f"base:{base[5:]}"
    return builder


def _names_topic(question: str, intent: Intent) -> bool:
    """Whether the (normalised) question says one of the intent's topic terms or its title."""
    return bool(_topic_named(question, intent))


def _names_rare_topic(kn: Knowledge, question: str, intent: Intent) -> bool:
    """The same, in a term found in under COMMON_SHARE of the notice's entries."""
    return any(kn.main.share(term) < COMMON_SHARE for term in _topic_named(question, intent))


def _topic_named(question: str, intent: Intent) -> list[str]:
    flat = question.replace(" ", "")
    return [term for term in _topic_terms(intent) if term and term in flat]


@lru_cache(maxsize=512)
def _topic_terms(intent: Intent) -> tuple[str, ...]:
    return tuple(normalise(term).replace(" ", "") for term in [*intent.topic.split(),
                                                                intent.title])


def _asks_phone(kn: Knowledge, normalised: str) -> bool:
    """Asking for a number or for whom to ask; not of the number the asker enters on the form
    ("报名留的电话要注意啥")."""
    flat = normalised.replace(" ", "")
    if kn.table.own_entry(flat):
        return False
    return any(word in flat for word in _PHONE_WORDS)


def _asks_amount(kn: Knowledge, normalised: str) -> bool:
    return _asks(normalised, kn.table.amount_markers)


def _asks(normalised: str, markers: tuple[str, ...]) -> bool:
    flat = normalised.replace(" ", "")
    return any(marker and marker in flat for marker in markers)
