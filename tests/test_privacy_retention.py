"""Retention (issue 14, finding 7): a campaign's personal data goes `retention_days_after_close`
days after its last date, the audit log is anonymised and kept, unfinished forms go after 30
days; `zhaolu purge [--dry-run]` and the scheduler's daily job do it."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select

from bot.scheduler import PURGE_JOB_ID, purge_job, start_scheduler
from storage import delivery as ledger
from storage import inbox
from storage.audit import AuditEntry
from storage.eligibility import save_check
from storage.models import FsmRecord, User
from storage.records import change_status
from storage.registrations import Registration
from storage.retention import TABLES, anonymise, run_purge
from tests.harness import Harness
from tests.registration_helpers import id_number
from tests.test_cli_stats import zhaolu
from tests.test_delivery_scheduler import _running_jobs_done
from tests.test_registration_my import register_xiaogan

FUJIAN_NOW = datetime.fromisoformat("2023-07-10T10:00:00+08:00")
AFTER_XIAOGAN = datetime.fromisoformat("2024-07-01T00:00:00+08:00")  # Xiaogan's 365 days over
BEFORE_XIAOGAN = datetime.fromisoformat("2024-06-28T12:00:00+08:00")


async def _world(h: Harness) -> None:
    """1001 pre-registered in Xiaogan with everything around it; 1002 in Fujian; 1003 left a
    Fujian form half-way; 1004 only chose Xiaogan."""
    await h.send("/start xiaogan-2023")
    await h.press("🔔 开启报名提醒")
    await register_xiaogan(h)
    await h.send("宿舍能带宠物吗")  # unanswered
    await h.send("/start xiaogan-2023", user=1004)
    now = h.clock.now()
    async with h.services.sessionmaker() as session:
        await save_check(session, user_id=1001, campaign_slug="xiaogan-2023",
                         profile={"birth_date": "1999-01-01"}, verdict="eligible", rules=[],
                         now=now)
        await change_status(session, registration=await session.get(Registration, 1),
                            status="review_passed", reason=None, actor_id=5005, actor_label="",
                            actor_role="admin", now=now)
        thread = await inbox.open_thread(session, campaign_slug="xiaogan-2023", user_id=1001,
                                         base_id=None, label="张三", now=now)
        await inbox.add_message(session, thread=thread, direction="in", kind="text",
                                text="宿舍几人间", now=now)
        await session.commit()
    h.clock.set(FUJIAN_NOW)
    await h.send("/start fujian-2023", user=1002)
    await h.send("/register", user=1002)
    await h.press("✅ 同意并开始", user=1002)
    await h.press("✅ 同意提供身份证号", user=1002)
    for answer in ("李四", id_number("42098119980505123"), "13812345678",
                   "福建卫生职业技术学院", "2022"):
        await h.send(answer, user=1002)
    for label in ("专科（高职高专）", "临床医学", "未取得执业资格", "社会人", "接受调剂",
                  "✅ 确认提交"):
        await h.press(label, user=1002)
    await h.send("/start fujian-2023", user=1003)
    await h.send("/register", user=1003)
    await h.press("✅ 同意并开始", user=1003)
    await h.press("✅ 同意提供身份证号", user=1003)
    await h.send("王五", user=1003)


async def _count(h: Harness, column) -> list:
    async with h.services.sessionmaker() as session:
        return list((await session.exec(select(column))).scalars().all())


async def test_a_campaign_past_its_period_is_purged_the_audit_kept_anonymous(
        harness: Harness) -> None:
    await _world(harness)
    campaigns = harness.services.catalogue.all()
    # Before the period ends nothing of Xiaogan goes; the half-way form (30 days silent) does.
    report, found, _ = await run_purge(harness.services.sessionmaker, campaigns,
                                       BEFORE_XIAOGAN)
    assert not any(p.due for p in found) and report.counts["registrations"] == 0
    assert report.counts["fsm_records"] >= 1
    assert sorted(await _count(harness, Registration.user_id)) == [1001, 1002]
    assert 1003 not in await _count(harness, FsmRecord.user_id)
    assert 1003 in await _count(harness, User.id)  # Fujian is still within its period

    dry, _, _ = await run_purge(harness.services.sessionmaker, campaigns, AFTER_XIAOGAN,
                                dry_run=True)
    assert dry.counts["registrations"] == 1 and dry.counts["audit_log"] == 1
    assert sorted(await _count(harness, Registration.user_id)) == [1001, 1002]  # rolled back

    report, found, _ = await run_purge(harness.services.sessionmaker, campaigns, AFTER_XIAOGAN)
    assert [p.slug for p in found if p.due] == ["xiaogan-2023"]
    assert report.counts == dry.counts
    for table in ("registrations", "eligibility_checks", "unanswered_questions",
                  "inbox_messages", "inbox_threads", "subscriptions", "audit_log"):
        assert report.counts[table] >= 1, table
    assert await _count(harness, Registration.user_id) == [1002]
    users = await _count(harness, User.id)
    assert 1001 not in users and 1004 not in users and 1002 in users and 1003 in users
    details = await _count(harness, AuditEntry.detail)
    assert any("XG2023-****" in d for d in details)
    assert not any("XG2023-0001" in d for d in details)
    again, _, _ = await run_purge(harness.services.sessionmaker, campaigns, AFTER_XIAOGAN)
    assert again.total == 0  # idempotent


async def test_the_ledger_of_a_purged_campaign_goes(harness: Harness) -> None:
    await harness.send("/start xiaogan-2023")
    async with harness.services.sessionmaker() as session, session.begin():
        await ledger.enqueue(session, key="rm:xg:test", kind="reminder",
                             campaign_slug="xiaogan-2023", text="提醒", recipients=[1001],
                             now=harness.clock.now())
    report, _, _ = await run_purge(harness.services.sessionmaker,
                                   harness.services.catalogue.all(), AFTER_XIAOGAN)
    assert report.counts["deliveries"] == 1 and report.counts["messages"] == 1


def test_anonymise_hides_receipts_only() -> None:
    assert anonymise("XG2023-0012 pre_registered->admitted source=chat") == \
        "XG2023-**** pre_registered->admitted source=chat"
    assert anonymise("thread #12 message #3") == "thread #12 message #3"


async def test_zhaolu_purge_prints_each_table(db_url: str, tmp_path: Path) -> None:
    h = await Harness.create(db_url, var_dir=tmp_path / "var")
    await register_xiaogan(h)
    await h.close()
    done = zhaolu("purge", "--db", db_url, "--now", AFTER_XIAOGAN.isoformat(), "--dry-run")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "purge at 2024-07-01T00:00+08:00 (dry run: nothing changed)"
    assert ("campaign xiaogan-2023: last date 2023-06-30, 365 days, purge from 2024-06-29: "
            "would be purged") in lines
    assert [line.split()[0] for line in lines if line.split()[0] in TABLES] == list(TABLES)
    assert "registrations           deleted     1" in lines
    done = zhaolu("purge", "--db", db_url, "--now", AFTER_XIAOGAN.isoformat(), "--jsonl")
    result = json.loads(done.stdout)
    assert result["dry_run"] is False and result["total"] >= 1
    assert {"table": "audit_log", "action": "anonymised", "rows": 0} in result["tables"]
    h = await Harness.create(db_url, var_dir=tmp_path / "var")
    async with h.services.sessionmaker() as session:
        assert (await session.exec(select(func.count()).select_from(Registration))
                ).scalar_one() == 0
    await h.close()


async def test_the_scheduler_purges_daily_and_at_start(harness: Harness) -> None:
    await register_xiaogan(harness)
    harness.clock.set(AFTER_XIAOGAN)
    scheduler = start_scheduler(harness.services, harness.bot, seconds=3600)
    try:
        job = scheduler.get_job(PURGE_JOB_ID)
        assert str(job.trigger).startswith("cron[") and "hour='3'" in str(job.trigger)
        assert job.misfire_grace_time is None and job.coalesce
        for _ in range(250):  # the first run is at start
            if not await _count(harness, Registration.id):
                break
            await asyncio.sleep(0.02)
        await _running_jobs_done()
    finally:
        scheduler.shutdown(wait=False)
    assert await _count(harness, Registration.id) == []
    assert (await purge_job(harness.services)).total == 0
