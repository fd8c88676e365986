"""An evening scan's outcome, written in one transaction: the events it fired that were not
recorded before, every chat's message for them (the fan-out) and the scan's row.

One unit, so that a crash or a re-run of the same session can neither double nor lose an
alert: an event is recorded only together with its messages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from signals.events import Event
from storage.db import Database, transaction
from storage.events import EventStore
from storage.fanout import Fanout, FanoutItem, fan_out
from storage.scans import ScanLog

__all__ = ["Recorded", "record_evening"]


@dataclass(frozen=True, slots=True)
class Recorded:
    new: list[Event]  # recorded by this run, in the scan's order
    fanout: Fanout


def record_evening(
    db: Database,
    session: dt.date,
    events: Sequence[Event],
    *,
    html: Mapping[str, str],
    charts: Mapping[str, str],
    now: dt.datetime,
    problems: Mapping[str, str],
    digest: Callable[[list[Event]], str],
    translated: Mapping[str, tuple[Mapping[str, str], Callable[[list[Event]], str]]] | None = None,
    recent: Sequence[dt.date] = (),
    charts_in: Mapping[str, Mapping[str, str]] | None = None,
    move: Callable[[Event], str] | None = None,
    merged: Callable[[list[Event]], str] | None = None,
    merged_in: Mapping[str, Callable[[list[Event]], str]] | None = None,
) -> Recorded:
    """Record ``events`` (those already known are ignored), queue the new ones' messages
    (``html`` and ``charts`` by event key; ``digest`` builds a digest chat's message from its
    events), and close the session's scans row — all or nothing. ``translated`` holds, by
    language, the same two things for chats of that language, and ``charts_in`` their
    charts (language -> event key -> path; an event missing: no chart in that language);
    ``recent``: the sessions before this one,
    newest first, that subscriptions' cooldowns count back through. ``move`` says which
    events are the same move: those of one move that reach one chat are one message,
    built by ``merged`` (``merged_in`` by language) from the chat's events of it."""
    store = EventStore(db)
    translated = translated or {}
    charts_in = charts_in or {}
    with transaction(db):
        rerun = store.count(session) > 0  # a second digest must not clash with the first
        new_keys = set(store.record(events, session, html))
        new = [e for e in events if e.key in new_keys]
        items = [
            FanoutItem(
                e.key,
                e.rule,
                html[e.key],
                charts.get(e.key),
                {lang: bodies[e.key] for lang, (bodies, _) in translated.items()},
                {lang: drawn.get(e.key, "") for lang, drawn in charts_in.items()},
                move(e) if move is not None else "",
            )
            for e in new
        ]
        key = f"digest:{session.isoformat()}" + (f":{new[0].key}" if rerun and new else "")
        fan = fan_out(
            db,
            items,
            session,
            now=now,
            digest_body=lambda positions: digest([new[i] for i in positions]),
            digest_key=key,
            digest_in={lang: _digest_of(new, build) for lang, (_, build) in translated.items()},
            recent=recent,
            merged_body=None if merged is None else _digest_of(new, merged),
            merged_in={lang: _digest_of(new, build) for lang, build in (merged_in or {}).items()},
        )
        ScanLog(db).finish(
            session, now, events=len(new), messages=fan.messages, problems=dict(problems)
        )
    return Recorded(new, fan)


def _digest_of(
    new: list[Event], build: Callable[[list[Event]], str]
) -> Callable[[Sequence[int]], str]:
    return lambda positions: build([new[i] for i in positions])
