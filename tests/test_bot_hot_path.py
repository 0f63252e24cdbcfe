"""What bot/hot_path.py takes off every update: filters checked in threads, and the pydantic
model of a Bot API answer rebuilt after each garbage collection. Through the real Dispatcher and
a real Bot against the loopback Bot API."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pydantic._internal import _generics

from bot.serve import build_indexes
from content import qa
from tests.harness import Harness
from tests.live_bot import CONVERSATION, FAST, Live, converse, start


@pytest.fixture
async def live(db_url: str, tmp_path: Path) -> AsyncIterator[Live]:
    async for running in start(db_url, tmp_path, FAST):
        yield running


async def test_no_filter_of_a_conversation_goes_to_a_thread(
        live: Live, monkeypatch: pytest.MonkeyPatch) -> None:
    threaded: list[Any] = []
    real = asyncio.to_thread

    async def watched(function: Any, /, *args: Any, **kwargs: Any) -> Any:
        threaded.append(function)
        return await real(function, *args, **kwargs)

    monkeypatch.setattr(asyncio, "to_thread", watched)
    converse(live.telegram, [31])
    await live.replies([31], len(CONVERSATION))
    texts = await live.settled(31)
    assert any("报名" in text for text in texts)  # the question got its answer, not the fallback
    assert threaded == []


async def test_an_answers_model_is_built_once_per_method_not_after_each_collection(
        live: Live, monkeypatch: pytest.MonkeyPatch) -> None:
    converse(live.telegram, [41])  # sendMessage answered and read once at least
    await live.replies([41], len(CONVERSATION))
    await live.settled(41)
    built: list[Any] = []
    real = _generics.create_generic_submodel

    def watched(*args: Any, **kwargs: Any) -> Any:
        built.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(_generics, "create_generic_submodel", watched)
    gc.collect()
    converse(live.telegram, [42])
    await live.replies([42], len(CONVERSATION))
    await live.settled(42)
    assert [name for name in built if "Message" in name] == []


async def test_the_qa_indexes_are_built_at_start_not_at_the_first_question(
        harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    """Built before the start's gc.freeze (bot/serve.py), not by a worker's first question
    while its other updates wait."""
    monkeypatch.setattr(qa, "_KNOWLEDGE", {})
    build_indexes(harness.services)
    assert {campaign.slug for campaign, _, _ in qa._KNOWLEDGE.values()} == {
        campaign.slug for campaign in harness.services.catalogue.all()}
    built: list[object] = []
    monkeypatch.setattr(qa, "Knowledge", lambda *a, **k: built.append(a))
    await harness.send("/start xiaogan-2023")
    reply = await harness.send("报名截止是哪天")
    assert "6月30日" in reply.text and not built, reply.text
    # The input-method slips' index too: built at start, not by the first question with a slip.
    for campaign, _, kn in qa._KNOWLEDGE.values():
        assert kn.homophones._by_sound is not None, campaign.slug
