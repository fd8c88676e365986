"""What a chat can subscribe to: a preset ("preset:NAME") or every preset rule of one signal
kind ("signal:KIND"), with the rule keys each contains (synced to ``topic_rules``)."""

from __future__ import annotations

from signals.catalogue import KINDS
from signals.kind import RuleError
from signals.presets import PRESETS, all_preset_rules


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


def title(topic: str) -> str:
    """A topic's name for people: the preset's or the signal kind's title."""
    what, _, name = topic.partition(":")
    if what == "preset" and name in PRESETS:
        return PRESETS[name].title
    if what == "signal" and name in KINDS:
        return f"{KINDS[name].title} (all)"
    return topic


def short_name(topic: str) -> str:
    """What to type after /subscribe for this topic."""
    return topic.partition(":")[2]


def resolve(name: str) -> str:
    """The topic ``name`` means: a preset or kind name (case, dashes, spaces forgiven)."""
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    key = key.removeprefix("preset:").removeprefix("signal:")
    for topic in TOPICS:
        if short_name(topic) == key:
            return topic
    known = ", ".join(short_name(t) for t in TOPICS)
    raise RuleError(f"I don't know {name!r}. Presets and signals: {known}")
