"""/backtest's picture: what followed a rule's firings beside what followed every session.

One group per horizon (1 week, 1 month, 3 months, 6 months). In each, a grey box is the base
distribution (every session's change over that horizon: the box from the 25th to the 75th
percentile, whiskers from the 5th to the 95th, a line at the median), and beside it each
variant's firings as dots (one per firing with an outcome, spread sideways by a fixed
pattern so the same backtest draws the same pixels) with a bar at their median. A reader sees
at a glance whether the firings sit apart from the base, and how few dots a median rests on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from bot.charts import base, canvas, words
from bot.charts.ticks import StepDecimals
from bot.text.backtest_stats import HORIZON_NAMES
from bot.text.followup import basis as basis_words
from bot.text.i18n import translator
from signals.backtest_stats import HORIZONS, HorizonStats

__all__ = ["outcomes_chart"]

COLOURS = (base.UP, base.DOWN, base.FAST, base.SLOW)
BASE_FILL = "#d9d9d9"


def outcomes_chart(
    stats: Sequence[HorizonStats],
    last: dt.date,
    labels: dict[str, str] | None = None,
    *,
    synthetic: bool = False,
    lang: str | None = None,
) -> bytes:
    """PNG of one rule's firings' changes beside the base distribution, per horizon;
    ``labels`` names each variant in ``lang``. Raises ValueError when no firing has an
    outcome."""
    t = translator(lang)
    if not stats or not any(s.changes for s in stats):
        raise ValueError("no firing with an outcome to draw")
    subject, basis = stats[0].subject, stats[0].basis
    scale = 1.0 if basis == "level" else 100.0
    variants = list(dict.fromkeys(s.variant for s in stats))
    names = labels or {}
    detail = t("{basis}, after each firing beside every session", basis=basis_words(basis, t))
    head = base.heading(subject, last, detail=detail, synthetic=synthetic, lang=lang)
    fig, (ax,) = canvas.figure(
        "outcomes", lambda f: [base.style_axes(f.add_axes((0.035, 0.1, 0.83, 0.69)))]
    )
    width = 0.8 / (1 + len(variants))
    lo, hi = np.inf, -np.inf
    for g, name in enumerate(HORIZONS):
        mine = {s.variant: s for s in stats if s.horizon == name}
        if not mine:
            continue
        every = np.asarray(next(iter(mine.values())).base_changes) * scale
        x0 = g - 0.4 + width / 2
        if len(every):
            p5, p25, p50, p75, p95 = np.percentile(every, [5, 25, 50, 75, 95])
            ax.add_patch(
                Rectangle(
                    (x0 - width * 0.4, p25), width * 0.8, p75 - p25, color=BASE_FILL, zorder=2
                )
            )
            ax.plot([x0, x0], [p5, p25], color=base.MUTED, linewidth=1.6, zorder=2)
            ax.plot([x0, x0], [p75, p95], color=base.MUTED, linewidth=1.6, zorder=2)
            ax.plot(
                [x0 - width * 0.4, x0 + width * 0.4],
                [p50, p50],
                color=base.INK,
                linewidth=2.4,
                zorder=3,
            )
            lo, hi = min(lo, p5), max(hi, p95)
        for k, variant in enumerate(variants):
            s = mine.get(variant)
            if s is None or not s.changes:
                continue
            y = np.asarray(s.changes) * scale
            xc = x0 + width * (k + 1)
            spread = (np.arange(len(y)) * 0.618034 % 1.0 - 0.5) * width * 0.7  # fixed pattern
            colour = COLOURS[k % len(COLOURS)]
            ax.scatter(xc + spread, y, s=22, color=colour, alpha=0.55, linewidths=0, zorder=4)
            med = float(np.median(y))
            ax.plot(
                [xc - width * 0.42, xc + width * 0.42],
                [med, med],
                color=colour,
                linewidth=3.2,
                zorder=5,
            )
            lo, hi = min(lo, float(y.min())), max(hi, float(y.max()))
    ax.axhline(0.0, color=base.MUTED, linewidth=1.0, zorder=1)
    ax.set_xlim(-0.55, len(HORIZONS) - 0.45)
    pad = (hi - lo) * 0.06 if hi > lo else 1.0
    ax.set_ylim(lo - pad, hi + pad)
    ax.set_xticks(range(len(HORIZONS)))
    ax.set_xticklabels([t(HORIZON_NAMES[h]) for h in HORIZONS])
    if basis == "level":
        ax.yaxis.set_major_formatter(base.value_formatter(t))
    else:
        ax.yaxis.set_major_formatter(StepDecimals(lambda v, digits: words.percent(t, v, digits)))
    handles: list[Patch | Line2D] = [Patch(color=BASE_FILL, label=t("every session"))]
    for k, variant in enumerate(variants):
        colour = COLOURS[k % len(COLOURS)]
        label = names.get(variant, variant)
        handles.append(
            Line2D([], [], marker="o", color=colour, linestyle="", markersize=9, label=label)
        )
    base.legend(fig, handles)
    base.draw_heading(fig, head)
    return canvas.to_png(fig, head)
