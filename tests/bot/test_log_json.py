"""LOG_FORMAT=json: one JSON object per line, with the chat and scan session where known, and
the token scrubbed as in text logs."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.log_json import CHAT_ID, SESSION, JsonFormatter, log_context
from bot.logs import configure_logging
from bot.settings import Settings

TOKEN = "123456789:AAHfiqksKZ8WmR2zSjiQ7_v4TMAKdiHm9T0"


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    """A JSON-configured handler on a logger of its own (the root's are left as they were)."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    root = logging.getLogger()
    formatters = {h: h.formatter for h in root.handlers}
    filters = {h: list(h.filters) for h in root.handlers}
    settings = Settings(_env_file=None, log_format="JSON", telegram_bot_token=TOKEN)  # type: ignore[call-arg]
    configure_logging(settings, [handler])
    log = logging.getLogger("test.json")
    log.addHandler(handler)
    log.propagate = False
    try:
        yield out
    finally:
        log.removeHandler(handler)
        for h, f in formatters.items():
            h.setFormatter(f)
            h.filters = filters[h]


def lines(out: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


async def test_each_record_is_one_json_line_with_its_chat_and_session(
    stream: io.StringIO,
) -> None:
    log = logging.getLogger("test.json")
    log.info("plain")

    async def a_send(chat_id: int) -> None:  # each task names its own chat
        CHAT_ID.set(chat_id)
        await asyncio.sleep(0)
        log.warning("sent to %d", chat_id)

    with log_context(session="2026-11-27"):
        await asyncio.gather(a_send(1), a_send(-1002))
        log.info("scan done\nsecond line")
    log.info("about a chat", extra={"chat_id": 42})

    first, one, two, scan, extra = lines(stream)
    assert set(first) == {"time", "level", "logger", "message"}
    assert first["level"] == "INFO" and first["logger"] == "test.json"
    assert first["time"].endswith("+00:00") and "T" in first["time"]
    assert (one["chat_id"], one["session"], one["message"]) == (1, "2026-11-27", "sent to 1")
    assert (two["chat_id"], two["level"]) == (-1002, "WARNING")
    assert scan == {**scan, "session": "2026-11-27", "message": "scan done\nsecond line"}
    assert "chat_id" not in scan
    assert extra["chat_id"] == 42 and "session" not in extra
    assert CHAT_ID.get() is None and SESSION.get() is None  # nothing leaks out of a block


def test_the_token_is_scrubbed_from_message_and_traceback(stream: io.StringIO) -> None:
    log = logging.getLogger("test.json")
    log.info("GET https://api.telegram.org/bot%s/getMe", TOKEN)
    try:
        raise RuntimeError(f"connect failed for https://api.telegram.org/bot{TOKEN}/x")
    except RuntimeError:
        log.exception("request failed")
    text = stream.getvalue()
    assert TOKEN not in text and TOKEN.split(":")[1] not in text
    get, failed = lines(stream)
    assert get["message"] == "GET https://api.telegram.org/bot[REDACTED]/getMe"
    assert "RuntimeError" in failed["exception"] and "[REDACTED]" in failed["exception"]


def test_a_formatter_alone_needs_no_configuration() -> None:
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "a %s", ("b",), None)
    assert json.loads(JsonFormatter().format(record))["message"] == "a b"


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="log_format"):
        Settings(_env_file=None, log_format="xml")  # type: ignore[call-arg]
