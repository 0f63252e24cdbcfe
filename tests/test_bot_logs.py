"""Driver loggers stay quiet even at DEBUG: they would log SQL parameters (personal data)."""

from __future__ import annotations

import logging

from bot.logs import setup_logging


def test_driver_loggers_stay_at_warning_at_debug_level() -> None:
    root = logging.getLogger()
    before = root.level
    try:
        setup_logging("DEBUG")
        assert root.level == logging.DEBUG
        for name in ("aiosqlite", "sqlalchemy.engine"):
            assert not logging.getLogger(name).isEnabledFor(logging.INFO)
    finally:
        root.setLevel(before)
