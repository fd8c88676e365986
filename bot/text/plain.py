"""Plain-text rendering of engine results, shared by the console commands.

The core returns plain data; this module (and the Telegram formatter) only formats it.
"""

from __future__ import annotations

from signals.events import Event, Followup

SYNTHETIC_LABEL = "SYNTHETIC market (seeded model, not real prices)"


def pct(value: float | None, basis: str = "ratio") -> str:
    if value is None:
        return "n/a"
    if basis == "level":
        return f"{value:+.2f} pts"
    return f"{value * 100:+.1f}%"


def followup_text(fu: Followup | None) -> str:
    """ "Before: 6 times; median next month +1.2%, next 3 months +3.0% (IWM vs SPY)"."""
    if fu is None or fu.earlier == 0:
        return "First time in the available history."
    before = "once" if fu.earlier == 1 else f"{fu.earlier} times"
    if fu.count == 0:
        return f"Fired {before} before, but no outcome of those is known yet."
    times = "once" if fu.count == 1 else f"{fu.count} times"
    if fu.count < fu.earlier:
        times = f"{before} ({fu.count} with a month since)"
    parts = [f"median next month {pct(fu.median_1m, fu.basis)}"]
    if fu.median_3m is not None:
        parts.append(f"next 3 months {pct(fu.median_3m, fu.basis)}")
    return f"Previously {times}: {', '.join(parts)} ({_basis(fu.basis)})."


def _basis(basis: str) -> str:
    return {
        "ratio": "change in the ratio",
        "level": "change in the level",
        "absolute": "price change",
    }.get(basis, f"relative to {basis.removeprefix('vs ')}" if basis.startswith("vs ") else basis)


def event_line(event: Event, synthetic: bool = False) -> str:
    tag = " [synthetic]" if synthetic else ""
    return (
        f"{event.date.isoformat()}  {event.kind:<13} {event.text}{tag} "
        f"{followup_text(event.followup)}"
    )
