"""/mydata as people read it: what storage/personal_data.py gathered, by category, masked.

The chat shows a summary (ID numbers and phones masked, long questions cut); the JSON document
beside it carries every value. Unfinished forms come from the conversation's FSM data: the
pre-registration in progress (``rg``), the self-check (``el_*``), a question waiting for a
campaign (``qa_pending``) or for staff (``ask_*``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from content.catalogue import Catalogue
from content.dates import cn_datetime
from content.eligibility import InvalidProfile, parse_profile
from content.eligibility_render import answers_text
from content.masking import mask_personal_numbers, mask_phone
from content.registration_text import status_text, summary_lines
from content.texts import Raw, Texts

QUESTION_SHOWN = 40  # characters of a stored question shown in the chat
QUESTIONS_SHOWN = 3  # the latest ones; the document has them all
_DERIVED = {"id_masked", "birth"}  # kept beside the ID number typed, not answers of their own


def _when(value: str | None) -> str:
    return cn_datetime(datetime.fromisoformat(value)) if value else ""


def _cut(text: str) -> str:
    text = mask_personal_numbers(" ".join(text.split()))
    return text if len(text) <= QUESTION_SHOWN else text[:QUESTION_SHOWN] + "…"


def _campaign_name(catalogue: Catalogue, slug: str | None) -> str:
    campaign = catalogue.get(slug)
    return campaign.name if campaign else (slug or "")


def _account(data: Mapping[str, Any], texts: Texts, catalogue: Catalogue) -> str:
    account = data["account"]
    if not account:
        return texts("mydata.account_none")
    name = " ".join(p for p in (account.get("first_name"), account.get("last_name")) if p)
    username = f"@{account['username']}" if account.get("username") else texts("mydata.none")
    campaign = (_campaign_name(catalogue, account.get("campaign")) if account.get("campaign")
                else texts("mydata.none"))
    key = "mydata.account_wechat" if account.get("channel") == "wechat" else "mydata.account"
    return texts(key, telegram_id=account["telegram_id"], username=username,
                 name=name or texts("mydata.none"), campaign=campaign,
                 first_seen=_when(account.get("first_seen")))


def _registration(row: Mapping[str, Any], texts: Texts, catalogue: Catalogue) -> str:
    campaign = catalogue.get(row["campaign"])
    lines = (summary_lines(row, campaign, texts) if campaign else texts(
        "mydata.registration_bare", name=row["name"], id_masked=row["id_masked"],
        phone=mask_phone(row["phone"])))
    history = "、".join(texts("mydata.history_item", at=_when(h["at"]),
                             old=status_text(h["from"], campaign, texts),
                             new=status_text(h["to"], campaign, texts))
                       for h in row["status_history"] if f"registration.status.{h['to']}" in texts
                       and f"registration.status.{h['from']}" in texts)
    rules = {m.id: m.name for m in campaign.registration.materials} if campaign else {}
    materials = "、".join(
        texts("mydata.material_item", rule=rules.get(m["rule"], m["rule"]),
              result=texts("mydata.material_ok" if not m["problems"] else "mydata.material_bad"))
        for m in row["materials"])
    consents = texts("mydata.consents", notice=_when(row.get("consented_at")),
                     id_number=_when(row.get("id_consented_at"))) if row.get(
        "consented_at") and row.get("id_consented_at") else ""
    return texts("mydata.registration", campaign=_campaign_name(catalogue, row["campaign"]),
                 receipt=row["receipt"], status=status_text(row["status"], campaign, texts),
                 lines=Raw(lines), created=_when(row["created_at"]),
                 history=Raw(texts("mydata.history", items=Raw(history)) if history else ""),
                 consents=Raw(consents),
                 materials=Raw(texts("mydata.materials", items=Raw(materials))
                               if materials else ""))


def _check(check: Mapping[str, Any], texts: Texts, catalogue: Catalogue) -> str:
    campaign = catalogue.get(check["campaign"])
    spec = campaign.eligibility if campaign is not None else None
    try:  # the campaign's own questions (study_mode …) under their labels
        answers = answers_text(texts, parse_profile(check["answers"], spec), spec)
    except (ValidationError, InvalidProfile):  # a field renamed since: show it as stored
        answers = "；".join(f"{k}：{v}" for k, v in check["answers"].items())
    return texts("mydata.check", campaign=_campaign_name(catalogue, check["campaign"]),
                 answers=answers, verdict=texts(f"mydata.verdict.{check['verdict']}")
                 if f"mydata.verdict.{check['verdict']}" in texts else check["verdict"],
                 at=_when(check["checked_at"]))


def _questions(data: Mapping[str, Any], texts: Texts) -> str:
    asked = [(q["asked_at"], q["question"]) for q in data["questions"]["unanswered"]]
    inbox = data["questions"]["staff_inbox"]
    asked += [(m["at"], m["text"]) for t in inbox for m in t["messages"]
              if m["from"] == "applicant" and m["text"]]
    if not asked:
        return texts("mydata.questions_none")
    latest = sorted(asked, key=lambda pair: pair[0] or "", reverse=True)[:QUESTIONS_SHOWN]
    return texts("mydata.questions", unanswered=len(data["questions"]["unanswered"]),
                 threads=len(inbox), items=Raw("\n".join(
                     texts("mydata.question_item", text=_cut(text)) for _, text in latest)))


def _reminders(data: Mapping[str, Any], texts: Texts, catalogue: Catalogue) -> str:
    subs = "、".join(texts("mydata.subscription_on" if s["active"] else "mydata.subscription_off",
                          campaign=_campaign_name(catalogue, s["campaign"]))
                    for s in data["subscriptions"]) or texts("mydata.none")
    off = "、".join(_campaign_name(catalogue, o["campaign"]) for o in data["announcements_off"])
    return texts("mydata.reminders", subscriptions=subs, off=off or texts("mydata.none"),
                 sent=len(data["messages_sent"]))


def _unfinished(fsm: Mapping[str, Any], texts: Texts, catalogue: Catalogue) -> str:
    items = []
    form = fsm.get("rg") or {}
    if form.get("slug"):
        items.append(texts("mydata.unfinished_form", campaign=_campaign_name(
            catalogue, form["slug"]), count=len(set(form.get("answers") or {}) - _DERIVED)))
    if fsm.get("el_slug"):
        items.append(texts("mydata.unfinished_check", campaign=_campaign_name(
            catalogue, fsm["el_slug"]), count=len(fsm.get("el_answers") or {})))
    for key in ("qa_pending", "ask_qid"):
        if fsm.get(key):
            items.append(texts("mydata.unfinished_question"))
    return "\n".join(items) or texts("mydata.none")


def summary_text(data: Mapping[str, Any], fsm: Mapping[str, Any], texts: Texts,
                 catalogue: Catalogue) -> str:
    """The chat's /mydata (Telegram HTML; the caller pages it to phone screens)."""
    registrations = [_registration(r, texts, catalogue) for r in data["registrations"]]
    checks = [_check(c, texts, catalogue) for c in data["self_checks"]]
    return texts(
        "mydata.summary", account=Raw(_account(data, texts, catalogue)),
        registrations=Raw("\n".join(registrations) or texts("mydata.none")),
        count=len(registrations), checks_count=len(checks),
        checks=Raw("\n".join(checks) or texts("mydata.none")),
        questions=Raw(_questions(data, texts)),
        reminders=Raw(_reminders(data, texts, catalogue)),
        unfinished=Raw(_unfinished(fsm, texts, catalogue)))


def unfinished_export(state: str | None, fsm: Mapping[str, Any], decrypt: Callable[[str], str]
                      ) -> dict[str, Any]:
    """The FSM data as the document carries it: the form's encrypted ID number readable."""
    data = {k: v for k, v in fsm.items() if v not in (None, {}, [], "")}
    form = dict(data.get("rg") or {})
    answers = dict(form.get("answers") or {})
    if "id_cipher" in answers:
        answers["id_number"] = decrypt(answers.pop("id_cipher"))
        form["answers"] = answers
        data["rg"] = form
    return {"state": state, "data": data}
