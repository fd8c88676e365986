"""The relative rotation (JdK-style) table from a data source, for ``rotation-bot rrg`` and /rrg.

One fetch (the history the formula needs before ``start``, :func:`warm_up_start`, so a
Yahoo download asks for months, not decades), one computation (:func:`signals.rrg_table.table`,
the same lines the alerts, /status and the chart use), two renderings: aligned text for the
terminal and an HTML ``<pre>`` block for a chat. A sector with too little history or no
data is named with the reason, never silently dropped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from bot.text.alerts import SYNTHETIC_NOTE, esc
from bot.text.i18n import Translator, translator
from bot.text.plain import SYNTHETIC_LABEL
from market import calendar
from market.base import Provider
from signals import rrg
from signals.kind import RuleError
from signals.rrg_table import Point, Table, table
from signals.rules import normalise_ticker

__all__ = [
    "BENCHMARK",
    "SPARE_WEEKS",
    "TABLE_WEEKS",
    "Rotation",
    "fetch",
    "latest_html",
    "subjects_for",
    "text_lines",
    "warm_up_start",
]

BENCHMARK = "SPY"
TABLE_WEEKS = 8
"""Weeks the command shows by default: as many as the chart's tails."""
SPARE_WEEKS = 8
"""Weeks fetched beyond what the formula needs, for holidays and weeks a leg is missing."""


@dataclass(frozen=True, slots=True)
class Rotation:
    table: Table
    source: str
    synthetic: bool
    last_close: dt.date | None = None  # the latest session with any close


def warm_up_start(start: dt.date) -> dt.date:
    """The first day to fetch so that the week ending ``start`` already has a point."""
    weeks = rrg.weeks_needed(int(rrg.DEFAULTS["window"]), int(rrg.DEFAULTS["momentum"]))
    return start - dt.timedelta(weeks=weeks + SPARE_WEEKS)


def subjects_for(tickers: Sequence[str], benchmark: str = BENCHMARK) -> list[str]:
    """``XLE`` -> ``XLE/SPY``; refuses what has no relative rotation (a yield, SPY itself)."""
    out = []
    for raw in tickers:
        ticker = normalise_ticker(raw)
        if not ticker:
            continue
        if ticker == benchmark:
            raise RuleError(f"{ticker} is the benchmark: its rotation against itself is nothing")
        rrg.check_subject((ticker, benchmark))
        out.append(f"{ticker}/{benchmark}")
    return list(dict.fromkeys(out))


def fetch(
    provider: Provider,
    tickers: Sequence[str],
    start: dt.date,
    end: dt.date,
    benchmark: str = BENCHMARK,
) -> Rotation:
    """Every weekly point of ``tickers`` against ``benchmark`` from ``start`` to ``end``."""
    subjects = subjects_for(tickers, benchmark)
    legs = list(dict.fromkeys([*(s.split("/")[0] for s in subjects), benchmark]))
    got = provider.closes(legs, warm_up_start(start), end)
    frame = got.frame.loc[: pd.Timestamp(end)]
    ctx = calendar.context(pd.DatetimeIndex(frame.index))
    found = table(frame, subjects, ctx, start=start, end=end)
    short = dict(found.short)
    for subject in subjects:
        if subject not in short and not any(p.subject == subject for p in found.points):
            short[subject] = f"no weekly point from {start} to {end}"
    last = pd.Timestamp(frame.index[-1]).date() if len(frame.index) else None
    return Rotation(Table(found.points, short), got.source or provider.name, got.synthetic, last)


# ------------------------------------------------------------------ the terminal


def text_lines(rotation: Rotation, start: dt.date, end: dt.date) -> list[str]:
    """The table by week, aligned, then any sector without a point and why."""
    label = rotation.source + (f" — {SYNTHETIC_LABEL}" if rotation.synthetic else "")
    lines = [
        f"rotation-bot rrg · {start} to {end} · source: {label}",
        f"{rrg.TITLE}, weekly, after {rrg.REFERENCE}",
    ]
    if rotation.last_close is None or rotation.last_close < end - dt.timedelta(days=6):
        lines.append(f"closes end on {rotation.last_close or 'no day'}: no later week is shown")
    by_week: dict[dt.date, list[Point]] = {}
    for p in rotation.table.points:
        by_week.setdefault(p.date, []).append(p)
    for week, points in by_week.items():
        lines += ["", f"week ending {week}", f"  {'subject':<10} {'RS-Ratio':>9} "
                  f"{'RS-Momentum':>12}  quadrant"]  # fmt: skip
        lines += [
            f"  {p.subject:<10} {p.rs_ratio:>9.2f} {p.rs_momentum:>12.2f}  {p.quadrant}"
            for p in points
        ]
    if not by_week:
        lines += ["", "no weekly point in that range"]
    for subject, why in rotation.table.short.items():
        lines.append(f"{subject}: {why}")
    return lines


# ------------------------------------------------------------------ a chat


def latest_html(rotation: Rotation, t: Translator | None = None) -> str:
    """The latest week's table as a chat message (/rrg), in the language of ``t``."""
    from bot.text.rules import translated
    from bot.text.signals import quadrant

    t = t or translator(None)
    points = rotation.table.latest()
    if not points:
        why = "; ".join(f"{s}: {translated(w, t)}" for s, w in rotation.table.short.items())
        return t("No relative rotation point yet ({why}).", why=esc(why or t("no data")))
    head = t(
        "🔄 <b>Sectors vs {benchmark}</b> — relative rotation (JdK-style), week ending {day}",
        benchmark=BENCHMARK,
        day=t.date(points[0].date),
    )
    rows = [f"{'':<5} {'RS-Ratio':>8} {'RS-Mom':>7}  " + t("quadrant")]
    order = {name: i for i, name in enumerate(rrg.NAMES)}
    for p in sorted(points, key=lambda p: (order[p.quadrant], -p.rs_ratio)):
        ticker = p.subject.split("/")[0]
        ratio, momentum = t.number(p.rs_ratio, 2), t.number(p.rs_momentum, 2)
        rows.append(f"{ticker:<5} {ratio:>8} {momentum:>7}  {quadrant(p.quadrant, t)}")
    lines = [head, f"<pre>{esc(chr(10).join(rows))}</pre>"]
    stale = sorted({p.subject for p in rotation.table.points} - {p.subject for p in points})
    notes = [f"{s}: {translated(w, t)}" for s, w in rotation.table.short.items()]
    notes += [t("{subject}: no point that week", subject=s) for s in stale]
    if notes:
        lines.append(f"<i>{esc('; '.join(notes))}</i>")
    lines.append(
        t(
            "RS-Ratio: 12-week relative trend; RS-Momentum: its 5-week change (100 = the "
            "benchmark). /chart sectors draws it."
        )
    )
    if rotation.synthetic:
        lines.append(t(SYNTHETIC_NOTE))
    return "\n".join(lines)
