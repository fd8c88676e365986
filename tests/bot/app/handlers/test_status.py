"""/status under a crowd: the dashboard is computed once for the chats asking at once, and a
data source that is down fails them together, once (bot/app/handlers/fetch.py)."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import Sequence

import pytest

from bot.app.handlers import fetch
from market.base import Closes, MarketDataError
from market.sample import SampleProvider
from signals.dashboard import TICKERS
from tests.support.bot_harness import BotHarness, private
from tests.support.pipeline_support import wait_for


class CountingProvider(SampleProvider):
    """The sample, counting the dashboard's fetches; ``down``: they fail, once ``answer`` is
    set (a source that is down takes its timeout before it says so)."""

    def __init__(self, down: bool = False) -> None:
        self.down = down
        self.dashboard_fetches = 0
        self.answer = threading.Event()
        self.answer.set()

    def closes(self, tickers: Sequence[str], start: dt.date | None, end: dt.date) -> Closes:
        if list(tickers) == list(TICKERS):
            self.dashboard_fetches += 1
            if self.down:
                self.answer.wait(60)  # in the fetch's worker thread, never the loop's
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
    harness: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = CountingProvider(down=True)
    provider.answer.clear()
    harness.services.provider = provider
    asked = 0
    real = fetch.latest_session

    async def counted(services: object) -> dt.date:
        nonlocal asked
        session = await real(services)  # type: ignore[arg-type]
        asked += 1  # the caller looks for the computation in flight before it awaits again
        return session

    monkeypatch.setattr(fetch, "latest_session", counted)
    crowd = asyncio.gather(*(harness.send("/status", private(4200 + i)) for i in range(4)))
    await wait_for(lambda: asked == 4, 30, "the four chats to ask")
    provider.answer.set()  # the source's timeout, once all four wait for its one try
    await crowd
    answers = answered(harness)
    assert sorted(answers) == [4200 + i for i in range(4)]
    assert all("can't reach the market data" in text for text in answers.values())
    assert provider.dashboard_fetches == 1  # one try for the four, not one each in turn
    provider.down = False
    [sent] = await harness.send("/status", private(4300))  # a failure is not kept
    assert "Rotation dashboard" in sent.text and provider.dashboard_fetches == 2
