"""更多: long applicant messages shown one phone screen at a time (issue 12 §3).

Two kinds of pages, both edited in place with ‹ 上一页 / 更多 › under them:
- a menu section is rendered again from the campaign at the press (`mp:<slug>:<section>:<n>`),
  so its buttons never go stale while the campaign is served;
- any other message (a self-check verdict, a receipt, a long answer) keeps its pages in the
  user's FSM data under a short token (`pg:<token>:<n>`, the last few messages only); a press
  after they are gone (another device, /delete_my_data) gets a polite alert.
`paged()` is the one entry point for the second kind: give it the whole text and its keyboard,
send what it returns.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from aiogram import Router
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup

from bot.clock import Clock
from content.catalogue import Catalogue
from content.paging import split_pages
from content.texts import Texts

STORE_KEY = "pages"
KEEP = 4  # messages whose pages are kept per user


class PageCb(CallbackData, prefix="pg"):
    token: str
    page: int


class SectionPageCb(CallbackData, prefix="mp"):
    """A menu section's page; slug (≤ 32) and section (≤ 24) keep this ≤ 64 bytes."""

    slug: str
    section: str
    page: int


def page_view(texts: Texts, pages: list[str], page: int, markup: InlineKeyboardMarkup | None,
              pack: Callable[[int], str]) -> tuple[str, InlineKeyboardMarkup | None]:
    """Page `page` of `pages` with its count line, the page buttons above `markup`'s rows."""
    if len(pages) == 1:
        return pages[0], markup
    total = len(pages)
    text = pages[page] + "\n" + texts("paging.count", n=page + 1, total=total)
    row = []
    if page > 0:
        row.append(InlineKeyboardButton(text=texts("paging.prev"), callback_data=pack(page - 1)))
    if page < total - 1:
        row.append(InlineKeyboardButton(text=texts("paging.more", n=page + 2, total=total),
                                        callback_data=pack(page + 1)))
    rows = [row, *(markup.inline_keyboard if markup is not None else [])]
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


async def paged(state: FSMContext, texts: Texts, text: str,
                markup: InlineKeyboardMarkup | None = None,
                ) -> tuple[str, InlineKeyboardMarkup | None]:
    """The first page of `text` (the text itself when it fits one screen), the rest kept."""
    pages = split_pages(text)
    if len(pages) == 1:
        return text, markup
    token = hashlib.sha256(text.encode()).hexdigest()[:10]
    data = await state.get_data()
    store = {k: v for k, v in dict(data.get(STORE_KEY) or {}).items() if k != token}
    store[token] = {"pages": pages,
                    "markup": markup.model_dump(exclude_none=True) if markup else None}
    await state.update_data({STORE_KEY: dict(list(store.items())[-KEEP:])})
    return page_view(texts, pages, 0, markup, lambda n: PageCb(token=token, page=n).pack())


async def on_page(query: CallbackQuery, callback_data: PageCb, state: FSMContext,
                  texts: Texts) -> None:
    """更多 / 上一页 of a kept message; gone or out of range: say so, change nothing."""
    from handlers.menu import show

    kept = dict((await state.get_data()).get(STORE_KEY) or {}).get(callback_data.token)
    pages = kept["pages"] if kept else []
    if not 0 <= callback_data.page < len(pages):
        await query.answer(texts("paging.stale"), show_alert=True)
        return
    markup = (InlineKeyboardMarkup.model_validate(kept["markup"])
              if kept and kept.get("markup") else None)
    await query.answer()
    token = callback_data.token
    await show(query, *page_view(texts, pages, callback_data.page, markup,
                                 lambda n: PageCb(token=token, page=n).pack()))


def section_view(texts: Texts, text: str, page: int, markup: InlineKeyboardMarkup, slug: str,
                 section: str) -> tuple[str, InlineKeyboardMarkup | None] | None:
    """Page `page` of a rendered section, or None when it has no such page (a stale press)."""
    pages = split_pages(text)
    if not 0 <= page < len(pages):
        return None
    return page_view(texts, pages, page, markup,
                     lambda n: SectionPageCb(slug=slug, section=section, page=n).pack())


async def on_section_page(query: CallbackQuery, callback_data: SectionPageCb, texts: Texts,
                          catalogue: Catalogue, clock: Clock, **_: Any) -> None:
    from handlers.menu import section_page, show

    view = section_page(texts, catalogue, clock, callback_data.slug, callback_data.section,
                        callback_data.page)
    if view is None:
        await query.answer(texts("fallback.stale_button"), show_alert=True)
        return
    await query.answer()
    await show(query, *view)


def build_router() -> Router:
    router = Router(name="paging")
    router.callback_query.register(on_page, PageCb.filter())
    router.callback_query.register(on_section_page, SectionPageCb.filter())
    return router
