"""What the signals say, in the chat's language.

signals/ stays pure and English, and each kind says its own words as
:class:`signals.sentence.Sentence`: its titles, its descriptions, its variants' names and
each event's ``text`` (see :mod:`signals.kind`). Here they are said through the catalogs
with no branch per kind — English is the engine's own text, untouched; another language gets
the msgid's translation with the sentence's numbers written the language's way — so a new
kind needs nothing here. An event read back from JSON (its text a plain ``str``) shows its
English sentence. The presets' titles and descriptions, and what followed the previous times,
are written here.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.text.followup import basis, change, followup_text  # said there; kept importable here
from bot.text.i18n import N_, Translator
from bot.text.rules import translated
from signals import rrg
from signals.catalogue import KINDS
from signals.events import Event
from signals.presets import PRESETS
from signals.rules import ParamValue
from signals.sentence import Sentence
from signals.series import ratio_spec

__all__ = [
    "LATE_NOTE",
    "PRESET_DESCRIPTIONS",
    "PRESET_TITLES",
    "basis",
    "change",
    "describe",
    "event_text",
    "followup_text",
    "kind_short_title",
    "kind_title",
    "preset_description",
    "preset_title",
    "quadrant",
    "ratio",
    "variant_name",
]

PRESET_TITLES = {
    "small_vs_large": N_("Small caps vs large caps"),
    "value_vs_growth": N_("Value vs growth"),
    "breadth": N_("Market breadth"),
    "sectors": N_("Sector rotation"),
    "rates": N_("Interest rates"),
    "oil": N_("Oil"),
    "russell_records": N_("Russell 2000 records and drawdowns"),
}
PRESET_DESCRIPTIONS = {
    "small_vs_large": N_(
        "Is money rotating into small caps? IWM (Russell 2000) against SPY (S&P 500): the "
        "ratio crossing its 50- and 200-day averages, and months when small caps beat or lag "
        "by 3 points or more."
    ),
    "value_vs_growth": N_(
        "Value against growth, in large caps (IWD/IWF, Russell 1000) and small caps "
        "(IWN/IWO, Russell 2000): 200-day ratio crosses, and months when large-cap value "
        "beats or lags growth by 3 points or more."
    ),
    "breadth": N_(
        "Is the rally broad or carried by a few giants? The equal-weight S&P 500 (RSP) "
        "against the cap-weighted one (SPY): 200-day ratio crosses, and months when equal "
        "weight beats or lags by 2 points or more."
    ),
    "sectors": N_(
        "The 11 S&P sectors against SPY on a weekly relative rotation (JdK-style) graph: an "
        "alert when a sector moves into Leading or Lagging; plus 200-day ratio crosses for "
        "communication services, real estate, energy and health care."
    ),
    "rates": N_(
        "Treasury yields through round levels: the 10-year (^TNX) through 4.0% and 4.5%, the "
        "13-week bill (^IRX) through 4.0%."
    ),
    "oil": N_(
        "WTI crude futures (CL=F) through $80 and $60 a barrel, and a 20% fall from the "
        "52-week high."
    ),
    "russell_records": N_(
        "The Russell 2000 (^RUT) and its ETF (IWM): the first record close after a quiet "
        "spell, a 10% correction and a 20% bear market from the 52-week high, and months when "
        "the index moves 5% or more."
    ),
}


def kind_title(kind: str, t: Translator) -> str:
    """The kind's title ("Record close"); a kind no longer in the catalogue shows its id."""
    spec = KINDS.get(kind)
    return translated(spec.title, t) if spec else kind


def kind_short_title(kind: str, t: Translator) -> str:
    """The kind's title in an alert's headline ("Record high")."""
    spec = KINDS.get(kind)
    return translated(spec.short_title, t) if spec else kind


def preset_title(name: str, t: Translator) -> str:
    preset = PRESETS.get(name)
    if t.english or name not in PRESET_TITLES:
        return preset.title if preset else name
    return t(PRESET_TITLES[name])


def preset_description(name: str, t: Translator) -> str:
    preset = PRESETS.get(name)
    if t.english or name not in PRESET_DESCRIPTIONS:
        return preset.description if preset else ""
    return t(PRESET_DESCRIPTIONS[name])


def quadrant(name: str, t: Translator) -> str:
    """A relative rotation quadrant's name ("Leading")."""
    return translated(rrg.QUADRANTS.get(name, name), t)


def variant_name(kind: str, variant: str, t: Translator) -> str:
    """An event's variant as a backtest lists it: its code in English ("above", "bear"), its
    kind's name for it in another language ("Bärenmarkt"; a variant not named: its code)."""
    spec = KINDS.get(kind)
    if t.english or spec is None:
        return variant
    return translated(spec.variant_names.get(variant, variant), t)


# --- numbers as the engine writes them, in the language's way ---------------------------------
def ratio(x: float, t: Translator) -> str:
    """Four significant digits, as signals.series.fmt_ratio."""
    return translated(Sentence(_RATIO, ratio=x, spec=ratio_spec(x)), t)


_RATIO = "{ratio:{spec}}"  # no words, nothing to translate: a name keeps pybabel off it


# --- what a kind watches, what an event says ------------------------------------------------------
def describe(kind: str, params: Mapping[str, ParamValue], t: Translator) -> str:
    """The kind's one-sentence description with these values (``SignalKind.description``)."""
    spec = KINDS.get(kind)
    return translated(spec.description(params), t) if spec else kind


LATE_NOTE = N_("{text} (a session late: {tickers} moved far on {day}; the next close confirmed it)")
"""An event of a session whose suspicious move the next close confirmed
(bot.evening.evaluate.screen): its text is this Sentence around the engine's own."""


def event_text(event: Event, t: Translator) -> str:
    """The event's sentence: the kind wrote it as a :class:`Sentence`, said here in the
    language of ``t``; an event read back from JSON (its text a plain ``str``) shows its
    English."""
    return translated(event.text, t)
