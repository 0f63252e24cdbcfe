"""Shared fixtures: databases (tests/db.py), the chat harness (tests/harness.py), and a staffed
bot (tests/staff_helpers.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from content.catalogue import Catalogue, load_catalogue
from content.schema import Campaign
from tests.db import *  # noqa: F403 - fixtures
from tests.harness import Harness
from tests.staff_helpers import staffed  # noqa: F401 - a fixture for the staff tests
from tests.wechat_chat import wechat  # noqa: F401 - a fixture for the WeChat tests


@pytest.fixture
async def harness(db_url: str, tmp_path) -> AsyncIterator[Harness]:  # noqa: F811
    """The bot on a fresh database, clock at 2023-05-10 10:00 Shanghai (Xiaogan's window)."""
    h = await Harness.create(db_url, var_dir=tmp_path / "var")
    yield h
    await h.close()


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    """The bundled campaigns (frozen models: safe to share)."""
    return load_catalogue()


@pytest.fixture(scope="session")
def xiaogan(catalogue: Catalogue) -> Campaign:
    campaign = catalogue.get("xiaogan-2023")
    assert campaign is not None
    return campaign


@pytest.fixture(scope="session")
def fujian(catalogue: Catalogue) -> Campaign:
    campaign = catalogue.get("fujian-2023")
    assert campaign is not None
    return campaign
