"""A backtest shows what the evening scans would have sent, follow-ups included, on the real
closes (issue 26's independent check): the basis decided from data up to each event, nothing
fired on a day the NYSE was shut, and weekly closes as known that evening."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from bot.evening.evaluate import backtest, scan_closes
from market import calendar
from market.base import Closes
from market.csvdir import CsvProvider
from market.sample import sample_closes
from signals.catalogue import rule
from signals.engine import evaluate
from tests.support.shared_data import SHARED_DATA, SKIP_REASON

pytestmark = pytest.mark.timeout(300)

SPY_STARTS = dt.date(1993, 1, 29)


def provider() -> CsvProvider:
    if not SHARED_DATA.is_dir():
        pytest.skip(SKIP_REASON)
    return CsvProvider(SHARED_DATA)


def test_rut_events_before_spy_existed_are_measured_as_that_evening_measured_them() -> None:
    # ^RUT's file starts in 1987 and SPY's on 1993-01-29: an evening scan before then had no
    # SPY column and measured ^RUT by its own price, with figures; so must the backtest
    records = rule("record_high", "^RUT", quiet=20)
    full = backtest(provider(), [records], None, dt.date(2000, 12, 31)).events
    cut = backtest(provider(), [records], None, dt.date(1992, 12, 31)).events
    early = [e for e in full if e.date < SPY_STARTS]
    assert len(early) == len(cut) >= 3
    assert [e.followup for e in early] == [e.followup for e in cut]
    assert {e.followup.basis for e in early if e.followup} == {"absolute"}
    assert sum(e.followup.count for e in early if e.followup) > 0  # figures, not "no outcome"
    later = [e for e in full if e.date >= SPY_STARTS]
    assert later and {e.followup.basis for e in later if e.followup} == {"vs SPY"}


def test_no_backtest_event_on_a_day_the_nyse_was_shut() -> None:
    # CL=F has a close on Labor Day 2006 (2006-09-04), where it fell through 69: no scan
    # ran that day, and the next session's scan saw it below 69 already
    crude = rule("level_cross", "CL=F", level=69.0)
    source = provider()
    result = backtest(source, [crude], dt.date(2006, 1, 1), dt.date(2006, 12, 31))
    assert len(result.events) >= 3, "the rule fires in 2006"
    assert all(calendar.is_session(e.date) for e in result.events)
    # every event is what the scan of its evening sent, follow-up and all
    closes = source.closes(["CL=F", "SPY"], None, dt.date(2006, 12, 31))
    for e in result.events:
        day = pd.Timestamp(e.date)
        frame = closes.frame.loc[:day]
        scanned = scan_closes(Closes(frame, dict(closes.missing)), [crude], e.date)
        assert scanned.events == [e]


def test_weekly_closes_are_the_ones_known_that_evening() -> None:
    # the NYSE shut after Monday 2001-09-10: that evening the week was expected to go on, so
    # the Monday ended no week and no weekly signal could fire; from the next session on,
    # everyone knew the week had closed on the Monday, and that close is the week's bar
    that_evening = calendar.context(pd.bdate_range("2001-06-01", "2001-09-10"))
    assert dt.date(2001, 9, 10) not in {d.date() for d in that_evening.week_ends}
    later = calendar.context(pd.bdate_range("2001-06-01", "2001-12-31"))
    assert {dt.date(2001, 9, 7), dt.date(2001, 9, 10), dt.date(2001, 9, 21)} <= {
        d.date() for d in later.week_ends
    }
    assert [d.date() for d in later.unknown_ends] == [dt.date(2001, 9, 10)]
    # on the synthetic sample, XLY/SPY's quadrant changes on the week of 2001-09-10 (the real
    # closes have no change there): no evening could have said so
    sectors = ("XLB", "XLE", "XLF", "XLI", "XLK", "XLP", "XLU", "XLV", "XLY")
    closes = sample_closes()[[*sectors, "SPY"]].loc["1999":"2002"]
    ctx = calendar.context(closes.index)
    rules = [rule("rrg_quadrant", f"{s}/SPY", into="any") for s in sectors]
    fired = evaluate(rules, closes, ctx).events
    assert fired and dt.date(2001, 9, 10) not in {e.date for e in fired}
    # what the backtest says equals what each evening's scan said, around the closure
    for day in pd.bdate_range("2001-09-04", "2001-11-30"):
        if day not in closes.index:
            continue
        frame = closes.loc[:day]
        tonight = evaluate(rules, frame, calendar.context(frame.index), start=day).events
        assert {(e.rule, e.variant) for e in tonight if e.date == day.date()} == {
            (e.rule, e.variant) for e in fired if e.date == day.date()
        }, day
