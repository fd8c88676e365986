"""Alert messages as Telegram HTML: a headline, the numbers, and what followed previous times.

Only formatting lives here; the engine's events are plain data. Telegram limits a text message
to 4096 characters and a photo caption to 1024; :func:`bot.text.telegram_html.fit` keeps any text
inside a limit without breaking its HTML.
An alert whose text is too long for a caption (:func:`fits_caption`) is sent as text without
its chart, rather than as a photo plus a second message: one outbox row is one Telegram
message, which is what lets delivery promise "once" (bot/delivery/worker.py).
When several of a chat's rules fire on the same move (bot/evening/same_move.py), the chat gets
one message, :func:`merged_html`: the first event's alert and a line naming the other rules.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.text.i18n import N_, Translator, translator
from bot.text.telegram_html import CAPTION_LIMIT, TEXT_LIMIT, fit, units

if TYPE_CHECKING:
    from signals.events import Event

__all__ = [
    "MORE_IN_HISTORY",
    "SYNTHETIC_NOTE",
    "digest_html",
    "esc",
    "event_html",
    "fits_caption",
    "headline",
    "merged_html",
    "rule_words",
    "session_label",
]

MORE_IN_HISTORY = N_("\n… (more in /history)")

SYNTHETIC_NOTE = N_("<i>Synthetic sample data — not real prices.</i>")  # shown as t(...)


def esc(text: object) -> str:
    return html.escape(str(text), quote=False)


def headline(event: Event, t: Translator | None = None) -> str:
    """``🏔 <b>^RUT</b> · Record high · Fri 28 Nov 2025``: the kind's icon and short title
    (a kind no longer in the catalogue, from an old stored event, shows its id)."""
    from bot.text.signals import kind_short_title  # the catalogue: not for /help's esc()
    from signals.catalogue import KINDS

    t = t or translator(None)
    kind = KINDS.get(event.kind)
    icon = kind.icon if kind else "•"
    title = kind_short_title(event.kind, t)
    return f"{icon} <b>{esc(event.subject)}</b> · {esc(title)} · {t.date(event.date)}"


def event_html(
    event: Event,
    synthetic: bool = False,
    t: Translator | None = None,
    also: Sequence[Event] = (),
) -> str:
    """One alert in the language of ``t`` (English by default): headline, the sentence with
    its numbers, and the follow-up line; then the rules of ``also`` (the same move's other
    events, :func:`merged_html`) named in one line."""
    from bot.text.signals import event_text, followup_text

    t = t or translator(None)
    lines = [
        headline(event, t),
        esc(event_text(event, t)),
        f"<i>{esc(followup_text(event.followup, t))}</i>",
    ]
    if also:
        said = t("Also matched: {rules}", rules="; ".join(rule_words(e, t) for e in also))
        lines.append(f"<i>{esc(said)}</i>")
    if synthetic:
        lines.append(t(SYNTHETIC_NOTE))
    return fit("\n".join(lines), TEXT_LIMIT, t(MORE_IN_HISTORY))


def merged_html(
    events: Sequence[Event], synthetic: bool = False, t: Translator | None = None
) -> str:
    """One message for one move that fired several of a chat's rules: the first event's
    alert (its sentence states its band, its follow-up counts its own firings) and
    ``Also matched: <the others' rules>``, so the chat reads one alert and sees why the
    counts could differ."""
    return event_html(events[0], synthetic, t, also=events[1:])


def rule_words(event: Event, t: Translator | None = None) -> str:
    """What the event's rule watches, in words, in the language of ``t``
    (``XLV/SPY crosses its 200-day moving average, with a 0.5% band``)."""
    from bot.text.rules import translated
    from signals.catalogue import KINDS
    from signals.rules import Rule

    t = t or translator(None)
    kind = KINDS.get(event.kind)
    if kind is None:
        return event.rule
    rule = Rule(event.kind, event.subject, tuple(sorted(event.params.items())))
    return translated(kind.describe_rule(rule), t)


def digest_html(
    events: Sequence[Event],
    session_label: str,
    synthetic: bool = False,
    t: Translator | None = None,
) -> str:
    """One evening message for a digest chat: every event of the session, shortest form."""
    from bot.text.signals import event_text

    t = t or translator(None)
    head = t.n(
        "🗞 <b>Rotation digest</b> · {session} · {n} signal",
        "🗞 <b>Rotation digest</b> · {session} · {n} signals",
        len(events),
        session=esc(session_label),
    )
    parts = [head]
    for e in events:
        parts.append(f"• <b>{esc(e.subject)}</b>: {esc(event_text(e, t))}")
    if synthetic:
        parts.append(t(SYNTHETIC_NOTE))
    return fit("\n".join(parts), TEXT_LIMIT, t(MORE_IN_HISTORY))


def session_label(day: dt.date, t: Translator | None = None) -> str:
    """How a session is named in a digest's heading: ``Fri 28 Nov 2025``."""
    return (t or translator(None)).date(day)


def fits_caption(body: str) -> bool:
    """Can ``body`` go under a photo? Telegram's caption limit is 1024 characters (UTF-16
    units) after parsing; the HTML source is never shorter than that, so this errs on the
    safe side."""
    return units(body) <= CAPTION_LIMIT
