"""Shared fixtures: databases (tests/db.py) and the chat harness (tests/harness.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.db import *  # noqa: F403 - fixtures
from tests.harness import Harness


@pytest.fixture
async def harness(db_url: str, tmp_path) -> AsyncIterator[Harness]:  # noqa: F811
    """The bot on a fresh database, clock at 2023-05-10 10:00 Shanghai (Xiaogan's window)."""
    h = await Harness.create(db_url, var_dir=tmp_path / "var")
    yield h
    await h.close()
