"""What every chart shares: the canvas size, fonts and colours, names, the header, axes.
(The figures themselves and their PNG: :mod:`bot.charts.canvas`.)

Size. Telegram re-encodes a photo to at most 1280 px on its long side, so a 1280 x 960 PNG
reaches the chat pixel for pixel (a larger one would only be scaled down, softening the
text). 4:3 landscape suits time series and fills the width of a phone's chat bubble.

Fonts. The figure is 6.4 x 4.8 inches at 200 dpi, so a point is 2.8 px: a 14 pt
tick label is a 39 px font, about 3% of the width — still ~10 CSS px once a phone shrinks the
photo to its ~330 px wide bubble, and full size when tapped. No font is under 13 pt.

Threads. Only the object API (``Figure`` + ``FigureCanvasAgg``): no pyplot, no change to
the global rcParams; every size and colour is passed explicitly, so charts can be drawn
in worker threads at once (each thread reuses its own figures: bot.charts.canvas.figure).

Determinism. The PNG carries no "Software" or date chunk; the same frame gives the same
bytes on every run (tests/bot/charts/test_charts.py checks).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure

from bot.charts import fitting, words
from bot.charts.canvas import DPI, SIZE
from bot.charts.fitting import fit
from bot.charts.heading import Heading
from bot.charts.ticks import StepDecimals
from bot.text.i18n import Translator, translator
from signals import series
from signals.rules import RATE_TICKERS, split_subject
from signals.sentence import Sentence

__all__ = [
    "BADGE",
    "DOWN",
    "FAST",
    "GRID",
    "INK",
    "MAIN",
    "MIN_SESSIONS",
    "MUTED",
    "SLOW",
    "SMALL_PT",
    "TEXT_PT",
    "TITLE_MIN_PT",
    "TITLE_PT",
    "UP",
    "History",
    "check_frame",
    "date_axis",
    "draw_heading",
    "fit",
    "heading",
    "history",
    "is_rate",
    "legend",
    "quiet_label",
    "require",
    "style_axes",
    "value_formatter",
    "x_limits",
]  # defined in bot.charts.canvas, read here by every chart

# Points. At 200 dpi one point is 2.8 px.
TITLE_PT = 19.0
TITLE_MIN_PT = 14.0
TEXT_PT = 14.0
SMALL_PT = 13.0

INK = "#1a1a1a"
MUTED = "#555555"
GRID = "#d9d9d9"
MAIN = "#1f4e99"  # the ratio / price line
FAST = "#e08a00"  # 50-day average
SLOW = "#7a3b9c"  # 200-day average
UP = "#15803d"  # crossings up, records
DOWN = "#c62828"  # crossings down, drawdowns
BADGE = "#d35400"  # the "synthetic" badge

"""Badge on every chart drawn from the bundled synthetic market (never real prices)."""


def is_rate(ticker: str) -> bool:
    """A yield: its level is what matters, shown in percent, no drawdown."""
    return ticker in RATE_TICKERS


def heading(
    subject: str,
    last: dt.date,
    *,
    detail: str = "",
    label: str | None = None,
    synthetic: bool = False,
    lang: str | None = None,
) -> Heading:
    """``IWM/SPY — small caps vs large caps`` over ``last close 2026-10-30 · <detail>``, in
    ``lang``."""
    from bot.text import names

    t = translator(lang)
    label = names.subject_label(subject, t) if label is None else label
    title = f"{subject} — {label}" if label else subject
    subtitle = t("last close {day}", day=words.day(t, last))
    if detail:
        subtitle += f" · {detail}"
    return Heading(title, subtitle, synthetic, t.lang)


# ---------------------------------------------------------------------------- data access


MIN_SESSIONS = 20
"""Fewer sessions than this in the chart's window is not a chart, it is a dot."""


def check_frame(closes: pd.DataFrame) -> None:
    if not isinstance(closes.index, pd.DatetimeIndex):
        raise ValueError("closes must have a DatetimeIndex of sessions")


def require(closes: pd.DataFrame, tickers: Sequence[str]) -> None:
    """ValueError naming the tickers the frame has no value for."""
    check_frame(closes)
    missing = [
        t
        for t in tickers
        if t not in closes.columns or not pd.to_numeric(closes[t], errors="coerce").notna().any()
    ]
    if missing:
        raise ValueError(Sentence("no data for {tickers}", tickers=", ".join(missing)))


@dataclass(frozen=True, slots=True)
class History:
    """A ticker's closes or a pair's ratio over the whole frame (averages and records need
    all of it), and the window a chart shows of it."""

    days: np.ndarray  # datetime64[D], one per value
    x: np.ndarray
    start: np.datetime64  # the first day shown
    shown: np.ndarray  # days >= start

    @property
    def last_day(self) -> dt.date:
        day: dt.date = pd.Timestamp(self.days[-1]).date()
        return day


def history(closes: pd.DataFrame, subject: str, years: float) -> History:
    """``subject`` with its last ``years`` shown. Raises ValueError when a ticker has no data
    or fewer than MIN_SESSIONS sessions fall in the window."""
    require(closes, split_subject(subject))
    ser = series.subject_series(closes, subject)
    days = pd.DatetimeIndex(closes.index).values.astype("M8[D]")[ser.rows]
    last = days[-1] if len(days) else np.datetime64("NaT")
    start = last - np.timedelta64(round(years * 365.25), "D")
    shown = days >= start
    if (n := int(shown.sum())) < MIN_SESSIONS:
        raise ValueError(
            Sentence(
                "too little history for {subject}: {n} sessions, a chart needs at least {least}",
                subject=subject,
                n=n,
                least=MIN_SESSIONS,
            )
        )
    return History(days, ser.values, start, shown)


# ---------------------------------------------------------------------------- drawing


def draw_heading(fig: Figure, h: Heading, *, left: float = 0.035, right: float = 0.965) -> None:
    """Title, subtitle, and the synthetic badge, in whole words: a title too wide for the room
    beside the badge is shrunk (to TITLE_MIN_PT, then to SMALL_PT), else said shorter
    (bot.charts.fitting.title_choices) and shrunk the same way; only a title that fits in
    none of these ways is cut with "…" (a cut title reads as something else: issue 26). A
    subtitle too wide even at SMALL_PT loses its last clauses (fitting.clause_choices)."""
    renderer = fitting.renderer(fig)
    width_px = (right - left) * SIZE[0]
    if h.synthetic:
        badge = fig.text(
            right,
            0.955,
            h.note,
            ha="right",
            va="center",
            fontsize=TEXT_PT,
            fontweight="bold",
            color="white",
            bbox={"boxstyle": "round,pad=0.3", "facecolor": BADGE, "edgecolor": BADGE},
        )
        width_px -= badge.get_window_extent(renderer).width + 40
    title = fig.text(
        left,
        0.955,
        h.title,
        ha="left",
        va="center",
        fontsize=TITLE_PT,
        fontweight="bold",
        color=INK,
    )
    choices = fitting.title_choices(h.title)
    if not fitting.say_first(title, choices, width_px, (TITLE_MIN_PT, SMALL_PT)):
        title.set_text(choices[-1])
        fitting.fit(title, width_px, SMALL_PT)
    sub = fig.text(left, 0.895, h.subtitle, ha="left", va="center", fontsize=TEXT_PT, color=MUTED)
    whole = (right - left) * SIZE[0]
    if not fitting.say_first(sub, fitting.clause_choices(h.subtitle), whole, (SMALL_PT,)):
        fitting.fit(sub, whole, SMALL_PT)


def style_axes(ax: Axes) -> Axes:
    """Light grid, no box, large tick labels; values read on the right, by the latest data.
    Set once, where a kind of chart makes its axes (bot.charts.canvas.figure): no chart
    changes these afterwards, and setting them again on reused axes cost ~8 ms a chart."""
    ax.set_facecolor("white")
    ax.grid(True, color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "left"):
        ax.spines[side].set_visible(False)
    for side in ("bottom", "right"):
        ax.spines[side].set_color(MUTED)
    ax.tick_params(labelsize=TEXT_PT, colors=INK, length=4)
    ax.yaxis.tick_right()
    return ax


def date_axis(ax: Axes, t: Translator) -> None:
    """5-8 date ticks, labelled the short way: 2025, May, Sep, 2026 ... (months named in
    the language)."""
    locator = AutoDateLocator(minticks=4, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    if t.english:
        fmt = ConciseDateFormatter(locator, show_offset=False)
    else:
        fmt = words.LocalDates(locator, t.lang)
    ax.xaxis.set_major_formatter(fmt)


def x_limits(ax: Axes, d: np.ndarray) -> None:
    """The dates shown, with room on the right for the last marker or ring."""
    pad = max(np.timedelta64(3, "D"), (d[-1] - d[0]) // 30)
    ax.set_xlim(d[0], d[-1] + pad)


def value_formatter(t: Translator) -> StepDecimals:
    """Tick labels with thousands separators and as many decimals as the ticks' step needs:
    5,000 for an index, 0.450 0.475 0.500 for a ratio in steps of 0.025 (5.000 and 0,475
    in German; bot.charts.ticks says why)."""

    def fmt(v: float, decimals: int) -> str:
        return words.number(t, v, decimals)

    return StepDecimals(fmt)


def legend(
    fig: Figure,
    handles: Sequence[Artist | tuple[Artist, ...]],
    labels: list[str] | None = None,
    **kw: Any,
) -> None:
    """One row of legend under the subtitle, outside the data."""
    fig.legend(
        handles=handles,
        labels=labels if labels is not None else [cast(Artist, h).get_label() for h in handles],
        loc="center left",
        bbox_to_anchor=(0.025, 0.838),
        ncol=len(handles),
        frameon=False,
        fontsize=TEXT_PT,
        handlelength=1.4,
        handletextpad=0.4,
        columnspacing=0.9,
        labelcolor=INK,
        **kw,
    )


def quiet_label(
    ax: Axes,
    d: np.ndarray,
    v: np.ndarray,
    y: float,
    text: str,
    *,
    below: bool = False,
    **kw: Any,
) -> None:
    """Write ``text`` just above the horizontal line at ``y`` (just under it when ``below``:
    the label of the band under the line), where it hides the fewest points of the series
    (d, v); axis limits must be set already."""
    box = ax.get_position()
    width = len(text) * 0.62 * SMALL_PT * DPI / 72 / (box.width * SIZE[0])
    y0, y1 = ax.get_ylim()
    height = SMALL_PT * DPI / 72 * 1.25 / (box.height * SIZE[1]) * (y1 - y0)
    n = len(v)
    w = max(1, min(n, round(width * 1.3 * n)))  # with a margin either side
    low, high = (
        (y - 1.5 * height, y + 0.3 * height) if below else (y - 0.3 * height, y + 1.5 * height)
    )
    with np.errstate(invalid="ignore"):
        inside = ((v >= low) & (v <= high)).astype(np.int64)
    counts = np.convolve(inside, np.ones(w, dtype=np.int64), mode="valid")
    at = len(counts) - 1 - int(np.argmin(counts[::-1]))  # the rightmost of the quietest
    at += round(width * 0.15 * n) if len(counts) > 1 else 0
    ax.annotate(
        text,
        (d[at], y),
        xytext=(0, -2 if below else 2),
        textcoords="offset points",
        fontsize=SMALL_PT,
        va="top" if below else "bottom",
        ha="left",
        zorder=6,
        bbox={
            "boxstyle": "square,pad=0.1",
            "facecolor": "white",
            "edgecolor": "none",
            "alpha": 0.75,
        },
        **kw,
    )
