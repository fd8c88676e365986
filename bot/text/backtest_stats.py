"""/backtest's figures in the chat's language: what followed a rule's firings at 1 week, 1
month, 3 and 6 months, beside what followed every session (:mod:`signals.backtest_stats`)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.text.followup import basis, change, edge_words
from bot.text.i18n import N_, Translator
from signals.backtest_stats import HorizonStats

__all__ = ["HORIZON_NAMES", "stats_lines"]

HORIZON_NAMES = {
    "1w": N_("1 week"),
    "1m": N_("1 month"),
    "3m": N_("3 months"),
    "6m": N_("6 months"),
}


def stats_lines(
    stats: Sequence[HorizonStats], variant_label: dict[str, str], t: Translator
) -> list[str]:
    """Per variant a heading and one line per horizon (Telegram HTML, escaped here)."""
    import html

    lines: list[str] = []
    last = None
    for s in stats:
        if s.variant != last:
            last = s.variant
            label = variant_label.get(s.variant, s.variant)
            lines.append(
                "\n"
                + t(
                    "<b>{variant}</b> · {basis} · median (typically), up share (typically), "
                    "worst within:",
                    variant=html.escape(label, quote=False),
                    basis=basis(s.basis, t),
                )
            )
        if s.outcomes == 0:
            verdict = t("no outcome known yet")
        elif s.edge == "too_few":
            verdict = t.n("too few to judge ({n} time)", "too few to judge ({n} times)", s.outcomes)
        else:
            verdict = edge_words(s.edge, t)
        lines.append(
            t(
                "• {horizon}: {median} ({base}), up {up} ({base_up}), worst {worst}: {verdict}",
                horizon=t(HORIZON_NAMES[s.horizon]),
                median=change(s.median, s.basis, t),
                base=change(s.base_median, s.basis, t),
                up=_share(s.up_share, t),
                base_up=_share(s.base_up_share, t),
                worst=change(s.median_worst, s.basis, t),
                verdict=verdict,
            )
        )
    return lines


def _share(value: float | None, t: Translator) -> str:
    return t("n/a") if value is None else t.percent(value, 0, sign=False)
