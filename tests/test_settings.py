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
