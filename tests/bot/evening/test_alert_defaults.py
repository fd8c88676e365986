"""The subscription defaults follow the figures they were chosen from: on the real closes,
a topic starts silent exactly when it alerts more than twice a month even with the default
cooldown (bot/app/handlers/topics.py, bench/alert_rates.py, README "Noise control")."""

from __future__ import annotations

import datetime as dt
import importlib.util
from types import ModuleType

import pytest

from bot.app.handlers.topics import COOLDOWN, DEFAULT_COOLDOWN, DEFAULT_MODE, LOUD_PER_YEAR, TOPICS
from bot.evening.evaluate import backtest
from market.csvdir import CsvProvider
from signals.presets import all_preset_rules
from tests.support.paths import ROOT
from tests.support.shared_data import SHARED_DATA, SKIP_REASON

pytestmark = pytest.mark.timeout(300)


def bench() -> ModuleType:
    path = ROOT / "bench" / "alert_rates.py"
    spec = importlib.util.spec_from_file_location("alert_rates", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_noisy_topics_start_silent_and_the_others_notified() -> None:
    if not SHARED_DATA.is_dir():
        pytest.skip(SKIP_REASON)
    rates = bench()
    end = rates.REAL_END
    start = end.replace(year=end.year - 10) + dt.timedelta(days=1)
    events = backtest(CsvProvider(SHARED_DATA), all_preset_rules(), start, end).events
    per_year = rates.rates(events, start, end)
    at = rates.COOLDOWNS.index(COOLDOWN)
    assert set(DEFAULT_COOLDOWN.values()) == {COOLDOWN}
    for topic in TOPICS:
        loud = per_year[topic][at] <= LOUD_PER_YEAR
        assert DEFAULT_MODE[topic] == ("on" if loud else "silent"), (topic, per_year[topic])
    # the cooldown does what the README says: crosses lose a fifth or more, records nothing
    for topic in ("signal:ratio_cross", "signal:level_cross"):
        assert per_year[topic][at] <= 0.8 * per_year[topic][0], per_year[topic]
    for topic in ("signal:record_high", "signal:drawdown", "signal:monthly_move"):
        assert per_year[topic][at] == per_year[topic][0], per_year[topic]


def test_the_throttle_keeps_one_alert_per_rule_per_cooldown() -> None:
    rates = bench()
    days = [dt.date(2026, 3, d) for d in (2, 3, 4, 5, 6, 9, 10, 11, 12, 13)]

    class E:
        def __init__(self, rule: str, date: dt.date) -> None:
            self.rule, self.date = rule, date

    events = [E("a", d) for d in days] + [E("b", days[1])]
    kept = rates.throttled(events, days, 3)
    assert [(e.rule, e.date) for e in kept] == [
        ("a", days[0]), ("b", days[1]), ("a", days[4]), ("a", days[8])
    ]  # fmt: skip
    assert len(rates.throttled(events, days, 0)) == len(events)
