"""What a chat can subscribe to: a preset ("preset:NAME") or every preset rule of one signal
kind ("signal:KIND"), with the rule keys each contains (synced to ``topic_rules``)."""

from __future__ import annotations

from bot.text.i18n import Translator, translator
from bot.text.signals import kind_title, preset_title
from signals.catalogue import KINDS
from signals.kind import RuleError
from signals.presets import PRESETS, all_preset_rules

__all__ = [
    "COOLDOWN",
    "DEFAULT_COOLDOWN",
    "DEFAULT_MODE",
    "LOUD_PER_YEAR",
    "NOISY",
    "TOPICS",
    "resolve",
    "short_name",
    "title",
    "topic_rules",
]


def topic_rules() -> dict[str, list[str]]:
    """Every topic and the keys of the rules it contains, presets first."""
    table = {f"preset:{p.name}": [r.key for r in p.rules] for p in PRESETS.values()}
    rules = all_preset_rules()
    for kind in KINDS:
        keys = [r.key for r in rules if r.kind == kind]
        if keys:
            table[f"signal:{kind}"] = keys
    return table


TOPICS: dict[str, list[str]] = topic_rules()


def title(topic: str, t: Translator | None = None) -> str:
    """A topic's name for people: the preset's or the signal kind's title."""
    t = t or translator(None)
    what, _, name = topic.partition(":")
    if what == "preset" and name in PRESETS:
        return preset_title(name, t)
    if what == "signal" and name in KINDS:
        return t("{title} (all)", title=kind_title(name, t))
    return topic


def short_name(topic: str) -> str:
    """What to type after /subscribe for this topic."""
    return topic.partition(":")[2]


def resolve(name: str, t: Translator | None = None) -> str:
    """The topic ``name`` means: a preset or kind name (case, dashes, spaces forgiven)."""
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    key = key.removeprefix("preset:").removeprefix("signal:")
    for topic in TOPICS:
        if short_name(topic) == key:
            return topic
    known = ", ".join(short_name(topic) for topic in TOPICS)
    t = t or translator(None)
    raise RuleError(
        t("I don't know {name}. Presets and signals: {known}", name=repr(name), known=known)
    )


LOUD_PER_YEAR = 24
"""The rule for the defaults: a topic that alerts more than twice a month on the real closes
(with the default cooldown) is silent by default; a person keeps a quiet feed of those and
is woken only by the rarer ones (bench/alert_rates.py prints the figures; the README's table
is its output)."""
NOISY = ("preset:sectors", "signal:ratio_cross", "signal:rrg_quadrant")
"""The topics past :data:`LOUD_PER_YEAR` on the real closes 2016-2026 even with the default
cooldown: sectors 46 a year, ratio crosses 27, relative rotation 34."""
COOLDOWN = 10
"""Sessions (two trading weeks) a rule stays quiet for a chat after alerting it, for a new
subscription: on the real closes it removes a fifth to a third of the ratio and level
crosses (a ratio hugging its average), and nothing of records, drawdowns and monthly moves."""
DEFAULT_MODE: dict[str, str] = {t: "silent" if t in NOISY else "on" for t in TOPICS}
"""A new subscription's mode when /subscribe names none."""
DEFAULT_COOLDOWN: dict[str, int] = dict.fromkeys(TOPICS, COOLDOWN)
"""A new subscription's cooldown in sessions when /subscribe names none."""
