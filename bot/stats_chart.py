"""The statistics chart: one PNG, 1080 px wide (a phone's screen), three panels: the funnel, each
base's first-choice pre-registrations against its quota, and new pre-registrations per day.

Drawn headless with matplotlib's Agg canvas (no pyplot, no GUI, no display). The Chinese labels
use Noto Sans SC, shipped inside the pylopdf-fonts-zh-cn wheel (SIL OFL 1.1, a dependency in
pyproject.toml) and loaded by its path: the chart never depends on the fonts a machine happens to
have (fontconfig's fallback would draw empty boxes). Drawing takes tens of milliseconds to a
second: callers in the event loop run it in a thread (asyncio.to_thread); one lock keeps two
drawings from sharing matplotlib's font caches at once.
"""

from __future__ import annotations

import io
import threading
from functools import cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # before anything else of matplotlib: never a GUI backend

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.font_manager import FontProperties  # noqa: E402
from matplotlib.ft2font import FT2Font  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from bot.stats_text import plain, stage_label, when_label  # noqa: E402
from content.texts import Texts  # noqa: E402
from storage.stats import Figures  # noqa: E402

WIDTH_IN, DPI = 10.8, 100  # 1080 px
MAX_BASES = 15  # bars drawn; the rest are named in a note (the text lists them)
MAX_NAME = 12  # characters of a base name on the axis
BLUE, GREY, ORANGE, INK = "#2f6fb3", "#d5dbe3", "#e07b25", "#1f2933"
LEFT, RIGHT, MARGIN = 0.27, 0.96, 0.03  # of the width: axes, and the titles' left edge
DAILY_LEFT = 0.07  # the daily panel needs no room for names
_LOCK = threading.Lock()


@cache
def font_path() -> Path:
    """Noto Sans SC from its wheel; an ImportError here means the project's install is broken."""
    import pylopdf_fonts_zh_cn

    path = Path(pylopdf_fonts_zh_cn.sans_path())
    if not path.is_file():
        raise FileNotFoundError(f"the chart's font is missing: {path}")
    return path


def font(size: float, bold: bool = False) -> FontProperties:
    return FontProperties(fname=str(font_path()), size=size,
                          weight="bold" if bold else "normal")


def missing_glyphs(text: str) -> set[str]:
    """The characters of `text` the chart's font has no glyph for (they would be tofu)."""
    face = FT2Font(str(font_path()))
    return {ch for ch in set(text) if not ch.isspace() and face.get_char_index(ord(ch)) == 0}


def _plain(text: str) -> str:
    """Data drawn as it is: a "$" in a name must not start matplotlib's mathtext."""
    return text.replace("$", r"\$")


def _short(name: str) -> str:
    return _plain(name if len(name) <= MAX_NAME else name[:MAX_NAME - 1] + "…")


def _title(ax, title: str, left: float = LEFT) -> None:  # noqa: ANN001
    """A panel's title at the figure's left margin (given in the axes' own coordinates)."""
    ax.set_title(title, loc="left", x=(MARGIN - left) / (RIGHT - left), fontproperties=font(18),
                 color=INK, pad=12)


def _funnel(ax, texts: Texts, figures: Figures) -> None:  # noqa: ANN001
    stages = [(s, n) for s, n in figures.funnel if n is not None]
    labels = [stage_label(texts, figures, s) for s, _ in stages]
    counts = [n or 0 for _, n in stages]
    top = max(counts, default=0) or 1
    ax.barh(range(len(stages)), counts, color=BLUE, height=0.65)
    for i, n in enumerate(counts):
        share = "" if i == 0 or not counts[i - 1] else f" ({round(100 * n / counts[i - 1])}%)"
        ax.text(n + top * 0.01, i, f"{n}{share}", va="center", fontproperties=font(15),
                color=INK)
    key = "stats.chart.funnel" if figures.bases_scope is None else "stats.chart.funnel_base"
    _frame(ax, texts(key), labels, top)


def _frame(ax, title: str, labels: list[str], top: float) -> None:  # noqa: ANN001
    _title(ax, title)
    ax.set_yticks(range(len(labels)), labels=labels, fontproperties=font(15))
    ax.invert_yaxis()
    ax.set_xlim(0, top * 1.3)
    ax.xaxis.set_visible(False)
    for side in ("top", "right", "bottom"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", length=0)


def _bases(ax, texts: Texts, figures: Figures) -> None:  # noqa: ANN001
    shown = figures.bases[:MAX_BASES]
    if not shown:
        ax.set_axis_off()
        _title(ax, texts("stats.chart.bases"))
        note = texts("stats.chart.no_bases_count", n=figures.no_base) if figures.no_base \
            else texts("stats.chart.no_bases")
        ax.text((MARGIN - LEFT) / (RIGHT - LEFT), 0.6, note, fontproperties=font(15), color=INK,
                transform=ax.transAxes, va="center")
        return
    top = max([b.pre_registered for b in shown] + [b.quota or 0 for b in shown]) or 1
    positions = range(len(shown))
    ax.barh(positions, [b.quota or 0 for b in shown], color=GREY, height=0.7)
    ax.barh(positions, [b.pre_registered for b in shown], color=BLUE, height=0.4,
            label=texts("stats.chart.pre_registered"))
    # The quota also as a dark mark: visible however far the bar runs past it.
    quota_label = texts("stats.chart.quota")
    for i, b in enumerate(shown):
        if b.quota is not None:
            ax.plot([b.quota, b.quota], [i - 0.38, i + 0.38], color=INK, linewidth=3,
                    solid_capstyle="butt", label=quota_label)
            quota_label = "_nolegend_"
    for i, b in enumerate(shown):
        quota = texts("stats.chart.no_quota") if b.quota is None else str(b.quota)
        ax.text(max(b.pre_registered, b.quota or 0) + top * 0.01, i,
                f"{b.pre_registered} / {quota}", va="center", fontproperties=font(15), color=INK)
    _frame(ax, texts("stats.chart.bases"), [_short(b.name) for b in shown], top)
    ax.legend(loc="lower right", bbox_to_anchor=(1, 1), ncol=2, prop=font(13), frameon=False)
    if len(figures.bases) > len(shown):
        ax.annotate(texts("stats.chart.more_bases", n=len(figures.bases) - len(shown)),
                    xy=(0, 0), xycoords="axes fraction", xytext=(0, -8),
                    textcoords="offset points", va="top", fontproperties=font(13), color=INK)


def _daily(ax, texts: Texts, figures: Figures) -> None:  # noqa: ANN001
    box = ax.get_position()
    ax.set_position((DAILY_LEFT, box.y0, RIGHT - DAILY_LEFT, box.height))
    _title(ax, texts("stats.chart.daily"), DAILY_LEFT)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if not figures.days:
        ax.set_axis_off()
        ax.text(0, 0.5, texts("stats.chart.daily_before"), fontproperties=font(15), color=INK,
                transform=ax.transAxes, va="center")
        return
    counts = [n for _, n in figures.days]
    xs = range(len(counts))
    ax.plot(xs, counts, color=ORANGE, linewidth=2.5, marker="o" if len(xs) <= 31 else None)
    ax.fill_between(xs, counts, color=ORANGE, alpha=0.15)
    step = max(1, -(-len(xs) // 8))
    ticks = list(range(0, len(xs), step))
    ax.set_xticks(ticks, labels=[f"{figures.days[i][0].month}/{figures.days[i][0].day}"
                                 for i in ticks], fontproperties=font(13))
    ax.set_xlim(-0.5, len(xs) - 0.5)
    ax.set_ylim(0, max(counts + [1]) * 1.15)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=5))
    for label in ax.get_yticklabels():
        label.set_fontproperties(font(13))
    ax.grid(axis="y", color=GREY, linewidth=0.8)


def build(texts: Texts, figures: Figures) -> Figure:
    """The chart as a matplotlib Figure (the tests read its texts)."""
    funnel_rows = sum(1 for _, n in figures.funnel if n is not None)
    base_rows = max(2, min(len(figures.bases), MAX_BASES))
    ratios = [funnel_rows, base_rows, 5]
    height = 2.2 + 0.55 * sum(ratios)
    fig = Figure(figsize=(WIDTH_IN, height), dpi=DPI, facecolor="white")
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(3, 1, height_ratios=ratios, hspace=0.4,
                            left=LEFT, right=RIGHT, top=1 - 1.6 / height, bottom=0.45 / height)
    title = _plain(f"{figures.campaign}\n{_scope_line(texts, figures)}")
    fig.text(MARGIN, 1 - 0.25 / height, title, va="top", fontproperties=font(17, bold=True),
             color=INK, linespacing=1.5)
    _funnel(fig.add_subplot(grid[0]), texts, figures)
    _bases(fig.add_subplot(grid[1]), texts, figures)
    _daily(fig.add_subplot(grid[2]), texts, figures)
    return fig


def _scope_line(texts: Texts, figures: Figures) -> str:
    if figures.bases_scope is None:
        return plain(texts("stats.scope.campaign", when=when_label(figures)))
    names = "、".join(b.name for b in figures.bases) or "、".join(figures.bases_scope)
    return plain(texts("stats.scope.bases", bases=names, when=when_label(figures)))


def draw_png(texts: Texts, figures: Figures) -> bytes:
    """The chart as PNG bytes (blocking: run it in a thread from the event loop)."""
    with _LOCK:
        fig = build(texts, figures)
        out = io.BytesIO()
        # No PNG "optimize": it saves 2% of the bytes and doubles the time.
        fig.savefig(out, format="png", dpi=DPI, facecolor="white")
    return out.getvalue()
