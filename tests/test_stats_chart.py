"""The chart: a PNG a phone shows well, every label drawn in the bundled CJK font (no tofu), and
the text within one message however many bases a campaign lists.

The glyph check reads every text the drawn figure holds, so a label added later in a character
the font lacks (or drawn in another font) fails here, not on a coordinator's phone.
"""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import matplotlib
import pytest
from matplotlib.ft2font import FT2Font
from matplotlib.text import Text
from PIL import Image

from bot.clock import parse_moment
from bot.stats_chart import build, draw_png, font_path, missing_glyphs
from bot.stats_text import LIMIT, plain, render
from content.catalogue import Catalogue
from content.schema import Campaign
from content.texts import default_texts
from storage.stats import STAGES, BaseFigures, Figures, stage_index

NOW = parse_moment("2023-06-12T10:00:00+08:00")


def sample(campaign: Campaign, *, scope: tuple[str, ...] | None = None, days: int = 40,
           bases: tuple[BaseFigures, ...] | None = None) -> Figures:
    counts = [1200, 900, 700, 520, 300, 250, 180, 100]
    funnel = tuple((s, None if scope and i < 3 else n)
                   for i, (s, n) in enumerate(zip(STAGES, counts, strict=True)))
    lines = bases if bases is not None else tuple(
        BaseFigures(b.id, b.name, b.quota, 20 + i, 5) for i, b in enumerate(campaign.plan.bases)
        if scope is None or b.id in scope)
    opens = campaign.registration.window.opens.date()
    return Figures(
        slug=campaign.slug, campaign=campaign.name, now=NOW, bases_scope=scope, funnel=funnel,
        outcomes={"review_failed": 3, "not_admitted": 2, "gave_up": 1, "withdrawn": 4},
        bases=lines, no_base=0 if campaign.plan.bases else 520,
        total_quota=campaign.plan.total_quota, quota_source=campaign.plan.where_published,
        opens=opens, closes=campaign.registration.window.closes.date(),
        days=tuple((opens + timedelta(days=i), (i * 7) % 11) for i in range(days)))


def many_bases(n: int) -> tuple[BaseFigures, ...]:
    name = "某某省某某市第{}人民医院附属基层培训基地"
    return tuple(BaseFigures(f"b{i}", name.format(i), 5 if i % 3 else None, i, i // 2)
                 for i in range(n))


def drawn_texts(figures: Figures) -> list[Text]:
    fig = build(default_texts(), figures)
    fig.canvas.draw()
    return [t for t in fig.findobj(Text) if t.get_text().strip() and t.get_visible()]


def variants(catalogue: Catalogue) -> list[Figures]:
    found = []
    for campaign in catalogue:
        found.append(sample(campaign))
        found.append(sample(campaign, days=0))  # before the window opens
        for base in campaign.plan.bases:
            found.append(sample(campaign, scope=(base.id,)))
    found.append(sample(catalogue.get("xiaogan-2023"), bases=many_bases(20)))
    return found


def test_every_label_has_a_glyph_in_the_bundled_font(catalogue: Catalogue) -> None:
    path = font_path()
    assert "site-packages" in path.parts or "dist-packages" in path.parts  # the wheel's, by path
    for figures in variants(catalogue):
        texts = drawn_texts(figures)
        words = "".join(t.get_text() for t in texts)
        assert "报名漏斗" in words and figures.campaign in words
        assert missing_glyphs(words) == set(), figures.slug
        for t in texts:
            if any(ord(ch) > 0x2E7F for ch in t.get_text()):  # CJK: drawn in our font
                assert Path(t.get_fontproperties().get_file()) == path, t.get_text()


def test_the_glyph_check_can_fail() -> None:
    # The machine's own font (DejaVu, what matplotlib falls back to) has no Chinese at all: a
    # chart drawn in it would be tofu, and a character outside the bundled font is reported.
    dejavu = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    assert FT2Font(str(dejavu)).get_char_index(ord("报")) == 0
    assert missing_glyphs("报名\ue000") == {"\ue000"}


def test_the_png_is_small_phone_wide_and_readable_back(catalogue: Catalogue) -> None:
    for figures in (sample(catalogue.get("xiaogan-2023"), days=58),
                    sample(catalogue.get("xiaogan-2023"), bases=many_bases(60), days=90),
                    sample(catalogue.get("fujian-2023"), days=0)):
        png = draw_png(default_texts(), figures)
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) < 300_000
        image = Image.open(io.BytesIO(png))
        image.load()
        # Telegram's photo rules: width + height ≤ 10000, ratio ≤ 20.
        assert image.width == 1080 and image.height < 3000


def test_many_bases_are_cut_politely_in_the_chart_and_the_text(catalogue: Catalogue) -> None:
    figures = sample(catalogue.get("xiaogan-2023"), bases=many_bases(400))
    words = "".join(t.get_text() for t in drawn_texts(figures))
    assert "另有 385 个基地未画出" in words
    text = render(default_texts(), figures)
    assert len(text) <= LIMIT and text.endswith("近 7 天 37 人。")  # the days still follow
    assert "…另有" in text and "个基地未列出（完整数字见图表，或用 zhaolu stats）" in text
    assert text.count("<b>") == text.count("</b>")  # cut between lines, never inside a tag


def test_text_for_base_staff_and_for_a_campaign_without_bases(catalogue: Catalogue) -> None:
    xiaogan, fujian = catalogue.get("xiaogan-2023"), catalogue.get("fujian-2023")
    text = plain(render(default_texts(), sample(xiaogan, scope=("hanchuan",))))
    assert "范围：汉川市人民医院（第一志愿）" in text and "\n选择本项目" not in text
    assert text.splitlines()[5] == "已预登记 520"  # the first stage shown: no share
    text = plain(render(default_texts(), sample(fujian)))
    assert "通知未列出各基地及名额。培训基地招生计划在福建省助理全科医生培训网" in text
    assert "已预登记 520 人（未分基地）" in text
    closed = plain(render(default_texts(), replace(sample(fujian), now=NOW.replace(month=8))))
    assert "报名已截止" in closed


@pytest.mark.parametrize(("status", "stage"), [
    ("pre_registered", "pre_registered"), ("officially_registered", "officially_registered"),
    ("review_passed", "review_passed"), ("review_failed", "officially_registered"),
    ("admitted", "admitted"), ("not_admitted", "officially_registered"),
    ("reported", "reported"), ("gave_up", "pre_registered"),
    ("a_status_of_next_year", "pre_registered")])
def test_each_status_proves_a_stage(status: str, stage: str) -> None:
    assert stage_index(status) == STAGES.index(stage)


def test_withdrawn_counts_at_no_stage() -> None:
    assert stage_index("withdrawn") is None


def test_the_busiest_day_and_the_last_seven(catalogue: Catalogue) -> None:
    figures = replace(sample(catalogue.get("xiaogan-2023")), days=(
        (date(2023, 6, 1), 3), (date(2023, 6, 5), 9), (date(2023, 6, 6), 9),
        (date(2023, 6, 11), 2), (date(2023, 6, 12), 1)))
    assert figures.busiest == (date(2023, 6, 5), 9)  # the first of equal days
    assert figures.last_7_days == 9 + 2 + 1  # 6 June to 12 June
    assert figures.as_json()["busiest"] == {"date": "2023-06-05", "count": 9}


def test_the_total_quota_is_the_notices_or_the_sum_of_every_bases(catalogue: Catalogue) -> None:
    from storage.stats import _total_quota

    xiaogan = catalogue.get("xiaogan-2023")
    assert _total_quota(xiaogan) == 22
    plan = xiaogan.plan.model_copy(update={"total_quota": None})
    assert _total_quota(xiaogan.model_copy(update={"plan": plan})) == 10 + 6 + 6
    bases = [plan.bases[0].model_copy(update={"quota": None}), *plan.bases[1:]]
    partial = plan.model_copy(update={"bases": bases})
    assert _total_quota(xiaogan.model_copy(update={"plan": partial})) is None  # 名额未列出
    assert _total_quota(catalogue.get("fujian-2023")) is None
