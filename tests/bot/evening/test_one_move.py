"""One alert for one move (issue 26): a chat whose preset and custom alert both fire on the same
XLV/SPY cross gets ONE message naming both rules, through the real evening pipeline on the
sample and the delivery worker to the fake Bot API; a chat with one of them gets it plain."""

from __future__ import annotations

import datetime as dt

import pytest
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.app.jobs import scan_time
from bot.evening.evaluate import tickers_for
from bot.evening.pipeline import run_scan
from bot.evening.same_move import move_key
from bot.fake_api.server import FakeBotApi
from bot.services import Services
from bot.text.alerts import event_html, merged_html, rule_words
from bot.text.i18n import translator
from market import calendar
from market.sample import SampleProvider
from signals.engine import evaluate
from signals.events import Event
from signals.parse import parse_rule
from signals.presets import PRESETS
from signals.rules import Rule
from tests.support.delivery_support import config, deliver
from tests.support.pipeline_support import add_chat, make_services, rows, sync_topics

pytestmark = pytest.mark.timeout(180)

SECTORS = PRESETS["sectors"].rules
PRESET = next(r for r in SECTORS if r.kind == "ratio_cross" and r.subject == "XLV/SPY")
CUSTOM = parse_rule("XLV/SPY crosses above 200d")  # as a new user types it
BOTH, PRESET_ONLY, CUSTOM_ONLY, GERMAN = (1, -2), 3, -4, 5  # private chats and groups


def fired(
    rules: list[Rule], start: dt.date | None = None, end: dt.date | None = None
) -> list[Event]:
    """The engine itself on the sample: what the evening scans find."""
    closes = SampleProvider().closes(tickers_for(rules), None, end or dt.date.today()).frame
    return evaluate(rules, closes, calendar.context(closes.index), start=start, end=end).events


def both_fire() -> dt.date:
    """The latest session of the sample on which both rules fired "above", found by a
    backtest, so the test follows the sample rather than a date written down."""
    events = fired([PRESET, CUSTOM])
    days = {r.key: {e.date for e in events if e.rule == r.key and e.variant == "above"}
            for r in (PRESET, CUSTOM)}  # fmt: skip
    common = days[PRESET.key] & days[CUSTOM.key]
    assert common and days[PRESET.key] != days[CUSTOM.key]  # the band moves some days
    return max(common)


def bodies(services: Services, cid: int) -> dict[str, str]:
    """The chat's queued messages: dedupe -> body."""
    return dict(rows(services, "SELECT dedupe, body FROM outbox WHERE chat_id = ?", cid))


async def test_two_rules_on_one_move_are_one_message_naming_both(
    api: FakeBotApi, engine_target: str
) -> None:
    assert PRESET.param("band") == 0.5 and CUSTOM.param("band") == 0
    day = both_fire()
    services = make_services(engine_target)
    sync_topics(services)
    for cid in BOTH:
        add_chat(services, cid, topics=["preset:sectors"], rules=[CUSTOM])
    add_chat(services, PRESET_ONLY, topics=["preset:sectors"])
    add_chat(services, CUSTOM_ONLY, rules=[CUSTOM])
    add_chat(services, GERMAN, topics=["preset:sectors"], rules=[CUSTOM], lang="de")

    report = await run_scan(services, day, now=scan_time(day, 30), chart_maker=None)
    assert report.status == "ok"

    events = fired([*SECTORS, CUSTOM], day, day)
    by_key = {e.key: e for e in events}
    xlv = [e for e in events if e.subject == "XLV/SPY" and e.kind == "ratio_cross"]
    assert sorted(e.rule for e in xlv) == sorted([PRESET.key, CUSTOM.key])
    assert {e.variant for e in xlv} == {"above"} and move_key(xlv[0]) == move_key(xlv[1])
    sector_keys = {r.key for r in SECTORS}
    moves = {move_key(e) for e in events if e.rule in sector_keys}  # XLV/SPY's among them
    assert len(moves) == sum(e.rule in sector_keys for e in events)  # only XLV/SPY is shared

    def merged_for(cid: int, lang: str | None = None) -> str:
        (lead,) = [k for k in bodies(services, cid) if k in {e.key for e in xlv}]
        other = next(e for e in xlv if e.key != lead)
        body = bodies(services, cid)[lead]
        assert body == merged_html([by_key[lead], other], synthetic=True, t=translator(lang))
        return rule_words(other, translator(lang))

    # the outbox: one row for the XLV/SPY move, and each of the chat's other alerts
    for cid in BOTH:
        assert len(bodies(services, cid)) == len(moves), cid
        named = merged_for(cid)
        assert any(f"Also matched: {named}" in b for b in bodies(services, cid).values())
    assert len(bodies(services, GERMAN)) == len(moves)
    merged_for(GERMAN, "de")
    preset_event = next(e for e in xlv if e.rule == PRESET.key)
    custom_event = next(e for e in xlv if e.rule == CUSTOM.key)
    alone = bodies(services, PRESET_ONLY)
    assert len(alone) == len(moves) and alone[preset_event.key] == event_html(
        preset_event, synthetic=True
    )
    assert "0.5% band" in alone[preset_event.key]  # the band, stated
    assert bodies(services, CUSTOM_ONLY) == {custom_event.key: event_html(custom_event, True)}
    total = rows(services, "SELECT count(*) FROM outbox")[0][0]
    assert total == report.messages == 4 * len(moves) + 1

    # the chats: what the fake Bot API received
    request = HTTPXRequest(connection_pool_size=16, read_timeout=5, pool_timeout=30)
    async with Bot("123456:FAKE", base_url=api.base_url, request=request) as bot:
        await deliver(bot, services, config())
    chats = (*BOTH, PRESET_ONLY, CUSTOM_ONLY, GERMAN)
    assert sum(len(api.texts(cid)) for cid in chats) == total
    for cid in (*BOTH, GERMAN):
        shown = [str(t) for t in api.texts(cid) if "XLV/SPY" in str(t)]
        assert len(shown) == 1, cid
        also, band = ("Weitere Treffer:", "0,5 %") if cid == GERMAN else ("Also matched:", "0.5%")
        assert also in shown[0] and band in shown[0], cid
    for cid in (PRESET_ONLY, CUSTOM_ONLY):
        shown = [str(t) for t in api.texts(cid) if "XLV/SPY" in str(t)]
        assert len(shown) == 1 and "Also matched" not in shown[0], cid
