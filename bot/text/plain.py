"""Plain-text rendering of engine results, shared by the console commands.

The core returns plain data; this module (and the Telegram formatter) only formats it.
"""

from __future__ import annotations

from signals.events import Event, Followup

__all__ = ["SYNTHETIC_LABEL", "basis_name", "event_line", "followup_text", "pct"]

SYNTHETIC_LABEL = "SYNTHETIC market (seeded model, not real prices)"


def pct(value: float | None, basis: str = "ratio") -> str:
    if value is None:
        return "n/a"
    if basis == "level":
        return f"{value:+.2f} pts"
    return f"{value * 100:+.1f}%"


def followup_text(fu: Followup | None) -> str:
    """ "Previously 6 times: median next month +1.2% (typically +0.9%), ..." in English: the
    alert's own sentence (bot/text/followup.py)."""
    from bot.text.followup import followup_text as said

    return said(fu)


def basis_name(basis: str) -> str:
    """What a follow-up's change is of, in English: "relative to SPY", "change in the ratio"."""
    from bot.text.followup import basis as said
    from bot.text.i18n import translator

    return said(basis, translator(None))


def event_line(event: Event, synthetic: bool = False) -> str:
    tag = " [synthetic]" if synthetic else ""
    return (
        f"{event.date.isoformat()}  {event.kind:<13} {event.text}{tag} "
        f"{followup_text(event.followup)}"
    )
