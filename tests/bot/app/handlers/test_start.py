"""/start, /help, unknown commands, and what the bot does at start-up (post_init)."""

from __future__ import annotations

import inspect
import json

from bot.app.handlers.commands import COMMANDS, Later, handlers
from bot.app.handlers.topics import TOPICS
from tests.support.bot_harness import ADMIN_ID, BOT, BotHarness, group, private, user


async def test_start_welcomes_with_what_it_watches_and_three_commands(harness: BotHarness) -> None:
    [reply] = await harness.send("/start")
    for words in ("rotation", "small vs large", "value vs growth", "Russell 2000", "yields"):
        assert words in reply.text
    for command in ("/signals", "/alert IWM/SPY crosses above 200d", "/status"):
        assert command in reply.text
    assert "Synthetic" in reply.text  # the sample market is labelled wherever it is shown
    chat = harness.services.chats.get(private()["id"])
    assert chat is not None and chat.kind == "private" and chat.title is None


async def test_help_lists_every_advertised_command_of_the_table(harness: BotHarness) -> None:
    [reply] = await harness.send("/help")
    for c in COMMANDS:
        assert (f"/{c.name} — " in reply.text) == c.menu, c.name
    assert "/stats" not in reply.text


async def test_start_up_publishes_the_table_and_syncs_topics(harness: BotHarness) -> None:
    request = harness.request
    assert harness.services.bot_username == BOT["username"]
    default = request.commands[json.dumps({"type": "default"})]
    assert [c["command"] for c in default] == [c.name for c in COMMANDS if c.menu]
    operator = request.commands[json.dumps({"chat_id": ADMIN_ID, "type": "chat"}, sort_keys=True)]
    assert [c["command"] for c in operator] == [c.name for c in COMMANDS]
    rows = harness.services.db.execute("SELECT count(DISTINCT topic) FROM topic_rules")
    assert rows.fetchone()[0] == len(TOPICS)


async def test_unknown_commands(harness: BotHarness) -> None:
    [reply] = await harness.send("/frobnicate now")
    assert "I don't know /frobnicate" in reply.text and "/help" in reply.text
    room = group()
    assert await harness.send("/frobnicate", room) == []  # may be another bot's command
    assert await harness.send(f"/start@{BOT['username']}x", room) == []
    assert await harness.send("/start@SomeOtherBot", room) == []
    [reply] = await harness.send(f"/frobnicate@{BOT['username']}", room)
    assert "I don't know /frobnicate" in reply.text


async def test_commands_addressed_to_the_bot_work_in_groups(harness: BotHarness) -> None:
    [reply] = await harness.send(f"/start@{BOT['username']}", group(), user(5))
    assert "Administrators choose" in reply.text
    assert harness.services.chats.get(group()["id"]).kind == "group"


async def test_an_edited_command_is_not_run_again(harness: BotHarness) -> None:
    message = {
        "message_id": 1, "date": 0, "edit_date": 1, "chat": private(), "from": user(),
        "text": "/start", "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
    }  # fmt: skip
    assert await harness.process({"edited_message": message}) == []
    assert harness.errors == []


def test_every_handler_named_in_the_tables_is_a_coroutine_function_there() -> None:
    """The tables name their handlers as ``module:function`` (imported at the first update):
    a misspelt or moved one fails here, not at a person's command."""
    later = [h.callback for h in handlers() if isinstance(h.callback, Later)]
    assert len(later) > len(COMMANDS)
    for callback in later:
        assert inspect.iscoroutinefunction(callback.load()), callback
