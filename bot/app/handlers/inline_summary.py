"""The one line an inline result shows under its title and atop its caption: where a chart's
subject stands — a ratio against its 200-day average and over a month, a price against its
record close, a yield's monthly change in points, the sectors by quadrant — in the asker's
language (bot/i18n). Runs in the CPU pool (a rolling mean over the whole history)."""

from __future__ import annotations

import pandas as pd

from bot.app.handlers.chart import Subject
from bot.text.i18n import Translator
from signals.dashboard import Dashboard
from signals.rules import RATE_TICKERS

__all__ = ["MONTH", "sectors_line", "summary_line"]

MONTH = 21
"""Sessions in a month."""


def summary_line(
    subject: Subject, frame: pd.DataFrame, board: Dashboard | None, t: Translator
) -> str:
    """Where the subject stands, in one line of plain text."""
    if subject.kind == "sectors":
        return sectors_line(board, t)
    if subject.kind == "pair":
        a, b = subject.tickers
        rows = frame[[a, b]].dropna()
        values = rows[a] / rows[b]
        head = f"{subject.text} {t.number(values.iloc[-1], 4)}"
        parts = [head, _vs_average(values, t), _month(values, t)]
    else:
        values = frame[subject.text].dropna()
        if subject.text in RATE_TICKERS:
            parts = [f"{subject.text} {t.number(values.iloc[-1], 2)}%"]
            if len(values) > MONTH:
                change = t.signed(values.iloc[-1] - values.iloc[-1 - MONTH], 2)
                parts.append(t("{change} pts in a month", change=change))
        else:
            head = f"{subject.text} {t.number(values.iloc[-1], 2)}"
            parts = [head, _from_record(values, t), _month(values, t)]
    return " · ".join(p for p in parts if p)


def _vs_average(values: pd.Series, t: Translator, days: int = 200) -> str:
    if len(values) < days:
        return ""
    gap = values.iloc[-1] / values.iloc[-days:].mean() - 1
    if gap >= 0:
        return t("above its {days}-day average ({gap})", days=days, gap=t.percent(gap))
    return t("below its {days}-day average ({gap})", days=days, gap=t.percent(gap))


def _month(values: pd.Series, t: Translator) -> str:
    if len(values) <= MONTH:
        return ""
    change = t.percent(values.iloc[-1] / values.iloc[-1 - MONTH] - 1)
    return t("{change} in a month", change=change)


def _from_record(values: pd.Series, t: Translator) -> str:
    gap = values.iloc[-1] / values.max() - 1
    if gap >= 0:
        return t("at a record close")
    return t(
        "{gap} below its record close ({date})",
        gap=t.percent(-gap, sign=False),
        date=t.date(values.idxmax().date()),
    )


def sectors_line(board: Dashboard | None, t: Translator) -> str:
    """The sectors by quadrant of the relative rotation (JdK-style) graph (the quadrants
    keep their English names, as the graph and the README use them)."""
    if board is None or not board.sectors:
        return t("The 11 sectors against SPY, relative rotation (JdK-style)")
    groups: dict[str, list[str]] = {}
    for s in board.sectors:
        if s.quadrant:
            groups.setdefault(s.quadrant, []).append(s.ticker)
    order = ("Leading", "Improving", "Weakening", "Lagging")
    return " · ".join(f"{q}: {', '.join(groups[q])}" for q in order if q in groups)
