"""`zhaolu new-campaign SLUG [--out DIR|FILE] [--force]`: write a commented campaign skeleton.

The skeleton's blanks (【填写：…】) make `zhaolu check-content` fail until each is filled in, so a
half-written notice never goes live. Free of aiogram, like check-content.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from content.catalogue import BUNDLED
from content.loader import display_path
from content.schema import SCHEMA_VERSION

TEMPLATE = Path(__file__).resolve().parent.parent / "content" / "templates" / "new-campaign.yaml"
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")


def skeleton(slug: str, path: Path) -> str:
    """The skeleton's text for `slug`, to be written at `path`."""
    year = re.search(r"(20\d\d)", slug)
    values = {"slug": slug, "version": SCHEMA_VERSION, "path": display_path(path),
              "year": year.group(1) if year else "2024"}
    text = TEMPLATE.read_text(encoding="utf-8")
    return re.sub(r"\{(slug|version|path|year)\}", lambda m: str(values[m.group(1)]), text)


def main(args: argparse.Namespace) -> int:
    slug = args.slug
    if not SLUG.match(slug):
        print(f"slug “{slug}” 不合格式：小写英文、数字和 -，最多 32 个字符，如 qingxi-2024")
        return 2
    target = Path(args.out) if args.out else BUNDLED
    path = target / f"{slug}.yaml" if target.is_dir() or not target.suffix else target
    if path.stem != slug:
        print(f"文件名应为 {slug}.yaml（slug 必须与文件名相同）：{display_path(path)}")
        return 2
    if path.exists() and not args.force:
        print(f"{display_path(path)} 已存在；覆盖请加 --force")
        return 1
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(skeleton(slug, path), encoding="utf-8")
    print(f"wrote {display_path(path)}: 填写每个【填写：…】，然后运行 zhaolu check-content "
          f"{display_path(path)}")
    return 0
