"""/status under a crowd: the dashboard is computed once for the chats asking at once, and a
data source that is down fails them together, once (bot/app/handlers/fetch.py)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence

import pytest

from bot.app.handlers import fetch
from market.base import Closes, MarketDataError
from market.sample import SampleProvider
from signals.dashboard import TICKERS
from tests.support.bot_harness import BotHarness, private


class CountingProvider(SampleProvider):
    """The sample, counting the dashboard's fetches; ``down``: they fail."""

    def __init__(self, down: bool = False) -> None:
        self.down = down
        self.dashboard_fetches = 0

    def closes(self, tickers: Sequence[str], start: dt.date | None, end: dt.date) -> Closes:
        if list(tickers) == list(TICKERS):
            self.dashboard_fetches += 1
            if self.down:
                raise MarketDataError("Yahoo unreachable after 3 tries")
        return super().closes(tickers, start, end)


def answered(harness: BotHarness) -> dict[int | str, str]:
    """Each chat's one answer (harness.send's own list holds the others' sent meanwhile)."""
    out: dict[int | str, str] = {}
    for sent in harness.request.sent:
        assert sent.chat_id not in out, f"{sent.chat_id} answered twice"
        out[sent.chat_id] = sent.text
    return out


async def test_chats_asking_at_once_share_one_dashboard(
    harness: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = CountingProvider()
    harness.services.provider = provider
    computed: list[int] = []
    real = fetch.dashboard

    def counting(*args: object, **kwargs: object) -> object:
        computed.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(fetch, "dashboard", counting)
    await asyncio.gather(*(harness.send("/status", private(4000 + i)) for i in range(6)))
    answers = answered(harness)
    assert sorted(answers) == [4000 + i for i in range(6)]
    texts = set(answers.values())
    assert len(texts) == 1 and "Rotation dashboard" in texts.pop()
    assert computed == [1] and provider.dashboard_fetches == 1
    await harness.send("/status", private(4100))  # later: the kept one
    assert computed == [1] and provider.dashboard_fetches == 1


async def test_a_source_that_is_down_fails_the_waiting_chats_together(
    harness: BotHarness,
) -> None:
    provider = CountingProvider(down=True)
    harness.services.provider = provider
    await asyncio.gather(*(harness.send("/status", private(4200 + i)) for i in range(4)))
    answers = answered(harness)
    assert sorted(answers) == [4200 + i for i in range(4)]
    assert all("can't reach the market data" in text for text in answers.values())
    assert provider.dashboard_fetches == 1  # one try for the four, not one each in turn
    provider.down = False
    [sent] = await harness.send("/status", private(4300))  # a failure is not kept
    assert "Rotation dashboard" in sent.text and provider.dashboard_fetches == 2
