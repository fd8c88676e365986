"""What followed the previous times, beside what usually follows, in the chat's language.

A median of what followed a signal is worth something only beside the base rate (what a
random day of the same series went on to do) and with its uncertainty, so the sentence says
both, in a few words: "Previously 25 times: median next month +3.1% (typically +0.9%), up
68% of the time (typically 55%): better than usual." The verdict is
:mod:`signals.base_rate`'s (``higher``, ``lower``, ``none``, ``too_few``); a follow-up read
back from a payload stored before verdicts existed has none, and then none is said.
"""

from __future__ import annotations

from bot.text.i18n import N_, Translator, translator
from signals.base_rate import MIN_FIRINGS
from signals.events import Followup

__all__ = ["EDGE_WORDS", "basis", "change", "edge_words", "followup_text"]

EDGE_WORDS = {
    "higher": N_("better than usual"),
    "lower": N_("worse than usual"),
    "none": N_("no clear edge"),
}
"""The verdict in a few words (``too_few`` is said with the count: see :func:`followup_text`)."""


def edge_words(edge: str, t: Translator) -> str:
    """``higher`` -> "better than usual" in the language of ``t`` ("" for no verdict)."""
    return t(EDGE_WORDS[edge]) if edge in EDGE_WORDS else ""


def followup_text(fu: Followup | None, t: Translator | None = None) -> str:
    """ "Previously 25 times: median next month +3.1% (typically +0.9%), next 3 months +5.0%
    (typically +2.7%) (relative to SPY). Up 68% of the time (typically 55%): better than
    usual." — English unless ``t`` says otherwise."""
    t = t or translator(None)
    if fu is None or fu.earlier == 0:
        return t("First time in the available history.")
    gap = _left_out(fu, t)
    if fu.count == 0:
        said = t.n(
            "Fired once before, but no outcome of those is known yet.",
            "Fired {n} times before, but no outcome of those is known yet.",
            fu.earlier,
        )
        return f"{said} {gap}" if gap else said
    if fu.count < fu.earlier:
        times = t.n(
            "{n} time ({known} with a month since)",
            "{n} times ({known} with a month since)",
            fu.earlier,
            known=t.number(fu.count),
        )
    else:
        times = t.n("once", "{n} times", fu.count)
    parts = [_with_base(t("median next month {change}", change=change(fu.median_1m, fu.basis, t)),
                        fu.base_median_1m, fu.basis, t)]  # fmt: skip
    if fu.median_3m is not None:
        three = t("next 3 months {change}", change=change(fu.median_3m, fu.basis, t))
        parts.append(_with_base(three, fu.base_median_3m, fu.basis, t))
    said = t(
        "Previously {times}: {parts} ({basis}).",
        times=times,
        parts=", ".join(parts),
        basis=basis(fu.basis, t),
    )
    verdict = _verdict(fu, t)
    return " ".join(s for s in (said, verdict, gap) if s)


def _with_base(part: str, base: float | None, kind: str, t: Translator) -> str:
    if base is None:
        return part
    return t("{part} (typically {base})", part=part, base=change(base, kind, t))


def _verdict(fu: Followup, t: Translator) -> str:
    """The verdict on the next month (and on three months where it differs)."""
    if not fu.edge_1m:
        return ""
    if fu.edge_1m == "too_few" or fu.count < MIN_FIRINGS:
        return t.n(
            "Only {n} earlier time with an outcome: too few to judge.",
            "Only {n} earlier times with an outcome: too few to judge.",
            fu.count,
        )
    words = edge_words(fu.edge_1m, t)
    if fu.up_share_1m is not None and fu.base_up_share_1m is not None:
        said = t(
            "Up {share} of the time (typically {base}): {verdict}.",
            share=t.percent(fu.up_share_1m, 0, sign=False),
            base=t.percent(fu.base_up_share_1m, 0, sign=False),
            verdict=words,
        )
    else:
        said = t("Next month: {verdict}.", verdict=words)
    if fu.edge_3m in EDGE_WORDS and fu.edge_3m != fu.edge_1m:
        said += " " + t("Over 3 months: {verdict}.", verdict=edge_words(fu.edge_3m, t))
    return said


def _left_out(fu: Followup, t: Translator) -> str:
    if not fu.left_out_1m:
        return ""
    return t.n(
        "{n} earlier time left out: its month spans a gap in the data.",
        "{n} earlier times left out: their month spans a gap in the data.",
        fu.left_out_1m,
    )


def change(value: float | None, kind: str, t: Translator) -> str:
    """A change in percent, or in points for a yield's level."""
    if value is None:
        return t("n/a")
    if kind == "level":
        return t("{change} pts", change=t.signed(value, 2))
    return t.percent(value)


def basis(kind: str, t: Translator) -> str:
    """What the change is of: "change in the ratio", "relative to SPY", ..."""
    known = {
        "ratio": t("change in the ratio"),
        "level": t("change in the level"),
        "absolute": t("price change"),
    }
    if kind in known:
        return known[kind]
    if kind.startswith("vs "):
        return t("relative to {benchmark}", benchmark=kind.removeprefix("vs "))
    return kind
