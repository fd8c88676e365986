"""/backtest's picture: a rule's firings beside every session, at four horizons."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from PIL import Image

from bot.charts.canvas import SIZE
from bot.charts.outcomes import outcomes_chart
from bot.evening.backtest_stats import backtest_with_stats
from market.sample import SampleProvider
from signals.backtest_stats import HorizonStats
from signals.parse import parse_rule


def stats() -> tuple[list[HorizonStats], dt.date]:
    sample = SampleProvider()
    _, got = backtest_with_stats(
        sample, [parse_rule("IWM/SPY crosses 200d")], None, sample.last_session
    )
    return got, sample.last_session


@pytest.mark.parametrize("lang", ["en", "de", "es"])
def test_the_picture_is_a_chart_in_the_language_and_the_same_every_time(lang: str) -> None:
    got, last = stats()
    png = outcomes_chart(got, last, {"above": "up", "below": "down"}, synthetic=True, lang=lang)
    image = Image.open(io.BytesIO(png))
    assert image.size == SIZE
    assert png == outcomes_chart(
        got, last, {"above": "up", "below": "down"}, synthetic=True, lang=lang
    )
    text = image.text  # type: ignore[attr-defined]  # a PNG's tEXt/iTXt chunks
    assert text["Title"].startswith("IWM/SPY")
    words = {
        "en": "beside every session",
        "de": "neben jedem Handelstag",
        "es": "junto a cada sesión",
    }
    assert words[lang] in text["Description"]


def test_no_outcome_is_no_picture() -> None:
    got, last = stats()
    empty = [type(s)(**{**{f: getattr(s, f) for f in s.__slots__}, "changes": ()}) for s in got]
    with pytest.raises(ValueError):
        outcomes_chart(empty, last)
