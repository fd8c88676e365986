"""Finds English left in a reply meant for a German or Spanish chat.

Two checks, either of which fails a test:

* **msgid fragments**: every English msgid of the template (bot/text/locale/messages.pot) is cut
  at its ``{fields}``, tags and line breaks; a fragment of two words or more found verbatim
  in the reply is English the catalog did not replace — unless the language's own catalog
  writes that fragment too (a command example such as ``/settings quiet 22:00-07:00``).
* **English words**: words that exist in English only (``the``, ``with``, ``your`` ...)
  outside ``<code>`` (rules and names the user typed, echoed back) and commands — the
  English sentences no msgid knows (an exception's message, a string nobody wrapped).

Tickers, numbers and names pass both: they are neither msgid fragments nor in the list.
"""

from __future__ import annotations

import html
import re
from functools import cache

from babel.messages.pofile import read_po

from bot.text.i18n import LOCALE_DIR, catalog_path

_WORDS = (
    "the and with your you this that what when which from have has been would there their "
    "only every each after before since into than then here were are is of to for on at its "
    "it or yet more can cannot don't i'm i'll isn't won't didn't doesn't should could "
    "not but without because about please pending sending sent failed dropped private group "
    "supergroup channel running none"
)
ENGLISH_ONLY = frozenset(_WORDS.split())
"""Words of English that German and Spanish never write, among them the stored words /stats
shows (chat kinds, outbox states); not "in", "no", "was", "also", "an" or "will", which they do
write."""

FIELD = re.compile(r"\{\w*\}")
TAG = re.compile(r"<[^>]+>")
CODE = re.compile(r"<code>.*?</code>", re.S)
COMMAND = re.compile(r"/\w+(?:@\w+)?")
WORD = re.compile(r"[A-Za-z][A-Za-z']*")


@cache
def english_fragments() -> tuple[str, ...]:
    with (LOCALE_DIR / "messages.pot").open("rb") as f:
        template = read_po(f)
    found: set[str] = set()
    for message in template:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        for msgid in ids:
            for piece in re.split(r"\{[^{}]*\}|<[^>]+>|\n", msgid):
                piece = html.unescape(piece).strip(" .,:;()—–-·•")
                if len(WORD.findall(piece)) >= 2 and len(piece) >= 8:
                    found.add(piece)
    return tuple(sorted(found, key=len, reverse=True))


@cache
def own_text(lang: str) -> str:
    """Everything the language's catalog writes, as one text."""
    with catalog_path(lang).open("rb") as f:
        catalog = read_po(f, locale=lang)
    out = []
    for message in catalog:
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        out += [html.unescape(s) for s in strings if s]
    return "\n".join(out)


def english_left(reply_html: str, lang: str) -> list[str]:
    """The English in ``reply_html`` (Telegram HTML as sent to a ``lang`` chat)."""
    text = html.unescape(TAG.sub("", reply_html))
    own = own_text(lang)
    left = [f for f in english_fragments() if f in text and f not in own]
    prose = COMMAND.sub(" ", html.unescape(TAG.sub(" ", CODE.sub(" ", reply_html))))
    left += sorted({w for w in WORD.findall(prose) if w.lower() in ENGLISH_ONLY})
    return left
