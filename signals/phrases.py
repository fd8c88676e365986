"""The phrases of the custom alert language, one reader per signal kind (signals/parse.py).

Each reader takes the subject ("IWM/SPY", "^RUT") and the rest of the rule in lower case and
returns the canonical :class:`~signals.rules.Rule` it says, None when the phrase is not its
own, or raises :class:`~signals.kind.RuleError` (a :class:`~signals.sentence.Sentence`) for
a phrase it recognises but cannot accept: parse.py then adds the kind's example.
"""

from __future__ import annotations

import re

from signals.catalogue import rule
from signals.kind import RuleError
from signals.rules import Rule
from signals.sentence import Sentence

__all__ = [
    "DAYS",
    "DEFAULT_WINDOW",
    "MAX_WINDOW",
    "NUMBER",
    "TICKER",
    "crosses_average",
    "drawdown",
    "level",
    "monthly",
    "number",
    "record_high",
    "rrg",
]

TICKER = r"\^?[A-Z0-9][A-Z0-9.=\-]{0,11}"
"""A Yahoo ticker as typed, upper case (^RUT, CL=F, BRK-B)."""
NUMBER = r"\$?(?P<num>[-+]?\d+(?:,\d{3})*(?:[.,]\d+)?)"
MAX_WINDOW = 1000
"""Sessions: a moving average longer than four years is almost surely a typo."""
DEFAULT_WINDOW = 200
"""The average a ratio is watched against when only a band is given."""


def number(text: str) -> float:
    """ "4.5", "4,5" (decimal comma) and "2,500" (thousands) as floats."""
    if re.fullmatch(r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?", text):
        return float(text.replace(",", ""))
    return float(text.replace(",", "."))


def _band(rest: str) -> float:
    m = re.search(r"band\s*" + NUMBER + r"\s*%?", rest)
    return number(m.group("num")) if m else 0.0


DAYS = r"(?P<n>\d+)\s*(?:d\b|dma\b|-?\s*days?\b(?:\s+(?:sma|ma|average|moving average)\b)?)"


def crosses_average(subject: str, rest: str) -> Rule | None:
    crossing = re.search(
        r"\bcross(?:es|ed|ing)?\s*(?P<dir>above|below|over|under)?\s*(?:its\s+|the\s+)?" + DAYS,
        rest,
    )
    # without "crosses", only at the start: "above 200d", "is below its 50-day average", "200d"
    m = crossing or re.match(
        r"(?:(?:is|trades|closes|rises|falls|moves|goes)\s+)?(?P<dir>above|below|over|under)?"
        r"\s*(?:its\s+|the\s+)?" + DAYS,
        rest,
    )
    if not m:
        if re.fullmatch(r"band\s*" + NUMBER + r"\s*%?", rest):  # "IWM/SPY band 1%": the 200d
            return rule("ratio_cross", subject, window=DEFAULT_WINDOW, band=_band(rest))
        return None
    window = int(m.group("n"))
    if not 2 <= window <= MAX_WINDOW:
        raise RuleError(
            Sentence(
                "a moving average window must be at least 2 days and at most {most}, not {n}",
                most=MAX_WINDOW,
                n=window,
            )
        )
    direction = {"over": "above", "under": "below"}.get(m.group("dir") or "", m.group("dir"))
    return rule(
        "ratio_cross", subject, window=window, band=_band(rest), direction=direction or "both"
    )


def record_high(subject: str, rest: str) -> Rule | None:
    if not re.search(r"\b(record( high| close)?|new high|all[- ]time high|ath)\b", rest):
        return None
    m = re.search(r"quiet\s*" + NUMBER, rest)
    if not m:
        return rule("record_high", subject)
    quiet = number(m.group("num"))
    if not 1 <= quiet <= MAX_WINDOW:
        raise RuleError(
            Sentence(
                "the quiet spell is 1 to {most} sessions, not {n}", most=MAX_WINDOW, n=f"{quiet:g}"
            )
        )
    return rule("record_high", subject, quiet=int(quiet))


def drawdown(subject: str, rest: str) -> Rule | None:
    if re.search(r"\bbear( market)?\b", rest):
        return rule("drawdown", subject, threshold=20.0)
    if re.search(r"\bcorrection\b", rest):
        return rule("drawdown", subject, threshold=10.0)
    m = re.search(r"\b(?:drawdown|down|off|below high|from (?:its )?high)\D*?" + NUMBER, rest)
    if not m or not re.search(r"drawdown|from (?:its )?high|off (?:its )?high|below high", rest):
        return None
    threshold = abs(number(m.group("num")))
    if not 0 < threshold < 100:
        raise RuleError(
            Sentence("a drawdown must be between 0% and 100%, not {n}%", n=f"{threshold:g}")
        )
    return rule("drawdown", subject, threshold=threshold)


def monthly(subject: str, rest: str) -> Rule | None:
    if not re.search(r"\bmonth(ly)?\b", rest):
        return None
    m = re.search(NUMBER + r"\s*(?:%|percent|points?|pts?|pp)?", rest)
    if not m:
        raise RuleError(
            Sentence("say how big a monthly move, e.g. {example}", example="^RUT moves 5% month")
        )
    pct = abs(number(m.group("num")))
    if not 0 < pct < 100:
        raise RuleError(
            Sentence("a monthly move must be between 0% and 100%, not {n}%", n=f"{pct:g}")
        )
    pair = re.search(rf"\b(?:beats?|outperforms?)\s+\$?(?P<other>{TICKER.lower()})\b", rest)
    if pair and "/" not in subject:
        other = pair.group("other").upper()
        if other not in ("BY",):
            subject = f"{subject}/{other}"
    return rule("monthly_move", subject, pct=pct)


def rrg(subject: str, rest: str) -> Rule | None:
    if not re.search(r"\b(rrg|quadrants?|rotation)\b", rest):
        return None
    if "/" not in subject:
        subject = f"{subject}/SPY"
    params: dict[str, float | int | str] = {}
    if re.search(r"\b(all|any|every)\b", rest):
        params["into"] = "any"
    for name in ("window", "momentum", "confirm"):
        m = re.search(rf"\b{name}\s*" + NUMBER, rest)
        if m:
            params[name] = number(m.group("num"))
    if re.search(r"\bband\b", rest):
        params["band"] = _band(rest)
    return rule("rrg_quadrant", subject, **params)


def level(subject: str, rest: str) -> Rule | None:
    m = re.search(
        r"(?:\b(?:cross(?:es|ed)?\s*)?(?P<dir>above|below|over|under)|\bcross(?:es|ed)?"
        r"|(?P<op>[<>])=?)\s*" + NUMBER + r"\s*%?\s*$",
        rest,
    )
    if not m:
        return None
    if "/" in subject:
        raise RuleError(
            Sentence(
                "a level is for one ticker ({one}); for a pair, watch its average: {pair}",
                one=f"{subject.split('/')[0]} below 4.0",
                pair=f"{subject} crosses above 200d",
            )
        )
    word = m.group("dir") or {">": "above", "<": "below"}.get(m.group("op") or "", "")
    direction = {"over": "above", "under": "below"}.get(word, word)
    level = number(m.group("num"))
    return rule("level_cross", subject, level=level, direction=direction or "both")
