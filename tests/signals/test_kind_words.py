"""What a kind says: its titles, descriptions, variants' names and each event's sentence are
:class:`Sentence` (English text that keeps its msgid and values, so bot/ can say it in a
chat's language with no branch per kind); and a rule with a band says so, in its alerts and
in its description (two rules on one pair that differ only in their band fire on different
days, and a reader must be able to tell their alerts apart)."""

from __future__ import annotations

import pickle

import pandas as pd

from signals import level_cross, ratio_cross
from signals.catalogue import KINDS, rule
from signals.rules import Context
from signals.sentence import Sentence

IDX = pd.bdate_range("2024-01-01", periods=60)
CTX = Context.from_sessions(IDX)
SUBJECTS = {"ticker": "SPY", "pair": "XLE/SPY", "any": "IWM/SPY"}


def frame(a: list[float], b: list[float] | None = None) -> pd.DataFrame:
    n = len(a)
    return pd.DataFrame({"IWM": a, "SPY": b if b is not None else [1.0] * n}, index=IDX[:n])


def crossing() -> list[float]:
    """Flat 100 (no state), 90 (below: the first state, silent), then 110 (above)."""
    return [100.0] * 20 + [90.0] * 10 + [110.0] * 10


def test_every_word_of_every_kind_is_a_sentence() -> None:
    for kind in KINDS.values():
        said = [kind.title, kind.short_title, kind.description(), *kind.variant_names.values()]
        said.append(kind.describe_rule(rule(kind.id, SUBJECTS[kind.subject])))
        for text in said:
            assert isinstance(text, Sentence), (kind.id, text)
            assert text == text.msgid.format(**text.values), (kind.id, text)


def test_an_event_sentence_is_its_msgid_filled_with_its_values_and_survives_a_pickle() -> None:
    events = ratio_cross.KIND.detect(
        rule("ratio_cross", "IWM/SPY", window=10), frame(crossing()), CTX
    )
    text = events[0].text
    assert isinstance(text, Sentence)
    assert text == "IWM/SPY crossed above its 10-day average (110.00 vs 92.00, +19.6%)."
    assert text.msgid.format(**text.values) == text
    again = pickle.loads(pickle.dumps(events[0]))  # /backtest runs in the CPU pool's processes
    assert isinstance(again.text, Sentence) and again.text.values == text.values


def test_a_ratio_cross_with_a_band_says_so_in_its_alert_and_description() -> None:
    df = frame(crossing())
    banded = rule("ratio_cross", "IWM/SPY", window=10, band=0.5)
    plain = rule("ratio_cross", "IWM/SPY", window=10)
    up = ratio_cross.KIND.detect(banded, df, CTX)[0]
    assert up.text == (
        "IWM/SPY crossed above its 10-day average with a 0.5% band (110.00 vs 92.00, +19.6%)."
    )
    assert "band" not in ratio_cross.KIND.detect(plain, df, CTX)[0].text
    assert ratio_cross.KIND.describe_rule(banded) == (
        "IWM/SPY crosses its 10-day moving average, with a 0.5% band"
    )
    assert ratio_cross.KIND.describe_rule(plain) == "IWM/SPY crosses its 10-day moving average"


def test_a_level_cross_with_a_band_says_so_in_its_alert_and_description() -> None:
    closes = pd.DataFrame({"SPY": [95.0] * 5 + [103.0] * 5}, index=IDX[:10])
    banded = rule("level_cross", "SPY", level=100, band=1)
    up = level_cross.KIND.detect(banded, closes, CTX)[0]
    assert up.text == "SPY rose above 100.00 with a 1% band (103.00)."
    plain = rule("level_cross", "SPY", level=100)
    assert level_cross.KIND.detect(plain, closes, CTX)[0].text == "SPY rose above 100.00 (103.00)."
    assert level_cross.KIND.describe_rule(banded) == "SPY crosses 100, with a 1% band"
    assert level_cross.KIND.describe_rule(plain) == "SPY crosses 100"
