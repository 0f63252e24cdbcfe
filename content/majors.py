"""Majors as applicants type them, matched against a campaign's major groups.

临床医学, 临床医学专业, 臨床醫學 and 临床医学（全科医学方向） are one major; 临床医学检验技术 is
another (a 医学技术类 major), so matching is exact after folding, never by prefix.
"""

from __future__ import annotations

import re
import unicodedata

from content.hanzi import simplified_table
from content.schema_eligibility import EligibilitySpec

_DIRECTION = re.compile(r"^(?P<major>[^()]+)\([^()]*\)$")


def normalize_major(text: str) -> str:
    """Simplified, half-width, no spaces, without a trailing 专业: 臨床醫學 专业 → 临床医学."""
    text = unicodedata.normalize("NFKC", text).translate(simplified_table())
    return "".join(text.split()).removesuffix("专业")


def in_major_group(spec: EligibilitySpec, group_id: str, major: str) -> bool:
    group = spec.major_groups[group_id]
    known = {normalize_major(m) for m in group.majors}
    text = normalize_major(major)
    if text in known:
        return True
    match = _DIRECTION.match(text) if group.directions else None
    return bool(match and match.group("major") in known)
