"""Personal data at rest: ID numbers encrypted, and a keyed hash of them for uniqueness.

One master secret gives three independent values (HKDF with different labels): a Fernet key for
encryption, an HMAC-SHA256 key for the hash, and a fingerprint the database records so that a
start with another key is refused (storage/keys.py) instead of silently writing data no one can
match. A plain hash of an 18-digit ID number would be reversible by enumeration (birth dates and
region codes are few), so the hash is keyed.

The secret is ``ZHAOLU_SECRET_KEY``; without it, ``<ZHAOLU_VAR_DIR>/secret.key``, created at the
first start of a database holding no encrypted data (storage.keys.open_vault) and never
afterwards: a missing key file then stops the start. Its creation is logged (the path, never the
key). A key is UTF-8 text without line breaks or control characters (surrounding whitespace is
dropped), at least 16 bytes long.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import secrets
import unicodedata
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bot.settings import Settings

log = logging.getLogger(__name__)

KEY_FILE_NAME = "secret.key"
KEY_MIN_BYTES = 16
KEY_MAX_BYTES = 4096
# The exit code of every command refused for its key (missing, different, malformed): one code,
# so a service manager can tell "do not restart, a person must act" (README, Personal data).
KEY_EXIT_CODE = 3


class VaultError(RuntimeError):
    """A ciphertext that this key cannot read (wrong key, or tampered data)."""


class KeyProblem(RuntimeError):
    """The key cannot be used: `line` is the one line (Chinese / English) a command prints."""

    def __init__(self, kind: str, line: str) -> None:
        super().__init__(line)
        self.kind = kind  # malformed, unreadable, missing, different
        self.line = line


def _derive(secret: bytes, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(secret)


class Vault:
    """Encrypts, decrypts and hashes ID numbers with keys derived from one secret."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < KEY_MIN_BYTES:
            raise ValueError(f"the secret key must be at least {KEY_MIN_BYTES} bytes long")
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(secret, b"zhaolu id encryption")))
        self._mac_key = _derive(secret, b"zhaolu id hash")
        self.fingerprint = _derive(secret, b"zhaolu key fingerprint").hex()

    def __repr__(self) -> str:  # never show key material, even in a traceback
        return f"Vault(<secret {self.short}>)"

    @property
    def short(self) -> str:
        """The fingerprint as shown to people: its first 12 hex digits."""
        return self.fingerprint[:12]

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError) as exc:
            raise VaultError("stored personal data cannot be decrypted with this key") from exc

    def hash_id(self, id_number: str) -> str:
        """Hex HMAC of the normalised ID number (upper-case X), equal for equal numbers."""
        normalised = id_number.strip().upper().encode("ascii")
        return hmac.new(self._mac_key, normalised, hashlib.sha256).hexdigest()


def key_path(settings: Settings) -> Path:
    return settings.var_dir / KEY_FILE_NAME


def key_source(settings: Settings) -> str:
    """Where the key in use comes from, as messages name it."""
    if settings.secret_key is not None:
        return "ZHAOLU_SECRET_KEY"
    return str(key_path(settings))


def malformed(source: str, why_zh: str, why_en: str) -> KeyProblem:
    return KeyProblem("malformed", f"密钥格式错误：{source} {why_zh}，未启动。 / malformed key: "
                                   f"{source} {why_en}; not started.")


def parse_secret(raw: bytes, source: str) -> bytes:
    """The key as given (surrounding whitespace, e.g. a file's last newline, dropped), checked."""
    raw = raw.strip()
    if not raw:
        raise malformed(source, "为空", "is empty")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise malformed(source, "不是文本（UTF-8）", "is not UTF-8 text") from None
    if any(unicodedata.category(ch).startswith("C") for ch in text):
        raise malformed(source, "含有换行或控制字符", "contains line breaks or control characters")
    if len(raw) < KEY_MIN_BYTES:
        raise malformed(source, f"太短（至少 {KEY_MIN_BYTES} 字节）",
                        f"is shorter than {KEY_MIN_BYTES} bytes")
    if len(raw) > KEY_MAX_BYTES:
        raise malformed(source, f"太长（至多 {KEY_MAX_BYTES} 字节）",
                        f"is longer than {KEY_MAX_BYTES} bytes")
    return raw


def read_key_file(path: Path) -> bytes | None:
    """A key file's key, checked; None when there is no such file."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise KeyProblem("unreadable", f"密钥文件无法读取：{path}（{error.strerror}），未启动。 / "
                                       f"key file unreadable: {path} ({error.strerror}); "
                                       "not started.") from None
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)  # a copy restored with a lax umask: owner only again
    return parse_secret(raw, str(path))


def load_secret(settings: Settings) -> bytes | None:
    """The configured key, checked: ZHAOLU_SECRET_KEY, else the key file (None: no file)."""
    if settings.secret_key is not None:
        return parse_secret(settings.secret_key.get_secret_value().encode("utf-8"),
                            "ZHAOLU_SECRET_KEY")
    return read_key_file(key_path(settings))


def new_key() -> bytes:
    return base64.urlsafe_b64encode(secrets.token_bytes(32))


def write_key_file(path: Path, key: bytes) -> bool:
    """Write a key file readable by its owner only (whatever the umask); False if one exists.

    O_EXCL: two processes starting together must not each write a different key."""
    from storage.files import private_dir

    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(key + b"\n")
    return True


def create_key_file(settings: Settings) -> bytes:
    """A new random key in the key file (or the one another process wrote a moment ago)."""
    path = key_path(settings)
    if write_key_file(path, new_key()):
        log.warning("created a new secret key for personal data at %s; back it up (without it "
                    "stored ID numbers cannot be read) or set ZHAOLU_SECRET_KEY", path)
    found = read_key_file(path)
    assert found is not None
    return found


# The vault each key source opened first, for the life of the process: a key file replaced or
# deleted while the bot runs changes nothing until the next start (which checks it).
_opened: dict[str, Vault] = {}


def remember(settings: Settings, vault: Vault) -> None:
    _opened[_cache_key(settings)] = vault


def _cache_key(settings: Settings) -> str:
    if settings.secret_key is not None:
        return "env:" + hashlib.sha256(settings.secret_key.get_secret_value().encode()).hexdigest()
    return "file:" + str(key_path(settings))


def vault_for(settings: Settings) -> Vault:
    """The vault of these settings, as opened at start (storage.keys.open_vault checks it against
    the database); it never creates a key."""
    cache_key = _cache_key(settings)
    found = _opened.get(cache_key)
    if found is None:
        secret = load_secret(settings)
        if secret is None:
            raise KeyProblem("missing", f"密钥缺失：找不到 {key_source(settings)}。 / key missing: "
                                        f"no key at {key_source(settings)}.")
        found = _opened.setdefault(cache_key, Vault(secret))
    return found
