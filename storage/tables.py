"""Every table module, imported for its side effect of registering its tables in SQLModel.metadata.

Alembic (storage/migrations/env.py) and the revision script see exactly what is listed here.
Each feature adds one line for its own module, ``import storage.<feature>  # noqa: F401``,
keeping the lines in alphabetical order (ruff's isort rule checks it).
"""

from __future__ import annotations

import storage.announcements  # noqa: F401
import storage.audit  # noqa: F401
import storage.delivery  # noqa: F401
import storage.eligibility  # noqa: F401
import storage.faq_overlay  # noqa: F401
import storage.inbox  # noqa: F401
import storage.inbox_groups  # noqa: F401
import storage.keys  # noqa: F401
import storage.models  # noqa: F401
import storage.registrations  # noqa: F401
import storage.scheduler_state  # noqa: F401
import storage.shell_memory  # noqa: F401
import storage.staff  # noqa: F401
import storage.status_imports  # noqa: F401
import storage.subscriptions  # noqa: F401
import storage.unanswered  # noqa: F401
import storage.update_inbox  # noqa: F401
import storage.wechat  # noqa: F401
import storage.wechat_files  # noqa: F401
