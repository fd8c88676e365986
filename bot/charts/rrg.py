"""The sector relative rotation (JdK-style) graph: RS-Ratio across, RS-Momentum up, a tail
per sector.

The lines are :func:`signals.rrg.lines` with the ``rrg_quadrant`` defaults (12-week
window, 5-week momentum, after schuler-ph/RelativeRotationGraphs), on the calendar's
week-end sessions (market/calendar.py): the same numbers the alerts, /status, /rrg and
``rotation-bot rrg`` use. Each sector's quadrant in the key is where its latest point lies
(the chart shows positions; the alerts add their filters).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

from bot.charts import base, canvas, words
from bot.text import names
from bot.text.i18n import N_, Translator, translator
from market import calendar
from signals import rrg, series
from signals.rules import Context
from signals.sentence import Sentence

__all__ = [
    "COLOURS",
    "HALO",
    "KEY_NAMES",
    "MOMENTUM",
    "OFFSETS",
    "SECTORS",
    "TINTS",
    "WINDOW",
    "Box",
    "Tail",
    "rrg_chart",
    "tails",
]

SECTORS = tuple(names.SECTOR_NAMES)
WINDOW = int(rrg.DEFAULTS["window"])
MOMENTUM = int(rrg.DEFAULTS["momentum"])

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in pixels
HALO = [patheffects.withStroke(linewidth=3.5, foreground="white")]
# Leading, Weakening, Lagging, Improving: strong colour for tails and text, tint for the area.
COLOURS = ("#15803d", "#a15c00", "#c62828", "#1f4e99")
TINTS = ("#e3f4e8", "#fbf0d9", "#fbe4e4", "#e2eaf7")


@dataclass(frozen=True, slots=True)
class Tail:
    ticker: str
    ratio: np.ndarray  # RS-Ratio, oldest first; the last is the latest week
    momentum: np.ndarray
    last: pd.Timestamp  # the latest week's session

    @property
    def quadrant(self) -> int:
        """0 Leading, 1 Weakening, 2 Lagging, 3 Improving (index into rrg.NAMES)."""
        return int(rrg.quadrant_codes(self.ratio[-1:], self.momentum[-1:])[0]) - 1


def tails(
    closes: pd.DataFrame,
    sectors: Sequence[str],
    benchmark: str,
    tail_weeks: int,
    ctx: Context | None = None,
) -> list[Tail]:
    """Each sector's last ``tail_weeks`` weekly RRG points ending on the latest week any
    sector has; a sector without a point that week (no data, too short, stale) is left out.
    The sectors share one computation of the week ends' rows and of the benchmark's
    column (series.shared), as the engine's rules do."""
    ctx = calendar.context(pd.DatetimeIndex(closes.index)) if ctx is None else ctx
    found: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]] = []
    with series.shared(closes):
        for s in sectors:
            if s not in closes.columns:
                continue
            got = rrg.lines(closes, f"{s}/{benchmark}", ctx, WINDOW, MOMENTUM)
            ok = np.isfinite(got.ratio) & np.isfinite(got.momentum)
            if ok.any():
                found.append((s, got.rows[ok], got.ratio[ok], got.momentum[ok]))
    if not found:
        return []
    latest = max(int(r[-1]) for _, r, _, _ in found)
    index = pd.DatetimeIndex(closes.index)
    out = []
    for s, rows, x, y in found:
        if rows[-1] != latest:
            continue
        k = max(1, tail_weeks)
        out.append(Tail(s, x[-k:], y[-k:], index[latest]))
    return out


def rrg_chart(
    closes: pd.DataFrame,
    sectors: Sequence[str] = SECTORS,
    benchmark: str = "SPY",
    *,
    tail_weeks: int = 8,
    synthetic: bool = False,
    highlight: str | None = None,
    ctx: Context | None = None,
    lang: str | None = None,
) -> bytes:
    """PNG of the relative rotation graph of ``sectors`` against ``benchmark``: the four
    quadrants shaded and named, each sector's last ``tail_weeks`` weekly points as a tail
    ending in a dot labelled with its ticker, and a key listing the sectors by quadrant.
    ``highlight`` (a ticker) is drawn bold and the others lighter. Weeks end on the sessions
    of ``ctx.week_ends``; by default the exchange calendar's (market.calendar.context).
    Its words, numbers and dates are in ``lang`` (English by default).

    Raises ValueError when the benchmark has no data or no sector has enough weekly history
    (:func:`signals.rrg.weeks_needed`: 31 weekly closes with the defaults)."""
    base.require(closes, [benchmark])
    drawn = tails(closes, sectors, benchmark, tail_weeks, ctx)
    if not drawn:
        raise ValueError(
            Sentence(
                "too little history for a rotation graph of {sectors} vs {benchmark}: it needs "
                "{need} weekly closes",
                sectors=", ".join(sectors),
                benchmark=benchmark,
                need=rrg.weeks_needed(WINDOW, MOMENTUM),
            )
        )
    last_close = pd.Timestamp(pd.DatetimeIndex(closes.index)[-1]).date()
    week = drawn[0].last.date()
    t = translator(lang)
    detail = t("weekly, {n}-week tails", n=tail_weeks)
    if week != last_close:
        detail = t("weekly to {day}, {n}-week tails", day=words.day(t, week), n=tail_weeks)
    name = names.name(names.TICKER_NAMES.get(benchmark, benchmark), t)
    label = t("relative rotation (JdK-style) vs {benchmark}", benchmark=name)
    if len(drawn) == 1 and len(sectors) == 1:
        subject = f"{drawn[0].ticker}/{benchmark}"
    else:
        subject = t("Sectors")
    head = base.heading(
        subject, last_close, detail=detail, label=label, synthetic=synthetic, lang=lang
    )

    fig, (ax,) = canvas.figure("rrg", lambda f: [f.add_axes((0.10, 0.115, 0.53, 0.675))])
    _quadrants(ax, drawn, t)
    _draw_tails(ax, drawn, highlight)
    missing = [s for s in sectors if s not in {tail.ticker for tail in drawn}]
    _key(fig, drawn, missing, highlight, t)
    base.draw_heading(fig, head)
    return canvas.to_png(fig, head)


def _quadrants(ax: Axes, drawn: list[Tail], t: Translator) -> None:
    xs = np.concatenate([t.ratio for t in drawn])
    ys = np.concatenate([t.momentum for t in drawn])
    hx = max(1.5, float(np.max(np.abs(xs - 100))) * 1.15 + 0.3)
    hy = max(1.5, float(np.max(np.abs(ys - 100))) * 1.15 + 0.3)
    ax.set_xlim(100 - hx, 100 + hx)
    ax.set_ylim(100 - hy, 100 + hy)
    spans = (
        ((100, 100 + hx), (100, 100 + hy)),
        ((100, 100 + hx), (100 - hy, 100)),
        ((100 - hx, 100), (100 - hy, 100)),
        ((100 - hx, 100), (100, 100 + hy)),
    )
    corners = (("right", "top"), ("right", "bottom"), ("left", "bottom"), ("left", "top"))
    for q, ((x0, x1), (y0, y1)) in enumerate(spans):
        ax.fill_between([x0, x1], y0, y1, color=TINTS[q], linewidth=0, zorder=0)
        ha, va = corners[q]
        ax.text(
            0.985 if ha == "right" else 0.015,
            0.975 if va == "top" else 0.025,
            t(rrg.NAMES[q]),
            transform=ax.transAxes,
            ha=ha,
            va=va,
            fontsize=base.TEXT_PT,
            fontweight="bold",
            color=COLOURS[q],
            alpha=0.9,
            zorder=1,
        )
    ax.axhline(100, color=base.MUTED, linewidth=1.0, zorder=1)
    ax.axvline(100, color=base.MUTED, linewidth=1.0, zorder=1)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=base.SMALL_PT, colors=base.INK, length=4)
    ax.set_xlabel(t("RS-Ratio: relative trend →"), fontsize=base.SMALL_PT, color=base.INK)
    ax.text(
        0.0,
        1.03,
        t("↑ RS-Momentum: change in trend"),
        transform=ax.transAxes,
        ha="left",
        va="bottom",
        fontsize=base.SMALL_PT,
        color=base.INK,
    )


def _draw_tails(ax: Axes, drawn: list[Tail], highlight: str | None) -> None:
    """Every sector's tail, dot and label. The tails and dots of the sectors drawn alike are
    one collection each (a LineCollection of every segment, one scatter of every dot): four
    to six artists instead of three per sector, and the axis limits, already set, are not
    recomputed from them."""
    placed: list[Box] = []
    heads = ax.transData.transform(np.array([[t.ratio[-1], t.momentum[-1]] for t in drawn]))
    for hx, hy in heads:
        placed.append((hx - 12, hy - 12, hx + 12, hy + 12))  # keep labels off every dot
    order = sorted(range(len(drawn)), key=lambda i: drawn[i].ticker != highlight)
    for lift in (4, 0):  # the highlighted sector (lift 4) on top of the rest
        group = [drawn[i] for i in order if (drawn[i].ticker == highlight) == (lift == 4)]
        if group:
            _group(ax, group, highlight, lift)
    for i in order:
        t = drawn[i]
        colour = COLOURS[t.quadrant]
        alpha = 1.0 if highlight is None or t.ticker == highlight else 0.45
        lift = 4 if t.ticker == highlight else 0
        weight = "bold" if t.ticker == highlight or highlight is None else "normal"
        _label(ax, t, heads[i], placed, colour, weight, alpha, lift)


def _group(ax: Axes, group: list[Tail], highlight: str | None, lift: int) -> None:
    """The tails (fading out with age: the newest segment is the strongest), the weekly dots
    and the head dots of sectors drawn alike."""
    strong = highlight is None or lift == 4
    alpha = 1.0 if strong else 0.45
    width = 3.4 if lift == 4 else 2.4
    segments: list[np.ndarray] = []
    colours: list[np.ndarray] = []
    for t in group:
        n = len(t.ratio)
        if n < 2:
            continue
        points = np.column_stack([t.ratio, t.momentum])
        segments.extend(np.stack([points[:-1], points[1:]], axis=1))
        rgba = np.tile(to_rgba(COLOURS[t.quadrant]), (n - 1, 1))
        rgba[:, 3] = np.linspace(0.15, 1.0, n - 1) * alpha
        colours.append(rgba)
    if segments:
        fades = np.concatenate(colours)
        lines = LineCollection(
            segments, colors=fades, linewidths=width, zorder=3 + lift, capstyle="round"
        )
        ax.add_collection(lines, autolim=False)
        xs = np.concatenate([t.ratio[:-1] for t in group])
        ys = np.concatenate([t.momentum[:-1] for t in group])
        ax.scatter(xs, ys, s=16, c=fades, linewidths=0, zorder=3 + lift)
    faces = np.array([to_rgba(COLOURS[t.quadrant], alpha) for t in group])
    ax.scatter(
        [t.ratio[-1] for t in group],
        [t.momentum[-1] for t in group],
        s=240 if lift == 4 else 150,
        c=faces,
        zorder=5 + lift,
        edgecolors=[to_rgba("white", alpha)] * len(group),
        linewidths=1.2,
    )


# offsets (points) tried in order for a label: right, left, above, below, then diagonals
OFFSETS = ((9, 0), (-9, 0), (0, 10), (0, -10), (8, 9), (-8, 9), (8, -9), (-8, -9))


def _label(
    ax: Axes,
    t: Tail,
    head: np.ndarray,
    placed: list[Box],
    colour: str,
    weight: str,
    alpha: float,
    lift: int,
) -> None:
    """Put the ticker next to its dot where it overlaps no other label or dot (or, failing
    that, where it overlaps least)."""
    px = canvas.DPI / 72
    w, h = len(t.ticker) * 0.64 * base.TEXT_PT * px, base.TEXT_PT * px * 1.05
    hx, hy = head
    e = ax.get_window_extent()
    frame = (e.x0, e.y0, e.x1, e.y1)
    best, best_cost = None, None
    for dx, dy in OFFSETS:
        x0 = hx + dx * px - (w if dx < 0 else (w / 2 if dx == 0 else 0))
        y0 = hy + dy * px - (h if dy < 0 else (h / 2 if dy == 0 else 0))
        box = (x0, y0, x0 + w, y0 + h)
        cost = sum(_overlap(box, other) for other in placed) + _outside(box, frame)
        if best_cost is None or cost < best_cost - 1e-9:
            best, best_cost = (dx, dy, box), cost
        if cost == 0:
            break
    assert best is not None
    dx, dy, box = best
    placed.append(box)
    ax.annotate(
        t.ticker,
        (t.ratio[-1], t.momentum[-1]),
        xytext=(dx, dy),
        textcoords="offset points",
        ha="left" if dx > 0 else ("right" if dx < 0 else "center"),
        va="bottom" if dy > 0 else ("top" if dy < 0 else "center"),
        fontsize=base.TEXT_PT,
        fontweight=weight,
        color=colour,
        alpha=max(alpha, 0.7),
        zorder=6 + lift,
        path_effects=HALO,
    )


def _overlap(a: Box, b: Box) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


def _outside(box: Box, frame: Box) -> float:
    """Area of ``box`` outside ``frame``, weighted: a label off the plot is worst."""
    area = (box[2] - box[0]) * (box[3] - box[1])
    return (area - _overlap(box, frame)) * 4


KEY_NAMES = {"XLC": N_("Comms"), "XLK": N_("Tech"), "XLP": N_("Staples")}
"""Shorter names where the key column is narrow."""


def _key(
    fig: Figure,
    drawn: list[Tail],
    missing: list[str],
    highlight: str | None,
    t: Translator,
) -> None:
    """The sectors by quadrant, with their names, right of the graph."""
    x, y = 0.675, 0.80
    px = canvas.DPI / 72 / canvas.SIZE[1]
    head_step, line_step = base.TEXT_PT * px * 1.25, base.SMALL_PT * px * 1.22
    for q, name in enumerate(rrg.NAMES):
        members = sorted((m for m in drawn if m.quadrant == q), key=lambda m: m.ticker)
        if not members:
            continue
        fig.text(
            x, y, t(name), fontsize=base.TEXT_PT, fontweight="bold", color=COLOURS[q], va="top"
        )
        y -= head_step
        for m in members:
            if m.ticker in KEY_NAMES:
                label = t(KEY_NAMES[m.ticker])
            else:
                label = names.name(names.SECTOR_NAMES.get(m.ticker, ""), t)
            fig.text(
                x,
                y,
                f"{m.ticker} {label}".rstrip(),
                fontsize=base.SMALL_PT,
                fontweight="bold" if m.ticker == highlight else "normal",
                color=base.INK,
                va="top",
            )
            y -= line_step
        y -= line_step * 0.3
    if missing:
        fig.text(
            x,
            y,
            t("no data:")
            + "\n"
            + "\n".join(", ".join(missing[i : i + 4]) for i in range(0, len(missing), 4)),
            fontsize=base.SMALL_PT,
            color=base.MUTED,
            va="top",
            linespacing=1.3,
        )
