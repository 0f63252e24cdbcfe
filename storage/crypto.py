"""Personal data at rest: ID numbers encrypted, and a keyed hash of them for uniqueness.

One master secret gives two independent keys (HKDF with different labels): a Fernet key for
encryption and an HMAC-SHA256 key for the hash. A plain hash of an 18-digit ID number would be
reversible by enumeration (birth dates and region codes are few), so the hash is keyed.
The secret is ``ZHAOLU_SECRET_KEY``; without it, a random one is created once in
``<var_dir>/secret.key``. Losing that file makes stored ID numbers unreadable, so its creation is
logged (the path, never the key).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import secrets
from functools import cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bot.settings import Settings

log = logging.getLogger(__name__)

KEY_FILE_NAME = "secret.key"


class VaultError(RuntimeError):
    """A ciphertext that this key cannot read (wrong key, or tampered data)."""


def _derive(secret: bytes, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(secret)


class Vault:
    """Encrypts, decrypts and hashes ID numbers with keys derived from one secret."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the secret key must be at least 16 bytes long")
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(secret, b"zhaolu id encryption")))
        self._mac_key = _derive(secret, b"zhaolu id hash")

    def __repr__(self) -> str:  # never show key material, even in a traceback
        return "Vault(<secret>)"

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken as exc:
            raise VaultError("stored personal data cannot be decrypted with this key") from exc

    def hash_id(self, id_number: str) -> str:
        """Hex HMAC of the normalised ID number (upper-case X), equal for equal numbers."""
        normalised = id_number.strip().upper().encode("ascii")
        return hmac.new(self._mac_key, normalised, hashlib.sha256).hexdigest()


def _read_or_create_key_file(var_dir: Path) -> bytes:
    path = var_dir / KEY_FILE_NAME
    if path.exists():
        return path.read_bytes().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = base64.urlsafe_b64encode(secrets.token_bytes(32))
    try:
        # O_EXCL: two processes starting together must not each write a different key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as handle:
        handle.write(key + b"\n")
    log.warning(
        "created a new secret key for personal data at %s; back it up (without it stored ID "
        "numbers cannot be read) or set ZHAOLU_SECRET_KEY",
        path,
    )
    return key


@cache
def _vault(secret: bytes) -> Vault:
    return Vault(secret)


def vault_for(settings: Settings) -> Vault:
    """The vault for these settings: ZHAOLU_SECRET_KEY, else the key file under var_dir."""
    if settings.secret_key is not None:
        secret = settings.secret_key.get_secret_value().encode("utf-8")
    else:
        secret = _read_or_create_key_file(settings.var_dir)
    return _vault(secret)
