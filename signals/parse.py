"""The custom alert language: a few forgiving phrases over the signal catalogue.

    IWM/SPY crosses above 200d          ratio_cross   (also "50-day", "200 day ma", "band 1%")
    SPY crosses below 50d               ratio_cross on a price (a single ticker vs its average)
    ^RUT record high                    record_high   (also "new high", "all-time high")
    ^TNX below 4.0                      level_cross   (also "above", "crosses 80")
    XLE drawdown 20%                    drawdown      (also "correction" = 10%, "bear market" = 20%)
    IWM/SPY beats by 3% month           monthly_move on a pair (also "IWM beats SPY by 3 points")
    ^RUT moves 5% month                 monthly_move on one ticker (also "monthly 5%")
    XLE rrg                             rrg_quadrant vs SPY (also "XLE/SPY quadrant")

:func:`parse_rule` returns a canonical :class:`Rule` (so "iwm/spy crosses above 200 day" and
"IWM/SPY crosses above 200d" are one rule, computed once) or raises :class:`ParseError`, whose
message says what is wrong and shows a correct example. It never raises anything else.
"""

from __future__ import annotations

import re

from signals.catalogue import rule
from signals.kind import RuleError
from signals.rules import Rule

TICKER = r"\^?[A-Z0-9][A-Z0-9.=\-]{0,11}"
SUBJECT = re.compile(rf"^(?P<subject>{TICKER}(?:/{TICKER})?)\s*(?P<rest>.*)$")
NUMBER = r"(?P<num>[-+]?\d+(?:\.\d+)?)"
MAX_LENGTH = 120

EXAMPLES = (
    "IWM/SPY crosses above 200d",
    "^RUT record high",
    "^TNX below 4.0",
    "XLE drawdown 20%",
    "IWM/SPY beats by 3% month",
    "^RUT moves 5% month",
    "XLE rrg",
)


KEYWORDS = frozenset(
    (
        "cross",
        "crosses",
        "crossed",
        "above",
        "below",
        "over",
        "under",
        "record",
        "new",
        "all-time",
        "drawdown",
        "down",
        "bear",
        "correction",
        "moves",
        "move",
        "monthly",
        "month",
        "beats",
        "beat",
        "rrg",
        "quadrant",
        "rotation",
        "when",
        "if",
        "alert",
    )
)
"""Words that start a phrase, not a ticker: "crosses above 200d" lacks its subject."""


class ParseError(ValueError):
    """A rule text we cannot read; the message is for the person who typed it."""


def parse_rule(text: str) -> Rule:
    """Read one alert rule; see the module docstring for the phrases."""
    raw = " ".join(str(text).split())
    if not raw:
        raise ParseError(f"Write a rule after the command, e.g. {EXAMPLES[0]}")
    if len(raw) > MAX_LENGTH:
        raise ParseError(f"That rule is too long ({len(raw)} characters, at most {MAX_LENGTH}).")
    m = SUBJECT.match(raw.upper())
    if not m or not m.group("rest") or m.group("subject").lower() in KEYWORDS:
        raise ParseError(
            f"Start with a ticker or a pair, then what to watch, e.g. {EXAMPLES[0]} "
            f"or {EXAMPLES[2]}."
        )
    subject, rest = m.group("subject"), m.group("rest").lower()
    try:
        for reader in READERS:
            found = reader(subject, rest)
            if found is not None:
                return found
    except RuleError as e:
        raise ParseError(f"{e}. Example: {EXAMPLES[0]}") from None
    raise ParseError(
        f"I could not read {rest!r} after {subject}. Try one of: {'; '.join(EXAMPLES)}."
    )


def _band(rest: str) -> float:
    m = re.search(r"band\s*" + NUMBER + r"\s*%?", rest)
    return float(m.group("num")) if m else 0.0


def _crosses_average(subject: str, rest: str) -> Rule | None:
    m = re.search(
        r"\bcross(?:es|ed|ing)?\s*(?P<dir>above|below|over|under)?\s*(?:its\s+|the\s+)?"
        r"(?P<n>\d+)\s*(?:d\b|-?\s*days?\b|dma\b|-?\s*day\s+(?:ma|average|moving average)\b)",
        rest,
    )
    if not m:
        return None
    direction = {"over": "above", "under": "below"}.get(m.group("dir") or "", m.group("dir"))
    return rule(
        "ratio_cross",
        subject,
        window=int(m.group("n")),
        band=_band(rest),
        direction=direction or "both",
    )


def _record_high(subject: str, rest: str) -> Rule | None:
    if not re.search(r"\b(record( high| close)?|new high|all[- ]time high|ath)\b", rest):
        return None
    m = re.search(r"quiet\s*" + NUMBER, rest)
    return rule("record_high", subject, **({"quiet": int(float(m.group("num")))} if m else {}))


def _drawdown(subject: str, rest: str) -> Rule | None:
    if re.search(r"\bbear( market)?\b", rest):
        return rule("drawdown", subject, threshold=20.0)
    if re.search(r"\bcorrection\b", rest):
        return rule("drawdown", subject, threshold=10.0)
    m = re.search(r"\b(?:drawdown|down|off|below high|from (?:its )?high)\D*?" + NUMBER, rest)
    if not m or not re.search(r"drawdown|from (?:its )?high|off (?:its )?high|below high", rest):
        return None
    threshold = abs(float(m.group("num")))
    if not 0 < threshold < 100:
        raise RuleError(f"a drawdown must be between 0% and 100%, not {threshold:g}%")
    return rule("drawdown", subject, threshold=threshold)


def _monthly(subject: str, rest: str) -> Rule | None:
    if not re.search(r"\bmonth(ly)?\b", rest):
        return None
    m = re.search(NUMBER + r"\s*(?:%|percent|points?|pts?|pp)?", rest)
    if not m:
        raise RuleError("say how big a monthly move, e.g. ^RUT moves 5% month")
    pct = abs(float(m.group("num")))
    if not 0 < pct < 100:
        raise RuleError(f"a monthly move must be between 0% and 100%, not {pct:g}%")
    pair = re.search(rf"\b(?:beats?|outperforms?)\s+(?P<other>{TICKER.lower()})\b", rest)
    if pair and "/" not in subject:
        other = pair.group("other").upper()
        if other not in ("BY",):
            subject = f"{subject}/{other}"
    return rule("monthly_move", subject, pct=pct)


def _rrg(subject: str, rest: str) -> Rule | None:
    if not re.search(r"\b(rrg|quadrant|rotation)\b", rest):
        return None
    if "/" not in subject:
        subject = f"{subject}/SPY"
    return rule("rrg_quadrant", subject)


def _level(subject: str, rest: str) -> Rule | None:
    m = re.search(
        r"\b(?:(?:cross(?:es|ed)?\s*)?(?P<dir>above|below|over|under)|cross(?:es|ed)?)\s*"
        + NUMBER
        + r"\s*%?\s*$",
        rest,
    )
    if not m:
        return None
    if "/" in subject:
        raise RuleError(
            f"a level is for one ticker ({subject.split('/')[0]} below 4.0); for a pair, "
            f"watch its average: {subject} crosses above 200d"
        )
    direction = {"over": "above", "under": "below"}.get(m.group("dir") or "", m.group("dir"))
    return rule("level_cross", subject, level=float(m.group("num")), direction=direction or "both")


READERS = (_crosses_average, _record_high, _drawdown, _monthly, _rrg, _level)
