"""What the signals say, in the chat's language.

signals/ stays pure and English: each event carries its own sentence (``event.text``) and
its numbers (``event.values``, ``event.params``, ``event.variant``); each kind and preset
its title and description. Here, by kind id and preset name, the same things are written
again through the catalogs — English is the engine's own text, untouched; another language
is built from the event's numbers, written the language's way. An event stored before its
numbers were (or a kind this module does not know) shows its English sentence.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping

from bot.text.i18n import N_, Translator
from signals.catalogue import KINDS
from signals.events import Event, Followup
from signals.presets import PRESETS
from signals.rules import ParamValue, split_subject
from signals.sentence import Sentence

TITLES = {
    "record_high": N_("Record close"),
    "drawdown": N_("Drawdown from the high"),
    "monthly_move": N_("Big monthly move"),
    "ratio_cross": N_("Ratio crosses its average"),
    "level_cross": N_("Crosses a level"),
    "rrg_quadrant": N_("Relative rotation (JdK-style) quadrant"),
}
SHORT_TITLES = {
    "record_high": N_("Record high"),
    "drawdown": N_("Drawdown"),
    "monthly_move": N_("Monthly move"),
    "ratio_cross": N_("Moving-average cross"),
    "level_cross": N_("Level cross"),
    "rrg_quadrant": N_("Sector rotation"),
}
PRESET_TITLES = {
    "small_vs_large": N_("Small caps vs large caps"),
    "value_vs_growth": N_("Value vs growth"),
    "breadth": N_("Market breadth"),
    "sectors": N_("Sector rotation"),
    "rates": N_("Interest rates"),
    "oil": N_("Oil"),
    "russell_records": N_("Russell 2000 records and drawdowns"),
}
PRESET_DESCRIPTIONS = {
    "small_vs_large": N_(
        "Is money rotating into small caps? IWM (Russell 2000) against SPY (S&P 500): the "
        "ratio crossing its 50- and 200-day averages, and months when small caps beat or lag "
        "by 3 points or more."
    ),
    "value_vs_growth": N_(
        "Value against growth, in large caps (IWD/IWF, Russell 1000) and small caps "
        "(IWN/IWO, Russell 2000): 200-day ratio crosses, and months when large-cap value "
        "beats or lags growth by 3 points or more."
    ),
    "breadth": N_(
        "Is the rally broad or carried by a few giants? The equal-weight S&P 500 (RSP) "
        "against the cap-weighted one (SPY): 200-day ratio crosses, and months when equal "
        "weight beats or lags by 2 points or more."
    ),
    "sectors": N_(
        "The 11 S&P sectors against SPY on a weekly relative rotation (JdK-style) graph: an "
        "alert when a sector moves into Leading or Lagging; plus 200-day ratio crosses for "
        "communication services, real estate, energy and health care."
    ),
    "rates": N_(
        "Treasury yields through round levels: the 10-year (^TNX) through 4.0% and 4.5%, the "
        "13-week bill (^IRX) through 4.0%."
    ),
    "oil": N_(
        "WTI crude futures (CL=F) through $80 and $60 a barrel, and a 20% fall from the "
        "52-week high."
    ),
    "russell_records": N_(
        "The Russell 2000 (^RUT) and its ETF (IWM): the first record close after a quiet "
        "spell, a 10% correction and a 20% bear market from the 52-week high, and months when "
        "the index moves 5% or more."
    ),
}
QUADRANTS = {
    "Leading": N_("Leading"),
    "Weakening": N_("Weakening"),
    "Lagging": N_("Lagging"),
    "Improving": N_("Improving"),
}


def kind_title(kind: str, t: Translator) -> str:
    spec = KINDS.get(kind)
    if kind in TITLES:
        return t(TITLES[kind]) if not t.english or spec is None else spec.title
    return spec.title if spec else kind


def kind_short_title(kind: str, t: Translator) -> str:
    spec = KINDS.get(kind)
    if kind in SHORT_TITLES:
        return t(SHORT_TITLES[kind]) if not t.english or spec is None else spec.short_title
    return spec.short_title if spec else kind


def preset_title(name: str, t: Translator) -> str:
    preset = PRESETS.get(name)
    if t.english or name not in PRESET_TITLES:
        return preset.title if preset else name
    return t(PRESET_TITLES[name])


def preset_description(name: str, t: Translator) -> str:
    preset = PRESETS.get(name)
    if t.english or name not in PRESET_DESCRIPTIONS:
        return preset.description if preset else ""
    return t(PRESET_DESCRIPTIONS[name])


def quadrant(name: str, t: Translator) -> str:
    return t(QUADRANTS[name]) if name in QUADRANTS else name


# --- numbers as the engine writes them, in the language's way ---------------------------------
def price(x: float, t: Translator) -> str:
    return t.number(x, 2)


def ratio(x: float, t: Translator) -> str:
    """Four significant digits, as signals.series.fmt_ratio."""
    a = abs(x)
    if a >= 10:
        return t.number(x, 2)
    if a >= 1:
        return t.number(x, 4)
    digits = 3 - math.floor(math.log10(a)) if a else 4
    return t.number(x, digits)


def points(x: float, t: Translator) -> str:
    return t.number(abs(x), 1)


def param(x: ParamValue, t: Translator) -> str:
    return t.number(float(x)) if isinstance(x, int | float) and not isinstance(x, bool) else str(x)


# --- what a kind watches -------------------------------------------------------------------------
def describe(kind: str, params: Mapping[str, ParamValue], t: Translator) -> str:
    """The kind's one-sentence description with these values, as ``SignalKind.describe``."""
    spec = KINDS.get(kind)
    if spec is None:
        return kind
    if t.english:
        return spec.describe(params)
    p = params
    band = (
        t(", with a {band}% hysteresis band", band=param(p["band"], t))
        if "band" in p and float(p["band"])
        else ""
    )
    if kind == "record_high":
        return t(
            "First close above every earlier close after at least {quiet} quiet sessions "
            "(sessions without a record).",
            quiet=param(p["quiet"], t),
        )
    if kind == "drawdown":
        threshold = float(p["threshold"])
        return t(
            "Close at least {threshold}% below its {window}-session high (10 = correction, "
            "20 = bear market); re-arms once back within {half}% of the high.",
            threshold=param(threshold, t),
            window=param(p["window"], t),
            half=param(threshold / 2, t),
        )
    if kind == "monthly_move":
        return t(
            "At a month end: the month's move was at least {pct}% (one ticker), or one ticker "
            "beat/lagged the other by at least {pct} points (a pair).",
            pct=param(p["pct"], t),
        )
    if kind == "ratio_cross":
        text = {
            "above": N_("A/B (or one ticker) crosses above its {window}-day moving average"),
            "below": N_("A/B (or one ticker) crosses below its {window}-day moving average"),
        }.get(
            str(p["direction"]), N_("A/B (or one ticker) crosses its {window}-day moving average")
        )
        return (
            t(text, window=param(p["window"], t))
            + band
            + t(": rotation from one side of the pair to the other.")
        )
    if kind == "level_cross":
        level = float(p["level"])
        what = (
            t("The close crosses {level}", level=param(level, t))
            if level
            else t("The close crosses a level you give")
        )
        way = {"above": t(" (going above only)"), "below": t(" (going below only)")}
        return (
            what
            + way.get(str(p["direction"]), "")
            + band
            + t(", e.g. the 10-year yield through 4.5.")
        )
    if kind == "rrg_quadrant":
        return t(
            "A/B moves into {what} on the weekly relative rotation (JdK-style) graph: "
            "RS-Ratio and RS-Momentum as in {reference}.",
            what=t("a new quadrant") if p.get("into") == "any" else t("Leading or Lagging"),
            reference="schuler-ph/RelativeRotationGraphs",
        )
    return spec.describe(params)


# --- what an event says ---------------------------------------------------------------------------
LATE_NOTE = N_("{text} (a session late: {tickers} moved far on {day}; the next close confirmed it)")
"""An event of a session whose suspicious move the next close confirmed
(bot.evening.evaluate.screen): its text is this Sentence around the engine's own."""


def event_text(event: Event, t: Translator) -> str:
    """The event's sentence: the engine's own in English, else rebuilt from its numbers."""
    if t.english:
        return event.text
    late = event.text
    if isinstance(late, Sentence) and late.msgid == LATE_NOTE:
        from bot.text.rules import say

        own = event_text(dataclasses.replace(event, text=late.values["text"]), t)
        return say(Sentence(LATE_NOTE, **{**late.values, "text": own}), t)
    try:
        return _event_text(event, t) or event.text
    except (KeyError, TypeError, ValueError):  # an older payload without these numbers
        return event.text


def _event_text(event: Event, t: Translator) -> str | None:
    v, s, kind = event.values, event.subject, event.kind
    if kind == "record_high":
        close = price(v["close"], t)  # not inside t.n(...): pybabel reads a `t` there as a call
        return t.n(
            "{subject} closed at a record {close}, its first record close in {n} session.",
            "{subject} closed at a record {close}, its first record close in {n} sessions.",
            int(v["sessions_since"]),
            subject=s,
            close=close,
        )
    if kind == "drawdown":
        window = int(event.params.get("window", 252))
        label = {
            "bear": t("a bear market"),
            "correction": t("a correction")
            if v["threshold"] >= 10
            else t("a pullback of {pct}% or more", pct=param(v["threshold"], t)),
        }[event.variant]
        high = t("52-week high") if window == 252 else t("{n}-day high", n=param(window, t))
        return t(
            "{subject} closed {pct}% below its {high} of {top}: {label}.",
            subject=s,
            pct=points(v["pct"], t),
            high=high,
            top=price(v["high"], t),
            label=label,
        )
    if kind == "monthly_move":
        month = t.month(event.date)
        if event.variant in ("up", "down"):
            text = (
                N_("{subject} rose {pct}% in {month}.")
                if event.variant == "up"
                else N_("{subject} fell {pct}% in {month}.")
            )
            return t(text, subject=s, pct=points(v["pct"], t), month=month)
        a, b = split_subject(s)
        text = (
            N_("{a} beat {b} by {pct} points in {month} ({pct_a} vs {pct_b}).")
            if event.variant == "beat"
            else N_("{a} lagged {b} by {pct} points in {month} ({pct_a} vs {pct_b}).")
        )
        return t(
            text,
            a=a,
            b=b,
            pct=points(v["pct"], t),
            month=month,
            pct_a=t.percent(v["pct_a"] / 100),
            pct_b=t.percent(v["pct_b"] / 100),
        )
    if kind == "ratio_cross":
        days = param(event.params.get("window", 200), t)
        text = (
            N_("{subject} crossed above its {window}-day average ({ratio} vs {ma}, {gap}).")
            if event.variant == "above"
            else N_("{subject} crossed below its {window}-day average ({ratio} vs {ma}, {gap}).")
        )
        return t(
            text,
            subject=s,
            window=days,
            ratio=ratio(v["ratio"], t),
            ma=ratio(v["ma"], t),
            gap=t.percent(v["pct"] / 100),
        )
    if kind == "level_cross":
        text = (
            N_("{subject} rose above {level} ({close}).")
            if event.variant == "above"
            else N_("{subject} fell below {level} ({close}).")
        )
        return t(text, subject=s, level=price(v["level"], t), close=price(v["close"], t))
    if kind == "rrg_quadrant":
        return t(
            "{subject} rotated into {quadrant} on the relative rotation (JdK-style) graph "
            "(RS-Ratio {x}, RS-Momentum {y}).",
            subject=s,
            quadrant=quadrant(event.variant, t),
            x=t.number(v["rs_ratio"], 1),
            y=t.number(v["rs_momentum"], 1),
        )
    return None


# --- what followed the previous times -------------------------------------------------------------
def followup_text(fu: Followup | None, t: Translator) -> str:
    """ "Previously 6 times: median next month +1.2%, next 3 months +3.0% (change in the ratio)"."""
    if t.english:
        from bot.text.plain import followup_text as in_english

        return in_english(fu)
    if fu is None or fu.earlier == 0:
        return t("First time in the available history.")
    if fu.count == 0:
        return t.n(
            "Fired once before, but no outcome of those is known yet.",
            "Fired {n} times before, but no outcome of those is known yet.",
            fu.earlier,
        )
    if fu.count < fu.earlier:
        times = t.n(
            "{n} time ({known} with a month since)",
            "{n} times ({known} with a month since)",
            fu.earlier,
            known=t.number(fu.count),
        )
    else:
        times = t.n("once", "{n} times", fu.count)
    parts = [t("median next month {change}", change=change(fu.median_1m, fu.basis, t))]
    if fu.median_3m is not None:
        parts.append(t("next 3 months {change}", change=change(fu.median_3m, fu.basis, t)))
    return t(
        "Previously {times}: {parts} ({basis}).",
        times=times,
        parts=", ".join(parts),
        basis=basis(fu.basis, t),
    )


def change(value: float | None, kind: str, t: Translator) -> str:
    if value is None:
        return t("n/a")
    if kind == "level":
        return t("{change} pts", change=t.signed(value, 2))
    return t.percent(value)


def basis(kind: str, t: Translator) -> str:
    known = {
        "ratio": t("change in the ratio"),
        "level": t("change in the level"),
        "absolute": t("price change"),
    }
    if kind in known:
        return known[kind]
    if kind.startswith("vs "):
        return t("relative to {benchmark}", benchmark=kind.removeprefix("vs "))
    return kind
