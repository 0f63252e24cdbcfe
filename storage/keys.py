"""The key against the database: its fingerprint recorded, checked at every start, rotated.

Encrypted data lives in two places: ``registrations`` (the ID number's Fernet token, and its
keyed hash) and forms in progress (``id_cipher`` in the FSM data of ``fsm_records``; with Redis,
in Redis: bot/cmd_keys.py handles those). A start with a key whose fingerprint is not the one
recorded, or with no key at all, while such data exists, is refused (KeyProblem): a new key would
make every stored ID number unreadable and let the same person register twice. A database with
no encrypted data takes whatever key it is given (and records it). Repositories never commit.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.settings import Settings
from storage.crypto import (
    KeyProblem,
    Vault,
    VaultError,
    create_key_file,
    key_source,
    load_secret,
    remember,
)
from storage.files import private_dir
from storage.models import FsmRecord
from storage.registrations import Registration
from storage.types import AwareDateTime, utc_now

CIPHER_KEY = "id_cipher"  # the FSM data key of an encrypted ID number (handlers/registration.py)


class KeyFingerprint(SQLModel, table=True):
    """One row: the fingerprint of the key the database's encrypted data is written with."""

    __tablename__ = "key_fingerprint"

    id: int = Field(default=1, primary_key=True, sa_column_kwargs={"autoincrement": False})
    fingerprint: str = Field(max_length=64)
    recorded_at: datetime = Field(default_factory=utc_now, sa_type=AwareDateTime)


def missing(settings: Settings) -> KeyProblem:
    return KeyProblem(
        "missing", "密钥缺失：数据库中有加密的个人数据，但找不到密钥 "
                   f"{key_source(settings)}，未启动；请恢复原密钥（见 README“Personal data”）。 / "
                   "key missing: the database holds "
                   f"encrypted personal data and there is no key at {key_source(settings)}; not "
                   "started: restore the original key (README, Personal data).")


def different(source: str, vault: Vault, recorded: str | None) -> KeyProblem:
    was = f"（指纹 {recorded[:12]}）" if recorded else ""
    was_en = f" (fingerprint {recorded[:12]})" if recorded else ""
    return KeyProblem(
        "different", f"密钥不符：{source}（指纹 {vault.short}）"
                     f"不是加密数据库中个人数据所用的密钥{was}，未启动；"
                     "请改回原密钥，更换密钥请用 zhaolu keys rotate。 / key mismatch: "
                     f"{source} (fingerprint {vault.short}) is not the key the database's personal "
                     f"data is encrypted with{was_en}; not started: restore that key, or change "
                     "keys with `zhaolu keys rotate`.")


async def recorded_fingerprint(session: AsyncSession) -> str | None:
    row = await session.get(KeyFingerprint, 1)
    return row.fingerprint if row is not None else None


async def record_fingerprint(session: AsyncSession, vault: Vault, now: datetime) -> None:
    row = await session.get(KeyFingerprint, 1)
    if row is None:
        session.add(KeyFingerprint(id=1, fingerprint=vault.fingerprint, recorded_at=now))
    elif row.fingerprint != vault.fingerprint:
        row.fingerprint, row.recorded_at = vault.fingerprint, now
        session.add(row)
    await session.flush()


def ciphers_in(value: Any) -> Iterator[str]:
    """Every encrypted ID number in a piece of FSM data, however deep."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == CIPHER_KEY and isinstance(item, str):
                yield item
            else:
                yield from ciphers_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from ciphers_in(item)


def recrypt(value: Any, change: Callable[[str], str]) -> Any:
    """The FSM data with each encrypted ID number replaced by change(it)."""
    if isinstance(value, dict):
        return {k: change(v) if k == CIPHER_KEY and isinstance(v, str) else recrypt(v, change)
                for k, v in value.items()}
    if isinstance(value, list):
        return [recrypt(item, change) for item in value]
    return value


def _form_rows() -> Any:
    return select(FsmRecord).where(col(FsmRecord.data).contains(f'"{CIPHER_KEY}"'))


async def sample_cipher(session: AsyncSession) -> str | None:
    """One encrypted value the database holds (the latest registration's, else a form's)."""
    token = (await session.exec(
        select(Registration.id_cipher).order_by(col(Registration.id).desc()).limit(1))).first()
    if token is not None:
        return token
    for record in (await session.exec(_form_rows().limit(20))).all():
        for found in ciphers_in(json.loads(record.data or "{}")):
            return found
    return None


async def open_vault(session: AsyncSession, settings: Settings, now: datetime) -> Vault:
    """The vault for this start, checked against the database (KeyProblem if it cannot be used);
    a key file is created only for a database holding no encrypted data."""
    if settings.var_dir.exists():
        private_dir(settings.var_dir)
    secret = load_secret(settings)
    sample = await sample_cipher(session)
    recorded = await recorded_fingerprint(session)
    if secret is None:
        if sample is not None:
            raise missing(settings)
        secret = create_key_file(settings)
    vault = Vault(secret)
    if sample is not None and recorded != vault.fingerprint:
        if recorded is not None:
            raise different(key_source(settings), vault, recorded)
        try:  # a database from before fingerprints: the data itself says whether the key fits
            vault.decrypt(sample)
        except VaultError:
            raise different(key_source(settings), vault, None) from None
    await record_fingerprint(session, vault, now)
    remember(settings, vault)
    return vault


@dataclass
class Outcome:
    """What `rotate` changed or `check` found; `failures` as (where, why) pairs."""

    registrations: int = 0
    forms: int = 0
    updates: int = 0  # waiting in the inbox
    failures: list[tuple[str, str]] = field(default_factory=list)


def _where(registration: Registration) -> str:
    return f"registration {registration.id} ({registration.receipt_no})"


async def rotate(session: AsyncSession, *, old: Vault, new: Vault, now: datetime) -> Outcome:
    """Re-encrypt and re-hash every ID number with `new`, record its fingerprint. Nothing is
    changed if any value does not decrypt with `old` (the caller rolls back on failures)."""
    recorded = await recorded_fingerprint(session)
    if recorded is not None and recorded != old.fingerprint:
        raise different("the old key (--old)", old, recorded)
    outcome = Outcome()
    for registration in (await session.exec(select(Registration))).all():
        try:
            number = old.decrypt(registration.id_cipher)
        except VaultError:
            outcome.failures.append((_where(registration), "does not decrypt with the old key"))
            continue
        registration.id_cipher = new.encrypt(number)
        registration.id_hash = new.hash_id(number)
        if registration.active_id_hash is not None:
            registration.active_id_hash = registration.id_hash
        session.add(registration)
        outcome.registrations += 1
    for record in (await session.exec(_form_rows())).all():
        data = json.loads(record.data or "{}")
        try:
            record.data = json.dumps(recrypt(data, lambda t: new.encrypt(old.decrypt(t))),
                                     ensure_ascii=False)
        except VaultError:
            outcome.failures.append((f"form in progress of user {record.user_id}",
                                     "does not decrypt with the old key"))
            continue
        session.add(record)
        outcome.forms += 1
    await _recrypt_inbox(session, old, new, outcome)
    await session.flush()
    if not outcome.failures:
        await record_fingerprint(session, new, now)
    return outcome


async def _recrypt_inbox(session: AsyncSession, old: Vault, new: Vault, outcome: Outcome) -> None:
    """Updates waiting in the inbox (a stopped bot's) are readable with the new key."""
    from storage.update_inbox import UpdateRecord

    waiting = select(UpdateRecord).where(col(UpdateRecord.payload).is_not(None))
    for record in (await session.exec(waiting)).all():
        try:
            payload = new.encrypt(old.decrypt(record.payload or ""))
        except VaultError:
            outcome.failures.append((f"update {record.update_id} in the inbox",
                                     "does not decrypt with the old key"))
        else:
            record.payload = payload
            session.add(record)
            outcome.updates += 1


async def check(session: AsyncSession, vault: Vault) -> Outcome:
    """Every stored value decrypts with `vault`, and every hash is the hash of its number."""
    outcome = Outcome()
    for registration in (await session.exec(select(Registration))).all():
        try:
            number = vault.decrypt(registration.id_cipher)
        except VaultError:
            outcome.failures.append((_where(registration), "does not decrypt"))
            continue
        expected = vault.hash_id(number)
        active = registration.active_id_hash
        if registration.id_hash != expected or active not in (None, expected):
            outcome.failures.append((_where(registration), "hash is not this key's"))
            continue
        outcome.registrations += 1
    for record in (await session.exec(_form_rows())).all():
        try:
            for token in ciphers_in(json.loads(record.data or "{}")):
                vault.decrypt(token)
        except VaultError:
            outcome.failures.append((f"form in progress of user {record.user_id}",
                                     "does not decrypt"))
            continue
        outcome.forms += 1
    return outcome
