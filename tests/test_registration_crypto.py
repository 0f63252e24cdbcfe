"""ID numbers at rest: encryption round trip, keyed hash, the key's origin, nothing logged."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.settings import Settings
from storage.crypto import (
    KEY_FILE_NAME,
    KeyProblem,
    Vault,
    VaultError,
    create_key_file,
    vault_for,
)
from tests.registration_helpers import id_number


def test_round_trip_and_tokens_differ() -> None:
    vault = Vault(b"0123456789abcdef0123")
    first, second = vault.encrypt(id_number()), vault.encrypt(id_number())
    assert first != second  # random IV: equal numbers are not recognisable from ciphertexts
    assert id_number() not in first
    assert vault.decrypt(first) == vault.decrypt(second) == id_number()


def test_wrong_key_cannot_read_and_hashes_are_keyed() -> None:
    one, two = Vault(b"first secret key, long enough"), Vault(b"second secret key, long enough")
    with pytest.raises(VaultError):
        two.decrypt(one.encrypt(id_number()))
    assert one.hash_id(id_number()) == one.hash_id(id_number().lower() + " ")
    assert one.hash_id(id_number()) != two.hash_id(id_number())
    assert one.hash_id(id_number()) != one.hash_id(id_number("42090219980202123"))
    assert "first secret key" not in repr(one) and "first" not in str(vars(one))


def test_short_secret_refused() -> None:
    with pytest.raises(ValueError, match="at least 16"):
        Vault(b"short")


def test_key_file_created_once_and_logged_without_the_key(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(var_dir=tmp_path / "var", secret_key=None)
    with pytest.raises(KeyProblem, match="key missing"):
        vault_for(settings)  # never makes a key: only a start checked against the data does
    assert not (tmp_path / "var" / KEY_FILE_NAME).exists()
    with caplog.at_level(logging.DEBUG):
        token = Vault(create_key_file(settings)).encrypt(id_number())
    key_file = tmp_path / "var" / KEY_FILE_NAME
    key = key_file.read_text().strip()
    assert key_file.stat().st_mode & 0o077 == 0  # readable by the owner only
    assert str(key_file) in caplog.text and key not in caplog.text
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        again = Vault(create_key_file(Settings(var_dir=tmp_path / "var", secret_key=None)))
    assert again.decrypt(token) == id_number()
    assert vault_for(settings).decrypt(token) == id_number()
    assert "created" not in caplog.text


def test_secret_key_setting_wins_and_creates_no_file(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path / "var", secret_key="a secret from the environment")
    token = vault_for(settings).encrypt(id_number())
    assert not (tmp_path / "var" / KEY_FILE_NAME).exists()
    same = Vault(b"a secret from the environment")
    assert same.decrypt(token) == id_number()
