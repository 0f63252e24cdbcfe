"""All campaigns the bot serves, loaded from one directory of YAML files (one file per notice)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from content.hanzi import simplified_table
from content.loader import ContentError, ContentIssue, LoadedFile, check_file, display_path
from content.schema import Campaign

BUNDLED = Path(__file__).resolve().parent / "campaigns"
_PLACE_SUFFIXES = ("自治区", "地区", "市", "省", "州", "盟", "县", "区")


def place_name(campaign: Campaign) -> str:
    """How people name the campaign's region: 孝感市 → 孝感, 福建省 → 福建."""
    region = campaign.notice.region
    for suffix in _PLACE_SUFFIXES:
        if region.endswith(suffix) and len(region) - len(suffix) >= 2:
            return region[: -len(suffix)]
    return region


class Catalogue:
    """Campaigns by slug; `all()` lists the newest year first, then by slug."""

    def __init__(self, campaigns: Iterable[Campaign]) -> None:
        ordered = sorted(campaigns, key=lambda c: (-c.year, c.slug))
        self._by_slug = {c.slug: c for c in ordered}

    def get(self, slug: str | None) -> Campaign | None:
        return self._by_slug.get(slug) if slug else None

    def all(self) -> list[Campaign]:
        return list(self._by_slug.values())

    @property
    def slugs(self) -> list[str]:
        return list(self._by_slug)

    def named_in(self, text: str) -> list[Campaign]:
        """The campaigns whose region the text names ("孝感的报名时间", "福建"), any script."""
        simple = text.translate(simplified_table())
        return [c for c in self if place_name(c) in simple]

    def __contains__(self, slug: object) -> bool:
        return slug in self._by_slug

    def __iter__(self) -> Iterator[Campaign]:
        return iter(self._by_slug.values())

    def __len__(self) -> int:
        return len(self._by_slug)


def campaign_files(target: Path) -> list[Path]:
    """`target` itself when it is a file, else the *.yaml files directly inside it."""
    if target.is_file():
        return [target]
    return sorted(p for p in target.glob("*.yaml") if not p.name.startswith("."))


def check_catalogue(target: Path | None = None) -> tuple[list[LoadedFile], list[ContentIssue]]:
    """Every file's outcome, plus issues with the target itself (missing, no files)."""
    target = Path(target) if target is not None else BUNDLED
    if not target.exists():
        return [], [ContentIssue(display_path(target), None,
                                 "no such file or directory（没有这个文件或目录）")]
    files = [check_file(path) for path in campaign_files(target)]
    if not files:
        return [], [ContentIssue(display_path(target), None,
                                     "这里没有招录文件（*.yaml）：用 zhaolu new-campaign "
                                     "SLUG 新建")]
    return files, []


def load_catalogue(directory: Path | None = None) -> Catalogue:
    """The campaigns in `directory` (default: the bundled ones); a single file also works.

    Raises ContentError with the issues of ALL files, so one run shows everything to fix.
    """
    files, issues = check_catalogue(directory)
    issues += [issue for loaded in files for issue in loaded.issues]
    if issues:
        raise ContentError(issues)
    return Catalogue(loaded.campaign for loaded in files if loaded.campaign is not None)
