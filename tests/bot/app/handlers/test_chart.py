"""/chart SUBJECT: a pair, a ticker, the sectors; refusals with an example; data trouble.

The fake Bot API of bot/fake_api answers sendPhoto: it checks the caption the
way Telegram checks HTML and keeps each upload in ``request.photos``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import struct
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import pandas as pd
import pytest
import pytest_asyncio

from bot.app.handlers.commands import COMMANDS
from bot.app.offload import POOLS
from bot.charts import SECTORS, SIZE
from bot.fake_api import Fault, LocalBotApi
from market.base import Closes, MarketDataError, NoData, tidy
from market.sample import SampleProvider
from tests.support.bot_fixtures import make_services
from tests.support.bot_harness import BOT, BotHarness, group, private, user
from tests.support.e2e import running_bot
from tests.support.emulator import Emulator

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
EXAMPLE = "Example: /chart IWM/SPY, /chart XLE or /chart sectors"


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk (the first, right after the signature)."""
    assert png[:8] == PNG_SIGNATURE and png[12:16] == b"IHDR"
    return struct.unpack(">II", png[16:24])


class RecordingProvider(SampleProvider):
    """The sample, noting the tickers asked for and the thread; optionally down, or with
    only the last ``days`` of history."""

    def __init__(self, down: bool = False, days: int | None = None) -> None:
        self.down = down
        self.days = days
        self.asked: list[list[str]] = []
        self.threads: list[int] = []

    def closes(self, tickers: Sequence[str], start: dt.date | None, end: dt.date) -> Closes:
        self.asked.append(list(tickers))
        self.threads.append(threading.get_ident())
        if self.down:
            raise MarketDataError("Yahoo unreachable after 3 tries")
        if self.days is not None:
            start = max(start or dt.date.min, end - dt.timedelta(days=self.days))
        return super().closes(tickers, start, end)


async def start(provider: SampleProvider) -> BotHarness:
    """BotHarness.start, on services whose market data comes from ``provider``."""
    services = make_services()
    services.provider = provider
    return await BotHarness.start(services)


Bot = tuple[BotHarness, LocalBotApi, RecordingProvider]


@pytest_asyncio.fixture
async def bot() -> AsyncIterator[Bot]:
    provider = RecordingProvider()
    harness = await start(provider)
    yield harness, harness.request, provider
    assert harness.errors == []
    await harness.stop()


def assert_png(photo: dict[str, Any]) -> None:
    data = photo["data"]
    assert data.startswith(PNG_SIGNATURE) and len(data) > 10_000
    assert png_size(data) == SIZE == (1280, 960)


# ------------------------------------------------------------------------------ charts
async def test_pair_chart_is_drawn_in_a_drawing_process_and_captioned(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness, request, provider = bot
    drawn: list[tuple[str, str, bool, int]] = []
    real = POOLS.draw

    async def recording(fn: Callable[..., bytes], *args: Any, **kwargs: Any) -> bytes:
        png = await real(fn, *args, **kwargs)
        pids = {p.pid for p in POOLS.drawing._processes.values()}  # the pool's processes
        elsewhere = bool(pids) and os.getpid() not in pids
        drawn.append((fn.__name__, args[0], kwargs["synthetic"], elsewhere))
        return png

    monkeypatch.setattr(POOLS, "draw", recording)
    sent = await harness.send("/chart iwm / spy")
    assert [s.method for s in sent] == ["sendPhoto"]
    [photo] = request.photos
    assert_png(photo)
    assert photo["filename"] == "iwm-spy.png" and photo["parse_mode"] == "HTML"
    caption = photo["caption"]
    assert "<b>IWM/SPY</b> — small caps vs large caps" in caption
    assert "50- and 200-day averages" in caption and "crossed" in caption
    assert "Last close: Fri 30 Oct 2026." in caption  # the sample's last session
    assert "Synthetic sample data" in caption
    assert drawn == [("chart_for_subject", "IWM/SPY", True, True)]  # in a process of the pool
    loop = threading.get_ident()
    assert provider.threads and loop not in provider.threads
    assert provider.asked[-1] == ["IWM", "SPY"]
    assert "sendChatAction" in request.methods()  # "sending a photo…" while it is drawn


async def test_ticker_chart_shows_a_price_and_a_yield_its_level(bot: Bot) -> None:
    harness, request, _ = bot
    await harness.send("/chart xle")
    await harness.send("/chart $^tnx")
    xle, tnx = request.photos
    assert_png(xle)
    assert_png(tnx)
    assert "<b>XLE</b> — Energy" in xle["caption"] and "record highs" in xle["caption"]
    assert "drawdown" in xle["caption"]
    assert "<b>^TNX</b> — 10-year Treasury yield" in tnx["caption"]
    assert "level" in tnx["caption"] and "drawdown" not in tnx["caption"]
    assert xle["filename"] == "xle.png" and tnx["filename"] == "tnx.png"


@pytest.mark.parametrize("word", ["sectors", "Sectors", "rrg"])
async def test_sectors_chart_is_the_rotation_graph(bot: Bot, word: str) -> None:
    harness, request, provider = bot
    await harness.send(f"/chart {word}")
    [photo] = request.photos
    assert_png(photo)
    assert "relative rotation (JdK-style) graph" in photo["caption"]
    assert "8 weeks" in photo["caption"]
    assert photo["filename"] == "sectors.png"
    assert provider.asked[-1] == [*SECTORS, "SPY"]


async def test_in_a_group_anyone_may_ask_and_the_topic_is_kept(bot: Bot) -> None:
    harness, request, _ = bot
    room = group(-100123, "supergroup")
    await harness.send(
        f"/chart@{BOT['username']} IWM/SPY",
        room,
        user(9),
        message_thread_id=17,
        is_topic_message=True,
    )
    [photo] = request.photos
    assert int(photo["chat_id"]) == room["id"] and int(photo["message_thread_id"]) == 17
    assert "getChatMember" not in request.methods()  # reading needs no rights


# ------------------------------------------------------------------------------ refusals
@pytest.mark.parametrize(
    ("subject", "reason"),
    [
        ("IWM/SPY/QQQ", "a pair has two tickers, like IWM/SPY, not 3"),
        ("IWM/", "a pair has two tickers"),
        ("/SPY", "a pair has two tickers"),
        ("foo bar!", "<code>FOO BAR!</code> is not a ticker"),
        ("IWM/iwm", "<code>IWM/IWM</code> is a ticker against itself"),
        ("<b>", "<code>&lt;B&gt;</code> is not a ticker"),
    ],
)
async def test_malformed_subject_is_refused_with_an_example(
    bot: Bot, subject: str, reason: str
) -> None:
    harness, request, provider = bot
    [refusal] = await harness.send(f"/chart {subject}")
    assert refusal.text.startswith("❌ Can't chart <code>")
    assert reason in refusal.text and EXAMPLE in refusal.text
    assert request.photos == [] and provider.asked == []  # refused before any fetch


async def test_a_subject_longer_than_a_message_is_refused_in_valid_html(bot: Bot) -> None:
    """4,000 ``&`` escape to 20,000 characters: the reply is cut between entities, with its
    tags closed (the fake Bot API refuses what Telegram would)."""
    harness, request, _ = bot
    [refusal] = await harness.send("/chart " + "&" * 4000)
    assert refusal.text.startswith("❌ Can't chart <code>&amp;&amp;")
    assert "</code>\n… (cut: too long for one message)" in refusal.text
    assert request.photos == []


async def test_unknown_ticker_is_refused_by_name_with_a_hint(bot: Bot) -> None:
    harness, request, _ = bot
    [refusal] = await harness.send("/chart QQQ")
    assert "No market data for <code>QQQ</code>" in refusal.text and EXAMPLE in refusal.text
    [refusal] = await harness.send("/chart IWM/QQQ")
    assert "<code>QQQ</code>" in refusal.text and "<code>IWM</code>" not in refusal.text
    [refusal] = await harness.send("/chart RUT")
    assert "did you mean ^RUT?" in refusal.text
    assert request.photos == []


# ------------------------------------------------------------------------------ usage
async def test_no_subject_shows_usage_and_buttons_that_draw(bot: Bot) -> None:
    harness, request, _ = bot
    [usage] = await harness.send("/chart")
    for example in ("/chart IWM/SPY", "/chart XLE", "/chart sectors"):
        assert example in usage.text
    assert [b["text"] for b in usage.buttons] == [
        "IWM/SPY", "IWD/IWF", "RSP/SPY", "^RUT", "^TNX", "Sectors"]  # fmt: skip
    assert request.photos == []
    sent = await harness.press(usage.button("Sectors")["callback_data"], usage)
    assert [s.method for s in sent] == ["sendPhoto"]
    assert "relative rotation (JdK-style) graph" in request.photos[0]["caption"]
    assert request.callback_answers[-1]["text"] == "Drawing sectors…"
    sent = await harness.press(usage.button("^RUT")["callback_data"], usage)
    assert "<b>^RUT</b> — Russell 2000" in sent[0].text


async def test_a_forged_button_is_refused_like_a_typed_subject(bot: Bot) -> None:
    harness, request, _ = bot
    [usage] = await harness.send("/chart")
    [refusal] = await harness.press("chart:IWM/SPY/QQQ", usage)
    assert "Can't chart" in refusal.text and request.photos == []


def test_chart_is_in_the_command_table() -> None:
    [row] = [c for c in COMMANDS if c.name == "chart"]
    assert row.menu and "/chart IWM/SPY" in row.description and 3 <= len(row.description) <= 256


# ------------------------------------------------------------------------------ data trouble
async def test_market_data_down_says_so_without_a_chart() -> None:
    harness = await start(RecordingProvider(down=True))
    try:
        [reply] = await harness.send("/chart IWM/SPY")
        assert "can't reach the market data" in reply.text
        assert harness.errors == []
    finally:
        await harness.stop()


async def test_too_little_history_is_refused_with_the_reason() -> None:
    harness = await start(RecordingProvider(days=10))
    try:
        [reply] = await harness.send("/chart XLE")
        assert "Can't chart <code>XLE</code>: too little history" in reply.text
        [reply] = await harness.send("/chart sectors")
        assert "too little history for a rotation graph" in reply.text
        assert harness.request.photos == []
        assert harness.errors == []
    finally:
        await harness.stop()


class EmptyProvider(SampleProvider):
    """Knows no closes at all for the range (a new listing, a gap in the source)."""

    def closes(self, tickers: Sequence[str], start: dt.date | None, end: dt.date) -> Closes:
        empty = tidy(pd.DataFrame())
        return Closes(empty, {t: NoData(t, "no closes in the range") for t in tickers})


async def test_no_closes_at_all_is_refused_by_name() -> None:
    harness = await start(EmptyProvider())
    try:
        [reply] = await harness.send("/chart XLE", private())
        assert "No market data for <code>XLE</code>: no closes in the range." in reply.text
        assert harness.errors == []
    finally:
        await harness.stop()


# ------------------------------------------------------------------------------ over HTTP
@pytest.mark.e2e
@pytest.mark.timeout(90)
async def test_chart_through_http_and_the_emulator(emulator: Emulator) -> None:
    """The photo goes out as a multipart upload through PTB's HTTP transport."""
    alice = emulator.user("Alice")
    chat = emulator.private_chat(alice)
    async with running_bot(emulator):
        await emulator.send_command(chat, alice, "/chart IWM/SPY")
        deadline = asyncio.get_running_loop().time() + 30
        while not emulator.compat.photos:
            assert asyncio.get_running_loop().time() < deadline, "no photo sent"
            await asyncio.sleep(0.05)
    [photo] = emulator.compat.photos
    assert photo["chat_id"] == alice.id and png_size(photo["data"]) == SIZE
    assert "IWM/SPY" in photo["caption"] and "Synthetic" in photo["caption"]


async def test_a_failed_chat_action_does_not_stop_the_chart(bot: Bot) -> None:
    harness, request, _ = bot
    request.schedule("sendChatAction", [Fault(400, "Bad Request: not enough rights")])
    await harness.send("/chart XLE")
    [photo] = request.photos
    assert_png(photo)


# ------------------------------------------------------------------------------ kept charts
async def test_many_chats_asking_for_one_chart_at_once_cost_one_drawing(bot: Bot) -> None:
    harness, request, _ = bot
    asked = [harness.send("/chart IWM/SPY", private(3000 + i)) for i in range(5)]
    await asyncio.gather(*asked, harness.send("/chart XLE", private(3100)))
    photos = {p["chat_id"]: p for p in request.photos}
    assert len(photos) == 6
    same = {photos[3000 + i]["data"] for i in range(5)}
    assert len(same) == 1 and photos[3100]["data"] not in same  # one picture per subject
    assert harness.app.bot_data.charts.drawn == 2
    await harness.send("/chart iwm/spy", private(3200))  # later, spelled otherwise: kept too
    assert request.photos[-1]["data"] in same and harness.app.bot_data.charts.drawn == 2


async def test_a_kept_chart_is_not_reused_for_other_closes_or_another_language() -> None:
    provider = RecordingProvider()
    harness = await start(provider)
    try:
        await harness.send("/chart IWM/SPY", private(3300))
        provider.days = 800  # a shorter history, same last close: other closes, another chart
        await harness.send("/chart IWM/SPY", private(3301))
        harness.services.chats.ensure(3302, "private", lang="de")
        await harness.send("/chart IWM/SPY", private(3302))
        first, shorter, german = (p["data"] for p in harness.request.photos)
        assert len({first, shorter, german}) == 3
        assert harness.app.bot_data.charts.drawn == 3
        assert harness.errors == []
    finally:
        await harness.stop()


async def test_a_chart_that_cannot_be_drawn_is_not_kept() -> None:
    harness = await start(RecordingProvider(days=10))  # too little history to draw
    try:
        for chat in (3400, 3401):
            [sent] = await harness.send("/chart XLE", private(chat))
            assert "Can't chart <code>XLE</code>: too little history" in sent.text
        assert harness.app.bot_data.charts.drawn == 0 and not harness.app.bot_data.charts.pngs
    finally:
        await harness.stop()
