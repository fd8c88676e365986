"""level_cross: a close crossing a fixed level, with band and direction."""

from __future__ import annotations

import numpy as np
import pandas as pd

from signals import level_cross
from signals.catalogue import rule
from signals.rules import Context

IDX = pd.bdate_range("2024-01-01", periods=20)
CTX = Context.from_sessions(IDX)


def frame(values: list[float], ticker: str = "^TNX") -> pd.DataFrame:
    return pd.DataFrame({ticker: values}, index=IDX[: len(values)])


def test_fell_below_then_rose_above() -> None:
    # above at first (silent), below at session 2, above again at session 4
    df = frame([4.10, 4.05, 3.98, 3.90, 4.02])
    events = level_cross.KIND.detect(rule("level_cross", "^TNX", level=4.0), df, CTX)
    assert [(e.date, e.variant) for e in events] == [
        (IDX[2].date(), "below"),
        (IDX[4].date(), "above"),
    ]
    assert events[0].text == "^TNX fell below 4.00 (3.98)."
    assert events[1].text == "^TNX rose above 4.00 (4.02)."
    assert events[0].values == {"close": 3.98, "level": 4.0}


def test_oil_text_with_thousands() -> None:
    df = frame([79.0, 81.23], "CL=F")
    events = level_cross.KIND.detect(rule("level_cross", "CL=F", level=80), df, CTX)
    assert [e.text for e in events] == ["CL=F rose above 80.00 (81.23)."]
    df = frame([1990.0, 2010.5], "GLD")
    assert level_cross.KIND.detect(rule("level_cross", "GLD", level=2000), df, CTX)[0].text == (
        "GLD rose above 2,000.00 (2,010.50)."
    )


def test_band_is_a_percentage_of_the_level() -> None:
    # 1% of 4.00 = 0.04: below means < 3.96, above means > 4.04
    df = frame([4.10, 3.98, 3.95, 4.03, 4.05, 3.97])
    events = level_cross.KIND.detect(rule("level_cross", "^TNX", level=4.0, band=1), df, CTX)
    assert [(e.date, e.variant) for e in events] == [
        (IDX[2].date(), "below"),
        (IDX[4].date(), "above"),
    ]


def test_direction_filter() -> None:
    df = frame([4.10, 3.98, 4.02, 3.98, 4.02])
    up = level_cross.KIND.detect(rule("level_cross", "^TNX", level=4, direction="above"), df, CTX)
    down = level_cross.KIND.detect(rule("level_cross", "^TNX", level=4, direction="below"), df, CTX)
    assert [e.date for e in up] == [IDX[2].date(), IDX[4].date()]
    assert [e.date for e in down] == [IDX[1].date(), IDX[3].date()]


def test_touching_the_level_keeps_the_state() -> None:
    df = frame([4.10, 4.00, 4.10, 4.00, 3.99])
    events = level_cross.KIND.detect(rule("level_cross", "^TNX", level=4.0), df, CTX)
    assert [(e.date, e.variant) for e in events] == [(IDX[4].date(), "below")]


def test_nan_rows_are_skipped() -> None:
    df = frame([4.10, np.nan, 3.98, np.nan, 4.02])
    events = level_cross.KIND.detect(rule("level_cross", "^TNX", level=4.0), df, CTX)
    assert [e.date for e in events] == [IDX[2].date(), IDX[4].date()]
    assert (
        level_cross.KIND.detect(rule("level_cross", "^TNX", level=4.0), frame([np.nan] * 5), CTX)
        == []
    )
