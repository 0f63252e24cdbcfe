"""`zhaolu keys generate FILE`, `zhaolu keys rotate --new FILE [--old FILE]`, `zhaolu keys check`.

generate: a new random key in FILE (mode 600; an existing file is never overwritten).
rotate: every encrypted ID number re-encrypted and re-hashed from the old key (default: the key in
use) to the new one, and the new fingerprint recorded, in one transaction; nothing changes if any
value does not decrypt with the old key. Forms in progress kept in Redis (ZHAOLU_REDIS_URL) are
rewritten after the commit. When the key in use is the key file under ZHAOLU_VAR_DIR, the new key
replaces it there and the old one is kept beside it as secret.key.<UTC time>.old.
check: the key in use against the recorded fingerprint, and every stored value decrypted and its
hash compared.
Exit codes: 0 fine; 1 some values do not decrypt or hash (rotate: nothing changed); 2 a usage
error (a key file missing, the new key equal to the old one); 3 the key is missing, malformed or
not the database's (storage.crypto.KEY_EXIT_CODE, as for every command). Imports no aiogram.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.settings import Settings, settings_for
from storage.crypto import (
    KeyProblem,
    Vault,
    VaultError,
    key_path,
    key_source,
    load_secret,
    new_key,
    parse_secret,
    read_key_file,
    write_key_file,
)

USAGE_ERROR = 2


def main(args: argparse.Namespace) -> int:
    return {"generate": _generate, "rotate": _rotate, "check": _check}[args.action](args)


def _generate(args: argparse.Namespace) -> int:
    path = Path(args.file).expanduser()
    if path.exists():
        print(f"{path} exists: not overwritten", file=sys.stderr)
        return USAGE_ERROR
    key = new_key()
    write_key_file(path, key)
    print(f"wrote a new key to {path} (mode 600, fingerprint {Vault(key).short})")
    return 0


def _key_file(given: str, what: str) -> Vault | None:
    path = Path(given).expanduser()
    secret = read_key_file(path)
    if secret is None:
        print(f"{what} key file {path} does not exist"
              + (" (make one with `zhaolu keys generate FILE`)" if what == "new" else ""),
              file=sys.stderr)
        return None
    return Vault(secret)


def _rotate(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    new = _key_file(args.new, "new")
    if new is None:
        return USAGE_ERROR
    if args.old:
        old = _key_file(args.old, "old")
        if old is None:
            return USAGE_ERROR
    else:
        secret = load_secret(settings)
        if secret is None:
            raise KeyProblem("missing", f"密钥缺失：找不到 {key_source(settings)}。 / key missing: "
                                        f"no key at {key_source(settings)}.")
        old = Vault(secret)
    if old.fingerprint == new.fingerprint:
        print("the new key is the old key: nothing to do", file=sys.stderr)
        return USAGE_ERROR
    url = args.db or settings.effective_database_url
    outcome = asyncio.run(_rotate_database(url, old, new))
    if outcome.failures:
        for where, why in outcome.failures:
            print(f"{where}: {why}", file=sys.stderr)
        print(f"nothing changed: {len(outcome.failures)} values do not decrypt with the old "
              f"key {old.short}", file=sys.stderr)
        return 1
    redis = asyncio.run(_redis_forms(settings, old, new)) if settings.redis_url else 0
    print(f"rotated {outcome.registrations} registrations and {outcome.forms + redis} forms in "
          f"progress from key {old.short} to key {new.short}")
    _install(settings, old, new, Path(args.new).expanduser())
    return 0


async def _rotate_database(url: str, old: Vault, new: Vault) -> Any:
    from storage import audit
    from storage.engine import one_session
    from storage.keys import rotate

    now = datetime.now(UTC)
    async with one_session(url) as session:
        async with session.begin():
            outcome = await rotate(session, old=old, new=new, now=now)
            if outcome.failures:
                await session.rollback()
                return outcome
            await audit.record(session, action="keys.rotate", now=now, actor=audit.CLI_ACTOR,
                               detail=f"key {old.short} -> {new.short}: registrations="
                                      f"{outcome.registrations} forms={outcome.forms}")
        return outcome


def _install(settings: Settings, old: Vault, new: Vault, new_file: Path) -> None:
    """Put the new key where the next start reads it, when that is the var key file."""
    if settings.secret_key is not None:
        print(f"set ZHAOLU_SECRET_KEY to the new key (the content of {new_file}) before the next "
              "start: the old key no longer fits the database")
        return
    path = key_path(settings)
    current = read_key_file(path)
    if current is None or Vault(current).fingerprint != old.fingerprint:
        print(f"{path} does not hold the old key: make the new key ({new_file}) the key in use "
              "before the next start")
        return
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    kept = path.with_name(f"{path.name}.{stamp}.old")
    path.rename(kept)
    write_key_file(path, parse_secret(new_file.read_bytes(), str(new_file)))
    print(f"{path} now holds the new key; the old key is kept in {kept}: keep it with the "
          "backups made before now (they need it), or destroy it")


async def _redis_forms(settings: Settings, old: Vault | None, new: Vault) -> int:
    """Forms in progress in Redis: re-encrypted to `new` (old given), or checked against `new`.
    A value `new` already reads is left as it is (a rotation run twice)."""
    from redis.asyncio import Redis

    from storage.keys import ciphers_in, recrypt

    def change(token: str) -> str:
        try:
            new.decrypt(token)
            return token
        except VaultError:
            if old is None:
                raise
            return new.encrypt(old.decrypt(token))

    count = 0
    client = Redis.from_url(settings.redis_url or "")
    try:
        async for name in client.scan_iter(match=f"{settings.redis_prefix}:*:data"):
            raw = await client.get(name)
            data = json.loads(raw) if raw else {}
            if not any(True for _ in ciphers_in(data)):
                continue
            changed = recrypt(data, change)
            if changed != data:
                await client.set(name, json.dumps(changed), keepttl=True)
            count += 1
    finally:
        await client.aclose()
    return count


def _check(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    url = args.db or settings.effective_database_url
    secret = load_secret(settings)
    recorded, outcome, vault = asyncio.run(_check_database(url, secret))
    if vault is None:
        if outcome is None:
            print(f"no key at {key_source(settings)} and no encrypted data: fine (a key is "
                  "created at the first start)")
            return 0
        from storage.keys import missing

        raise missing(settings)
    if recorded is not None and recorded != vault.fingerprint:
        from storage.keys import different

        raise different(key_source(settings), vault, recorded)
    state = "matches the database" if recorded else "none recorded yet"
    print(f"key {key_source(settings)}: fingerprint {vault.short} ({state})")
    redis = 0
    if settings.redis_url:
        try:
            redis = asyncio.run(_redis_forms(settings, None, vault))
        except VaultError:
            outcome.failures.append(("a form in progress in Redis", "does not decrypt"))
    for where, why in outcome.failures:
        print(f"{where}: {why}")
    print(f"{outcome.registrations} registrations and {outcome.forms + redis} forms in progress "
          f"decrypt and hash with this key; {len(outcome.failures)} do not")
    return 1 if outcome.failures else 0


async def _check_database(url: str, secret: bytes | None) -> tuple[str | None, Any, Vault | None]:
    from storage.engine import one_session
    from storage.keys import check, recorded_fingerprint, sample_cipher

    async with one_session(url) as session:
        recorded = await recorded_fingerprint(session)
        if secret is None:
            sample = await sample_cipher(session)
            return recorded, (None if sample is None else True), None
        vault = Vault(secret)
        return recorded, await check(session, vault), vault

