"""One ticker: its price with record closes and the drawdown from its 52-week high, or for a
yield just its level against round levels."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, FuncFormatter, MultipleLocator, NullFormatter

from bot.charts import base, canvas, words
from bot.charts.ratio import mark_day
from bot.text.i18n import Translator, translator
from signals import drawdown, series
from signals.record_high import record_rows

__all__ = ["DD_LINES", "HIGH_WINDOW", "RATE_STEPS", "price_chart"]

HIGH_WINDOW = int(drawdown.DEFAULTS["window"])  # 252 sessions: the 52-week high
DD_LINES = (10.0, drawdown.BEAR)  # correction, bear market
RATE_STEPS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0)


def price_chart(
    closes: pd.DataFrame,
    ticker: str,
    *,
    years: float = 2,
    synthetic: bool = False,
    levels: Sequence[float] = (),
    drawdowns: Sequence[float] = DD_LINES,
    alert_drawdown: float | None = None,
    highlight: dt.date | None = None,
    lang: str | None = None,
) -> bytes:
    """PNG of one ticker over the last ``years``.

    A price: the close, its trailing 52-week high, record closes (above every earlier close
    in the whole frame) as green dots, and a lower panel with the drawdown from the 52-week
    high in percent, dashed lines at ``drawdowns`` (10% correction, 20% bear market) and a
    red one at ``alert_drawdown`` (a drawdown alert's threshold). A yield
    (^TNX, ^IRX ...): the level alone, with lines at round levels. ``levels`` adds a labelled
    horizontal line each (a level_cross alert's level); ``highlight`` rings one session.

    Its words, numbers and dates are in ``lang`` (English by default).

    Raises ValueError when the ticker has no data or too few sessions in the window."""
    t = translator(lang)
    h = base.history(closes, ticker, years)
    days, x, start, shown = h.days, h.x, h.start, h.shown
    rate = base.is_rate(ticker)
    if rate:
        detail = t(
            "{level}, {change} points in a month",
            level=words.percent(t, x[-1], 2),
            change=words.signed(t, x[-1] - x[max(0, len(x) - 22)], 2),
        )
    else:
        high = series.rolling_max(x, HIGH_WINDOW)
        dd = (x / high - 1.0) * 100.0
        recs = record_rows(x)[1:]  # the first close is where the data starts, not a record
        detail = _price_detail(x, days, recs, t)
        recs = recs[days[recs] >= start]
    head = base.heading(ticker, h.last_day, detail=detail, synthetic=synthetic, lang=lang)
    # the data is gathered: draw it
    if rate:
        fig, (ax,) = canvas.figure(
            "rate", lambda f: [base.style_axes(f.add_axes((0.035, 0.09, 0.83, 0.7)))]
        )
        _rate_panel(ax, days[shown], x[shown], levels, t)
        handles = [Line2D([], [], color=base.MAIN, linewidth=3, label=f"{ticker}, %")]
    else:
        fig, (top, low) = canvas.figure("price", _price_axes)
        _price_panel(top, days, x, high, recs, shown, levels, t)
        _drawdown_panel(low, days[shown], dd[shown], drawdowns, alert_drawdown, t)
        fig.text(
            0.035,
            0.335,
            t("Drawdown from the 52-week high"),
            fontsize=base.SMALL_PT,
            color=base.MUTED,
            va="center",
        )
        handles = [
            Line2D([], [], color=base.MAIN, linewidth=3, label=ticker),
            Line2D([], [], color=base.MUTED, linewidth=2, linestyle="--", label=t("52-week high")),
        ]
        if len(recs):
            handles.append(
                Line2D(
                    [],
                    [],
                    color=base.UP,
                    marker="o",
                    linestyle="",
                    markersize=8,
                    label=t("record close"),
                )
            )
        ax = top
    if highlight is not None:
        mark_day(ax, days, x, highlight, start)
    if levels:
        handles.append(Line2D([], [], color=base.DOWN, linewidth=2.5, label=t("alert level")))
    base.legend(fig, handles)
    base.draw_heading(fig, head)
    return canvas.to_png(fig, head)


def _price_axes(fig: Figure) -> list[Axes]:
    """The price above, its drawdown below, on one date axis."""
    top = base.style_axes(fig.add_axes((0.035, 0.37, 0.83, 0.42)))
    return [top, base.style_axes(fig.add_axes((0.035, 0.09, 0.83, 0.215), sharex=top))]


def _price_detail(x: np.ndarray, days: np.ndarray, recs: np.ndarray, t: Translator) -> str:
    """``2,466.49, a record`` or ``2,310.00, 6.3% below record (Oct 12)``."""
    close = words.number(t, float(x[-1]), 2)
    if len(recs) and recs[-1] == len(x) - 1:
        return t("{close}, a record close", close=close)
    top = int(np.argmax(x))
    below = (1 - x[-1] / x[top]) * 100
    when, last = pd.Timestamp(days[top]), pd.Timestamp(days[-1])
    shown = words.month_day(t, when) if (last - when).days < 300 else words.month_year(t, when)
    return t(
        "{close}, {below} below record ({when})",
        close=close,
        below=words.percent(t, below, 1),
        when=shown,
    )


def _price_panel(
    ax: Axes,
    days: np.ndarray,
    x: np.ndarray,
    high: np.ndarray,
    recs: np.ndarray,
    shown: np.ndarray,
    levels: Sequence[float],
    t: Translator,
) -> None:
    d, v = days[shown], x[shown]
    ax.fill_between(d, v, high[shown], color=base.DOWN, alpha=0.10, linewidth=0, zorder=1)
    ax.plot(d, high[shown], color=base.MUTED, linewidth=1.6, linestyle="--", zorder=2)
    ax.plot(d, v, color=base.MAIN, linewidth=2.0, zorder=3)
    ax.scatter(days[recs], x[recs], s=36, color=base.UP, zorder=4, linewidths=0)
    lo, hi = float(np.min(v)), float(np.max(high[shown]))
    lo, hi = min([lo, *levels]), max([hi, *levels])
    pad = (hi - lo) * 0.06 or abs(hi) * 0.01 or 1.0
    ax.set_ylim(lo - pad, hi + pad)
    base.x_limits(ax, d)
    for level in levels:
        _level_line(ax, d, v, level, words.number(t, level, 2))
    ax.yaxis.set_major_formatter(base.value_formatter(t))
    ax.xaxis.set_tick_params(labelbottom=False)


def _drawdown_panel(
    ax: Axes,
    d: np.ndarray,
    dd: np.ndarray,
    lines: Sequence[float],
    alert: float | None,
    t: Translator,
) -> None:
    """Drawdown area; dashed reference lines, and the alert's threshold as a solid red line
    with its own tick. A named band (correction: from 10% to 20% down; bear market: beyond
    20%) is labelled inside it, just under its upper line, when there is room; the panel
    reaches deep enough for the bear market's label. A line's tick that would overlap the
    alert's is left out (the alert's is the one the message is about)."""
    ax.fill_between(d, dd, 0, color=base.DOWN, alpha=0.30, linewidth=0)
    ax.plot(d, dd, color=base.DOWN, linewidth=1.4)
    every = sorted({*map(float, lines), *([float(alert)] if alert else [])})
    deepest = float(np.nanmin(dd)) if np.isfinite(dd).any() else 0.0
    box = ax.get_position()
    label_px = base.SMALL_PT * canvas.DPI / 72 * 1.4  # a band label's height, with a margin
    share = label_px / (box.height * canvas.SIZE[1])  # of the panel's height
    room = max(every, default=10.0)
    # the deepest line plus a label under it: floor = -(room + share * (1.5 - floor))
    floor = min(deepest * 1.1, -max(room * 1.15, (room + 1.5 * share) / (1 - share) + 0.5))
    ax.set_ylim(floor, 1.5)
    base.x_limits(ax, d)
    step = 10.0 if floor > -45 else 20.0
    ticks = {0.0, *np.arange(-step, floor, -step).tolist()}
    if alert:
        near = base.TEXT_PT * canvas.DPI / 72 * 1.1 / (box.height * canvas.SIZE[1]) * (1.5 - floor)
        ticks = {v for v in ticks if abs(v + float(alert)) >= near} | {-float(alert)}
    ax.yaxis.set_major_locator(FixedLocator(sorted(ticks)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: words.short_percent(t, v)))
    names = {10.0: t("correction"), drawdown.BEAR: t("bear market")}
    for depth in every:
        if alert is not None and depth == float(alert):
            ax.axhline(-depth, color=base.DOWN, linewidth=2.2, zorder=3)
        else:
            ax.axhline(-depth, color=base.INK, linewidth=1.2, linestyle=(0, (4, 3)), zorder=3)
    span = 1.5 - floor
    for depth in every:
        if depth not in names:
            continue
        deeper = [other for other in every if other > depth]
        band = (min(deeper) if deeper else -floor) - depth  # down to the next line or the floor
        if band >= share * span:
            base.quiet_label(ax, d, dd, -depth, names[depth], below=True, color=base.INK)
    base.date_axis(ax, t)


def _rate_panel(
    ax: Axes, d: np.ndarray, v: np.ndarray, levels: Sequence[float], t: Translator
) -> None:
    lo, hi = float(np.min(v)), float(np.max(v))
    lo, hi = min([lo, *levels]), max([hi, *levels])
    step = next((s for s in RATE_STEPS if (hi - lo) / s <= 6), RATE_STEPS[-1])
    pad = max((hi - lo) * 0.06, step * 0.2)
    ax.set_ylim(lo - pad, hi + pad)
    ax.yaxis.set_major_locator(MultipleLocator(step))
    ax.yaxis.set_minor_formatter(NullFormatter())
    decimals = 2 if step < 0.5 else 1
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _p: words.percent(t, y, decimals)))
    ax.grid(True, axis="y", color="#9e9e9e", linewidth=1.0, linestyle=(0, (5, 3)))
    ax.plot(d, v, color=base.MAIN, linewidth=2.2, zorder=3)
    base.x_limits(ax, d)
    for level in levels:
        _level_line(ax, d, v, level, words.percent(t, level, 2))
    base.date_axis(ax, t)


def _level_line(ax: Axes, d: np.ndarray, v: np.ndarray, level: float, text: str) -> None:
    ax.axhline(level, color=base.DOWN, linewidth=2.2, zorder=2)
    base.quiet_label(ax, d, v, level, text, color=base.DOWN, fontweight="bold")
