"""/my (status, edit, withdraw, 已官网报名, 已录取 / 未录取, 已报到), /mydata and /delete_my_data.

Registration ids arrive in button data, so every action checks the row belongs to the user who
pressed; edits and withdrawals are refused once the pre-registration period has closed.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, CallbackQuery, Message

from content.dates import cn_date, cn_datetime
from content.idcard import birth_date_from_id
from content.mydata import summary_text, unfinished_export
from content.promises import ADMITTED as ADMITTED_READERS
from content.promises import contacts_line, reminds, whom_to_ask
from content.registration_text import by_channel, status_text, summary_lines
from content.schema import Campaign
from content.texts import Raw, Texts
from handlers.flows import row_id
from handlers.menu import show
from handlers.paging import paged
from handlers.registration_flow import Turn, ask, sender, turn_of
from handlers.registration_keyboards import RgCb, my_keyboard, yes_no
from storage import registrations as repo
from storage.crypto import VaultError
from storage.personal_data import gather
from storage.registrations import Registration
from storage.subscriptions import is_subscribed

_EDITABLE = (repo.PRE_REGISTERED, repo.OFFICIALLY_REGISTERED)
# The applicant's own marks once results are out: button action -> (from statuses, to status).
# They choose the reminders that follow: report-in reminders go to the admitted only.
# Staff-set statuses win: from 资格审核通过 one may still report the result, but nobody marks
# themself out of 未录取, 资格审核不通过 or 放弃 (storage/records.py keeps those to staff).
_RESULT_MARKS = {
    "my_ad": ((*_EDITABLE, repo.REVIEW_PASSED), repo.ADMITTED),
    "my_na": ((*_EDITABLE, repo.REVIEW_PASSED), repo.NOT_ADMITTED),
    "my_rp": ((repo.ADMITTED,), repo.REPORTED),
}
_ANSWER_COLUMNS = ("name", "id_cipher", "id_masked", "phone", "school", "graduation_year",
                   "education", "major", "qualification", "person_type", "base_choices",
                   "accepts_adjustment")


def editable(campaign: Campaign | None, registration: Registration, now: datetime) -> bool:
    return (campaign is not None and campaign.form is not None
            and campaign.form.is_open(now) and registration.status in _EDITABLE)


def results_out(campaign: Campaign | None, now: datetime) -> bool:
    """Whether applicants can know their result: the results event has begun, or, in a notice
    that dates none, registration has closed."""
    if campaign is None:
        return False
    event = campaign.event("results")
    if event is not None and (event.start or event.end):
        return now >= (event.start or event.end)
    return campaign.registration.window.phase(now) == "closed"


def status_label(registration: Registration, texts: Texts, campaign: Campaign | None) -> str:
    """资格审核不通过（原因：…）: the status, with the reason staff gave (kept masked)."""
    label = status_text(registration.status, campaign, texts)
    if registration.status_reason:
        return texts("records.my_status_reason", status=label, reason=registration.status_reason)
    return label


def _item(registration: Registration, campaign: Campaign | None, texts: Texts) -> str:
    if campaign is None:  # a campaign no longer served: its receipt and status still show
        return texts("registration.my_item", campaign=registration.campaign_slug,
                     receipt=registration.receipt_no, lines="",
                     status=Raw(status_label(registration, texts, None)),
                     created=cn_datetime(registration.created_at))
    return texts("registration.my_item", campaign=campaign.name, receipt=registration.receipt_no,
                 status=Raw(status_label(registration, texts, campaign)),
                 lines=Raw(summary_lines(registration.model_dump(), campaign, texts)),
                 created=cn_datetime(registration.created_at))


def _actions(registration: Registration, campaign: Campaign | None, texts: Texts,
             now: datetime) -> list[tuple[str, str, int]]:
    receipt, reg_id = registration.receipt_no, registration.id or 0
    actions = []
    if editable(campaign, registration, now):
        actions += [(texts("registration.button.my_edit", receipt=receipt), "my_edit", reg_id),
                    (texts("registration.button.my_withdraw", receipt=receipt), "my_wd", reg_id)]
    if registration.status == repo.PRE_REGISTERED:
        key = by_channel("registration.button.my_official", campaign, texts)
        actions.append((texts(key, receipt=receipt), "my_of", reg_id))
    if results_out(campaign, now):
        for action, (before, _after) in _RESULT_MARKS.items():
            if registration.status in before:
                actions.append((texts(f"registration.button.{action}", receipt=receipt),
                                action, reg_id))
    active = registration.status in repo.ACTIVE_STATUSES
    if active and campaign is not None and campaign.form and campaign.form.materials:
        actions.append((texts("registration.button.my_materials", receipt=receipt), "my_mt",
                        reg_id))
    return actions


async def cmd_my(message: Message, **kwargs: Any) -> None:
    """/my: each pre-registration with its status and what can still be done."""
    turn = turn_of(kwargs)
    texts, now = turn.texts, turn.clock.now()
    mine = [] if turn.user is None else await repo.list_for_user(turn.session,
                                                                 user_id=turn.user.id)
    if not mine:
        await message.answer(texts("registration.my_empty"))
        return
    await message.answer(texts("registration.my_title"))
    for registration in mine:
        campaign = turn.catalogue.get(registration.campaign_slug)
        text = _item(registration, campaign, texts)
        if registration.status in _EDITABLE and not editable(campaign, registration, now):
            text += "\n" + texts("registration.my_closed")
        await message.answer(text, reply_markup=my_keyboard(
            _actions(registration, campaign, texts, now), texts))


async def owned(query: CallbackQuery, turn: Turn, callback_data: RgCb
                ) -> tuple[Registration, Campaign | None] | None:
    """The pressed button's pre-registration, if it is the presser's; else say it is stale."""
    registration, ref = None, row_id(callback_data.value)
    if turn.user is not None and ref is not None:
        registration = await repo.get_for_user(turn.session, user_id=turn.user.id,
                                               registration_id=ref)
    if registration is None:
        await query.answer(turn.texts("registration.stale"), show_alert=True)
        return None
    return registration, turn.catalogue.get(registration.campaign_slug)


async def _open_for_change(query: CallbackQuery, turn: Turn, callback_data: RgCb
                           ) -> tuple[Registration, Campaign] | None:
    found = await owned(query, turn, callback_data)
    if found is None:
        return None
    registration, campaign = found
    if campaign is None or not editable(campaign, registration, turn.clock.now()):
        await query.answer(turn.texts("registration.my_closed"), show_alert=True)
        return None
    return registration, campaign


async def on_my_edit(query: CallbackQuery, callback_data: RgCb, **kwargs: Any) -> None:
    """修改: the stored answers back in the form, at its summary; confirm updates the row."""
    turn = turn_of(kwargs)
    found = await _open_for_change(query, turn, callback_data)
    if found is None:
        return
    registration, campaign = found
    await query.answer()
    answers = {name: getattr(registration, name) for name in _ANSWER_COLUMNS}
    id_number = turn.vault().decrypt(registration.id_cipher)
    answers["birth"] = birth_date_from_id(id_number).isoformat()
    form = {"slug": campaign.slug, "answers": answers, "edit_id": registration.id, "field": None}
    await ask(sender(query), turn, campaign, form)


async def on_my_withdraw(query: CallbackQuery, callback_data: RgCb, **kwargs: Any) -> None:
    """撤回 asks first; 确定撤回 withdraws (freeing the ID number), 不撤回 keeps it."""
    turn = turn_of(kwargs)
    found = await _open_for_change(query, turn, callback_data)
    if found is None:
        return
    registration, _ = found
    await query.answer()
    texts, value = turn.texts, str(registration.id)
    if callback_data.action == "my_wd":
        await sender(query)(texts("registration.withdraw_confirm",
                                  receipt=registration.receipt_no),
                            reply_markup=yes_no(texts,
                                                ("registration.button.withdraw_yes", "my_wdy",
                                                 value),
                                                ("registration.button.keep", "my_keep", value)))
        return
    if callback_data.action == "my_keep":
        await show(query, texts("registration.kept"), None)
        return
    await repo.set_status(turn.session, registration=registration, status=repo.WITHDRAWN,
                          now=turn.clock.now())
    await show(query, texts("registration.withdrawn", receipt=registration.receipt_no), None)


async def on_my_official(query: CallbackQuery, callback_data: RgCb, **kwargs: Any) -> None:
    """我已在官网报名: the applicant's own mark, from 已预登记 only."""
    turn = turn_of(kwargs)
    found = await owned(query, turn, callback_data)
    if found is None:
        return
    registration, campaign = found
    await query.answer()
    texts = turn.texts
    if registration.status != repo.PRE_REGISTERED:
        await sender(query)(texts("registration.official_already",
                                  receipt=registration.receipt_no,
                                  status=status_text(registration.status, campaign, texts)))
        return
    await repo.set_status(turn.session, registration=registration,
                          status=repo.OFFICIALLY_REGISTERED, now=turn.clock.now())
    await sender(query)(texts(by_channel("registration.official_marked", campaign, texts),
                              receipt=registration.receipt_no))


async def on_my_result(query: CallbackQuery, callback_data: RgCb, **kwargs: Any) -> None:
    """已被录取 / 未被录取 / 已到基地报到: the applicant's own marks, once results are out."""
    turn = turn_of(kwargs)
    found = await owned(query, turn, callback_data)
    if found is None:
        return
    registration, campaign = found
    before, after = _RESULT_MARKS[callback_data.action]
    texts = turn.texts
    if registration.status not in before or not results_out(campaign, turn.clock.now()):
        await query.answer(texts("registration.mark_refused", receipt=registration.receipt_no,
                                 status=status_text(registration.status, campaign, texts)),
                           show_alert=True)
        return
    await query.answer()
    await repo.set_status(turn.session, registration=registration, status=after,
                          now=turn.clock.now())
    subscribed = await is_subscribed(turn.session, user_id=registration.user_id,
                                     slug=campaign.slug)
    await show(query, marked_text(registration, campaign, after, texts, turn.clock.now(),
                                  subscribed=subscribed), None)


def marked_text(registration: Registration, campaign: Campaign, status: str, texts: Texts,
                now: datetime, *, subscribed: bool) -> str:
    """The line after the applicant's own mark; 已录取 promises a report-in reminder only to a
    subscriber of a campaign that dates one still to come, else says whom to ask."""
    if status != repo.ADMITTED:
        return texts(f"registration.marked.{status}", receipt=registration.receipt_no)
    event = campaign.event("report_in")
    moment = (event.end or event.start) if event is not None else None
    if subscribed and reminds(campaign, now, "report_in", ADMITTED_READERS):
        after = texts("registration.marked.admitted_reminded")
    elif moment is not None:
        after = texts("registration.marked.admitted_dated", date=cn_date(moment))
    else:
        people = whom_to_ask(campaign, registration.base_choices or [])
        after = texts("registration.marked.admitted_ask",
                      contacts=contacts_line(people, texts, campaign))
    return texts("registration.marked.admitted", receipt=registration.receipt_no,
                 next=Raw(after))


async def cmd_mydata(message: Message, **kwargs: Any) -> None:
    """/mydata: everything stored about the user, by category: a masked summary in the chat
    (paged to phone screens) and the whole of it as a JSON document (their own full values)."""
    turn = turn_of(kwargs)
    texts, user = turn.texts, turn.user
    if user is None:
        return
    vault = turn.vault()

    def decrypt(token: str) -> str:
        try:
            return vault.decrypt(token)
        except VaultError:
            return "?"

    data = await gather(turn.session, user_id=user.id, decrypt=decrypt)
    fsm = await turn.state.get_data()
    summary = summary_text(data, fsm, texts, turn.catalogue)
    data["unfinished"] = unfinished_export(await turn.state.get_state(), fsm, decrypt)
    now = turn.clock.now()
    document = {"format": "zhaolu-mydata/1", "generated_at": now.isoformat(),
                "campaigns": {c.slug: c.name for c in turn.catalogue.all()}, **data}
    text, markup = await paged(turn.state, texts, summary)
    await message.answer(text, reply_markup=markup)
    body = json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
    name = texts("mydata.file_name", date=now.strftime("%Y%m%d"))
    await message.answer_document(BufferedInputFile(body, filename=name),
                                  caption=texts("mydata.file_caption"))


async def cmd_delete(message: Message, **kwargs: Any) -> None:
    """/delete_my_data: confirm first."""
    texts = kwargs["texts"]
    await message.answer(texts("registration.delete_confirm"), reply_markup=yes_no(
        texts, ("registration.button.delete_yes", "del", "yes"),
        ("registration.button.delete_no", "del", "no")))


async def on_delete(query: CallbackQuery, callback_data: RgCb, **kwargs: Any) -> None:
    turn = turn_of(kwargs)
    await query.answer()
    if callback_data.value != "yes" or turn.user is None:
        await show(query, turn.texts("registration.delete_kept"), None)
        return
    await turn.state.clear()  # Redis FSM too; the SQL rows go with the user's other rows
    count = await repo.delete_user_data(turn.session, user_id=turn.user.id)
    await show(query, turn.texts("registration.deleted", count=count), None)


def register(router: Router) -> None:
    router.message.register(cmd_my, Command("my"))
    router.message.register(cmd_mydata, Command("mydata"))
    router.message.register(cmd_delete, Command("delete_my_data"))
    router.callback_query.register(on_my_edit, RgCb.filter(F.action == "my_edit"))
    router.callback_query.register(on_my_withdraw,
                                   RgCb.filter(F.action.in_({"my_wd", "my_wdy", "my_keep"})))
    router.callback_query.register(on_my_official, RgCb.filter(F.action == "my_of"))
    router.callback_query.register(on_my_result, RgCb.filter(F.action.in_(set(_RESULT_MARKS))))
    router.callback_query.register(on_delete, RgCb.filter(F.action == "del"))
