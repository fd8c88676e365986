"""The words drawn inside chart images follow the chat's language.

Each chart is drawn in German and Spanish and every text on its figure (title, subtitle,
badge, legend, axis labels and ticks, annotations, the sector key) is read before it
becomes a PNG: none may hold an English sentence or month that the language writes
differently. Alerts get the chart in their chat's language, in a file of its own (so the
delivery worker's file_id cache, keyed by file, never hands one language's picture to
another), and inline answers keep a file_id per language.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text
from PIL import Image

from bot import charts
from bot.app.jobs import scan_time
from bot.charts import canvas
from bot.evening.pipeline import chart_path, run_scan
from bot.text import names
from bot.text.i18n import translator
from market.sample import sample_closes
from signals import rrg
from signals.catalogue import KINDS
from signals.engine import evaluate
from signals.events import Event
from signals.presets import all_preset_rules
from tests.support.pipeline_support import add_chat, make_services, rows, sync_topics

pytestmark = pytest.mark.timeout(600)

CHART_MSGIDS = [
    "SYNTHETIC",
    "last close {day}",
    "{level}, {change} points in a month",
    "Drawdown from the 52-week high",
    "52-week high",
    "record close",
    "alert level",
    "{close}, a record close",
    "{close}, {below} below record ({when})",
    "ratio {value}",
    "{value}, {gap} above {window}-day",
    "{value}, {gap} below {window}-day",
    "{window}-day",
    "crosses {window}-day",
    "correction",
    "bear market",
    "weekly, {n}-week tails",
    "weekly to {day}, {n}-week tails",
    "relative rotation (JdK-style) vs {benchmark}",
    "Sectors",
    "RS-Ratio: relative trend →",
    "↑ RS-Momentum: change in trend",
    "Comms",
    "Tech",
    "Staples",
    "no data:",
    "{a} vs {b}",
    *rrg.NAMES,
    *names.NAMES,
]
"""Every msgid a chart draws (its own, the quadrants, the sector and pair names)."""
MONTHS = [dt.date(2025, m, 1).strftime("%b") for m in range(1, 13)]


def english_pieces(lang: str) -> list[re.Pattern[str]]:
    """The English words of each chart msgid (its text between the ``{fields}``) that the
    language translates differently; and the English months the language names otherwise."""
    t = translator(lang)
    pieces = []
    for msgid in CHART_MSGIDS:
        if t(msgid) == msgid:
            continue  # the same word in both languages ("Tech" would be; "ratio" in Spanish)
        for part in re.split(r"\{\w+\}", msgid):
            if len(re.sub(r"\W", "", part)) >= 3:
                pieces.append(re.compile(r"(?<!\w)" + re.escape(part.strip()) + r"(?!\w)"))
    from babel.dates import format_date

    for month in range(1, 13):
        day = dt.date(2025, month, 1)
        if format_date(day, "LLL", locale=lang) != MONTHS[month - 1]:
            pieces.append(re.compile(rf"^{MONTHS[month - 1]}$"))
    return pieces


def drawn_texts(draw: Callable[[], bytes | None]) -> tuple[list[str], bytes | None]:
    """Every visible text of the figure ``draw`` makes (tick labels included), and its PNG."""
    seen: list[str] = []

    def look(fig: Figure) -> None:
        fig.canvas.draw()  # tick labels are written at drawing time
        seen.extend(
            t.get_text() for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()
        )

    with canvas.inspecting(look):
        png = draw()
    return seen, png


def sample_events() -> list[Event]:
    """The latest event of every kind the presets fire on the sample."""
    closes = sample_closes()
    from market import calendar

    found = evaluate(all_preset_rules(), closes, calendar.context(closes.index), start="2025-06-01")
    return list({e.kind: e for e in found.events}.values())


def cases(lang: str) -> dict[str, Callable[[], bytes | None]]:
    closes = sample_closes()
    no_xlc = closes.drop(columns=["XLC"])
    out: dict[str, Callable[[], bytes | None]] = {
        "ratio": lambda: charts.ratio_chart(
            closes, "IWM", "SPY", synthetic=True, highlight=dt.date(2026, 6, 1), lang=lang
        ),
        "price": lambda: charts.price_chart(
            closes, "^RUT", synthetic=True, alert_drawdown=15.0, lang=lang
        ),
        "below record": lambda: charts.price_chart(closes.loc[:"2026-03-31"], "XLE", lang=lang),
        "yield": lambda: charts.price_chart(
            closes, "^TNX", synthetic=True, levels=(4.25,), lang=lang
        ),
        "sectors, one missing": lambda: charts.rrg_chart(
            no_xlc, (*charts.SECTORS,), synthetic=True, lang=lang
        ),
        "sectors, week before": lambda: charts.rrg_chart(
            closes.loc[:"2026-10-28"], synthetic=True, lang=lang
        ),
        "subject": lambda: charts.chart_for_subject("XLE/SPY", closes, lang=lang),
    }
    for event in sample_events():
        out[f"event {event.kind}"] = lambda e=event: charts.chart_for_event(
            e, closes, synthetic=True, lang=lang
        )
    return out


@pytest.mark.parametrize("lang", ["de", "es"])
def test_no_english_is_drawn_on_a_chart_in_another_language(lang: str) -> None:
    pieces = english_pieces(lang)
    assert len(pieces) > 30
    kinds = set()
    for name, draw in cases(lang).items():
        texts, png = drawn_texts(draw)
        assert png is not None and texts, name
        left = [(text, p.pattern) for text in texts for p in pieces if p.search(text)]
        assert left == [], f"{lang} {name}: English left on the chart: {left}"
        kinds.add(name.split()[0].rstrip(","))
    assert {"event", "ratio", "price", "yield", "sectors"} <= kinds
    assert {e.kind for e in sample_events()} == set(KINDS)  # every kind's chart was drawn


def test_the_language_shows_in_words_numbers_and_months() -> None:
    """Not just "no English": the German chart says it in German, with German numbers."""
    closes = sample_closes()
    texts, png = drawn_texts(lambda: charts.price_chart(closes, "^TNX", levels=(4.25,), lang="de"))
    joined = "\n".join(texts)
    assert "Schluss 30.10.2026" in joined
    assert "4,25\xa0%" in joined  # the alert level's label
    assert any(re.fullmatch(r"(Jan|Feb|Mär|Apr|Mai|Jun|Jul|Aug|Sep|Okt|Nov|Dez)", t) for t in texts)
    sectors, png = drawn_texts(lambda: charts.rrg_chart(closes, synthetic=True, lang="es"))
    assert "Sectores — rotación relativa vs. S&P 500" in sectors  # said shorter, never cut
    assert "SINTÉTICO" in sectors
    assert png is not None
    description = Image.open(io.BytesIO(png)).text["Description"]
    assert "datos de muestra sintéticos" in description


def test_english_is_still_the_default() -> None:
    closes = sample_closes()
    default = charts.ratio_chart(closes, "IWM", "SPY", synthetic=True)
    assert default == charts.ratio_chart(closes, "IWM", "SPY", synthetic=True, lang="en")
    assert default != charts.ratio_chart(closes, "IWM", "SPY", synthetic=True, lang="de")


def test_a_chart_file_is_never_shared_by_two_languages(tmp_path: Path) -> None:
    event = sample_events()[0]
    paths = {lang: chart_path(tmp_path, event, lang) for lang in ("en", "de", "es")}
    assert len(set(paths.values())) == 3
    assert paths["en"] == chart_path(tmp_path, event)  # English keeps its file name


async def test_an_alert_carries_the_chart_in_its_chats_language(tmp_path: Path) -> None:
    """Chats in English, German and Spanish on the same preset: each alert's chart is a file
    drawn in that chat's language (its PNG Title says so), one file per language."""
    services = make_services(charts_dir=tmp_path)
    sync_topics(services)
    for chat_id, lang in ((1, "en"), (2, "de"), (3, "es"), (4, "de")):
        add_chat(services, chat_id, topics=["preset:russell_records"])
        services.chats.update(chat_id, lang=lang)
    day = dt.date(2026, 6, 10)  # ^RUT's record close
    report = await run_scan(services, day, now=scan_time(day, 30))
    assert report.new > 0
    sent = rows(
        services,
        "SELECT o.chat_id, o.chart FROM outbox o WHERE o.chart IS NOT NULL ORDER BY o.chat_id",
    )
    by_chat: dict[int, set[str]] = {}
    for chat_id, chart in sent:
        by_chat.setdefault(chat_id, set()).add(chart)
    assert set(by_chat) == {1, 2, 3, 4}
    assert by_chat[2] == by_chat[4]  # one German file, shared by the German chats
    assert len({frozenset(by_chat[c]) for c in (1, 2, 3)}) == 3
    expected = {1: "last close 2026-06-10", 2: "Schluss 10.06.2026", 3: "cierre 10 jun 2026"}
    for chat_id, words in expected.items():
        for chart in by_chat[chat_id]:
            description = Image.open(chart).text["Description"]
            assert words in description, (chat_id, description)
