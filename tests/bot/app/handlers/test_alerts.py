"""Custom alerts: /alert, /alerts, /delete and /backtest, with the ticker check."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest
import pytest_asyncio

from market.base import Closes, MarketDataError
from market.sample import SampleProvider
from market.sources import open_provider
from signals.parse import parse_rule
from tests.support.bot_fixtures import make_services
from tests.support.bot_harness import USER_ID, BotHarness, private

ME = USER_ID


class RecordingProvider(SampleProvider):
    """The sample, noting which thread asked; optionally down."""

    def __init__(self, down: bool = False) -> None:
        self.down = down
        self.threads: list[int] = []

    def closes(self, tickers: Sequence[str], start: dt.date | None, end: dt.date) -> Closes:
        self.threads.append(threading.get_ident())
        if self.down:
            raise MarketDataError("Yahoo unreachable after 3 tries")
        return super().closes(tickers, start, end)


@pytest_asyncio.fixture
async def recorded() -> AsyncIterator[tuple[BotHarness, RecordingProvider]]:
    services = make_services()
    services.provider = provider = RecordingProvider()
    bot = await BotHarness.start(services)
    yield bot, provider
    await bot.stop()


async def test_alert_is_saved_described_and_checked_off_the_event_loop(
    recorded: tuple[BotHarness, RecordingProvider],
) -> None:
    harness, provider = recorded
    [reply] = await harness.send("/alert IWM/SPY crosses above 200d")
    assert (
        "Alert #1 saved" in reply.text and "<code>IWM/SPY crosses above 200d</code>" in reply.text
    )
    assert "crosses above its 200-day moving average" in reply.text
    assert harness.services.rules.list(ME) == [
        (1, "IWM/SPY crosses above 200d", parse_rule("IWM/SPY crosses above 200d"))
    ]
    assert provider.threads and threading.get_ident() not in provider.threads


async def test_bad_rule_says_what_is_wrong_with_an_example(harness: BotHarness) -> None:
    [reply] = await harness.send("/alert XLE drawdown 150%")
    assert "between 0% and 100%" in reply.text and "Example: XLE drawdown 20%" in reply.text
    [reply] = await harness.send("/alert")
    assert (
        "/alert IWM/SPY crosses above 200d" in reply.text
        and "/alert ^RUT record high" in reply.text
    )
    assert harness.services.rules.count(ME) == 0


async def test_unknown_ticker_is_refused_by_name(harness: BotHarness) -> None:
    [reply] = await harness.send("/alert PXD record high")
    assert "No market data for <code>PXD</code>" in reply.text
    [reply] = await harness.send("/alert IWM/QQQ crosses above 50d")
    assert "<code>QQQ</code>" in reply.text and "<code>IWM</code>" not in reply.text
    [reply] = await harness.send("/alert RUT record high")
    assert "did you mean ^RUT?" in reply.text
    assert harness.services.rules.count(ME) == 0


async def test_a_bad_data_file_is_not_called_a_misspelling(
    harness: BotHarness, tmp_path: Path
) -> None:
    (tmp_path / "IWM.csv").write_text("Date,Close\n2025-01-02,220\n2025-01-03,abc\n")
    (tmp_path / "SPY.csv").write_text("Date,Close\n2025-01-02,585\n2025-01-03,586\n")
    harness.services.provider = open_provider(f"csv:{tmp_path}")
    [reply] = await harness.send("/alert IWM/SPY crosses above 200d")
    assert "line 3: 'abc' is not a number" in reply.text
    assert "spelling" not in reply.text  # the file is there; its row is bad
    [reply] = await harness.send("/alert XLE/SPY crosses above 200d")
    assert "no file XLE.csv" in reply.text and "Use Yahoo's spelling" in reply.text


async def test_market_data_down_refuses_rather_than_guesses() -> None:
    services = make_services()
    services.provider = RecordingProvider(down=True)
    harness = await BotHarness.start(services)
    try:
        [reply] = await harness.send("/alert ^RUT record high")
        assert "can't reach the market data" in reply.text
        assert harness.services.rules.count(ME) == 0
        [reply] = await harness.send("/status")
        assert "can't reach the market data" in reply.text
        assert harness.errors == []
    finally:
        await harness.stop()


async def test_duplicates_and_the_per_chat_limit(harness: BotHarness) -> None:
    await harness.send("/alert ^TNX below 4.0")
    [reply] = await harness.send("/alert ^tnx under 4")
    assert "already has that alert (#1)" in reply.text
    for rule in ("^RUT record high", "XLE drawdown 20%", "XLE rrg", "^RUT moves 5% month"):
        await harness.send(f"/alert {rule}")
    assert harness.services.rules.count(ME) == 5  # make_services: max_rules_per_chat=5
    [reply] = await harness.send("/alert IWM/SPY crosses above 200d")
    assert "5 alerts, the most it may keep" in reply.text and "/delete" in reply.text
    assert harness.services.rules.count(ME) == 5


async def test_the_same_rule_in_two_chats_is_stored_once(harness: BotHarness) -> None:
    await harness.send("/alert IWM/SPY crosses above 200d")
    await harness.send("/alert iwm/spy crosses above 200 day", private(77))
    db = harness.services.db
    assert db.execute("SELECT count(*) FROM rules").fetchone()[0] == 1
    assert db.execute("SELECT count(*) FROM chat_rules").fetchone()[0] == 2


async def test_alerts_and_delete(harness: BotHarness) -> None:
    [reply] = await harness.send("/alerts")
    assert "No custom alerts" in reply.text
    await harness.send("/alert ^RUT record high")
    await harness.send("/alert ^TNX below 4.0")
    [reply] = await harness.send("/alerts")
    assert "1. <code>^RUT record high</code>" in reply.text
    assert "2. <code>^TNX below 4.0</code> — ^TNX falls below 4" in reply.text
    [reply] = await harness.send("/delete 1")
    assert "Deleted <code>^RUT record high</code>" in reply.text
    assert [text for _, text, _ in harness.services.rules.list(ME)] == ["^TNX below 4.0"]
    [reply] = await harness.send("/delete 5")
    assert "no alert #5" in reply.text
    [reply] = await harness.send("/delete first")
    assert "Which one?" in reply.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("IWM/SPY crosses above 200d", ["Backtest", "IWM/SPY crossed above", "What followed"]),
        ("^RUT record high", ["^RUT closed at a record", "• 1 month: ", "• 6 months: ", "worst"]),
        ("small_vs_large", ["Small caps vs large caps", "IWM/SPY"]),
    ],
)
async def test_backtest_shows_when_it_would_have_fired_and_what_followed(
    harness: BotHarness, text: str, expected: list[str]
) -> None:
    reply, *picture = await harness.send(f"/backtest {text}")
    for words in expected:
        assert words in reply.text, words
    assert "Synthetic sample data" in reply.text and "30 Oct 2026" in reply.text
    # one rule: then the picture of its firings beside every session; a preset: text only
    if "/" in text or " " in text:
        [photo] = picture
        assert photo.method == "sendPhoto" and "beside every session" in photo.text
    else:
        assert picture == []


async def test_backtest_refuses_bad_rules_and_unknown_tickers(harness: BotHarness) -> None:
    [reply] = await harness.send("/backtest IWM/SPY")
    assert "what to watch: for IWM/SPY" in reply.text
    [reply] = await harness.send("/backtest FOO record high")
    assert "No market data for <code>FOO</code>" in reply.text
    [reply] = await harness.send("/backtest")
    assert "/backtest IWM/SPY crosses above 200d" in reply.text


async def test_a_rule_with_trailing_junk_or_a_nul_is_refused_and_not_stored(
    harness: BotHarness,
) -> None:
    [reply] = await harness.send("/alert ^RUT record high'; DROP TABLE chats;--")
    assert "Write only the rule: ^RUT record high" in reply.text
    [reply] = await harness.send("/alert ^RUT record high\x00")
    assert "control character (U+0000)" in reply.text
    assert harness.services.rules.count(ME) == 0
