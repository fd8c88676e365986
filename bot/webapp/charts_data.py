"""The Mini App's ratio and price charts, and a rule's past firings on them, as plain data.

A subject is read as /chart reads it (:func:`bot.app.handlers.chart.parse_subject`: ``IWM/SPY``,
``^RUT``, ``XLE``); its series is the engine's own (:func:`signals.series.subject_series`: the
ratio of a pair, the closes of a ticker) over the whole history the source has, with the 50-
and 200-session averages (:func:`signals.series.rolling_mean`, as the ratio rules compute
them). The events the bot recorded on it come from :meth:`storage.events.EventStore.for_subject`;
a rule's firings from the backtest the /backtest command runs
(:func:`bot.evening.evaluate.backtest`), each with what followed: the series' change over the
next 21 and 63 sessions (a month and a quarter), in points for a yield's level.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np

from bot.app.handlers import fetch
from bot.app.handlers.chart import SubjectError, parse_subject
from bot.app.offload import POOLS
from bot.evening.evaluate import backtest
from bot.services import Services
from bot.text.i18n import Translator
from bot.text.rules import translated
from bot.webapp.api import Refusal
from signals import series
from signals.parse import ParseError, parse_rule

__all__ = ["AFTER", "firings", "subject_series"]

AFTER = {"1m": 21, "3m": 63}
"""What followed a firing: the change over so many sessions."""
LEVELS = ("^TNX", "^IRX", "^FVX", "^TYX")
"""Yields: a change in their level is in points, not percent."""


def _round(values: np.ndarray) -> list[float | None]:
    return [None if not math.isfinite(v) else float(f"{v:.6g}") for v in values.tolist()]


def _series(frame: Any, subject: str) -> dict[str, Any]:
    clean = series.subject_series(frame, subject)
    days = series.dates(frame)
    return {
        "subject": subject,
        "level": subject in LEVELS,
        "dates": [days[r].isoformat() for r in clean.rows.tolist()],
        "values": _round(clean.values),
        "ma50": _round(series.rolling_mean(clean.values, 50)),
        "ma200": _round(series.rolling_mean(clean.values, 200)),
    }


async def subject_series(svc: Services, text: str, t: Translator) -> dict[str, Any]:
    """The subject's whole series with its averages and the events recorded on it."""
    try:
        subject = parse_subject(text, t)
    except SubjectError as e:
        raise Refusal(str(e)) from None
    if subject.kind == "sectors":
        raise Refusal(t("a pair has two tickers, like IWM/SPY."))
    end = await fetch.latest_session(svc)
    got = await fetch.closes(svc, subject.tickers, None, end)
    data = await POOLS.compute(_series, got.frame, subject.text)
    if not data["dates"]:
        raise Refusal(f"no market data for {subject.text}")
    data["events"] = [
        {"date": e.date.isoformat(), "variant": e.variant, "text": translated(e.text, t)}
        for e in svc.events.for_subject(subject.text)
    ]
    data["synthetic"] = svc.provider.synthetic
    return data


def _after(data: dict[str, Any], day: dt.date) -> dict[str, float | None]:
    """The series' change over :data:`AFTER` sessions from ``day`` (None: not yet known)."""
    dates: list[str] = data["dates"]
    values: list[float | None] = data["values"]
    i = int(np.searchsorted(np.array(dates), day.isoformat()))
    out: dict[str, float | None] = {}
    for name, n in AFTER.items():
        if i >= len(values) or i + n >= len(values):
            out[name] = None
            continue
        start, stop = values[i], values[i + n]
        if start is None or stop is None or (not data["level"] and start == 0):
            out[name] = None
        else:
            out[name] = stop - start if data["level"] else stop / start - 1.0
    return out


def _firings(svc: Services, rule_text: str, end: dt.date) -> dict[str, Any]:
    rule = parse_rule(rule_text)
    result = backtest(fetch.Bounded(svc.provider, svc.settings.data_timeout), [rule], None, end)
    frame = result.closes.frame if result.closes is not None else None
    data = _series(frame, rule.subject) if frame is not None else {"dates": [], "values": []}
    data["firings"] = [
        {"date": e.date.isoformat(), "variant": e.variant, "text": e.text, **_after(data, e.date)}
        for e in result.events
    ]
    return data


async def firings(svc: Services, text: str, t: Translator) -> dict[str, Any]:
    """When ``text`` (a rule) would have fired over the whole history, on its subject's series,
    each with what followed; :class:`Refusal` for a rule the parser refuses."""
    try:
        parse_rule(text)
    except ParseError as e:
        raise Refusal(translated(e, t)) from None
    end = await fetch.latest_session(svc)
    data = await POOLS.compute(_firings, svc, text, end)
    for f in data["firings"]:
        f["text"] = translated(f["text"], t)
    data["synthetic"] = svc.provider.synthetic
    return data
