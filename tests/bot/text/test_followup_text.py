"""The follow-up sentence: what followed beside what usually follows, and the verdict in a few
words, in every language."""

from __future__ import annotations

from typing import Any

import pytest

from bot.text.followup import followup_text
from bot.text.i18n import translator
from signals.events import Followup


def fu(count: int, edge: str, **kw: Any) -> Followup:
    figures: dict[str, Any] = dict(base_median_1m=0.009, base_median_3m=0.027, up_share_1m=0.68,
                         base_up_share_1m=0.55, edge_1m=edge, edge_3m=edge)  # fmt: skip
    return Followup(count, 0.031, 0.05, "vs SPY", count, earlier=count, **(figures | kw))


def test_english_says_the_base_and_the_verdict() -> None:
    said = followup_text(fu(25, "higher"))
    assert said.startswith("Previously 25 times: median next month +3.1% (typically +0.9%)")
    assert "next 3 months +5.0% (typically +2.7%) (relative to SPY)." in said
    assert said.endswith("Up 68% of the time (typically 55%): better than usual.")
    assert followup_text(fu(25, "none")).endswith(": no clear edge.")
    assert followup_text(fu(25, "lower", edge_3m="none")).endswith(
        ": worse than usual. Over 3 months: no clear edge."
    )
    assert followup_text(fu(3, "too_few")).endswith(
        "Only 3 earlier times with an outcome: too few to judge."
    )


def test_a_gap_is_said_and_an_old_payload_has_no_verdict() -> None:
    gap = followup_text(fu(12, "none", left_out_1m=2))
    assert gap.endswith("2 earlier times left out: their month spans a gap in the data.")
    old = Followup(12, 0.031, None, "ratio", 0, earlier=12)  # stored before base rates
    assert followup_text(old) == (
        "Previously 12 times: median next month +3.1% (change in the ratio)."
    )


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("de", ["(üblich +0,9\xa0%)", "besser als üblich", "zu wenig für ein Urteil"]),
        ("es", ["(lo habitual, +0,9\xa0%)", "mejor de lo habitual", "demasiado pocas para juzgar"]),
    ],
)
def test_other_languages_say_it_their_way(lang: str, words: list[str]) -> None:
    t = translator(lang)
    said = followup_text(fu(25, "higher"), t) + " " + followup_text(fu(3, "too_few"), t)
    for w in words:
        assert w in said, (w, said)
