"""How autogenerate writes our column types into a migration (shared by env.py and the tests)."""

from __future__ import annotations

from typing import Any

from sqlmodel.sql.sqltypes import AutoString

from storage.types import AwareDateTime


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Render our column types as plain SQLAlchemy ones, so a migration never imports app code.

    Both only change how Python values are converted, not what the database stores; False lets
    Alembic render everything else its own way.
    """
    if type_ != "type":
        return False
    if isinstance(obj, AwareDateTime):
        return "sa.DateTime(timezone=True)"
    if isinstance(obj, AutoString):
        return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    return False
