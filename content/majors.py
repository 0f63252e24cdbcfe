"""Majors as applicants type them, matched against a campaign's major groups.

临床医学, 临床医学专业, 臨床醫學 and 临床医学（全科医学方向） are one major; 临床医学检验技术 is
another (a 医学技术类 major), so matching is exact after folding, never by prefix.
"""

from __future__ import annotations

import importlib.util
import json
import re
import unicodedata
from functools import cache
from pathlib import Path

from content.schema_eligibility import EligibilitySpec

_DIRECTION = re.compile(r"^(?P<major>[^()]+)\([^()]*\)$")


@cache
def _simplified_table() -> dict[int, str]:
    """zhconv's traditional-to-simplified table, single characters: enough for a major's name.

    Read from its JSON rather than through zhconv, which leaves the file open and imports
    pkg_resources (0.2 s).
    """
    spec = importlib.util.find_spec("zhconv")
    locations = list(spec.submodule_search_locations or []) if spec else []
    path = Path(locations[0]) / "zhcdict.json" if locations else None
    if path is None or not path.is_file():
        return {}
    table = json.loads(path.read_bytes())["zh2Hans"]
    return {ord(k): v for k, v in table.items() if len(k) == 1}


def normalize_major(text: str) -> str:
    """Simplified, half-width, no spaces, without a trailing 专业: 臨床醫學 专业 → 临床医学."""
    text = unicodedata.normalize("NFKC", text).translate(_simplified_table())
    return "".join(text.split()).removesuffix("专业")


def in_major_group(spec: EligibilitySpec, group_id: str, major: str) -> bool:
    group = spec.major_groups[group_id]
    known = {normalize_major(m) for m in group.majors}
    text = normalize_major(major)
    if text in known:
        return True
    match = _DIRECTION.match(text) if group.directions else None
    return bool(match and match.group("major") in known)
