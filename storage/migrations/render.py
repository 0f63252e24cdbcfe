"""How autogenerate writes our column types into a migration and which objects it compares
(shared by env.py and the tests)."""

from __future__ import annotations

from collections.abc import Callable
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


def include_object_for(dialect: str) -> Callable[..., bool]:
    """Autogenerate's include_object on `dialect`: an index the model makes on another dialect
    only (``Index.ddl_if(dialect=...)``) is left out of the comparison, as it is of the DDL."""

    def include_object(obj: Any, name: str | None, type_: str, reflected: bool,
                       compare_to: Any) -> bool:
        condition = getattr(obj, "_ddl_if", None) if type_ == "index" else None
        wanted = getattr(condition, "dialect", None)
        return wanted is None or dialect == wanted or (
            not isinstance(wanted, str) and dialect in wanted)

    return include_object
