"""What counts as "the same move": one message when several of a chat's rules fire on it.

Two events are the same move when they are of the same kind, on the same subject, in the same
direction (the event's ``variant``: ``above``/``below`` for the crosses, the quadrant, the
threshold...) on the same session; their parameters may differ. So the preset's
``XLV/SPY`` 200-day cross with a 0.5% band and a chat's own 200-day cross without one, or a
50-day and a 200-day cross of IWM/SPY on one evening, are one move, and a chat that watches
both gets one message naming both rules (storage/fanout.py writes it,
:func:`bot.text.alerts.merged_html` words it).

Different kinds never merge, even on one subject the same way: a record high and a cross
above the 200-day average are two facts a trader reads differently, not two wordings of one.
"""

from __future__ import annotations

from signals.events import Event

__all__ = ["move_key"]


def move_key(event: Event) -> str:
    """``ratio_cross|XLV/SPY|above|2026-03-02``: equal for the events of one move."""
    return f"{event.kind}|{event.subject}|{event.variant}|{event.date.isoformat()}"
