"""Alert messages as Telegram HTML: a headline, the numbers, and what followed previous times.

Only formatting lives here; the engine's events are plain data. Telegram limits a text message
to 4096 characters and a photo caption to 1024; :func:`fit` keeps any text inside a limit.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from bot.render import followup_text
from signals.events import Event

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024

TITLES = {
    "record_high": "Record high",
    "drawdown": "Drawdown",
    "monthly_move": "Monthly move",
    "ratio_cross": "Moving-average cross",
    "level_cross": "Level cross",
    "rrg_quadrant": "Sector rotation",
}
ICONS = {
    "record_high": "🏔",
    "drawdown": "📉",
    "monthly_move": "📅",
    "ratio_cross": "🔀",
    "level_cross": "📏",
    "rrg_quadrant": "🔄",
}
SYNTHETIC_NOTE = "<i>Synthetic sample data — not real prices.</i>"


def esc(text: object) -> str:
    return html.escape(str(text), quote=False)


def headline(event: Event) -> str:
    icon = ICONS.get(event.signal, "•")
    title = TITLES.get(event.signal, event.signal)
    return f"{icon} <b>{esc(event.subject)}</b> · {esc(title)} · {event.date:%a %d %b %Y}"


def event_html(event: Event, synthetic: bool = False) -> str:
    """One alert: headline, the sentence with its numbers, and the follow-up line."""
    lines = [headline(event), esc(event.text), f"<i>{esc(followup_text(event.followup))}</i>"]
    if synthetic:
        lines.append(SYNTHETIC_NOTE)
    return "\n".join(lines)


def digest_html(events: Sequence[Event], session_label: str, synthetic: bool = False) -> str:
    """One evening message for a digest chat: every event of the session, shortest form."""
    head = f"🗞 <b>Rotation digest</b> · {esc(session_label)} · {len(events)} signals"
    parts = [head]
    for e in events:
        parts.append(f"• <b>{esc(e.subject)}</b>: {esc(e.text)}")
    if synthetic:
        parts.append(SYNTHETIC_NOTE)
    return fit("\n".join(parts), TEXT_LIMIT)


def fit(text: str, limit: int) -> str:
    """Cut ``text`` to ``limit`` characters at a line break, saying that it was cut.

    Cutting at a line break keeps the HTML valid: every tag we emit opens and closes on
    one line.
    """
    if len(text) <= limit:
        return text
    note = "\n… (more in /history)"
    cut = text[: limit - len(note)]
    if "\n" in cut:
        cut = cut[: cut.rindex("\n")]
    return cut + note
