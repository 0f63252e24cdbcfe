"""材料预检: after a pre-registration, the applicant sends each scan the notice describes and
hears at once whether it meets the rule (format, size). Only Telegram's file ids are kept.

The step lives in the FSM (state ``materials``, data ``rg_mat``: registration id, rule index,
results), so it survives restarts like the form.
"""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.types import CallbackQuery, Message

from content.registration import check_material, size_kb
from content.registration_text import by_channel, material_rule_text
from content.schema import Campaign, MaterialRule
from content.texts import Texts
from handlers.flows import leave_flow
from handlers.form_questions import answered_question
from handlers.registration_flow import RegistrationFlow, Turn, sender, turn_of
from handlers.registration_keyboards import RgCb, materials_keyboard
from handlers.registration_my import owned
from storage import registrations as repo
from storage.registration_materials import add_material

MARKS = {"ok": "registration.material.item_ok", "bad": "registration.material.item_bad",
         "skip": "registration.material.item_skipped"}


def rules_of(campaign: Campaign | None) -> list[MaterialRule]:
    if campaign is None or campaign.form is None:
        return []
    by_id = {rule.id: rule for rule in campaign.registration.materials}
    return [by_id[i] for i in campaign.form.materials if i in by_id]


def _question(rules: list[MaterialRule], index: int, texts: Texts) -> str:
    rule = rules[index]
    optional = "" if rule.required else texts("registration.material_optional")
    return texts("registration.material.ask", n=index + 1, total=len(rules), name=rule.name,
                 optional=optional, rule=material_rule_text(rule, texts))


async def _state(turn: Turn) -> tuple[dict[str, Any], list[MaterialRule]] | None:
    data = (await turn.state.get_data()).get("rg_mat")
    if not data or await turn.state.get_state() != RegistrationFlow.materials.state:
        return None
    return dict(data), rules_of(turn.catalogue.get(data.get("slug")))


async def step(send: Any, turn: Turn, data: dict[str, Any], rules: list[MaterialRule],
               prefix: str = "") -> None:
    """Ask for the next scan, or sum up and leave the step once every rule had its turn."""
    texts = turn.texts
    if data["i"] < len(rules):
        await turn.state.set_state(RegistrationFlow.materials)
        await turn.state.update_data(rg_mat=data)
        await send(prefix + _question(rules, data["i"], texts),
                   reply_markup=materials_keyboard(texts))
        return
    items = "\n".join(texts(MARKS[data["results"].get(r.id, "skip")], name=r.name) for r in rules)
    await leave_flow(turn.state, "rg_mat")
    campaign = turn.catalogue.get(data["slug"])
    await send(prefix + texts(by_channel("registration.material.done", campaign, texts),
                              items=items))


async def on_start(query: CallbackQuery, callback_data: RgCb, **kwargs: Any) -> None:
    """材料预检 (after the receipt, or from /my)."""
    turn = turn_of(kwargs)
    found = await owned(query, turn, callback_data)
    if found is None:
        return
    registration, campaign = found
    await query.answer()
    rules = rules_of(campaign)
    if not rules or registration.status not in repo.ACTIVE_STATUSES:
        name = campaign.name if campaign else registration.campaign_slug
        key = by_channel("registration.material.none", campaign, turn.texts)
        await sender(query)(turn.texts(key, campaign=name))
        return
    data = {"reg": registration.id, "slug": registration.campaign_slug, "i": 0, "results": {}}
    await step(sender(query), turn, data, rules)


async def on_button(query: CallbackQuery, callback_data: RgCb, **kwargs: Any) -> None:
    """跳过此项 / 结束预检."""
    turn = turn_of(kwargs)
    found = await _state(turn)
    if found is None:
        await query.answer(turn.texts("registration.stale"), show_alert=True)
        return
    data, rules = found
    await query.answer()
    data["i"] = len(rules) if callback_data.action == "mt_end" else data["i"] + 1
    await step(sender(query), turn, data, rules)


def _file_facts(message: Message) -> tuple[str, str, str | None, str | None, int | None]:
    """(file_id, file_unique_id, name, MIME type, size); a photo is always a JPEG."""
    if message.document is not None:
        doc = message.document
        return doc.file_id, doc.file_unique_id, doc.file_name, doc.mime_type, doc.file_size
    photo = max(message.photo or [], key=lambda p: p.width * p.height)
    return photo.file_id, photo.file_unique_id, None, "image/jpeg", photo.file_size


async def on_file(message: Message, **kwargs: Any) -> None:
    """A scan for the rule being checked: check it, keep its file id, say what to fix."""
    turn = turn_of(kwargs)
    found = await _state(turn)
    registration = None
    if found is not None and turn.user is not None:
        registration = await repo.get_for_user(turn.session, user_id=turn.user.id,
                                               registration_id=int(found[0]["reg"]))
    if found is None or registration is None or found[0]["i"] >= len(found[1]):
        await message.answer(turn.texts("registration.stale"))
        return
    data, rules = found
    rule, texts = rules[data["i"]], turn.texts
    file_id, unique_id, name, mime, size = _file_facts(message)
    problems = check_material(rule, name, mime, size)
    await add_material(turn.session, registration=registration, rule_id=rule.id,
                            file_id=file_id, file_unique_id=unique_id,
                            mime_type=mime, size_bytes=size, problems=problems,
                            now=turn.clock.now())
    note = "\n" + texts("registration.material.photo_note") if message.photo else ""
    if problems:
        data["results"][rule.id] = "bad"
        await turn.state.update_data(rg_mat=data)
        text = texts("registration.material.fail", name=rule.name,
                     problems="\n".join(f"• {p}" for p in problems))
        await message.answer(text + note, reply_markup=materials_keyboard(texts))
        return
    data["results"][rule.id], data["i"] = "ok", data["i"] + 1
    passed = texts("registration.material.pass", name=rule.name, size_kb=size_kb(size or 0))
    await step(message.answer, turn, data, rules, f"{passed}{note}\n\n")


async def on_other(message: Message, **kwargs: Any) -> None:
    """Text or a sticker while a scan is expected: say what is expected."""
    turn = turn_of(kwargs)
    found = await _state(turn)
    if found is None or found[0]["i"] >= len(found[1]):
        await message.answer(turn.texts("registration.stale"))
        return
    rule = found[1][found[0]["i"]]
    campaign = turn.catalogue.get(found[0].get("slug"))
    if message.text and campaign is not None:
        await answered_question(message, "", campaign, texts=turn.texts, clock=turn.clock,
                                session=turn.session, user=turn.user)
    await message.answer(turn.texts("registration.material.expect_file", name=rule.name),
                         reply_markup=materials_keyboard(turn.texts))


def register(router: Router) -> None:
    router.callback_query.register(on_start, RgCb.filter(F.action == "my_mt"))
    router.callback_query.register(on_button, RgCb.filter(F.action.in_({"mt_skip", "mt_end"})))
    materials = StateFilter(RegistrationFlow.materials)
    router.message.register(on_file, materials, F.photo | F.document)
    # Commands still reach their routers; anything else is answered here.
    router.message.register(on_other, materials, ~(F.text.startswith("/")))
