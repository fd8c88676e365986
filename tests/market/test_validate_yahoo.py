"""Validation of Yahoo's answers, through yfinance's real code path and the ``session=`` seam."""

from __future__ import annotations

import pytest

from market.validate import Validated
from tests.support.yahoo_fixtures import ISOLATION, JAN, d, provider

pytestmark = pytest.mark.usefixtures(*ISOLATION)


def test_yahoo_bad_print_is_quarantined_and_a_real_negative_future_is_kept(fake, yf_cache):
    spy = [591.0, 595.5, 0.0001, 595.0, 598.0]  # a bad print on the 6th, gone the next day
    fake.add("SPY", dict(zip(JAN, spy, strict=True)))
    fake.add(
        "CL=F", dict(zip(JAN, [18.27, -37.63, 10.01, 13.78, 16.5], strict=True)), None, "FUTURE"
    )

    got = Validated(provider(fake, yf_cache)).closes(["SPY", "CL=F"], None, d(JAN[-1]))

    checks = got.checks
    assert {t: c.kind.value for t, c in checks.items()} == {
        "SPY": "etf",
        "CL=F": "future",
    }
    assert got.frame["SPY"].tolist() == [591.0, 595.5, 595.5, 595.0, 598.0]
    [problem] = checks["SPY"].problems
    assert problem.what == "bad print" and "2025-01-06" in problem.text
    assert checks["SPY"].is_quiet(d("2025-01-06"))
    assert checks["CL=F"].problems == [] and got.frame["CL=F"].min() == pytest.approx(-37.63)
    assert (checks["SPY"].first, checks["SPY"].last) == (d(JAN[0]), d(JAN[-1]))
