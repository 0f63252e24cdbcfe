"""The chat's command menu as data: (command, text key of its description), in menu order.

Applicants see COMMANDS; staff see STAFF_COMMANDS as well, set for their chat alone
(bot/staff_menus.py), so no applicant ever finds a staff command in the menu.
"""

from __future__ import annotations

COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", "commands.start"),
    ("menu", "commands.menu"),
    ("campaign", "commands.campaign"),
    ("check", "eligibility.command"),
    ("register", "registration.command"),
    ("my", "registration.command_my"),
    ("mydata", "registration.command_mydata"),
    ("delete_my_data", "registration.command_delete"),
    ("subscribe", "reminders.command.subscribe"),
    ("unsubscribe", "reminders.command.unsubscribe"),
    ("settings", "reminders.command.settings"),
    ("ask_staff", "ask.command"),
    ("cancel", "commands.cancel"),
    ("help", "commands.help"),
)

# /cancel is in COMMANDS: it ends a staff flow too (handlers/staff/home.py, which runs first).
STAFF_COMMANDS: tuple[tuple[str, str], ...] = (
    ("staff", "staff.command"),
)
