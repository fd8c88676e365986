"""The page's words, from the bot's own catalogs (bot/text/locale), so the Mini App speaks the
chat's language (en, de, es) exactly as its messages do. The page gets them with its session
(``/api/session``) and never carries a translation of its own."""

from __future__ import annotations

from bot.text.i18n import N_, Translator

__all__ = ["WORDS", "strings"]

WORDS: dict[str, str] = {
    "rotation": N_("Rotation"),
    "alerts": N_("Alerts"),
    "rule": N_("Try a rule"),
    "dashboard": N_("Dashboard"),
    "week": N_("Week"),
    "tail": N_("Tail (weeks)"),
    "rs_ratio": N_("RS-Ratio"),
    "rs_momentum": N_("RS-Momentum"),
    "Leading": N_("Leading"),
    "Weakening": N_("Weakening"),
    "Lagging": N_("Lagging"),
    "Improving": N_("Improving"),
    "on": N_("on"),
    "silent": N_("silent"),
    "off": N_("off"),
    "cooldown": N_("Cooldown (sessions)"),
    "rules": N_("Your alerts"),
    "history": N_("Alert history"),
    "none": N_("None yet."),
    "type_rule": N_("Type a rule, e.g. IWM/SPY crosses above 200d"),
    "valid": N_("The bot reads it as: {kind} on {subject}"),
    "subscribe_rule": N_("Alert this chat"),
    "added": N_("Added as alert number {n}."),
    "read_only": N_("Only this chat's administrators can change its alerts."),
    "refused": N_("The bot refused this page: {reason}"),
    "synthetic": N_("synthetic sample data, not real prices"),
    "loading": N_("Loading…"),
    "sectors": N_("Sectors"),
    "gauges": N_("Gauges"),
    "series": N_("Ratios and prices"),
    "subject": N_("A ticker or a pair: IWM/SPY, ^RUT, XLE"),
    "fired": N_("Fired {n} times over the history. What followed:"),
    "after": N_("a month later {m}, a quarter later {q}"),
    "open_chart": N_("Chart of {subject}"),
    "events": N_("The bot's alerts on it"),
    "marks": N_("an alert fired"),
    "digest": N_("one evening digest"),
    "instant": N_("instant alerts"),
    "tz_line": N_("Time zone: {zone}"),
    "quiet_line": N_("Quiet hours: {quiet}"),
    "keep_line": N_("Alert history kept: {kept}"),
    "mute_line": N_("Muted: {muted}"),
    "all": N_("all"),  # keep all, as /settings keep all reads it in the chat's language
}
"""What the page says, by the key its script uses."""


def strings(t: Translator) -> dict[str, str]:
    """:data:`WORDS` in the language of ``t``."""
    return {key: t(msgid) for key, msgid in WORDS.items()}
