"""Every command of the table, answered in German and in Spanish with no English left.

A chat set to the language with ``/settings lang`` sends each command of
:data:`bot.handlers.commands.COMMANDS` (with arguments that take it down its real path, as
tests/test_console.py does, then bare, then with a wrong argument), presses the buttons it
gets, and manages a linked channel; every reply, button and toast is checked by
:func:`tests.support.untranslated.english_left`: no fragment of an English msgid the
catalog does not write itself, and no English-only word outside ``<code>`` and commands.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest

from bot.console_chat import chat
from bot.handlers.commands import COMMANDS
from bot.messages import esc
from bot.settings import Settings
from tests.support.bot_harness import ADMIN_ID, BOT, BotHarness, group, private, user
from tests.support.command_examples import EXAMPLES as CONSOLE_EXAMPLES
from tests.support.untranslated import english_left

CHANNEL = -1007000000001
OWNER = ADMIN_ID  # the operator, who also owns the channel: /stats answers too
EXAMPLES = {**CONSOLE_EXAMPLES, "settings": "/settings quiet 22:00-07:00"}
WRONG = {  # a bad argument: the error replies are replies too
    "subscribe": "/subscribe nonsense",
    "alert": "/alert IWM/SPY crosses above 200d",  # a duplicate
    "delete": "/delete 99",
    "backtest": "/backtest",
    "chart": "/chart",
    "mute": "/mute forever",
    "channel": "/channel",
    "settings": "/settings colour blue",
}
MORE = [
    "/subscribe small_vs_large",
    "/subscribe sectors silent",
    "/subscribe rates cooldown 5",
    "/subscribe rates cooldown 500",
    "/subscribe breadth off",
    "/subscribe sectors on",
    "/export",
    "/export json",
    "/export xml",
    "/settings keep 365",
    "/settings keep all",
    "/settings keep forever",
    "/subscribe sectors silent cooldown 5",
    "/subscribe rates cooldown soon",
    "/export json",
    "/export xml",
    "/settings keep 365",
    "/settings keep 3",
    "/alert ^RUT record high",
    "/alerts",
    "/list",
    "/list @rotation_daily",
    "/subscribe @rotation_daily breadth",
    "/alert @rotation_daily ^RUT record high",
    "/settings @rotation_daily",
    "/channel list",
    "/chart sectors",
    "/chart XLE",
    "/backtest small_vs_large",
    "/settings tz Europe/Berlin",
    "/settings digest",
    "/mute off",
    "/nonsense",
    "/channel remove @rotation_daily",
]


def setup_channel(harness: BotHarness) -> None:
    harness.request.add_channel(CHANNEL, "rotation_daily", "Rotation Daily")
    harness.request.chat_members[(CHANNEL, OWNER)] = "creator"
    harness.request.chat_members[(CHANNEL, BOT["id"])] = {
        "status": "administrator",
        "can_post_messages": True,
    }


@pytest.mark.parametrize("lang", ["de", "es"])
async def test_every_command_answers_in_the_chats_language(harness: BotHarness, lang: str) -> None:
    setup_channel(harness)
    harness.app.bot_data.flood = None  # one person trying everything in a row is not a flood
    me, sender = private(OWNER), user(OWNER)
    await harness.send(f"/settings lang {lang}", me, sender)
    lines = [EXAMPLES.get(c.name, f"/{c.name}") for c in COMMANDS]
    lines += [f"/{c.name}" for c in COMMANDS if c.name in EXAMPLES]
    lines += list(WRONG.values()) + MORE
    shown: dict[str, list[str]] = {}
    for line in lines:
        answers_before = len(harness.request.callback_answers)
        sent = await harness.send(line, me, sender)
        assert sent or line == "/stop", f"{line}: no reply"
        texts = [s.text for s in sent] + [b["text"] for s in sent for b in s.buttons]
        for s in sent:  # press each button once, as a person trying them would
            for button in s.buttons[:3]:
                if button.get("callback_data", "").startswith(("forget:", "keep:")):
                    continue
                pressed = await harness.press(button["callback_data"], s, me, sender)
                texts += [p.text for p in pressed] + [b["text"] for p in pressed for b in p.buttons]
        texts += [a.get("text") or "" for a in harness.request.callback_answers[answers_before:]]
        shown[line] = texts
    assert harness.errors == []
    left = {line: english_left("\n".join(texts), lang) for line, texts in shown.items()}
    assert {line: words for line, words in left.items() if words} == {}


@pytest.mark.parametrize("lang", ["de", "es"])
async def test_a_group_hears_its_language(harness: BotHarness, lang: str) -> None:
    """A group set to the language: the welcome, /help, and the refusal a member gets."""
    room = group()
    harness.request.chat_members[(room["id"], 5)] = "administrator"
    harness.request.chat_members[(room["id"], 6)] = "member"
    admin, member = user(5), user(6)
    await harness.send(f"/settings lang {lang}", room, admin)
    texts = []
    lines = [("/start", admin), ("/help", member), ("/subscribe breadth", member),
             ("/list", member), ("/settings", member), ("/channel list", admin)]  # fmt: skip
    for line, who in lines:
        texts += [s.text for s in await harness.send(line, room, who)]
    joined = "\n".join(texts)
    assert english_left(joined, lang) == [], joined


MISTAKES = [  # the rule language's refusals (signals.parse) and a data source's reason
    "/alert IWM/SPY wobbles",
    "/alert ^RUT record high please",
    "/alert IWM/ crosses above 200d",
    "/alert IWM/SPY/IWD crosses above 200d",
    "/alert IWM",
    "/alert XLE drawdown",
    "/alert IWM/SPY beats by 3%",
    "/alert IWM/SPY crosses",
    "/alert ^TNX rrg",
    "/alert IWM/SPY crosses above 1d",
    "/alert XLE drawdown 150%",
    "/alert IWM/IWM crosses above 200d",
    "/alert IWM/SPY below 4",
    "/alert ^RUT record high quiet 9999",
    "/alert XLE rrg band 80",
    "/alert XLE rrg window 1",
    "/alert XLE rrg momentum 1",
    "/alert XLE rrg window 99",
    "/alert XLE rrg confirm 99",
    "/alert XLE rrg window 2.5",
    "/alert XLE rrg confirm 0",
    "/alert IWM/SPY crosses above 200d band 80",
    "/backtest XYZQ record high",
]


async def refusals(harness: BotHarness, lang: str, lines: list[str]) -> dict[str, list[str]]:
    harness.app.bot_data.flood = None
    me, sender = private(OWNER), user(OWNER)
    await harness.send(f"/settings lang {lang}", me, sender)
    left = {}
    for line in lines:
        [sent] = await harness.send(line, me, sender)
        left[line] = english_left(sent.text, lang)
    return left


@pytest.mark.parametrize("lang", ["de", "es"])
async def test_rule_mistakes_are_refused_in_the_language(harness: BotHarness, lang: str) -> None:
    left = await refusals(harness, lang, MISTAKES)
    assert {line: words for line, words in left.items() if words} == {}


def test_a_refusal_is_english_for_english_and_logs_and_translated_for_a_chat() -> None:
    """signals/ raises a Sentence: its text is the English (logs, the CLI, English chats);
    bot/rule_errors.py says it in a language; a plain str (Yahoo's own words) stays as it is."""
    from bot.i18n import translator
    from bot.rule_errors import translated
    from signals.parse import ParseError, parse_rule

    with pytest.raises(ParseError) as caught:
        parse_rule("XLE drawdown 150%")
    english = "a drawdown must be between 0% and 100%, not 150%. Example: XLE drawdown 20%."
    assert str(caught.value) == english
    assert translated(caught.value, translator("en")) == english
    assert translated(caught.value, translator("de")).startswith("ein Rückgang muss zwischen 0 %")
    odd = "HTTP Error 404: Not Found"
    assert translated(odd, translator("de")) == odd


@pytest.mark.parametrize("lang", ["de", "es"])
async def test_rotation_bot_chat_answers_every_command_in_the_language(
    tmp_path: Path, lang: str
) -> None:
    """``rotation-bot chat`` (bot/console_chat.py) after ``/settings lang``: each command of
    the table, as tests/test_console.py sends it, printed with no English left."""
    lines = [f"/settings lang {lang}"]
    lines += [CONSOLE_EXAMPLES.get(c.name, f"/{c.name}") for c in COMMANDS if c.name != "stop"]
    out = io.StringIO()
    replies: dict[str, str] = {}

    async def typed() -> AsyncIterator[str]:
        for line in lines:
            start = len(out.getvalue())
            yield line
            replies[line] = out.getvalue()[start:]

    settings = Settings(_env_file=None, database_path=tmp_path / "chat.sqlite")  # type: ignore[call-arg]
    assert await chat(settings, typed(), out, tmp_path / "charts") == 0
    # the saved chart's path is the test's folder ("/tmp/pytest-of-root/..."), not a reply
    shown = {
        line: "\n".join(
            x for x in text.splitlines() if "🖼" not in x and "📎" not in x
        )  # file paths
        for line, text in replies.items()
    }
    left = {line: english_left(esc(text), lang) for line, text in shown.items()}
    assert all(replies[line].strip() for line in lines)
    assert {line: words for line, words in left.items() if words} == {}


@pytest.mark.parametrize("lang", ["de", "es"])
@pytest.mark.parametrize("query", ["IWM/SPY", "^RUT", "sectors", "status", "IWM/", "XYZQ"])
async def test_inline_results_in_the_persons_language(
    harness: BotHarness, lang: str, query: str
) -> None:
    """Inline mode answers in the language of whoever types (their Telegram app's): every
    title, description, caption and message of every result."""
    answer = await harness.inline(query, 90210, lang)
    shown = []
    for result in answer["results"]:
        shown += [result.get(k) or "" for k in ("title", "description", "caption")]
        shown.append((result.get("input_message_content") or {}).get("message_text", ""))
    text = "\n".join(shown)
    assert text.strip() and english_left(text, lang) == [], text


# ---- bad data, as a chat hears of it -----------------------------------------------------------
# The data check's problems (market/validate.py) and a CSV file's mistakes (market/csvdir.py)
# are Sentences: English in logs and on the terminal, the chat's language in a chat.

BAD_DATA_LINES = [
    "/backtest IWM/SPY crosses above 50d",  # a gap, a bad print, a close held for a re-check
    "/backtest XLK/SPY crosses above 20d",  # XLK's data ends before the others'
    "/alert XLE record high",  # XLE.csv has a bad row
    "/chart XLE",
    "/chart XLF",  # no file
    "/chart XLK",  # too little history to draw
    "/backtest XLF record high",
    "/rrg",  # too little history for XLB, no data for the other sectors
]
SAID = {  # what must be said (so a reply that says nothing of the problem fails too)
    "en": ["gap in IWM", "is not a number", "too little history for XLK", "too little history:"],
    "de": ["Lücke in IWM", "ist keine Zahl", "zu wenig Historie für XLK", "zu wenig Historie:"],
    "es": ["hueco en IWM", "no es un número", "historial insuficiente para XLK",
           "historial insuficiente:"],
}  # fmt: skip


def bad_data_folder(folder: Path) -> Path:
    from tests.test_cli_bad_data import FRAME, write

    frame = FRAME[["IWM", "SPY"]].copy()
    frame.loc[frame.index[300:310], "IWM"] = float("nan")  # a gap of 10 sessions
    frame.iloc[400, 0] = -5.0  # an impossible close
    frame.iloc[-1, 0] *= 6  # a jump on the last session: held for a re-check
    frame["XLK"] = float("nan")
    frame.iloc[:10, 2] = 50.0 + np.arange(10)  # 10 sessions, then nothing
    frame["XLB"] = float("nan")
    frame.iloc[-40:, 3] = 70.0 + np.arange(40)  # 8 weeks: too few for relative rotation
    write(folder, frame)
    rows = ["Date,Close", "2021-06-28,80.5", "2021-06-29,abc", "2021-06-30,81.0"]
    (folder / "XLE.csv").write_text("\n".join(rows) + "\n")
    return folder


async def replies_to(harness: BotHarness, lang: str, lines: list[str]) -> dict[str, str]:
    harness.app.bot_data.flood = None
    me, sender = private(OWNER), user(OWNER)
    await harness.send(f"/settings lang {lang}", me, sender)
    return {line: "\n".join(s.text for s in await harness.send(line, me, sender)) for line in lines}


@pytest.mark.parametrize("lang", ["en", "de", "es"])
async def test_bad_data_is_told_in_the_chats_language(
    harness: BotHarness, tmp_path: Path, lang: str
) -> None:
    """A CSV source with a gap, a bad print, a held jump, a bad row, a missing file and
    short files: /backtest's data problems, /alert's and /chart's refusals, /rrg's notes."""
    from market.sources import open_provider

    folder = bad_data_folder(tmp_path / "kurse")
    harness.services.provider = open_provider(f"csv:{folder}")
    shown = await replies_to(harness, lang, BAD_DATA_LINES)
    assert harness.errors == []
    everything = "\n".join(shown.values())
    assert [x for x in SAID[lang] if x not in everything] == [], everything
    if lang == "en":
        return
    # the folder's path is the test's ("/tmp/pytest-of-root/..."), not a sentence
    left = {
        line: english_left(text.replace(str(folder), "DIR"), lang) for line, text in shown.items()
    }
    assert {line: words for line, words in left.items() if words} == {}, shown


@pytest.mark.parametrize("lang", ["de", "es"])
async def test_stats_tells_the_last_scans_problems_in_the_language(
    harness: BotHarness, tmp_path: Path, lang: str
) -> None:
    """The scan log keeps each problem's msgid and values (storage/scans.py), so /stats says
    a close held for a re-check and a missing file in the operator's language."""
    from bot.pipeline import run_scan
    from bot.schedule import scan_time
    from market.sources import open_provider
    from tests.test_cli_bad_data import jump_frame, write

    me, sender = private(OWNER), user(OWNER)
    await harness.send(f"/settings lang {lang}", me, sender)
    await harness.send("/subscribe small_vs_large", me, sender)
    await harness.send("/subscribe rates", me, sender)
    folder = write(tmp_path / "kurse", jump_frame())
    harness.services.provider = open_provider(f"csv:{folder}")
    day = dt.date(2021, 6, 29)
    report = await run_scan(harness.services, day, now=scan_time(day, 30), chart_maker=None)
    assert "IWM" in report.problems and len(report.problems) > 1
    [sent] = await harness.send("/stats", me, sender)
    text = sent.text.replace(str(folder), "DIR")
    assert "IWM" in text and {"de": "Schlusskurs", "es": "cierre"}[lang] in text, text
    assert english_left(text, lang) == [], text


@pytest.mark.parametrize("lang", ["de", "es"])
async def test_export_keeps_its_columns_and_codes_and_the_alerts_language(
    harness: BotHarness, lang: str
) -> None:
    """/export is for scripts: the same header and codes in every language (README, /export);
    its caption and the alerts' text are in the chat's language."""
    import csv

    from bot.handlers.export import CSV_COLUMNS
    from bot.pipeline import run_scan
    from bot.schedule import scan_time
    from tests.test_noise_e2e import firing_sessions

    me, sender = private(OWNER), user(OWNER)
    await harness.send(f"/settings lang {lang}", me, sender)
    await harness.send("/subscribe sectors", me, sender)
    day = firing_sessions("sectors", 1)[0]
    report = await run_scan(harness.services, day, now=scan_time(day, 30), chart_maker=None)
    assert report.messages
    [doc] = await harness.send("/export", me, sender)
    assert english_left(doc.text, lang) == [], doc.text
    data = harness.request.documents[-1]["data"].decode()
    header, *rows = list(csv.reader(io.StringIO(data)))
    assert tuple(header) == CSV_COLUMNS
    table = [dict(zip(header, row, strict=True)) for row in rows]
    assert {r["record"] for r in table} == {"alert", "subscription", "setting"}
    alerts = [r for r in table if r["record"] == "alert"]
    assert alerts and {r["status"] for r in alerts} == {"pending"}
    assert {r["name"] for r in alerts} <= {"rrg_quadrant", "digest_or_notice"}
    assert [r["text"] for r in alerts if english_left(r["text"], lang)] == []
    assert ("lang", lang) in {(r["name"], r["text"]) for r in table if r["record"] == "setting"}


@pytest.mark.parametrize("lang", ["de", "es"])
async def test_an_alert_fired_a_session_late_says_so_in_the_language(
    harness: BotHarness, tmp_path: Path, lang: str
) -> None:
    """A x6 close held on its evening, confirmed by the next: the alerts of the held session
    go out the next evening saying why they are late (bot.scanner.screen), in the language."""
    import pandas as pd

    from bot.pipeline import run_scan
    from bot.schedule import scan_time
    from market.sources import open_provider
    from tests.test_cli_bad_data import jump_frame, write

    me, sender = private(OWNER), user(OWNER)
    await harness.send(f"/settings lang {lang}", me, sender)
    await harness.send("/subscribe small_vs_large", me, sender)
    frame = jump_frame()
    frame.loc[pd.Timestamp("2021-06-30")] = [frame["IWM"].iloc[-1] * 1.01, frame["SPY"].iloc[-1]]
    harness.services.provider = open_provider(f"csv:{write(tmp_path / 'kurse', frame)}")
    day = dt.date(2021, 6, 30)
    report = await run_scan(harness.services, day, now=scan_time(day, 30), chart_maker=None)
    assert report.status == "ok" and report.messages
    bodies = [b for (b,) in harness.services.db.execute("SELECT body FROM outbox")]
    late = {"de": "einen Handelstag verspätet", "es": "con una sesión de retraso"}[lang]
    assert any(late in b for b in bodies), bodies
    assert [b for b in bodies if english_left(b, lang)] == []


@pytest.mark.parametrize("lang", ["de", "es"])
@pytest.mark.usefixtures("no_network")
def test_yahoos_no_data_reasons_are_said_in_the_language(fake, yf_cache, lang: str) -> None:
    """A ticker Yahoo rate-limits for ever, and one it does not know: /chart's reply (the
    reasons are market/yahoo.py's Sentences)."""
    from bot.handlers.chart import no_chart_html, parse_subject
    from bot.i18n import translator
    from tests.support.yahoo_fixtures import d, provider, serve_jan

    serve_jan(fake)
    fake.rate_limit("SPY")
    got = provider(fake, yf_cache, attempts=2).closes(
        ["SPY", "XYZQ", "QQQ"], d("2025-01-02"), d("2025-01-08")
    )
    assert set(got.missing) == {"SPY", "XYZQ"}
    text = no_chart_html(parse_subject("SPY/XYZQ"), dict(got.missing), translator(lang))
    gone = {"de": "nicht mehr gelistet", "es": "ya no cotiza"}[lang]  # "possibly delisted"
    assert "SPY" in text and gone in text and english_left(text, lang) == [], text
