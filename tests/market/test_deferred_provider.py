"""A provider opened at its first use (market/deferred.py), and the spec check that lets a
command refuse a bad ``--source`` before opening anything (market/sources.py)."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest

from market.base import MarketDataError, Provider, valuation_of
from market.deferred import Deferred
from market.sample import SampleProvider
from market.sources import check_spec


def test_opens_at_the_first_use_once_and_answers_as_the_provider() -> None:
    opened: list[Provider] = []

    def opener() -> Provider:
        opened.append(SampleProvider())
        return opened[-1]

    provider = Deferred(opener)
    assert opened == []
    assert (provider.name, provider.synthetic) == ("sample", True)
    got = provider.closes(["IWM"], dt.date(2025, 1, 1), dt.date(2025, 1, 31))
    expected = opened[0].closes(["IWM"], dt.date(2025, 1, 1), dt.date(2025, 1, 31))
    assert got.frame.equals(expected.frame) and len(got.frame) > 0
    assert len(opened) == 1


def test_threads_asking_at_once_open_it_once() -> None:
    calls: list[int] = []
    go = threading.Barrier(4)

    def opener() -> Provider:
        calls.append(1)
        return SampleProvider()

    provider = Deferred(opener)

    def ask() -> None:
        go.wait(timeout=30)
        assert provider.name == "sample"

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert calls == [1]


def test_other_attributes_reach_the_provider_and_missing_ones_stay_missing() -> None:
    provider = Deferred(SampleProvider)
    assert valuation_of(provider, ["SPY", "IWM"]) == valuation_of(SampleProvider(), ["SPY", "IWM"])
    with pytest.raises(AttributeError):
        provider.no_such_thing  # noqa: B018


def test_a_failing_open_raises_at_the_use_and_again_at_the_next() -> None:
    def opener() -> Provider:
        raise MarketDataError("down")

    provider = Deferred(opener)
    for _ in range(2):
        with pytest.raises(MarketDataError, match="down"):
            provider.closes(["IWM"], None, dt.date(2025, 1, 31))


@pytest.mark.parametrize("spec", ["sample", " yahoo ", "csv:{tmp}"])
def test_check_spec_accepts_what_open_provider_opens(spec: str, tmp_path: Path) -> None:
    assert check_spec(spec.format(tmp=tmp_path)) == spec.format(tmp=tmp_path).strip()


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("bloomberg", "unknown data source 'bloomberg'"),
        ("csv:", "unknown data source 'csv:'"),
        ("csv:/no/such/dir", "csv source /no/such/dir: no such file or folder"),
    ],
)
def test_check_spec_refuses_like_open_provider(spec: str, message: str) -> None:
    with pytest.raises(MarketDataError, match=message):
        check_spec(spec)
