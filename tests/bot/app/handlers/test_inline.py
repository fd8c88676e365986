"""Inline mode (``@bot IWM/SPY`` in any chat), end to end: the real Application over the fake
Bot API — in-process (the harness) and over HTTP with polling — on the synthetic sample.

The fake answers answerInlineQuery only for a query id it issued and not yet answered, and
refuses results Telegram refuses (bot/fake_api/wire.py: check_inline_answer). The npm emulator
(telegram-test-api 4.2.1) has no inline queries at all: no client route sends one and
answerInlineQuery is not among its methods, so these tests use the project's fake only.
"""

from __future__ import annotations

import asyncio
import json
import time

import pandas as pd
import pytest

from bot.app.application import ALLOWED_UPDATES, build_application
from bot.app.flood import FloodControl
from bot.app.handlers.inline import TRY
from bot.fake_api import Fault, LocalBotApi
from bot.fake_api.server import FakeBotApi
from market.sample import SampleProvider
from tests.support.bot_fixtures import make_services
from tests.support.bot_harness import USER_ID, BotHarness
from tests.support.e2e import polling

pytestmark = pytest.mark.timeout(120)

STORE = -1001234567  # INLINE_CHAT_ID: where each chart is posted once
STRANGER = 9191  # never started the bot


async def started(**settings: object) -> BotHarness:
    return await BotHarness.start(make_services(**settings))


def sample_ratio(a: str, b: str) -> pd.Series:
    frame = SampleProvider().closes([a, b], None, SampleProvider.last_session).frame
    return frame[a] / frame[b]


async def test_a_pair_offers_its_summary_and_the_dashboard_without_a_chat_row(harness):
    answer = await harness.inline("iwm / spy", STRANGER)

    chart, board = answer["results"]
    ratio = sample_ratio("IWM", "SPY")
    month = (ratio.iloc[-1] / ratio.iloc[-22] - 1) * 100
    average = (ratio.iloc[-1] / ratio.iloc[-200:].mean() - 1) * 100
    assert chart["type"] == "article"  # no INLINE_CHAT_ID: the summary, no picture
    assert chart["description"] == (
        f"IWM/SPY {ratio.iloc[-1]:.4f} · "
        f"{'above' if average >= 0 else 'below'} its 200-day average ({average:+.1f}%) · "
        f"{month:+.1f}% in a month"
    )
    text = chart["input_message_content"]["message_text"]
    assert text.startswith(f"<b>{chart['description']}</b>\n📈 <b>IWM/SPY</b>")
    assert "/chart IWM/SPY in a chat with @RotationTestBot draws it." in text
    assert "Synthetic sample data" in text
    assert board["title"] == "📊 Rotation dashboard"
    # in the asker's language, so never handed by Telegram to someone else typing the same
    assert (answer["cache_time"], answer.get("is_personal", False)) == (300, True)
    assert answer["button"] == {"text": "Get alerts: open the bot", "start_parameter": "inline"}
    assert harness.services.chats.get(STRANGER) is None  # nothing stored about them
    assert harness.request.sent == [] and not harness.errors


async def test_status_offers_the_same_dashboard_as_the_command(harness):
    answer = await harness.inline("status")
    [reply] = await harness.send("/status")

    [board] = answer["results"]
    assert board["input_message_content"]["message_text"] == reply.text
    assert "Valuation" in reply.text


async def test_an_empty_query_offers_the_dashboard_and_what_to_type(harness):
    answer = await harness.inline("")

    titles = [r["title"] for r in answer["results"]]
    assert titles == ["📊 Rotation dashboard", "Type a chart after my name"]
    assert answer["results"][1]["description"] == TRY


@pytest.mark.parametrize(
    ("query", "title", "description"),
    [
        ("IWM/", "Can't chart IWM/: a pair has two tickers, like IWM/SPY.", TRY),
        ("SPY/SPY", "Can't chart SPY/SPY: SPY/SPY is a ticker against itself (always 1).", TRY),
        ("a/b/c", "Can't chart a/b/c: a pair has two tickers, like IWM/SPY, not 3.", TRY),
        (
            "ZZZZ",
            "No market data for ZZZZ",
            "not in the synthetic sample (it covers the preset tickers only). " + TRY,
        ),
    ],
)
async def test_a_bad_query_gets_one_hint_asked_again_soon(harness, query, title, description):
    answer = await harness.inline(query)

    [hint] = answer["results"]
    assert (hint["title"], hint["description"]) == (title, description)
    assert "IWM/SPY" in hint["input_message_content"]["message_text"]
    assert answer["cache_time"] == 10


async def test_with_a_store_chat_each_chart_is_uploaded_once_and_offered_by_file_id():
    bot = await started(inline_chat_id=STORE)
    try:
        first, second = await asyncio.gather(bot.inline("^RUT", 1), bot.inline("^rut", 2))
        third = await bot.inline("^RUT", 3)
        sectors = await bot.inline("sectors", 4)
    finally:
        await bot.stop()

    posted = [p for p in bot.request.photos if p["chat_id"] == STORE]
    assert len(posted) == 2 and all(p["data"][:4] == b"\x89PNG" for p in posted)
    assert posted[0]["disable_notification"] is True
    rut = bot.request.messages[STORE][0]["photo"][-1]["file_id"]
    for answer in (first, second, third):
        photo = answer["results"][0]
        assert (photo["type"], photo["photo_file_id"]) == ("photo", rut)
        assert photo["caption"].startswith("<b>^RUT ")
        assert "below its record close" in photo["caption"] or "at a record" in photo["caption"]
    assert first["results"][0]["id"] == third["results"][0]["id"]
    assert len(first["results"][0]["id"].encode()) <= 64
    photo = sectors["results"][0]
    assert photo["photo_file_id"] == bot.request.messages[STORE][1]["photo"][-1]["file_id"]
    assert photo["description"].startswith("Leading: ")
    assert not bot.errors


async def test_a_store_chat_that_refuses_the_bot_leaves_the_summary():
    bot = await started(inline_chat_id=STORE)
    bot.request.fail_chat(STORE, Fault.forbidden())
    try:
        answer = await bot.inline("XLE")
    finally:
        await bot.stop()

    assert answer["results"][0]["type"] == "article"
    assert answer["results"][0]["description"].startswith("XLE ")
    assert not bot.errors


async def test_past_the_persons_chart_budget_the_answer_is_text_and_theirs_alone():
    bot = await started(inline_chat_id=STORE)
    bot.app.bot_data.flood = FloodControl(clock=lambda: 0.0)  # time stands still
    try:
        drawn = [await bot.inline(q) for q in ("XLE", "XLK", "XLF", "XLV")]
        over = await bot.inline("XLU")
        cached = await bot.inline("XLE")  # already drawn: no budget needed
        other = await bot.inline("XLU", USER_ID + 1)  # someone else's budget
    finally:
        await bot.stop()

    assert [a["results"][0]["type"] for a in drawn] == ["photo"] * 4
    assert over["results"][0]["type"] == "article"
    assert (over["cache_time"], over["is_personal"]) == (10, True)
    assert cached["results"][0]["type"] == "photo"
    assert other["results"][0]["type"] == "photo"
    assert len(bot.request.photos) == 5


async def test_inline_queries_pass_flood_control_per_person(harness):
    harness.app.bot_data.flood = FloodControl(clock=lambda: 0.0)
    for _ in range(20):
        await harness.inline("status")
    slow = await harness.inline("status")
    [warning] = slow["results"]
    assert warning["title"] == "🐢 Slow down a little"
    assert (slow["cache_time"], slow["is_personal"]) == (0, True)
    with pytest.raises(AssertionError, match="not answered"):
        await harness.inline("status")  # after the one warning: silence
    assert (await harness.inline("status", USER_ID + 1))["results"][0]["title"].startswith("📊")


async def test_over_http_a_polling_bot_answers_an_inline_query():
    async with FakeBotApi(max_long_poll=0.2) as api:
        services = make_services(telegram_base_url=api.base_url)
        app = build_application(services, token="123456:FAKE", with_jobs=False)
        async with polling(app, timeout=1):
            update = api.add_inline_query(STRANGER, "IWM/SPY")
            deadline = time.monotonic() + 60
            while not api.inline_answers:
                assert time.monotonic() < deadline, "no answer to the inline query"
                await asyncio.sleep(0.02)
    answer = api.inline_answer(update["inline_query"]["id"])
    assert [r["title"] for r in answer["results"]] == [
        "📈 IWM/SPY chart (summary)",
        "📊 Rotation dashboard",
    ]
    assert api.bot_user["supports_inline_queries"] is True
    assert "inline_query" in ALLOWED_UPDATES
    assert services.chats.get(STRANGER) is None


# -- the fake's answerInlineQuery refuses what Telegram refuses ----------------------------------
def article(rid: str, text: str = "hi", **extra: object) -> dict[str, object]:
    content = {"message_text": text, **extra}
    return {"type": "article", "id": rid, "title": "t", "input_message_content": content}


async def answer(api: LocalBotApi, query_id: str, results: list, **params: object) -> tuple:
    status, body = await api.handle(
        "answerInlineQuery", {"inline_query_id": query_id, "results": results, **params}
    )
    return status, json.loads(body).get("description", "")


@pytest.mark.parametrize(
    ("results", "params", "refusal"),
    [
        ([article(str(n)) for n in range(51)], {}, "RESULTS_TOO_MUCH"),
        ([article("x" * 65)], {}, "RESULT_ID_INVALID"),
        ([article("")], {}, "RESULT_ID_INVALID"),
        ([article("a"), article("a")], {}, "RESULT_ID_DUPLICATE"),
        ([{"type": "photo", "id": "p"}], {}, "field 'photo_file_id'"),
        ([{"type": "gif", "id": "g"}], {}, "result type 'gif' not supported"),
        ([article("a", "<b>open", parse_mode="HTML")], {}, "can't parse entities"),
        ([article("a", "x" * 4097)], {}, "message is too long"),
        ([article("a")], {"cache_time": -1}, "cache_time"),
        ([article("a")], {"button": {"text": "go", "start_parameter": "a b"}}, "START_PARAM"),
    ],
)
async def test_the_fake_refuses_answers_telegram_refuses(results, params, refusal):
    api = LocalBotApi()
    query = api.new_inline_query(1, "x")
    status, description = await answer(api, query["id"], results, **params)
    assert status == 400 and refusal in description
    assert (await answer(api, query["id"], [article("ok")]))[0] == 200  # still open


async def test_the_fake_takes_one_answer_per_query_it_issued():
    api = LocalBotApi()
    query = api.new_inline_query(1, "x")
    assert await answer(api, query["id"], [article(str(n)) for n in range(50)]) == (200, "")
    status, description = await answer(api, query["id"], [])
    assert status == 400 and "query is too old" in description
    assert (await answer(api, "424242", []))[0] == 400


# -- rotation-bot chat --------------------------------------------------------------------------
async def test_the_console_shows_inline_results_for_an_at_line(tmp_path):
    import io

    from bot.cli.chat import chat
    from bot.settings import Settings

    config = Settings(  # type: ignore[call-arg]
        _env_file=None, database_path=tmp_path / "chat.sqlite", data_source="sample"
    )
    out = io.StringIO()
    lines = io.StringIO("@rotation_demo_bot XLE\n@bot IWM/\n")
    assert await chat(config, lines, out, tmp_path / "charts") == 0

    shown = out.getvalue()
    assert "⌨ inline results (2):\n  [1] 📈 XLE chart (summary) — XLE " in shown
    assert "  [2] 📊 Rotation dashboard — " in shown
    assert "↳ tapping [1] posts:\n    XLE " in shown
    assert "[1] Can't chart IWM/: a pair has two tickers, like IWM/SPY. — " + TRY in shown
    assert "no reply" not in shown


# -- in the person's language -------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["de", "es"])
async def test_results_speak_the_persons_telegram_language(harness, lang):
    from bot.text.i18n import translator
    from tests.support.untranslated import english_left

    t = translator(lang)
    chart, board = (await harness.inline("IWM/SPY", STRANGER, lang))["results"]
    [hint] = (await harness.inline("IWM/", STRANGER, lang))["results"]
    [alone] = (await harness.inline("status", STRANGER, lang))["results"]

    assert board["title"] == t("📊 Rotation dashboard") != "📊 Rotation dashboard"
    assert chart["title"] == t(
        "{title} (summary)", title=t("📈 {subject} chart", subject="IWM/SPY")
    )
    assert hint["description"] == t(TRY) != TRY
    # the reason after the colon is /chart's parser's (SubjectError), in its language
    assert hint["title"].startswith(t("Can't chart {subject}: {why}", subject="IWM/", why=""))
    shown = [chart["title"], chart["description"], board["description"], hint["description"]]
    assert all(english_left(text, lang) == [] for text in shown), shown
    from bot.app.handlers.status import valuation_lines

    [valuation] = valuation_lines({}, harness.services.provider.name, t)  # "n/a" in the language
    assert valuation in alone["input_message_content"]["message_text"]
    assert english_left(valuation, lang) == [], valuation
    assert harness.services.chats.get(STRANGER) is None


class Counting:
    """The sample, counting each fetch of closes by the tickers asked for."""

    name, synthetic = "sample", True
    last_session = SampleProvider.last_session

    def __init__(self) -> None:
        self.inner = SampleProvider()
        self.fetched: list[tuple[str, ...]] = []

    def closes(self, tickers, start, end):
        self.fetched.append(tuple(tickers))
        return self.inner.closes(tickers, start, end)


async def test_an_answer_is_computed_once_per_session_and_language_even_for_a_crowd():
    services = make_services(inline_chat_id=STORE)
    services.provider = source = Counting()
    bot = await BotHarness.start(services)
    try:
        crowd = await asyncio.gather(*(bot.inline("XLK", 500 + n) for n in range(10)))
        later = await bot.inline(" xlk ", 600)
        german = await bot.inline("XLK", 601, "de")
    finally:
        await bot.stop()

    assert source.fetched.count(("XLK",)) == 2  # English once (the crowd and later), German once
    assert all(a["results"] == crowd[0]["results"] for a in [*crowd, later])
    # one upload per language: the German chart has its words drawn in German
    assert [p["chat_id"] for p in bot.request.photos] == [STORE, STORE]
    assert german["results"][0]["photo_file_id"] != crowd[0]["results"][0]["photo_file_id"]
    assert german["results"][0]["caption"] != crowd[0]["results"][0]["caption"]
