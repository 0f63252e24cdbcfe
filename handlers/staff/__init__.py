"""The staff side: one router behind the gate (handlers/staff/gate.py), included first.

Every staff message and button passes the gate's checks before any handler below runs; what
fails them goes on to the applicant routers as if this router did not exist.
"""

from __future__ import annotations

from aiogram import Router

from handlers.staff import (
    announce,
    announce_send,
    export,
    faq,
    home,
    inbox,
    people,
    records,
    records_status,
    stats,
    unanswered,
)
from handlers.staff.gate import callback_gate, message_gate


def build_router() -> Router:
    router = Router(name="staff")
    router.message.filter(message_gate)
    router.callback_query.filter(callback_gate)
    router.include_routers(
        home.build_router(),
        announce.build_router(),
        announce_send.build_router(),
        people.build_router(),
        export.build_router(),
        faq.build_router(),
        unanswered.build_router(),
        stats.build_router(),
        records.build_router(),
        records_status.build_router(),
        inbox.build_router(),
    )
    return router
