"""With ZHAOLU_REDIS_URL the conversation state lives in Redis and survives a restart."""

from __future__ import annotations

from pathlib import Path

from aiogram.fsm.storage.redis import RedisStorage

from tests.harness import Harness


async def test_a_half_done_check_resumes_after_a_restart_on_redis(
        db_url: str, redis_url: str, redis_prefix: str, tmp_path: Path) -> None:
    harness = await Harness.create(db_url, var_dir=tmp_path / "var", redis_url=redis_url,
                                   redis_prefix=redis_prefix)
    try:
        assert isinstance(harness.dispatcher.storage, RedisStorage)
        await harness.send("/start xiaogan-2023")
        await harness.send("/check")
        await harness.press("专科（高职高专、大专）")
        await harness.press("临床医学")
        harness = await harness.restart()
        calls = await harness.send("/check")
        assert "还没有完成" in calls.text and "出生日期" in calls.text
        assert "执业" in (await harness.send("1998-03-15")).text
    finally:
        await harness.close()
