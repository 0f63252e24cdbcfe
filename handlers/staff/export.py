"""/staff → 📤 导出/导入: the list as an XLSX document, and the edited file sent back.

Export: the full list, or a table the campaign's YAML describes (Fujian's 汇总表), one sheet per
base (bot/xlsx_export.py). Staff of one base get their base's sheet with IDs masked; a
coordinator or an admin gets full IDs, and the export is audited (counts only).
Import: a staff member sends an .xlsx document — after pressing 📥 导入, or at any moment outside
another staff flow (what a coordinator on a phone does: edit, then share the file to the bot).
The file is checked (bot/xlsx_import.py), the preview stored (storage/status_imports.py), and
确认导入 applies it once, through the records repository (each applicant told once).
"""

from __future__ import annotations

import asyncio
import html
import io
import logging
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import xlsx_report
from bot.clock import Clock
from bot.settings import Settings
from bot.xlsx_export import columns_of, export_file
from bot.xlsx_import import MAX_BYTES, ImportFileError, Preview, read_file, validate
from content.catalogue import Catalogue
from content.schema import Campaign
from content.texts import Raw, Texts
from handlers.flows import leave_flow
from handlers.menu import show
from handlers.staff.gate import STAFF_PREFIX, register_actions, register_message_claim
from handlers.staff.keyboards import StaffCb, button, home_row, markup, rows
from storage import audit
from storage import status_imports as imports
from storage.crypto import vault_for
from storage.staff import BASE_STAFF, Access

logger = logging.getLogger(__name__)
SLUG_KEY = f"{STAFF_PREFIX}export_slug"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class StaffExport(StatesGroup):
    upload = State()  # waiting for the edited file


def is_xlsx_upload(message: Message) -> bool:
    """The gate's claim: an .xlsx document in a private chat (an edited export coming back)."""
    document = message.document
    if document is None or message.chat.type != "private":
        return False
    return (document.file_name or "").lower().endswith(".xlsx") or \
        document.mime_type == XLSX_MIME


async def check(data: StaffCb, access: Access, session: AsyncSession, catalogue: Catalogue,
                state: FSMContext) -> dict[str, Any] | None:
    """What a button names, against the presser's roles (the gate calls it)."""
    if data.action in ("xok", "xno"):
        item = await imports.get(session, import_id=data.ann) if data.ann else None
        if item is None or item.actor_id != access.telegram_id:
            return None
        campaign = catalogue.get(item.campaign_slug)
        if campaign is None or not access.covers(campaign.slug, item.scope_base):
            return None
        return {"status_import": item, "campaign": campaign}
    if data.action == "exp" and not data.arg:
        return {"campaign": None}  # not the campaign the person follows as an applicant
    campaign = catalogue.get(data.arg)
    if campaign is None or not access.reaches(campaign.slug):
        return None
    if data.action == "xt" and not 1 <= data.ann <= len(campaign.exports):
        return None
    return {"campaign": campaign}


register_actions({"exp", "xd", "xt", "xu", "xok", "xno"}, check)
register_message_claim(is_xlsx_upload)


def scope_of(staff: Access, slug: str) -> tuple[str | None, bool]:
    """(the one base this person is limited to, whether IDs are masked for them)."""
    base = staff.fixed_base(slug)
    return base, base is not None or staff.role_in(slug) == BASE_STAFF


def _menu(texts: Texts, campaign: Campaign, staff: Access) -> tuple[str, Any]:
    base, masked = scope_of(staff, campaign.slug)
    where = next((b.name for b in campaign.plan.bases if b.id == base), None)
    scope = texts("export.scope.base", base=where or base) if base else \
        texts("export.scope.all")
    buttons = [button(texts("export.button.main"), "xd", arg=campaign.slug)]
    buttons += [button(texts("export.button.table", title=t.title), "xt", i, campaign.slug)
                for i, t in enumerate(campaign.exports, start=1)]
    buttons.append(button(texts("export.button.upload"), "xu", arg=campaign.slug))
    text = texts("export.menu", campaign=campaign.name, scope=scope,
                 ids=texts("export.ids.masked" if masked else "export.ids.full"))
    return text, markup(*rows(buttons, 1), home_row(texts))


async def on_menu(query: CallbackQuery, texts: Texts, catalogue: Catalogue, staff: Access,
                  campaign: Campaign | None = None) -> None:
    """📤 导出/导入: pick a campaign when there are several, then what to export or import."""
    await query.answer()
    slugs = staff.campaigns(catalogue.slugs)
    if campaign is None and len(slugs) == 1:
        campaign = catalogue.get(slugs[0])
    if campaign is None:
        picks = [button(catalogue.get(s).name, "exp", arg=s) for s in slugs]  # type: ignore[union-attr]
        await show(query, texts("export.pick_campaign"), markup(*rows(picks, 1), home_row(texts)))
        return
    await show(query, *_menu(texts, campaign, staff))


async def on_export(query: CallbackQuery, callback_data: StaffCb, texts: Texts,
                    campaign: Campaign, staff: Access, session: AsyncSession,
                    settings: Settings, clock: Clock) -> None:
    """下载: the workbook as a document, with counts; audited (counts only)."""
    await query.answer(texts("export.building"))
    await query.bot.send_chat_action(staff.telegram_id, "upload_document")
    table = campaign.exports[callback_data.ann - 1] if callback_data.action == "xt" else None
    base, masked = scope_of(staff, campaign.slug)
    now = clock.now()
    built = await export_file(session, campaign=campaign, texts=texts, vault=vault_for(settings),
                              table=table, only_base=base, masked=masked, now=now)
    await audit.record(session, action="record.export", now=now, actor_id=staff.telegram_id,
                       role=staff.role_in(campaign.slug) or "", campaign_slug=campaign.slug,
                       base_id=base, audience_size=built.rows,
                       detail=f"table={table.id if table else 'main'} rows={built.rows} "
                              f"sheets={built.sheets} ids={'masked' if masked else 'full'}")
    caption = texts("export.caption", rows=built.rows, sheets=built.sheets,
                    note=texts("export.caption_note"))
    if table is not None and table.note:
        caption = texts("export.caption_table", note=table.note, caption=Raw(caption))
    await query.bot.send_document(staff.telegram_id, BufferedInputFile(built.data,
                                  built.file_name), caption=caption[:1024])


async def on_upload(query: CallbackQuery, texts: Texts, campaign: Campaign,
                    state: FSMContext) -> None:
    """📥 导入: wait for the edited file."""
    await query.answer()
    await state.set_state(StaffExport.upload)
    await state.update_data({SLUG_KEY: campaign.slug})
    await show(query, texts("import.ask", campaign=campaign.name, mb=MAX_BYTES // 1024 // 1024),
               markup(home_row(texts)))


async def on_not_a_file(message: Message, texts: Texts) -> None:
    """Anything but a document while waiting for the file."""
    await message.answer(texts("import.ask_again"))


async def on_document(message: Message, bot: Bot, texts: Texts, catalogue: Catalogue,
                      staff: Access, session: AsyncSession, settings: Settings, clock: Clock,
                      state: FSMContext) -> None:
    """The edited file: refuse it whole, or store a preview with 确认导入 / 取消."""
    wanted = (await state.get_data()).get(SLUG_KEY) if await state.get_state() else None
    try:
        campaign, preview, name, statuses = await _judge(message, bot, texts, catalogue, staff,
                                                         session, settings, wanted)
    except ImportFileError as error:
        await message.answer(texts(f"import.file.{error.code}", **error.values))
        return
    await leave_flow(state, SLUG_KEY)
    base, _ = scope_of(staff, campaign.slug)
    item = None
    if preview.changes:
        item = await imports.create(
            session, campaign_slug=campaign.slug, actor_id=staff.telegram_id, scope_base=base,
            file_name=name, changes=[vars(c) for c in preview.changes],
            refusals=[vars(r) for r in preview.refusals], unchanged=preview.unchanged,
            now=clock.now())
    text = xlsx_report.preview_text(texts, campaign, preview, statuses, clock.now())
    keyboard = markup([button(texts("import.button.confirm"), "xok", item.id or 0),
                       button(texts("import.button.cancel"), "xno", item.id or 0)]) \
        if item is not None else markup(home_row(texts))
    await message.answer(text, reply_markup=keyboard)


async def _judge(message: Message, bot: Bot, texts: Texts, catalogue: Catalogue, staff: Access,
                 session: AsyncSession, settings: Settings, wanted: str | None
                 ) -> tuple[Campaign, Preview, str, dict[str, str]]:
    document = message.document
    assert document is not None
    name = document.file_name or "file"
    if not name.lower().endswith(".xlsx"):
        raise ImportFileError("not_xlsx")
    if (document.file_size or 0) > MAX_BYTES:
        raise ImportFileError("too_big", size=round((document.file_size or 0) / 2**20, 1))
    buffer = io.BytesIO()
    try:
        await bot.download(document.file_id, destination=buffer)
    except TelegramBadRequest as error:  # gone from Telegram's servers, or over its 20 MB
        logger.warning("xlsx upload not downloadable: %s", error)
        raise ImportFileError("download") from error
    # Reading and checking 20,000 rows takes seconds of CPU: off the event loop.
    parsed = await asyncio.to_thread(
        read_file, buffer.getvalue(), texts=texts,
        columns_of=lambda slug, table_id: columns_of(texts, catalogue, slug, table_id))
    campaign = catalogue.get(parsed.campaign_slug)
    if campaign is None:
        raise ImportFileError("unknown_campaign")
    if wanted and wanted != campaign.slug:
        raise ImportFileError("other_campaign", campaign=catalogue.get(wanted).name
                              if wanted and catalogue.get(wanted) else "")
    if not staff.reaches(campaign.slug):
        raise ImportFileError("not_yours")
    base, _ = scope_of(staff, campaign.slug)
    vault = vault_for(settings)
    found = await imports.by_receipt(session, campaign_slug=campaign.slug)

    def id_matches(registration: Any, cell: str) -> bool:
        return cell == registration.id_masked or vault.hash_id(cell) == registration.id_hash

    preview = await asyncio.to_thread(validate, parsed, registrations=found, texts=texts,
                                      scope_base=base, id_matches=id_matches)
    return campaign, preview, html.unescape(name), {r: x.status for r, x in found.items()}


async def on_confirm(query: CallbackQuery, texts: Texts, campaign: Campaign, staff: Access,
                     session: AsyncSession, clock: Clock,
                     status_import: imports.StatusImport) -> None:
    """确认导入: apply once; a stale or second press says what happened instead."""
    now = clock.now()
    stale = xlsx_report.stale_text(texts, status_import, now)
    if stale is not None:
        await query.answer(stale, show_alert=True)
        return
    result = await imports.confirm(session, item=status_import, campaign=campaign, texts=texts,
                                   actor_role=staff.role_in(campaign.slug) or "", now=now)
    if result is None:
        await query.answer(xlsx_report.stale_text(texts, status_import, now) or "",
                           show_alert=True)
        return
    await query.answer(texts("import.applied_short", count=len(result.changed)))
    found = await imports.by_receipt(session, campaign_slug=campaign.slug)
    text, attachment = xlsx_report.result_text(texts, campaign, status_import, result.changed,
                                               {r: x.status for r, x in found.items()})
    await show(query, text, markup(home_row(texts)))
    if attachment is not None:
        name = f"{texts('import.txt_name')}-{now:%Y%m%d-%H%M}.txt"
        await query.bot.send_document(staff.telegram_id, BufferedInputFile(attachment, name),
                                      caption=texts("import.refusals_caption"))


async def on_cancel(query: CallbackQuery, texts: Texts, session: AsyncSession, clock: Clock,
                    status_import: imports.StatusImport) -> None:
    stale = xlsx_report.stale_text(texts, status_import, clock.now())
    if stale is not None or not await imports.cancel(session, item=status_import,
                                                     now=clock.now()):
        await query.answer(stale or texts("import.stale.applied"), show_alert=True)
        return
    await query.answer()
    await show(query, texts("import.cancelled"), markup(home_row(texts)))


def build_router() -> Router:
    router = Router(name="staff.export")
    router.callback_query.register(on_menu, StaffCb.filter(F.action == "exp"))
    router.callback_query.register(on_export, StaffCb.filter(F.action.in_({"xd", "xt"})))
    router.callback_query.register(on_upload, StaffCb.filter(F.action == "xu"))
    router.callback_query.register(on_confirm, StaffCb.filter(F.action == "xok"))
    router.callback_query.register(on_cancel, StaffCb.filter(F.action == "xno"))
    # Outside any other staff flow (an announcement may well be an XLSX: not ours then).
    router.message.register(on_document, StateFilter(None, StaffExport.upload),
                            F.chat.type == "private", F.document)
    router.message.register(on_not_a_file, StaffExport.upload)
    return router
