"""The key against the database (issue 14, finding 1): fingerprint recorded, a lost, changed or
malformed key stops the start (exit 3, one line), `zhaolu keys rotate` and `zhaolu keys check`,
the key file's place fixed by ZHAOLU_VAR_DIR. Commands run as real processes where it matters."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import select

from bot.settings import CHECKOUT, Settings
from storage import registrations as repo
from storage.crypto import KEY_EXIT_CODE, KeyProblem, Vault, VaultError, key_path, vault_for
from storage.engine import create_engine, make_sessionmaker, prepare_database
from storage.keys import KeyFingerprint, check, open_vault, rotate
from storage.models import FsmRecord
from storage.update_inbox import NewUpdate, UpdateRecord, record
from storage.users import touch_user
from tests.db import sqlite_url
from tests.registration_helpers import applicant, id_number

NOW = datetime.fromisoformat("2023-05-10T10:00:00+08:00")
OTHER = id_number("42090219980202123")
ENV_KEY = "an environment key, long enough"


def settings(tmp_path: Path, db_url: str, key: str | None = None) -> Settings:
    return Settings(var_dir=tmp_path / "var", database_url=db_url, secret_key=key)


async def _open(config: Settings) -> Vault:
    engine = create_engine(config.effective_database_url)
    try:
        await prepare_database(engine)
        async with make_sessionmaker(engine)() as session, session.begin():
            return await open_vault(session, config, NOW)
    finally:
        await engine.dispose()


async def _seed(config: Settings, *, form: bool = False) -> Vault:
    """Start once (a key is made or checked), then two registrations (one withdrawn) and, with
    `form`, a form in progress holding an encrypted ID number."""
    vault = await _open(config)
    engine = create_engine(config.effective_database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            for user, number in ((1, id_number()), (2, OTHER)):
                await touch_user(session, user_id=user, first_name="x", last_name=None,
                                 username=None, now=NOW)
                outcome = await repo.create(
                    session, vault=vault, campaign_slug="xiaogan-2023", receipt_prefix="XG2023",
                    user_id=user, applicant=applicant(id_number=number), verdict="eligible",
                    conditions=[], now=NOW)
            await repo.set_status(session, registration=outcome.registration,
                                  status=repo.WITHDRAWN, now=NOW)
            if form:
                token = vault.encrypt(id_number("11010519491231002"))
                data = {"rg": {"answers": {"id_cipher": token}}}
                session.add(FsmRecord(key="42:::3::3:default", chat_id=3, user_id=3,
                                      data=json.dumps(data)))
            await session.commit()
    finally:
        await engine.dispose()
    return vault


async def _rows(db_url: str) -> list[dict]:
    engine = create_engine(db_url)
    try:
        async with engine.connect() as connection:
            found = await connection.execute(text(
                "SELECT id_cipher, id_hash, active_id_hash FROM registrations ORDER BY id"))
            return [dict(r) for r in found.mappings().all()]
    finally:
        await engine.dispose()


async def test_first_start_makes_a_private_key_file_and_records_its_fingerprint(
    tmp_path: Path, db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    old = os.umask(0)  # the most permissive umask: the file is 0600 anyway
    try:
        with caplog.at_level(logging.DEBUG):
            vault = await _open(settings(tmp_path, db_url))
    finally:
        os.umask(old)
    key_file = tmp_path / "var" / "secret.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "var").stat().st_mode & 0o777 == 0o700
    assert str(key_file) in caplog.text and key_file.read_text().strip() not in caplog.text
    engine = create_engine(db_url)
    async with make_sessionmaker(engine)() as session:
        row = await session.get(KeyFingerprint, 1)
    await engine.dispose()
    assert row is not None and row.fingerprint == vault.fingerprint
    assert key_file.read_text().strip() not in row.fingerprint
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        again = await _open(settings(tmp_path, db_url))
    assert again.fingerprint == vault.fingerprint and "created" not in caplog.text


async def test_a_lost_key_file_stops_the_start_and_no_new_key_is_made(
    tmp_path: Path, db_url: str
) -> None:
    config = settings(tmp_path, db_url)
    await _seed(config)
    key_path(config).unlink()
    with pytest.raises(KeyProblem) as refused:
        await _open(config)
    assert refused.value.kind == "missing" and "\n" not in refused.value.line
    assert "密钥缺失" in refused.value.line and "key missing" in refused.value.line
    assert not key_path(config).exists()


async def test_another_key_stops_the_start(tmp_path: Path, db_url: str) -> None:
    vault = await _seed(settings(tmp_path, db_url))
    with pytest.raises(KeyProblem) as refused:
        await _open(settings(tmp_path, db_url, key=ENV_KEY))
    assert refused.value.kind == "different"
    assert vault.short in refused.value.line and Vault(ENV_KEY.encode()).short in refused.value.line
    (tmp_path / "var" / "secret.key").write_text("another key file, long enough\n")
    with pytest.raises(KeyProblem, match="key mismatch"):
        await _open(settings(tmp_path, db_url))


async def test_a_form_in_progress_alone_counts_as_encrypted_data(
    tmp_path: Path, db_url: str
) -> None:
    config = settings(tmp_path, db_url)
    vault = await _open(config)
    engine = create_engine(db_url)
    async with make_sessionmaker(engine)() as session:
        session.add(FsmRecord(key="k", chat_id=3, user_id=3, data=json.dumps(
            {"rg": {"answers": {"id_cipher": vault.encrypt(id_number())}}})))
        await session.commit()
    await engine.dispose()
    with pytest.raises(KeyProblem, match="key mismatch"):
        await _open(settings(tmp_path, db_url, key=ENV_KEY))


async def test_a_database_without_encrypted_data_takes_a_new_key(
    tmp_path: Path, db_url: str
) -> None:
    await _open(settings(tmp_path, db_url))
    vault = await _open(settings(tmp_path, db_url, key=ENV_KEY))
    engine = create_engine(db_url)
    async with make_sessionmaker(engine)() as session:
        row = await session.get(KeyFingerprint, 1)
    await engine.dispose()
    assert row is not None and row.fingerprint == vault.fingerprint


async def test_a_database_from_before_fingerprints_is_checked_by_its_data(
    tmp_path: Path, db_url: str
) -> None:
    config = settings(tmp_path, db_url)
    vault = await _seed(config)
    engine = create_engine(db_url)
    async with engine.begin() as connection:
        await connection.execute(text("DELETE FROM key_fingerprint"))
    await engine.dispose()
    with pytest.raises(KeyProblem, match="key mismatch"):
        await _open(settings(tmp_path, db_url, key=ENV_KEY))
    assert (await _open(config)).fingerprint == vault.fingerprint  # the right key: recorded


@pytest.mark.parametrize(("raw", "why"), [
    (b"", "is empty"), (b"  \n", "is empty"), (b"too short", "shorter than 16"),
    (b"\xff\xfe not utf-8 at all....", "not UTF-8"),
    (b"two lines of key\nsecond line here", "line breaks or control"),
])
async def test_a_malformed_key_file_fails_at_start(
    tmp_path: Path, raw: bytes, why: str
) -> None:
    config = settings(tmp_path, sqlite_url(tmp_path))
    (tmp_path / "var").mkdir()
    key_path(config).write_bytes(raw)
    with pytest.raises(KeyProblem, match=why) as refused:
        await _open(config)  # an empty database: the start itself refuses
    assert refused.value.kind == "malformed" and "密钥格式错误" in refused.value.line


@pytest.mark.parametrize("key", ["short", "a tab\tinside a long enough key"])
async def test_a_malformed_environment_key_fails_at_start(tmp_path: Path, key: str) -> None:
    with pytest.raises(KeyProblem, match="ZHAOLU_SECRET_KEY"):
        await _open(settings(tmp_path, sqlite_url(tmp_path), key=key))


async def test_rotate_re_encrypts_and_re_hashes_every_row_and_form(
    tmp_path: Path, db_url: str
) -> None:
    config = settings(tmp_path, db_url)
    old = await _seed(config, form=True)
    before = await _rows(db_url)
    new = Vault(b"the brand new key, long enough")
    engine = create_engine(db_url)
    async with make_sessionmaker(engine)() as session, session.begin():
        waiting = NewUpdate(7, 555, old.encrypt('{"update_id": 7}'))  # a stopped bot's inbox
        await record(session, channel="telegram", rows=[waiting], now=NOW, worker=None,
                     lease_until=None)
    async with make_sessionmaker(engine)() as session, session.begin():
        outcome = await rotate(session, old=old, new=new, now=NOW)
    assert (outcome.registrations, outcome.forms, outcome.failures) == (2, 1, [])
    async with make_sessionmaker(engine)() as session:
        row = await session.get(UpdateRecord, ("telegram", 7))
        assert outcome.updates == 1 and row is not None
        assert new.decrypt(row.payload or "") == '{"update_id": 7}'
    after = await _rows(db_url)
    assert [new.decrypt(r["id_cipher"]) for r in after] == [id_number(), OTHER]
    assert [r["id_hash"] for r in after] == [new.hash_id(id_number()), new.hash_id(OTHER)]
    assert [r["active_id_hash"] for r in after] == [new.hash_id(id_number()), None]
    assert all(r["id_hash"] != b["id_hash"] for r, b in zip(after, before, strict=True))
    with pytest.raises(VaultError):
        old.decrypt(after[0]["id_cipher"])
    async with make_sessionmaker(engine)() as session:
        form = (await session.exec(select(FsmRecord))).one()
        token = json.loads(form.data)["rg"]["answers"]["id_cipher"]
        assert new.decrypt(token) == id_number("11010519491231002")
        assert (await check(session, new)).failures == []
        assert len((await check(session, old)).failures) == 3
    await engine.dispose()
    assert (await _open(settings(tmp_path, db_url, key="the brand new key, long enough"))
            ).fingerprint == new.fingerprint
    with pytest.raises(KeyProblem, match="key mismatch"):
        await _open(config)  # the old key file no longer fits


async def test_rotate_from_a_key_that_is_not_the_databases_changes_nothing(
    tmp_path: Path, db_url: str
) -> None:
    await _seed(settings(tmp_path, db_url))
    before = await _rows(db_url)
    engine = create_engine(db_url)
    with pytest.raises(KeyProblem, match="key mismatch"):
        async with make_sessionmaker(engine)() as session, session.begin():
            await rotate(session, old=Vault(ENV_KEY.encode()), new=Vault(b"x" * 20), now=NOW)
    await engine.dispose()
    assert await _rows(db_url) == before


async def test_check_names_a_row_that_does_not_decrypt(tmp_path: Path, db_url: str) -> None:
    vault = await _seed(settings(tmp_path, db_url))
    engine = create_engine(db_url)
    async with engine.begin() as connection:
        await connection.execute(text(
            "UPDATE registrations SET id_cipher = :c WHERE user_id = 2"),
            {"c": Vault(ENV_KEY.encode()).encrypt(OTHER)})
    async with make_sessionmaker(engine)() as session:
        outcome = await check(session, vault)
    await engine.dispose()
    assert outcome.registrations == 1
    assert outcome.failures == [("registration 2 (XG2023-0002)", "does not decrypt")]


def test_the_var_dir_does_not_follow_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ZHAOLU_VAR_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    config = Settings(database_url="postgresql+asyncpg://u@h/db")
    assert config.var_dir == CHECKOUT / "var" and key_path(config).is_absolute()
    monkeypatch.chdir(CHECKOUT / "bot")
    assert key_path(Settings(database_url="postgresql+asyncpg://u@h/db")) == key_path(config)
    assert Settings(var_dir=Path("~/zl")).var_dir == Path.home() / "zl"
    with pytest.raises(ValueError, match="absolute"):
        Settings(var_dir=Path("var"))


async def test_a_key_file_changed_while_running_changes_nothing_until_restart(
    tmp_path: Path
) -> None:
    config = settings(tmp_path, sqlite_url(tmp_path))
    vault = await _open(config)
    key_path(config).unlink()
    assert vault_for(config) is vault  # never a new key behind the start's back


# Real processes: the command line as an operator meets it.

def zhaolu(tmp_path: Path, *args: str, key: str | None = None, cwd: Path | None = None,
           **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items()
               if not k.startswith("ZHAOLU_") or k.startswith("ZHAOLU_TEST_")}
    environ |= {"ZHAOLU_VAR_DIR": str(tmp_path / "var"),
                "ZHAOLU_DATABASE_URL": sqlite_url(tmp_path), **env}
    if key is not None:
        environ["ZHAOLU_SECRET_KEY"] = key
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], env=environ, text=True,
                          capture_output=True, timeout=120, cwd=cwd or CHECKOUT, input="")


def one_line_refusal(done: subprocess.CompletedProcess[str], marker: str) -> None:
    assert done.returncode == KEY_EXIT_CODE, done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert marker in done.stderr


async def test_processes_refuse_a_changed_or_lost_key_with_exit_3(tmp_path: Path) -> None:
    config = settings(tmp_path, sqlite_url(tmp_path))
    await _seed(config)
    out = tmp_path / "list.csv"
    for args in (("export", "--campaign", "xiaogan-2023", "--format", "csv", "--out", str(out)),
                 ("keys", "check"), ("shell", "--now", "2023-05-10T10:00:00+08:00")):
        one_line_refusal(zhaolu(tmp_path, *args, key=ENV_KEY), "key mismatch")
    assert not out.exists()
    key_path(config).rename(tmp_path / "kept.key")
    one_line_refusal(zhaolu(tmp_path, "run"), "key missing")
    assert not key_path(config).exists()  # no new key was made


def test_processes_refuse_a_malformed_key_at_start(tmp_path: Path) -> None:
    done = zhaolu(tmp_path, "keys", "check", key="short")
    one_line_refusal(done, "malformed key: ZHAOLU_SECRET_KEY is shorter than 16 bytes")
    done = zhaolu(tmp_path, "migrate", ZHAOLU_VAR_DIR="var")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip() == ("zhaolu migrate: ZHAOLU_VAR_DIR: must be an absolute path "
                                   "(got 'var'): a relative one would move with the working "
                                   "directory")


async def test_rotate_and_check_as_an_operator_runs_them(tmp_path: Path) -> None:
    config = settings(tmp_path, sqlite_url(tmp_path))
    old = await _seed(config)
    new_file = tmp_path / "new.key"
    done = zhaolu(tmp_path, "keys", "generate", str(new_file))
    assert done.returncode == 0 and new_file.stat().st_mode & 0o777 == 0o600
    assert zhaolu(tmp_path, "keys", "generate", str(new_file)).returncode == 2
    new = Vault(new_file.read_bytes().strip())
    done = zhaolu(tmp_path, "keys", "rotate", "--new", str(new_file))
    assert done.returncode == 0, done.stderr
    assert f"rotated 2 registrations and 0 forms in progress from key {old.short} to key " \
           f"{new.short}" in done.stdout
    assert key_path(config).read_bytes().strip() == new_file.read_bytes().strip()
    kept = list((tmp_path / "var").glob("secret.key.*.old"))
    assert len(kept) == 1 and Vault(kept[0].read_bytes().strip()).fingerprint == old.fingerprint
    assert kept[0].stat().st_mode & 0o777 == 0o600
    done = zhaolu(tmp_path, "keys", "check")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == ("2 registrations and 0 forms in progress decrypt and "
                                            "hash with this key; 0 do not")
    out = tmp_path / "list.csv"
    done = zhaolu(tmp_path, "export", "--campaign", "xiaogan-2023", "--format", "csv",
                  "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert id_number() in out.read_text(encoding="utf-8-sig")
    # Rotating again from the old key: refused, nothing changes.
    again = tmp_path / "again.key"
    zhaolu(tmp_path, "keys", "generate", str(again))
    done = zhaolu(tmp_path, "keys", "rotate", "--old", str(kept[0]), "--new", str(again))
    one_line_refusal(done, "key mismatch")
    assert zhaolu(tmp_path, "keys", "check").returncode == 0


def test_rotate_and_check_reach_forms_in_progress_kept_in_redis(
    tmp_path: Path, redis_url: str, redis_prefix: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import asyncio

    from redis.asyncio import Redis

    from bot.cli import main

    config = settings(tmp_path, sqlite_url(tmp_path))
    old = asyncio.run(_seed(config))
    name = f"{redis_prefix}:42::7:7:default:data"
    form = {"rg": {"answers": {"id_cipher": old.encrypt(OTHER)}}}

    async def redis(*command: str) -> object:
        client = Redis.from_url(redis_url)
        try:
            return await client.execute_command(*command)
        finally:
            await client.aclose()

    asyncio.run(redis("SET", name, json.dumps(form), "EX", "3600"))
    for variable, value in {"ZHAOLU_VAR_DIR": str(tmp_path / "var"),
                            "ZHAOLU_DATABASE_URL": sqlite_url(tmp_path),
                            "ZHAOLU_REDIS_URL": redis_url,
                            "ZHAOLU_REDIS_PREFIX": redis_prefix}.items():
        monkeypatch.setenv(variable, value)
    monkeypatch.delenv("ZHAOLU_SECRET_KEY", raising=False)
    new_file = tmp_path / "new.key"
    assert main(["keys", "generate", str(new_file)]) == 0
    assert main(["keys", "rotate", "--new", str(new_file)]) == 0
    assert "rotated 2 registrations and 1 forms in progress" in capsys.readouterr().out
    new = Vault(new_file.read_bytes().strip())
    kept = json.loads(asyncio.run(redis("GET", name)))
    assert new.decrypt(kept["rg"]["answers"]["id_cipher"]) == OTHER
    assert 0 < int(asyncio.run(redis("TTL", name))) <= 3600  # its expiry kept
    assert main(["keys", "check"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("2 registrations and 1 forms")
