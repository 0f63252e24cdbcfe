"""What every part of the campaign schema shares: strict models, ids, errors that name a line.

Slugs, ids and section keys travel in buttons' callback data, which Telegram caps at 64 bytes:
"m:<slug>:<section>" is the longest that holds two of them (2 + 32 + 1 + 24 = 59).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

MAX_SLUG = 32
MAX_ID = 32
MAX_SECTION_KEY = 24
ID_PATTERN = r"^[a-z][a-z0-9_]*$"
SectionKey = Annotated[str, StringConstraints(pattern=ID_PATTERN, max_length=MAX_SECTION_KEY)]
# A stable key, unique per campaign within its kind (fact, base, rule, reminder …).
Id = Annotated[str, StringConstraints(pattern=ID_PATTERN, max_length=MAX_ID)]

# A YAML folded block (`>`) joins its lines with a space, which splits Chinese text in two.
_CJK = r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef“”‘’]"
_SPLIT_CHINESE = re.compile(f"{_CJK} +{_CJK}")


class LocatedError(ValueError):
    """A cross-field check's error that names the path of the value at fault.

    Pydantic keeps the raised exception in the error's ``ctx``; the loader reads ``loc`` from it,
    so a problem found by a whole-campaign check still points at the right line.
    """

    def __init__(self, loc: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc


def no_split_chinese(value: str) -> str:
    if _SPLIT_CHINESE.search(value):
        raise ValueError("space between Chinese characters (a folded `>` block?): "
                         "write the text on one line")
    return value


def dupes(values: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    return sorted({v for v in values if v in seen or seen.add(v)})


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
