"""The catalogue of signal kinds, and the one way to build a valid :class:`Rule`.

Each kind is a small module declaring one :class:`SignalKind` (``KIND``): how it fires, its
names, icon, description, chart and follow-up basis (see :mod:`signals.kind`). The
catalogue registers them by id; :func:`rule` uses each kind's defaults and allowed values
so that a rule built here is always complete and canonical.
"""

from __future__ import annotations

from signals import drawdown, level_cross, monthly_move, ratio_cross, record_high, rrg
from signals.kind import RuleError, SignalKind
from signals.rules import ParamValue, Rule, normalise_ticker, split_subject
from signals.sentence import Sentence

__all__ = ["KINDS", "rule"]


KINDS: dict[str, SignalKind] = {
    k.id: k
    for k in (
        record_high.KIND,
        drawdown.KIND,
        monthly_move.KIND,
        ratio_cross.KIND,
        level_cross.KIND,
        rrg.KIND,
    )
}


def rule(kind: str, subject: str, **params: ParamValue) -> Rule:
    """Build a canonical rule: known kind, valid subject, every parameter present and typed."""
    spec = KINDS.get(kind)
    if spec is None:
        raise RuleError(
            Sentence(
                "unknown signal kind {kind}; known: {known}",
                kind=repr(kind),
                known=", ".join(KINDS),
            )
        )
    legs = tuple(normalise_ticker(p) for p in split_subject(subject))
    if not legs or any(not leg for leg in legs) or len(legs) > 2:
        raise RuleError(
            Sentence(
                "bad subject {subject}: use a ticker like ^RUT or a pair like IWM/SPY",
                subject=repr(subject),
            )
        )
    if spec.subject == "pair" and len(legs) != 2:
        raise RuleError(
            Sentence(
                "{kind} needs a pair like IWM/SPY, not {subject}", kind=kind, subject=repr(subject)
            )
        )
    if spec.subject == "ticker" and len(legs) != 1:
        raise RuleError(
            Sentence(
                "{kind} needs a single ticker like ^RUT, not {subject}",
                kind=kind,
                subject=repr(subject),
            )
        )
    if len(legs) == 2 and legs[0] == legs[1]:
        raise RuleError(
            Sentence("a pair needs two different tickers, not {pair}", pair=repr(subject))
        )
    if spec.check_subject is not None:
        spec.check_subject(legs)
    unknown = set(params) - set(spec.defaults)
    if unknown:
        takes = ", ".join(spec.defaults)
        raise RuleError(
            Sentence(
                "{kind} has no parameter {names}; it takes {takes}",
                kind=kind,
                names=", ".join(sorted(unknown)),
                takes=takes,
            )
            if takes
            else Sentence(
                "{kind} has no parameter {names}; it takes none",
                kind=kind,
                names=", ".join(sorted(unknown)),
            )
        )
    merged: dict[str, ParamValue] = {}
    for name, default in spec.defaults.items():
        value = params.get(name, default)
        merged[name] = _coerce(kind, name, value, default, spec.choices.get(name))
    if spec.validate is not None:
        spec.validate(merged)
    return Rule(kind=kind, subject="/".join(legs), params=tuple(sorted(merged.items())))


def _coerce(
    kind: str, name: str, value: ParamValue, default: ParamValue, choices: tuple[str, ...] | None
) -> ParamValue:
    if choices is not None:
        text = str(value).lower()
        if text not in choices:
            raise RuleError(
                Sentence(
                    "{kind} {name} must be one of {choices}, not {value}",
                    kind=kind,
                    name=name,
                    choices=", ".join(choices),
                    value=repr(value),
                )
            )
        return text
    if isinstance(default, int | float) and not isinstance(default, bool):
        not_a_number = Sentence(
            "{kind} {name} must be a number, not {value}", kind=kind, name=name, value=repr(value)
        )
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise RuleError(not_a_number) from None
        if number != number or number in (float("inf"), float("-inf")):
            raise RuleError(not_a_number)
        if isinstance(default, float):
            return number
        if not number.is_integer():
            raise RuleError(
                Sentence(
                    "{kind} {name} must be a whole number, not {n}",
                    kind=kind,
                    name=name,
                    n=f"{number:g}",
                )
            )
        if number < 1:
            raise RuleError(
                Sentence(
                    "{kind} {name} must be at least 1, not {n}",
                    kind=kind,
                    name=name,
                    n=f"{number:g}",
                )
            )
        return int(number)
    return value
