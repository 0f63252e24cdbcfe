"""`zhaolu check-content [DIR|FILE]`: validate campaign files, print `FILE:LINE: message` per issue.

Must stay free of aiogram (and of storage): authors run it on every edit.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from bot.settings import Settings
from content.catalogue import check_catalogue
from content.eligibility import check_examples
from content.loader import ContentIssue, LoadedFile
from content.reminders import reminder_problems
from content.schema import Campaign
from content.silence import silence_problems
from content.texts import default_texts

ExampleCheck = Callable[[Campaign], list[str]]


def main(args: argparse.Namespace) -> int:
    target = Path(args.dir) if args.dir else Settings().content_dir  # ZHAOLU_CONTENT_DIR
    files, issues = check_catalogue(target)
    for loaded in files:
        issues += loaded.issues
        campaign = loaded.campaign
        if campaign is not None:
            issues += _section_labels(loaded, campaign)
            if campaign.eligibility is not None:
                issues += _examples(loaded, campaign, check_examples)
            if campaign.reminders:
                issues += [ContentIssue(loaded.display, loaded.line_of(("reminders",)), message)
                           for message in reminder_problems(campaign)]
            issues += [ContentIssue(loaded.display, loaded.line_of(loc), message)
                       for loc, message in silence_problems(campaign)]
            if campaign.form is not None:
                issues += [ContentIssue(loaded.display, loaded.line_of(("form",)), message)
                           for message in campaign.form.problems(campaign)]
    for issue in issues:
        print(issue)
    for hint in (hint for loaded in files for hint in loaded.hints):
        print(hint)
    if getattr(args, "questions", False):
        _ask_questions([f.campaign for f in files if f.campaign is not None])
    if issues:
        broken = len({issue.file for issue in issues})
        print(f"{len(issues)} issue{'s' if len(issues) != 1 else ''} "
              f"in {broken} file{'s' if broken != 1 else ''}")
        return 1
    print(f"ok: {len(files)} campaign{'s' if len(files) != 1 else ''}")
    return 0


def _ask_questions(campaigns: list[Campaign]) -> None:
    """--questions: what each generic question would cite (content/question_check.py)."""
    from content.question_check import report

    for campaign in campaigns:
        print("\n".join(report(campaign)))


def _examples(loaded: LoadedFile, campaign: Campaign, check: ExampleCheck) -> list[ContentIssue]:
    line = loaded.line_of(("eligibility",))
    try:
        failures = check(campaign)
    except Exception as exc:  # a crash in the rules is an issue of this file, not of the command
        failures = [f"eligibility examples could not run: {type(exc).__name__}: {exc}"]
    return [ContentIssue(loaded.display, line, message) for message in failures]


def _section_labels(loaded: LoadedFile, campaign: Campaign) -> list[ContentIssue]:
    """A section key needs a menu label: a content.section.* text or the campaign's own."""
    texts = default_texts()
    return [
        ContentIssue(loaded.display, loaded.line_of(("sections", key)),
                     f"sections.{key}: no menu label（没有菜单名称）：在 section_titles 下写 "
                     f"{key}: 菜单名称")
        for key in campaign.sections
        if f"content.section.{key}" not in texts and key not in campaign.section_titles
    ]
