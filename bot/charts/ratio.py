"""A ratio (or one price) with its 50- and 200-day averages and the crossings marked."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.legend_handler import HandlerTuple
from matplotlib.lines import Line2D
from matplotlib.typing import LineStyleType

from bot.charts import base, canvas, words
from bot.text.i18n import translator
from signals import series
from signals.ratio_cross import crossings

__all__ = ["CROSS_BAND", "WINDOWS", "mark_day", "ratio_chart"]

WINDOWS = (50, 200)
CROSS_BAND = 0.5
"""Percent of hysteresis for the crossings marked, as the presets use for their ratio
crosses: the markers are then the alerts a subscriber got, not every wiggle through the line."""


def ratio_chart(
    closes: pd.DataFrame,
    a: str,
    b: str | None,
    *,
    years: float = 2,
    synthetic: bool = False,
    window: int = 200,
    band: float = CROSS_BAND,
    highlight: dt.date | None = None,
    lang: str | None = None,
) -> bytes:
    """PNG of A/B (or of A alone when ``b`` is None) over the last ``years``, its 50- and
    200-day averages (and the ``window``-day one if different), and triangles where it
    crossed the ``window``-day average (up green, down red). Averages and crossings are
    computed on the whole history, so they are defined from the first day shown.

    Its words, numbers and dates are in ``lang`` (English by default).

    Raises ValueError when a ticker has no data or fewer than MIN_SESSIONS sessions
    fall in the window."""
    t = translator(lang)
    subject = a if b is None else f"{a}/{b}"
    h = base.history(closes, subject, years)
    days, x, start, shown = h.days, h.x, h.start, h.shown
    windows = sorted({*WINDOWS, int(window)})
    averages = {w: series.rolling_mean(x, w) for w in windows}
    pos, new = crossings(x, averages[window], band, "both")
    keep = days[pos] >= start
    pos, new = pos[keep], new[keep]
    value = words.ratio(t, x[-1])
    detail = t("ratio {value}", value=value) if b else value
    if np.isfinite(ma_last := averages[window][-1]):
        gap = (x[-1] / ma_last - 1) * 100
        far = words.percent(t, abs(gap), 1)
        if gap >= 0:
            detail = t("{value}, {gap} above {window}-day", value=detail, gap=far, window=window)
        else:
            detail = t("{value}, {gap} below {window}-day", value=detail, gap=far, window=window)
    head = base.heading(subject, h.last_day, detail=detail, synthetic=synthetic, lang=lang)
    # the data is gathered: draw it
    fig, (ax,) = canvas.figure(
        "ratio", lambda f: [base.style_axes(f.add_axes((0.035, 0.09, 0.83, 0.7)))]
    )
    d, v = days[shown], x[shown]
    handles: list[Line2D | tuple[Line2D, Line2D]]  # a tuple: two marks in one legend entry
    handles = [Line2D([], [], color=base.MAIN, linewidth=2.4, label=subject)]
    ax.plot(d, v, color=base.MAIN, linewidth=1.8, zorder=3)
    styles: dict[int, tuple[str, LineStyleType, float]]
    styles = {50: (base.FAST, "-", 2.2), 200: (base.SLOW, "-", 2.6)}
    for w in windows:
        ma = averages[w][shown]
        if not np.isfinite(ma).any():
            continue
        color, dash, width = styles.get(w, ("#2a9d8f", "--", 2.2))
        ax.plot(d, ma, color=color, linestyle=dash, linewidth=width, zorder=2)
        label = t("{window}-day", window=w)
        handles.append(Line2D([], [], color=color, linestyle=dash, linewidth=3, label=label))
    size = 170 if len(pos) <= 16 else 80  # many crossings (a long window): smaller marks
    lo, hi = float(np.nanmin(v)), float(np.nanmax(v))
    nudge = (hi - lo) * 0.035
    for way, marker, color in ((1, "^", base.UP), (-1, "v", base.DOWN)):
        at = pos[new * way > 0]
        ax.scatter(
            days[at],
            x[at] - way * nudge,
            marker=marker,
            s=size,
            color=color,
            zorder=5,
            edgecolors="white",
            linewidths=0.8,
        )
    if len(pos):
        marks = (
            Line2D([], [], marker="^", color=base.UP, linestyle="", markersize=11),
            Line2D([], [], marker="v", color=base.DOWN, linestyle="", markersize=11),
        )
        handles.append(marks)
    if highlight is not None:
        mark_day(ax, days, x, highlight, start)
    base.x_limits(ax, d)
    ax.set_ylim(lo - 2.2 * nudge, hi + 2.2 * nudge)
    ax.yaxis.set_major_formatter(base.value_formatter(t))
    base.date_axis(ax, t)
    labels = [str(h.get_label()) for h in handles if isinstance(h, Line2D)]
    if len(pos):
        labels.append(t("crosses {window}-day", window=window))
    base.legend(fig, handles, labels, handler_map={tuple: HandlerTuple(ndivide=None, pad=0.3)})
    base.draw_heading(fig, head)
    return canvas.to_png(fig, head)


def mark_day(ax: Axes, days: np.ndarray, x: np.ndarray, day: dt.date, start: np.datetime64) -> None:
    """A ring around the alert's session, when it is on the chart."""
    at = int(np.searchsorted(days, np.datetime64(day, "D")))
    if at < len(days) and days[at] == np.datetime64(day, "D") and days[at] >= start:
        ax.scatter(
            [days[at]],
            [x[at]],
            s=520,
            facecolors="none",
            edgecolors=base.INK,
            linewidths=2.0,
            clip_on=False,
            zorder=6,
        )
