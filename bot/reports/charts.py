"""Report charts as PNG bytes, drawn with matplotlib's Agg backend (no display needed).

Figures are made with the object API (``Figure``), never pyplot, so nothing global is kept
between charts; a lock still serialises drawing because font settings are process-wide.
Each chart comes with what was drawn (``series``) so tests and callers can check it without
decoding the image.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache

import matplotlib

matplotlib.use("Agg")  # before anything else touches a backend: servers have no display

from matplotlib import font_manager, rc_context
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from bot.core.summaries import Satisfaction, Share

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_SERIES = 8  # more categories than this in one chart are summed up as "other"
MAX_HEAT_ROWS, MAX_HEAT_COLS = 12, 16
_LOCK = threading.Lock()
# Fonts with Chinese glyphs, in order of preference; without one, charts fall back to English
# rather than draw empty boxes.
_CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans CJK TC",
    "Noto Sans SC",
    "Noto Sans TC",
    "Source Han Sans SC",
    "Source Han Sans TC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "SimHei",
    "Droid Sans Fallback",
    "AR PL UMing CN",
)


@dataclass(frozen=True)
class Chart:
    """One rendered chart."""

    name: str
    title: str
    png: bytes
    series: int  # bar groups, lines, or heat-map rows drawn
    labels: tuple[str, ...]  # the series' names (heat map: row names)


@cache
def cjk_family() -> str | None:
    """The installed font family that can draw Chinese, if any."""
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in _CJK_FAMILIES if name in installed), None)


def chart_language(lang: str) -> str:
    """The language charts can be drawn in: Chinese only with a Chinese font installed."""
    return lang if not lang.startswith("zh") or cjk_family() else "en"


def _render(
    name: str,
    title: str,
    draw: Callable[[Figure], tuple[int, tuple[str, ...]]],
    size: tuple[float, float] = (9.0, 4.8),
) -> Chart:
    family = cjk_family()
    fonts = [family, "DejaVu Sans"] if family else ["DejaVu Sans"]
    with (
        _LOCK,
        rc_context(
            {"font.family": "sans-serif", "font.sans-serif": fonts, "axes.unicode_minus": False}
        ),
    ):
        fig = Figure(figsize=size, dpi=100, layout="constrained")
        series, labels = draw(fig)
        fig.suptitle(title)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
    return Chart(name, title, buffer.getvalue(), series, labels)


def _no_data(fig: Figure, text: str) -> tuple[int, tuple[str, ...]]:
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=14, color="#666666")
    return 0, ()


def _day_labels(days: Sequence[date]) -> list[str]:
    return [d.strftime("%m-%d") for d in days]


def opened_by_day(
    title: str, days: Sequence[date], series: dict[str, list[int]], other: str, no_data: str
) -> Chart:
    """Stacked bars: tickets opened per day, one colour per category (named already)."""

    def draw(fig: Figure) -> tuple[int, tuple[str, ...]]:
        if not any(sum(v) for v in series.values()):
            return _no_data(fig, no_data)
        items = sorted(series.items(), key=lambda kv: -sum(kv[1]))
        if len(items) > MAX_SERIES:
            rest = [sum(col) for col in zip(*(v for _, v in items[MAX_SERIES - 1 :]), strict=True)]
            items = [*items[: MAX_SERIES - 1], (other, rest)]
        ax = fig.add_subplot()
        x = list(range(len(days)))
        bottom = [0] * len(days)
        for label, counts in items:
            ax.bar(x, counts, bottom=bottom, label=label)
            bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
        ax.set_xticks(x, _day_labels(days), rotation=45, ha="right", fontsize=8)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # tickets come whole
        fig.legend(fontsize=8, loc="outside right upper")
        return len(ax.containers), tuple(label for label, _ in items)

    return _render("opened_by_day", title, draw)


def deadlines(
    title: str,
    groups: dict[str, tuple[Share, Share]],
    accept_label: str,
    resolve_label: str,
    no_data: str,
) -> Chart:
    """Grouped bars: share of accept and resolve deadlines met per group (e.g. department)."""

    def draw(fig: Figure) -> tuple[int, tuple[str, ...]]:
        shown = {k: v for k, v in groups.items() if v[0].total or v[1].total}
        if not shown:
            return _no_data(fig, no_data)
        ax = fig.add_subplot()
        names = list(shown)
        y = list(range(len(names)))
        height = 0.38
        for offset, (label, which) in enumerate(((accept_label, 0), (resolve_label, 1))):
            shares = [shown[n][which] for n in names]
            values = [100 * (s.rate or 0.0) for s in shares]
            bars = ax.barh([p + (offset - 0.5) * height for p in y], values, height, label=label)
            ax.bar_label(
                bars,
                labels=[f"{s.met}/{s.total}" if s.total else "" for s in shares],
                fontsize=7,
                padding=2,
            )
        ax.set_yticks(y, names, fontsize=9)
        ax.invert_yaxis()
        ax.set_xlim(0, 110)
        ax.set_xlabel("%")
        fig.legend(fontsize=8, loc="outside lower center", ncols=2)
        return len(ax.containers), (accept_label, resolve_label)

    return _render("deadlines", title, draw)


def satisfaction_trend(
    title: str,
    days: Sequence[date],
    results: Sequence[Satisfaction],
    satisfied_label: str,
    average_label: str,
    no_data: str,
) -> Chart:
    """Lines per day: satisfaction rate (5 + 4) in % and the average rating (right axis)."""

    def draw(fig: Figure) -> tuple[int, tuple[str, ...]]:
        if not any(r.rated for r in results):
            return _no_data(fig, no_data)
        ax = fig.add_subplot()
        x = [n for n, r in enumerate(results) if r.rated]
        rates = [100 * (results[n].satisfied_rate or 0.0) for n in x]
        averages = [results[n].average or 0.0 for n in x]
        ax.plot(x, rates, marker="o", color="tab:green", label=satisfied_label)
        ax.set_ylim(0, 105)
        ax.set_ylabel("%")
        right = ax.twinx()
        right.plot(x, averages, marker="s", color="tab:blue", label=average_label)
        right.set_ylim(1, 5.2)
        ax.set_xticks(range(len(days)), _day_labels(days), rotation=45, ha="right", fontsize=8)
        ax.set_xlim(-0.5, len(days) - 0.5)
        lines = [*ax.get_lines(), *right.get_lines()]
        ax.legend(lines, [str(line.get_label()) for line in lines], fontsize=8, loc="lower left")
        return len(lines), (satisfied_label, average_label)

    return _render("satisfaction", title, draw)


def heat_map(
    title: str,
    rows: Sequence[str],
    cols: Sequence[str],
    counts: Sequence[Sequence[int]],
    no_data: str,
) -> Chart:
    """A category × building grid of ticket counts (busiest rows and columns first)."""

    def draw(fig: Figure) -> tuple[int, tuple[str, ...]]:
        if not rows or not cols:
            return _no_data(fig, no_data)
        shown_rows = list(rows[:MAX_HEAT_ROWS])
        shown_cols = list(cols[:MAX_HEAT_COLS])
        grid = [list(r[: len(shown_cols)]) for r in counts[: len(shown_rows)]]
        ax = fig.add_subplot()
        image = ax.imshow(grid, cmap="YlOrRd", aspect="auto")
        top = max((v for r in grid for v in r), default=0)
        for i, row in enumerate(grid):
            for j, value in enumerate(row):
                if value:
                    ax.text(
                        j,
                        i,
                        str(value),
                        ha="center",
                        va="center",
                        fontsize=8,
                        color="white" if value > top * 0.6 else "black",
                    )
        ax.set_xticks(range(len(shown_cols)), shown_cols, rotation=45, ha="right", fontsize=8)
        ax.set_yticks(range(len(shown_rows)), shown_rows, fontsize=8)
        fig.colorbar(image, ax=ax, shrink=0.8)
        return len(image.get_array()), tuple(shown_rows)  # type: ignore[arg-type]

    return _render("heat_map", title, draw, size=(10.0, 5.6))
