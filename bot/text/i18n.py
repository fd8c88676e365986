"""Every reply and alert in the chat's language: gettext catalogs, and numbers and dates
formatted the way the language writes them.

A handler asks for the chat's :class:`Translator` (``t = tr(update, context)`` from
bot.app.handlers.common, or ``t = translator(chat.lang)``) and wraps each sentence it shows::

    t("Time zone: {zone}.", zone=esc(zone))            # gettext, then str.format
    t.n("{n} alert", "{n} alerts", count)                # ngettext; {n} is the count
    t.number(4.25, 2), t.percent(0.021), t.date(day)     # locale formatting

A sentence that must exist before a language is known (a module constant, the command
table) is marked with :func:`N_` where it is written and translated with ``t(CONSTANT)``
where it is shown. ``pybabel extract`` finds ``t(...)``, ``t.n(...)`` (keyword ``n``) and
``N_(...)`` (keywords in pyproject.toml, ``[tool.babel.extract_messages]``). Inside a
``t.n(...)`` call, pass no ``t`` as an argument (compute it before): pybabel would read the
call as ``t(...)`` and lose the plural.

The catalogs are the ``.po`` files in ``bot/text/locale/<lang>/LC_MESSAGES/`` (committed; no
compiled ``.mo`` is kept): the first translator of a language reads its ``.po`` and compiles
it in memory, once per process, so a fresh clone with ``pip install -e .`` needs no build
step and a ``.mo`` can never be older than its ``.po``. Babel is imported only then, so
nothing on the ``--help`` path pays for it.
"""

from __future__ import annotations

import datetime as dt
import gettext
import io
import threading
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT",
    "DOMAIN",
    "LANGUAGES",
    "LOCALE_DIR",
    "N_",
    "Translator",
    "catalog_path",
    "pick_language",
    "translator",
]

LANGUAGES: dict[str, str] = {"en": "English", "de": "Deutsch", "es": "Español"}
"""The languages a chat can have, English first (the msgids themselves): code -> own name."""
DEFAULT = "en"
LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "messages"


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it (translate where shown)."""
    return message


def pick_language(code: str | None) -> str:
    """Telegram's ``language_code`` (an IETF tag: "de", "de-AT", "es-419", "pt-br") -> a
    language we speak, else English."""
    base = (code or "").replace("_", "-").split("-")[0].strip().lower()
    return base if base in LANGUAGES else DEFAULT


class Translator:
    """One language's sentences and number/date formats. Cheap to ask for: one per language
    per process (:func:`translator`)."""

    def __init__(self, lang: str, catalog: gettext.NullTranslations) -> None:
        self.lang = lang
        self.english = lang == DEFAULT
        """The default language: its texts and numbers are written directly, not looked up."""
        self._catalog = catalog

    def __call__(self, message: str, /, **values: Any) -> str:
        """``message`` in this language, its ``{name}`` fields filled from ``values``."""
        text = self._catalog.gettext(message)
        return text.format(**values) if values else text

    def n(self, singular: str, plural: str, count: int, /, **values: Any) -> str:
        """The form for ``count`` (``{n}`` is ``count``, written in this language)."""
        text = self._catalog.ngettext(singular, plural, count)
        return text.format(n=self.number(count), **values)

    # --- numbers and dates, as the language writes them ---------------------------------------
    def number(self, value: float, digits: int | None = None) -> str:
        """``1234.5`` -> "1,234.5" (en), "1.234,5" (de); ``digits`` fixes the decimals."""
        from babel.numbers import format_decimal

        if digits is None:
            return format_decimal(value, locale=self.lang)
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(value, format=pattern, locale=self.lang)

    def signed(self, value: float, digits: int = 1) -> str:
        """A change with its sign: "+1.2" / "-0,4" (zero shown as "+0.0")."""
        text = self.number(abs(value), digits)
        return self._sign(value, text) + text

    def percent(self, fraction: float, digits: int = 1, sign: bool = True) -> str:
        """``0.021`` -> "+2.1%" (en), "+2,1 %" (de, es): the language's own percent pattern
        with ``digits`` decimals; ``sign=False`` writes only a minus."""
        from babel.core import Locale
        from babel.numbers import parse_pattern

        pattern = parse_pattern(Locale.parse(self.lang).percent_formats[None].pattern)
        pattern.frac_prec = (digits, digits)
        text: str = pattern.apply(abs(fraction), self.lang)
        if not sign:
            return self._sign(fraction, text) + text if fraction < 0 else text
        return self._sign(fraction, text) + text

    def _sign(self, value: float, shown: str) -> str:
        from babel.numbers import get_minus_sign_symbol, get_plus_sign_symbol

        zero = not any(c in "123456789" for c in shown)
        if value < 0 and not zero:
            return get_minus_sign_symbol(self.lang)
        return get_plus_sign_symbol(self.lang)

    def date(self, day: dt.date) -> str:
        """``Fri 28 Nov 2025`` in English, ``Fr. 28. Nov. 2025``, ``vie 28 nov 2025``."""
        from babel.dates import format_date

        return format_date(day, _DATE.get(self.lang, "EEE d MMM y"), locale=self.lang)

    def day(self, day: dt.date) -> str:
        """A day without its weekday: ``28 Nov 2025``, ``28. Nov. 2025``, ``28 nov 2025``."""
        from babel.dates import format_date

        return format_date(day, _DAY.get(self.lang, "d MMM y"), locale=self.lang)

    def month(self, day: dt.date) -> str:
        """``November 2025`` / ``November 2025`` / ``noviembre de 2025``."""
        from babel.dates import format_skeleton

        return format_skeleton("yMMMM", day, locale=self.lang)

    def datetime(self, when: dt.datetime) -> str:
        """An aware time on its own clock: "Sat 28 Nov 2026 03:09"."""
        return f"{self.date(when.date())} {when:%H:%M}"


_DATE = {"en": "EEE dd MMM y", "de": "EEE d. MMM y"}  # as strftime's "%a %d %b %Y" did; "28."
_DAY = {"en": "dd MMM y", "de": "d. MMM y"}  # as "%d %b %Y" did in English
_lock = threading.Lock()
_translators: dict[str, Translator] = {}


def translator(lang: str | None) -> Translator:
    """The translator of ``lang`` (a code from :data:`LANGUAGES`; anything else: English)."""
    code = lang if lang in LANGUAGES else DEFAULT
    found = _translators.get(code)
    if found is None:
        with _lock:
            found = _translators.get(code) or Translator(code, _load(code))
            _translators[code] = found
    return found


def catalog_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def _load(lang: str) -> gettext.NullTranslations:
    """The ``.po`` of ``lang`` compiled in memory (English, and a missing file: the msgids)."""
    path = catalog_path(lang)
    if lang == DEFAULT or not path.is_file():
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with path.open("rb") as f:
        catalog = read_po(f, locale=lang, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)  # a fuzzy guess shows English, not nonsense
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)
