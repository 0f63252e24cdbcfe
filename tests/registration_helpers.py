"""Shared pieces of the registration tests: valid ID numbers, applicants, a vault."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from content.idcard import check_char
from content.registration import Applicant
from storage.crypto import Vault

VAULT = Vault(b"registration tests secret key!!")


def id_number(first17: str = "42090219990101123") -> str:
    """A valid ID number: the first 17 digits and their GB 11643 check character."""
    return first17 + check_char(first17)


def applicant(**changes: Any) -> Applicant:
    base = Applicant(
        name="张三", id_number=id_number(), phone="13812345678", school="湖北职业技术学院",
        graduation_year=2022, education="zk", major="临床医学", qualification="none",
        person_type="social", base_choices=("hanchuan",), accepts_adjustment=None,
    )
    return replace(base, **changes)
