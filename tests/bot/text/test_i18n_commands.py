"""Every command of the table, answered in German and in Spanish with no English left.

A chat set to the language with ``/settings lang`` sends each command of
:data:`bot.app.handlers.commands.COMMANDS` (with arguments that take it down its real path, as
tests/bot/cli/test_console.py does, then bare, then with a wrong argument), presses the buttons it
gets, and manages a linked channel; every reply, button and toast is checked by
:func:`tests.support.untranslated.english_left`: no fragment of an English msgid the
catalog does not write itself, and no English-only word outside ``<code>`` and commands.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app.handlers.commands import COMMANDS
from bot.cli.chat import chat
from bot.settings import Settings
from bot.text.alerts import esc
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
    bot/text/rules.py says it in a language; a plain str (Yahoo's own words) stays as it is."""
    from bot.text.i18n import translator
    from bot.text.rules import translated
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
    """``rotation-bot chat`` (bot/cli/chat.py) after ``/settings lang``: each command of
    the table, as tests/bot/cli/test_console.py sends it, printed with no English left."""
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
