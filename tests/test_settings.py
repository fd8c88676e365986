"""Settings: defaults work offline; the token is validated and never printed."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Settings

TOKEN = "123456789:AAHfiqksKZ8WmR2zSjiQ7_v4TMAKdiHm9T0"


def test_defaults_need_no_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    s = Settings()
    assert s.data_source == "sample" and s.admins == frozenset()
    with pytest.raises(ValueError, match="TELEGRAM_BOT_TOKEN is not set"):
        s.token()


def test_token_from_env_file_is_hidden_in_repr(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text(f"TELEGRAM_BOT_TOKEN={TOKEN}\nADMIN_IDS=11, 22\n")
    s = Settings()
    assert s.token() == TOKEN
    assert TOKEN not in repr(s) and TOKEN not in str(s.model_dump())
    assert s.admins == frozenset({11, 22})


def test_malformed_token_is_a_one_line_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "not-a-token")
    with pytest.raises(ValueError, match="does not look like a bot token") as err:
        Settings().token()
    assert "not-a-token" not in str(err.value) and "\n" not in str(err.value)


def test_bad_admin_ids_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_IDS", "12,bob")
    with pytest.raises(ValueError, match="ADMIN_IDS must be numeric"):
        Settings()


@pytest.mark.parametrize(
    "given",
    [
        "http://127.0.0.1:8081",
        "http://127.0.0.1:8081/",
        "http://127.0.0.1:8081/bot",
        "http://127.0.0.1:8081/bot/",
        " http://127.0.0.1:8081/bot ",
    ],
)
def test_the_base_url_is_taken_with_or_without_slash_and_bot(given: str) -> None:
    s = Settings(_env_file=None, telegram_base_url=given)  # type: ignore[call-arg]
    assert s.bot_api_url() == "http://127.0.0.1:8081/bot"


def test_a_base_url_under_a_path_keeps_it() -> None:
    s = Settings(_env_file=None, telegram_base_url="https://proxy.example/tg/")  # type: ignore[call-arg]
    assert s.bot_api_url() == "https://proxy.example/tg/bot"
    assert Settings(_env_file=None).bot_api_url() is None  # type: ignore[call-arg]


@pytest.mark.parametrize(
    "given", ["127.0.0.1:8081", "ftp://host/bot", "http:///bot", "http://host:port/bot"]
)
def test_a_malformed_base_url_is_one_line(given: str) -> None:
    s = Settings(_env_file=None, telegram_base_url=given)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="TELEGRAM_BASE_URL") as raised:
        s.bot_api_url()
    assert "\n" not in str(raised.value)
