"""Traditional → simplified characters, for matching what people type.

zhconv's MediaWiki table, single characters only, read straight from its JSON: importing zhconv
costs about 0.2 s (pkg_resources) and leaves the dictionary file open, and matching needs no
phrase conversion.
"""

from __future__ import annotations

import importlib.util
import json
from functools import cache
from pathlib import Path


@cache
def simplified_table() -> dict[int, str]:
    """A str.translate table; empty when zhconv is not installed."""
    spec = importlib.util.find_spec("zhconv")
    locations = list(spec.submodule_search_locations or []) if spec else []
    path = Path(locations[0]) / "zhcdict.json" if locations else None
    if path is None or not path.is_file():
        return {}
    table = json.loads(path.read_bytes())["zh2Hans"]
    return {ord(k): v for k, v in table.items() if len(k) == 1}
