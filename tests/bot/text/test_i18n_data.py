"""Bad data, the scan log, /export and Yahoo's reasons, in German and in Spanish with no English
left (tests/test_i18n_commands.py sends every command; these build the data that takes a
reply down its rarer paths).

The data check's problems (market/validate.py), a CSV file's mistakes (market/csvdir.py), the
scanner's stale and late notes and Yahoo's no-data reasons are
:class:`signals.sentence.Sentence`: English in logs and on the terminal, the chat's language in
a chat (bot/text/rules.py).
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import numpy as np
import pytest

from tests.support.bot_harness import ADMIN_ID, BotHarness, private, user
from tests.support.untranslated import english_left

OWNER = ADMIN_ID  # the operator: /stats answers too

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
    from tests.support.bad_data import FRAME, write

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
    from bot.app.jobs import scan_time
    from bot.evening.pipeline import run_scan
    from market.sources import open_provider
    from tests.support.bad_data import jump_frame, write

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

    from bot.app.handlers.export import CSV_COLUMNS
    from bot.app.jobs import scan_time
    from bot.evening.pipeline import run_scan
    from tests.support.sample_variants import firing_sessions

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
    go out the next evening saying why they are late (bot.evening.evaluate.screen), in the
    language."""
    import pandas as pd

    from bot.app.jobs import scan_time
    from bot.evening.pipeline import run_scan
    from market.sources import open_provider
    from tests.support.bad_data import jump_frame, write

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
    late = {
        "de": "einen Handelstag verspätet: IWM bewegte sich am 29.06.2021 stark",
        "es": "con una sesión de retraso: IWM se movió mucho el 29 jun 2021",
    }[lang]
    assert any(late in b for b in bodies), bodies
    assert [b for b in bodies if english_left(b, lang)] == []


@pytest.mark.parametrize("lang", ["de", "es"])
@pytest.mark.usefixtures("no_network")
def test_yahoos_no_data_reasons_are_said_in_the_language(fake, yf_cache, lang: str) -> None:
    """A ticker Yahoo rate-limits for ever, and one it does not know: /chart's reply (the
    reasons are market/yahoo.py's Sentences)."""
    from bot.app.handlers.chart import no_chart_html, parse_subject
    from bot.text.i18n import translator
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
