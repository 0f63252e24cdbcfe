"""The `zhaolu` command line. Its commands and output formats are a public interface.

Each command's work lives in ``bot/cmd_<name>.py`` and is imported only when that command runs, so
commands that need no Telegram objects (check-content, ask, eligibility, export, …) never pay for
importing aiogram.
"""

from __future__ import annotations

import argparse
import importlib
import sys


def _content(p: argparse.ArgumentParser) -> None:
    p.add_argument("--content", metavar="DIR", help="campaign YAML directory (default: bundled)")


def _db(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", metavar="URL", help="database URL (default: ZHAOLU_DATABASE_URL)")


def _now(p: argparse.ArgumentParser) -> None:
    p.add_argument("--now", metavar="ISO", help="pretend it is this moment (ISO-8601)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zhaolu", description="招录助手: recruitment assistant")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("run", help="run the bot: Telegram with a token, else the local shell")
    p.add_argument("--no-scheduler", action="store_true",
                   help="extra worker: do not schedule reminders or send")
    _db(p)
    _content(p)

    p = sub.add_parser("shell", help="chat with the real handlers offline")
    p.add_argument("--user", type=int, default=1001, metavar="ID")
    p.add_argument("--jsonl", action="store_true", help="one JSON object per outgoing call")
    _now(p)
    _db(p)
    _content(p)

    p = sub.add_parser("check-content", help="validate campaign YAML files")
    p.add_argument("dir", nargs="?", metavar="DIR", help="directory or file (default: bundled)")
    p.add_argument("--questions", action="store_true",
                   help="also print what generic applicant questions would cite")

    p = sub.add_parser("new-campaign", help="write a commented campaign skeleton to fill in")
    p.add_argument("slug", metavar="SLUG", help="e.g. qingxi-2024 (also the file name)")
    p.add_argument("--out", metavar="DIR|FILE",
                   help="where to write it (default: the bundled content/campaigns/)")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")

    p = sub.add_parser("ask", help="answer policy questions from a campaign")
    p.add_argument("--campaign", metavar="SLUG")
    p.add_argument("--jsonl", action="store_true")
    p.add_argument("question", nargs="*", help="the question; none: one per line from stdin")
    _now(p)
    _db(p)
    _content(p)

    p = sub.add_parser("unanswered", help="questions the bot could not answer, most frequent first")
    p.add_argument("--campaign", metavar="SLUG")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--jsonl", action="store_true", help="one JSON object per group")
    _db(p)

    p = sub.add_parser("eligibility", help="check an applicant profile against a campaign's rules")
    p.add_argument("--campaign", metavar="SLUG", required=True)
    p.add_argument("--profile", metavar="JSON", required=True, help="JSON object or @file")
    p.add_argument("--jsonl", action="store_true")
    _now(p)
    _content(p)

    p = sub.add_parser("export", help="export active pre-registrations")
    p.add_argument("--campaign", metavar="SLUG", required=True)
    p.add_argument("--base", metavar="NAME")
    p.add_argument("--table", metavar="ID", help="one of the campaign's extra tables (xlsx)")
    p.add_argument("--format", choices=("csv", "xlsx"), default="xlsx")
    p.add_argument("--out", metavar="FILE", required=True)
    _db(p)
    _content(p)

    p = sub.add_parser("import-status",
                       help="apply a status column edited in an exported XLSX (preview first)")
    p.add_argument("--campaign", metavar="SLUG", required=True)
    p.add_argument("--file", metavar="XLSX", required=True)
    p.add_argument("--apply", action="store_true",
                   help="apply the changes (default: only show what would change)")
    p.add_argument("--jsonl", action="store_true", help="one JSON object per row")
    _now(p)
    _db(p)
    _content(p)

    p = sub.add_parser("faq", help="FAQ entries staff added in the chat (存为问答)")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    q = actions.add_parser("export", help="print them as YAML ready to merge into the campaign")
    q.add_argument("--campaign", metavar="SLUG", required=True)
    q.add_argument("--out", metavar="FILE", help="write to FILE instead of stdout")
    _db(q)
    _content(q)
    q = actions.add_parser("list", help="list them, newest first")
    q.add_argument("--campaign", metavar="SLUG")
    q.add_argument("--all", action="store_true", help="removed entries too")
    q.add_argument("--jsonl", action="store_true")
    _db(q)

    p = sub.add_parser("stats", help="a campaign's funnel, bases and daily pre-registrations")
    p.add_argument("--campaign", metavar="SLUG", required=True)
    p.add_argument("--out", metavar="PNG", help="also draw the chart to this file")
    p.add_argument("--jsonl", action="store_true")
    _now(p)
    _db(p)
    _content(p)

    p = sub.add_parser("reminders", help="print a campaign's planned reminder schedule")
    p.add_argument("--campaign", metavar="SLUG", required=True)
    p.add_argument("--jsonl", action="store_true")
    _now(p)
    _db(p)
    _content(p)

    p = sub.add_parser("staff", help="staff roles: invite, list, revoke")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    q = actions.add_parser("invite", help="a one-time invitation link for a role")
    q.add_argument("--role", required=True, choices=("admin", "coordinator", "base_staff"))
    q.add_argument("--campaign", metavar="SLUG")
    q.add_argument("--base", metavar="NAME", help="base name, short name or id (base_staff)")
    q.add_argument("--hours", type=float, default=72.0, help="valid for (default 72)")
    _now(q)
    _db(q)
    _content(q)
    q = actions.add_parser("list", help="staff and their roles")
    q.add_argument("--all", action="store_true", help="revoked grants too")
    q.add_argument("--jsonl", action="store_true")
    _db(q)
    q = actions.add_parser("revoke", help="revoke a grant (its id from `staff list`)")
    q.add_argument("id", type=int, metavar="ID")
    _now(q)
    _db(q)

    p = sub.add_parser("audit", help="the audit log of staff actions, newest first")
    p.add_argument("--campaign", metavar="SLUG")
    p.add_argument("--since", metavar="ISO", help="only entries from this moment on")
    p.add_argument("--limit", type=int, default=100)
    p.add_argument("--jsonl", action="store_true")
    _db(p)

    p = sub.add_parser("keys", help="the key of personal data: generate, rotate, check")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    q = actions.add_parser("generate", help="write a new random key to FILE (mode 600)")
    q.add_argument("file", metavar="FILE")
    q = actions.add_parser("rotate", help="re-encrypt and re-hash every row with a new key")
    q.add_argument("--new", metavar="FILE", required=True, help="file holding the new key")
    q.add_argument("--old", metavar="FILE",
                   help="file holding the old key (default: the key in use)")
    _db(q)
    q = actions.add_parser("check", help="the key in use against the database, every row")
    _db(q)

    p = sub.add_parser("purge", help="delete personal data past its retention period")
    p.add_argument("--dry-run", action="store_true", help="count only, change nothing")
    p.add_argument("--jsonl", action="store_true")
    _now(p)
    _db(p)
    _content(p)

    p = sub.add_parser("wechat", help="the WeChat Official Account: poster QR codes")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    q = actions.add_parser("qrcode", help="a permanent QR code opening a campaign (PNG)")
    q.add_argument("--campaign", metavar="SLUG", required=True)
    q.add_argument("--out", metavar="FILE", required=True, help="where to write the PNG")
    _content(q)

    p = sub.add_parser("migrate", help="bring the database schema up to date")
    _db(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    from storage.crypto import KEY_EXIT_CODE, KeyProblem

    args = build_parser().parse_args(argv)
    module = importlib.import_module(f"bot.cmd_{args.command.replace('-', '_')}")
    from bot.settings import SettingsError

    try:
        return int(module.main(args) or 0)
    except SettingsError as error:
        print(f"zhaolu {args.command}: {error}", file=sys.stderr)
        return 2
    except KeyProblem as problem:  # the key does not fit the data: a person must act
        print(problem.line, file=sys.stderr)
        return KEY_EXIT_CODE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
