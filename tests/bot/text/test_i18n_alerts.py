"""Alerts in the chat's language: every event of every kind the presets fire over the
sample, written in German and Spanish with no English left; a German, a Spanish and an
English chat each get the evening's alerts (instant or digest) in their own language."""

from __future__ import annotations

import datetime as dt
from functools import cache

import pytest

from bot.evening.evaluate import backtest
from bot.evening.pipeline import run_scan
from bot.text.alerts import digest_html, event_html
from bot.text.i18n import translator
from market.sample import SampleProvider
from signals.catalogue import KINDS, rule
from signals.events import Event
from signals.presets import PRESETS, all_preset_rules
from signals.series import fmt_ratio
from tests.support.pipeline_support import add_chat, make_services, sync_topics
from tests.support.untranslated import english_left

END = dt.date(2026, 10, 30)
EXTRA = [  # variants the presets lack: a lone ticker's month, a pullback, a yield rising
    rule("monthly_move", "XLE", pct=4),
    rule("drawdown", "XLK", threshold=5),
    rule("ratio_cross", "XLE", window=50, direction="below"),
]


@cache
def events() -> tuple[Event, ...]:
    return tuple(backtest(SampleProvider(), [*all_preset_rules(), *EXTRA], None, END).events)


def test_the_sample_fires_every_kind_and_variant() -> None:
    """So the translations below are checked on every sentence an alert can have."""
    seen = {(e.kind, e.variant) for e in events()}
    assert {kind for kind, _ in seen} == set(KINDS)
    wanted = {("monthly_move", "up"), ("monthly_move", "beat"), ("drawdown", "bear"),
              ("drawdown", "correction"), ("level_cross", "below")}  # fmt: skip
    assert wanted <= seen


@pytest.mark.parametrize("lang", ["de", "es"])
def test_every_alert_is_written_in_the_language(lang: str) -> None:
    t = translator(lang)
    latest = {(e.kind, e.variant, e.subject): e for e in events()}  # one of each sentence
    for event in latest.values():
        body = event_html(event, synthetic=True, t=t)
        assert english_left(body, lang) == [], body
        assert event.text not in body
    digest = digest_html(list(latest.values())[:12], t.date(END), synthetic=True, t=t)
    assert english_left(digest, lang) == [], digest


def test_numbers_in_an_alert_are_the_languages() -> None:
    cross = next(e for e in reversed(events()) if e.kind == "ratio_cross")
    german = event_html(cross, t=translator("de"))
    ratio = cross.values["ratio"]
    english = fmt_ratio(ratio)  # as the English sentence writes it, e.g. 0.1430
    assert english in cross.text and "." in english
    assert english.replace(".", ",") in german and english not in german
    assert "%" in german and " %" in german.replace("\xa0", " ")
    assert event_html(cross) == event_html(cross, t=translator("en"))
    assert cross.text in event_html(cross)  # English is the engine's own sentence


async def test_each_chat_gets_the_evenings_alerts_in_its_language() -> None:
    services = make_services()
    sync_topics(services)
    topics = ["preset:sectors", "preset:small_vs_large", "preset:russell_records"]
    add_chat(services, 1, topics=topics)
    add_chat(services, 2, topics=topics)
    add_chat(services, 3, topics=topics, digest=1)
    add_chat(services, 4, topics=topics, digest=1)
    services.chats.update(2, lang="de")
    services.chats.update(3, lang="es")
    services.chats.update(4, lang="de")
    day, got = dt.date(2026, 1, 2), 0
    while got == 0 and day < END:  # the first session with any alert
        got = (await run_scan(services, day, chart_maker=None)).messages
        day += dt.timedelta(days=1)
    rows = services.db.execute("SELECT chat_id, dedupe, body FROM outbox ORDER BY id").fetchall()
    bodies: dict[int, list[str]] = {}
    for chat_id, _, body in rows:
        bodies.setdefault(chat_id, []).append(body)
    assert set(bodies) == {1, 2, 3, 4}
    assert len(bodies[1]) == len(bodies[2]) and len(bodies[3]) == len(bodies[4]) == 1
    for body in bodies[1]:
        assert english_left(body, "de")  # the English chat's alert is English
    for chat_id, lang in ((2, "de"), (3, "es"), (4, "de")):
        for body in bodies[chat_id]:
            assert english_left(body, lang) == [], body
    assert "Rotations-Übersicht" in bodies[4][0] and "Resumen de rotación" in bodies[3][0]
    assert PRESETS  # the topics above are presets
