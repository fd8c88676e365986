"""What every signal kind module declares: a :class:`SignalKind` named ``KIND``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from signals.events import Event
from signals.rules import Context, ParamValue, Rule

Detector = Callable[[Rule, pd.DataFrame, Context], list[Event]]
"""``detect(rule, closes, ctx)``: every event the rule fires over the whole frame, oldest
first, without follow-up statistics (the engine adds those). Must be causal: an event on
day D may depend only on rows up to D (and on ``ctx``, which is calendar knowledge)."""

Validator = Callable[[dict[str, ParamValue]], None]
"""``validate(params)``: raise :class:`RuleError` for values the types allow but the kind
cannot use (a negative drawdown threshold, a band of 80%). Called with every default filled."""


class RuleError(ValueError):
    """A rule that cannot be built: the message says what is wrong, for a human."""


@dataclass(frozen=True, slots=True)
class SignalKind:
    id: str
    title: str
    summary: str  # one line, shown in /signals and --help
    subject: str  # "ticker", "pair" or "any"
    defaults: dict[str, ParamValue]
    detect: Detector
    choices: dict[str, tuple[str, ...]] = field(default_factory=dict)
    example: str = ""
    validate: Validator | None = None
