"""Named bundles of rules: what a new chat can switch on with one word.

Each preset answers one question a trader asks about rotation. Rules are built with
:func:`signals.catalogue.rule`, so they are canonical and deduplicate with the same rule
entered by hand. A band of 0.5% on the ratio crosses keeps a ratio hugging its average from
alerting back and forth.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from signals.catalogue import rule
from signals.kind import RuleError
from signals.rules import Rule, unique
from signals.sentence import Sentence

__all__ = [
    "LEVEL_BAND",
    "PRESETS",
    "SECTORS",
    "TREND_SECTORS",
    "Preset",
    "all_preset_rules",
    "preset",
    "preset_tickers",
]

SECTORS = ("XLB", "XLC", "XLE", "XLF", "XLI", "XLK", "XLP", "XLRE", "XLU", "XLV", "XLY")
"""The 11 Select Sector SPDR ETFs."""
TREND_SECTORS = ("XLC", "XLRE", "XLE", "XLV")
"""Communication services, real estate, energy and health care: the sectors whose 200-day
ratio against SPY the sectors preset also watches, besides every sector's relative rotation
(JdK-style) quadrant."""
LEVEL_BAND = 1.0
"""Percent of the level: ^TNX must close beyond 4.04/3.96 to cross 4.00 (whipsaw: 28 -> 11
level crosses in the sample's last year)."""


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    description: str
    rules: tuple[Rule, ...]


def _presets() -> dict[str, Preset]:
    band = {"band": 0.5}
    items = [
        Preset(
            "small_vs_large",
            "Small caps vs large caps",
            "Is money rotating into small caps? IWM (Russell 2000) against SPY (S&P 500): "
            "the ratio crossing its 50- and 200-day averages, and months when small caps "
            "beat or lag by 3 points or more.",
            (
                rule("ratio_cross", "IWM/SPY", window=50, **band),
                rule("ratio_cross", "IWM/SPY", window=200, **band),
                rule("monthly_move", "IWM/SPY", pct=3),
            ),
        ),
        Preset(
            "value_vs_growth",
            "Value vs growth",
            "Value against growth, in large caps (IWD/IWF, Russell 1000) and small caps "
            "(IWN/IWO, Russell 2000): 200-day ratio crosses, and months when large-cap "
            "value beats or lags growth by 3 points or more.",
            (
                rule("ratio_cross", "IWD/IWF", window=200, **band),
                rule("ratio_cross", "IWN/IWO", window=200, **band),
                rule("monthly_move", "IWD/IWF", pct=3),
            ),
        ),
        Preset(
            "breadth",
            "Market breadth",
            "Is the rally broad or carried by a few giants? The equal-weight S&P 500 (RSP) "
            "against the cap-weighted one (SPY): 200-day ratio crosses, and months when "
            "equal weight beats or lags by 2 points or more.",
            (
                rule("ratio_cross", "RSP/SPY", window=200, **band),
                rule("monthly_move", "RSP/SPY", pct=2),
            ),
        ),
        Preset(
            "sectors",
            "Sector rotation",
            "The 11 S&P sectors against SPY on a weekly relative rotation (JdK-style) graph: "
            "an alert when a sector moves into Leading or Lagging; plus 200-day ratio "
            "crosses for communication services, real estate, energy and health care.",
            (
                *(rule("rrg_quadrant", f"{s}/SPY") for s in SECTORS),
                *(rule("ratio_cross", f"{s}/SPY", window=200, **band) for s in TREND_SECTORS),
            ),
        ),
        Preset(
            "rates",
            "Interest rates",
            "Treasury yields through round levels: the 10-year (^TNX) through 4.0% and "
            "4.5%, the 13-week bill (^IRX) through 4.0%.",
            (
                rule("level_cross", "^TNX", level=4.0, band=LEVEL_BAND),
                rule("level_cross", "^TNX", level=4.5, band=LEVEL_BAND),
                rule("level_cross", "^IRX", level=4.0, band=LEVEL_BAND),
            ),
        ),
        Preset(
            "oil",
            "Oil",
            "WTI crude futures (CL=F) through $80 and $60 a barrel, and a 20% fall from "
            "the 52-week high.",
            (
                rule("level_cross", "CL=F", level=80, band=LEVEL_BAND),
                rule("level_cross", "CL=F", level=60, band=LEVEL_BAND),
                rule("drawdown", "CL=F", threshold=20),
            ),
        ),
        Preset(
            "russell_records",
            "Russell 2000 records and drawdowns",
            "The Russell 2000 (^RUT) and its ETF (IWM): the first record close after a "
            "quiet spell, a 10% correction and a 20% bear market from the 52-week high, "
            "and months when the index moves 5% or more.",
            (
                rule("record_high", "^RUT"),
                rule("record_high", "IWM"),
                rule("drawdown", "^RUT", threshold=10),
                rule("drawdown", "^RUT", threshold=20),
                rule("monthly_move", "^RUT", pct=5),
            ),
        ),
    ]
    return {p.name: p for p in items}


PRESETS: dict[str, Preset] = _presets()


def preset(name: str) -> Preset:
    """The preset called ``name`` (case and spaces forgiven), or a RuleError listing them."""
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    try:
        return PRESETS[key]
    except KeyError:
        said = Sentence(
            "unknown preset {name}; known: {known}", name=repr(name), known=", ".join(PRESETS)
        )
        raise RuleError(said) from None


def all_preset_rules() -> list[Rule]:
    """Every preset's rules, deduplicated, in preset order."""
    return unique(r for p in PRESETS.values() for r in p.rules)


def preset_tickers(names: Iterable[str], benchmark: str | None = "SPY") -> list[str]:
    """Sorted tickers the named presets read, plus the follow-up benchmark (pass None to
    leave it out): what the data layer must fetch for them."""
    tickers = {t for n in names for r in preset(n).rules for t in r.tickers}
    if benchmark:
        tickers.add(benchmark)
    return sorted(tickers)
