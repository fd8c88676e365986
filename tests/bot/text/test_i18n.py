"""The chat's language: picked at first contact, changed with /settings lang, every catalog
complete (each msgid the code shows has a German and a Spanish translation that keeps its
placeholders and markup), numbers and dates written the language's way."""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
import tomllib
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.app.handlers.commands import COMMANDS
from bot.text.i18n import LANGUAGES, LOCALE_DIR, catalog_path, pick_language, translator
from storage.db import connect
from storage.schema import MIGRATIONS
from tests.support.bot_harness import BotHarness, private, user
from tests.support.paths import ROOT

TRANSLATED = [lang for lang in LANGUAGES if lang != "en"]


def extracted() -> dict[str, str | tuple[str, str]]:
    """Every msgid in bot/ (and the ``Sentence("...")`` of signals/ and market/), found as
    ``pybabel extract`` finds them (pyproject's input paths and keywords)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["babel"]
    keywords: dict[str, tuple[int, ...] | None] = {}
    for word in config["extract_messages"]["keywords"]:
        name, _, spec = word.partition(":")
        keywords[name] = tuple(int(i) for i in spec.split(",")) if spec else None
    found: dict[str, str | tuple[str, str]] = {}
    for folder in config["extract_messages"]["input_paths"]:
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / folder, keywords=keywords, comment_tags=()
        ):
            found[message if isinstance(message, str) else message[0]] = message
    return found


def catalog(lang: str) -> dict[str, object]:
    with catalog_path(lang).open("rb") as f:
        po = read_po(f, locale=lang)
    return {
        (m.id if isinstance(m.id, str) else m.id[0]): m
        for m in po
        if m.id and "fuzzy" not in m.flags
    }


FIELD = re.compile(r"\{(\w*)(?:[^{}]|\{\w*\})*\}")  # a spec may be a field: {x:{x_spec}}
TAG = re.compile(r"</?[a-z]+>")


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_msgid_is_translated_keeping_fields_and_markup(lang: str) -> None:
    """A sentence the code shows but the catalog lacks would reach a German chat in English;
    a translation that drops ``{when}`` or a ``<b>`` would break the reply."""
    messages = extracted()
    assert len(messages) > 20, "extraction found (almost) nothing: the keywords changed?"
    known = catalog(lang)
    missing = sorted(m for m in messages if m not in known)
    assert not missing, f"{lang}: {len(missing)} msgids without a translation: {missing[:5]}"
    for msgid, message in messages.items():
        entry = known[msgid]
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)  # type: ignore[attr-defined]
        ids = message if isinstance(message, tuple) else (message,)
        fields = set(FIELD.findall(ids[-1]))
        for text in strings:
            assert text, f"{lang}: empty translation of {msgid!r}"
            # Every field kept; a plural's singular form may write "one" for its {n}.
            got = set(FIELD.findall(text))
            assert fields - {"n"} <= got <= fields, (lang, msgid, text)
            assert sorted(TAG.findall(text)) == sorted(TAG.findall(ids[0])), (lang, msgid)


def test_the_template_is_up_to_date() -> None:
    """bot/text/locale/messages.pot holds exactly what the code marks (run ``pybabel extract``)."""
    with (LOCALE_DIR / "messages.pot").open("rb") as f:
        template = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    assert template == set(extracted())


@pytest.mark.parametrize(
    ("code", "lang"),
    [("de", "de"), ("de-AT", "de"), ("es-419", "es"), ("ES", "es"), ("en-GB", "en"),
     ("pt-br", "en"), ("", "en"), (None, "en")],
)  # fmt: skip
def test_telegram_language_codes_pick_a_language(code: str | None, lang: str) -> None:
    assert pick_language(code) == lang


def test_numbers_and_dates_are_written_the_languages_way() -> None:
    day, en, de, es = dt.date(2025, 11, 28), translator("en"), translator("de"), translator("es")
    assert (en.number(1234.5, 1), de.number(1234.5, 1)) == ("1,234.5", "1.234,5")
    assert (en.percent(0.021), de.percent(0.021), es.percent(-0.0351)) == (
        "+2.1%", "+2,1\xa0%", "-3,5\xa0%")  # fmt: skip
    assert en.percent(-0.0004) == "+0.0%"  # no "-0.0%"
    assert (en.date(day), de.date(day), es.date(day)) == (
        "Fri 28 Nov 2025", "Fr. 28. Nov. 2025", "vie 28 nov 2025")  # fmt: skip
    assert de.month(day) == "November 2025" and es.month(day) == "noviembre de 2025"
    assert de.n("{n} alert", "{n} alerts", 1200) == "1.200 alerts"  # a msgid not in the catalog
    assert translator("xx") is translator("en")


def test_a_database_from_before_languages_gets_english(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path)
    for statement in MIGRATIONS[0]:
        conn.execute(statement)
    conn.execute("INSERT INTO chats (id, kind) VALUES (7, 'private')")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    db = connect(path)
    assert db.execute("SELECT lang FROM chats WHERE id = 7").fetchone() == ("en",)


async def test_first_contact_speaks_the_senders_language(harness: BotHarness) -> None:
    chats = harness.services.chats
    german = {**user(), "language_code": "de-AT"}
    [reply] = await harness.send("/start", user_=german)
    assert chats.get(private()["id"]).lang == "de"
    assert "beobachtet den US-Aktienmarkt" in reply.text and "watches" not in reply.text
    # Telegram later says Spanish (the app's language changed): the chat keeps its own.
    [reply] = await harness.send("/settings", user_={**user(), "language_code": "es"})
    assert chats.get(private()["id"]).lang == "de" and "Zeitzone" in reply.text


async def test_settings_lang_changes_the_language(harness: BotHarness) -> None:
    chats, me = harness.services.chats, private()["id"]
    [reply] = await harness.send("/settings lang es")
    assert chats.get(me).lang == "es" and "Idioma de este chat: Español" in reply.text
    [reply] = await harness.send("/settings lang klingon")
    assert chats.get(me).lang == "es" and "Elige un idioma" in reply.text
    assert "de (Deutsch)" in reply.text
    [reply] = await harness.send("/settings lang en")
    assert chats.get(me).lang == "en" and reply.text.startswith("✅ Language for this chat")
    [reply] = await harness.send("/settings lang DE")
    assert chats.get(me).lang == "de" and "Sprache für diesen Chat: Deutsch" in reply.text


async def test_the_command_menu_is_published_in_each_language(harness: BotHarness) -> None:
    default = json.dumps({"type": "default"})
    for lang in TRANSLATED:
        menu = harness.request.commands[f"{default}/{lang}"]
        assert [c["command"] for c in menu] == [c.name for c in COMMANDS if c.menu]
        t = translator(lang)
        assert [c["description"] for c in menu] == [t(c.description) for c in COMMANDS if c.menu]
        english = {c.description for c in COMMANDS}
        assert not english & {c["description"] for c in menu}, lang


def test_every_sentence_is_written_where_pybabel_finds_it() -> None:
    """``pybabel extract`` sees ``t("...")``, ``t.n(...)`` and ``N_("...")`` only: a sentence
    passed straight to ``tr(update, context)("...")`` or ``translator(x)("...")`` would never
    reach the catalogs (and stay English everywhere)."""
    hidden = re.compile(r"(?:\btr\(update, context\)|\btranslator\([^)]*\))\(\s*f?[\"']")
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "bot").rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if hidden.search(line)
    ]
    assert found == []
