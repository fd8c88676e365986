"""What tickers, sectors and pairs are, in words, in the chat's language.

The English names live where they are drawn and computed (``signals.dashboard.SECTOR_NAMES``,
``bot.charts.TICKER_NAMES`` and ``PAIR_LABELS``); each is a msgid here, so a chart's
caption and the dashboard name a sector the language's way. A name not listed (a proper
name, a ticker nobody named) is shown as it is.
"""

from __future__ import annotations

from bot.text.i18n import N_, Translator
from signals import dashboard
from signals.rules import split_subject

__all__ = [
    "BENCHMARK",
    "NAMES",
    "PAIR_LABELS",
    "SECTOR_NAMES",
    "TICKER_NAMES",
    "name",
    "subject_label",
]

# The English names charts and messages use (the dashboard's, two shortened to fit a title)
BENCHMARK = "S&P 500"
SECTOR_NAMES = {  # the dashboard's names, two shortened to fit a title on a phone
    **dashboard.SECTOR_NAMES,
    "XLC": "Communications",
    "XLY": "Discretionary",
}
TICKER_NAMES = {
    **SECTOR_NAMES,
    "SPY": BENCHMARK,
    "^GSPC": BENCHMARK,
    "RSP": "equal-weight S&P 500",
    "IWM": "Russell 2000 ETF",
    "^RUT": "Russell 2000",
    "IWD": "large-cap value",
    "IWF": "large-cap growth",
    "IWN": "small-cap value",
    "IWO": "small-cap growth",
    "^TNX": "10-year Treasury yield",
    "^IRX": "13-week T-bill yield",
    "^FVX": "5-year Treasury yield",
    "^TYX": "30-year Treasury yield",
    "CL=F": "WTI crude oil",
}
PAIR_LABELS = {
    "IWM/SPY": "small caps vs large caps",
    "IWD/IWF": "value vs growth",
    "IWN/IWO": "small value vs small growth",
    "RSP/SPY": "equal weight vs cap weight",
}

NAMES = {  # English names (signals.dashboard, bot.charts.base) -> msgids
    name: name
    for name in (
        N_("Materials"),
        N_("Communication services"),
        N_("Energy"),
        N_("Financials"),
        N_("Industrials"),
        N_("Technology"),
        N_("Consumer staples"),
        N_("Real estate"),
        N_("Utilities"),
        N_("Health care"),
        N_("Consumer discretionary"),
        N_("Communications"),
        N_("Discretionary"),
        N_("equal-weight S&P 500"),
        N_("Russell 2000 ETF"),
        N_("large-cap value"),
        N_("large-cap growth"),
        N_("small-cap value"),
        N_("small-cap growth"),
        N_("10-year Treasury yield"),
        N_("13-week T-bill yield"),
        N_("5-year Treasury yield"),
        N_("30-year Treasury yield"),
        N_("WTI crude oil"),
        N_("small caps vs large caps"),
        N_("value vs growth"),
        N_("small value vs small growth"),
        N_("equal weight vs cap weight"),
        # the dashboard's gauges and the valuation pairs of /status
        N_("Small vs large caps"),
        N_("Value vs growth"),
        N_("Breadth: equal vs cap weight"),
        N_("Russell 2000 vs S&P 500"),
        N_("S&P 600 vs S&P 500"),
    )
}


def name(english_name: str, t: Translator) -> str:
    """A sector's or ticker's English name in the language (a proper name stays as it is)."""
    return t(english_name) if english_name in NAMES else english_name


def subject_label(subject: str, t: Translator) -> str:
    """What a subject is, in words, in the language: "small caps vs large caps", "Energy vs
    S&P 500", "Russell 2000"; "" for a ticker nobody told us about."""
    if subject in PAIR_LABELS:
        return name(PAIR_LABELS[subject], t)
    legs = split_subject(subject)
    if len(legs) == 2:
        a, b = legs
        if a in TICKER_NAMES or b in TICKER_NAMES:
            return t(
                "{a} vs {b}",
                a=name(TICKER_NAMES.get(a, a), t),
                b=name(TICKER_NAMES.get(b, b), t),
            )
        return ""
    return name(TICKER_NAMES.get(subject, ""), t)
