"""Settings: defaults work offline; the token is validated and never printed."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Settings
from tests.support.cli import run

TOKEN = "123456789:AAHfiqksKZ8WmR2zSjiQ7_v4TMAKdiHm9T0"


def test_defaults_need_no_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    s = Settings()
    assert s.data_source is None and s.admins == frozenset()
    assert s.source_for("sample") == "sample" and s.source_for("yahoo") == "yahoo"
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


CLEARED = ("DATA_SOURCE", "DATABASE_PATH", "TELEGRAM_BOT_TOKEN", "DEFAULT_TIMEZONE", "LOG_LEVEL")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DEFAULT_TIMEZONE", "Berlin"),
        ("DEFAULT_TIMEZONE", "Europe/Nowhere"),
        ("DEFAULT_TIMEZONE", "../../etc/passwd"),
        ("LOG_LEVEL", "verbose"),
        ("LOG_LEVEL", "warn"),
        ("DATA_SOURCE", "yahooo"),
        ("DATA_SOURCE", "csv:"),
        ("METRICS_LISTEN", "http://0.0.0.0:9000"),
        ("METRICS_LISTEN", "999.1.1.1"),
        ("WEBHOOK_LISTEN", "127.0.0.1:8443"),
    ],
)
def test_a_malformed_setting_is_one_line_naming_it_and_status_2(
    name: str, value: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:  # fmt: skip
    """Every command, as a newcomer types it: ``scan`` loads the settings before anything."""
    monkeypatch.chdir(tmp_path)
    for cleared in CLEARED:
        monkeypatch.delenv(cleared, raising=False)
    monkeypatch.setenv(name, value)
    code, out, err = run(capsys, "scan")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith(f"rotation-bot: error: {name} must be ")
    assert repr(value) in err and "Value error" not in err


@pytest.mark.parametrize(
    ("name", "value", "read"),
    [
        ("DEFAULT_TIMEZONE", " Europe/Berlin ", "Europe/Berlin"),
        ("DEFAULT_TIMEZONE", "UTC", "UTC"),
        ("LOG_LEVEL", "debug", "DEBUG"),
        ("LOG_LEVEL", "Critical", "CRITICAL"),
        ("DATA_SOURCE", " yahoo ", "yahoo"),
        ("DATA_SOURCE", "csv:/srv/closes", "csv:/srv/closes"),
        ("DATA_SOURCE", "", None),
        ("METRICS_LISTEN", "0.0.0.0", "0.0.0.0"),
        ("METRICS_LISTEN", "::", "::"),
        ("WEBHOOK_LISTEN", "localhost", "localhost"),
        ("WEBHOOK_LISTEN", "bot.internal.example", "bot.internal.example"),
    ],
)
def test_good_settings_are_read(
    name: str, value: str, read: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(name, value)
    assert getattr(Settings(_env_file=None), name.lower()) == read  # type: ignore[call-arg]


def test_offline_commands_default_to_the_sample_and_run_to_yahoo(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """No DATA_SOURCE: scan, backtest, rrg and chat stay offline; run goes live. Either
    way an explicit DATA_SOURCE wins."""
    from bot.services import market_provider

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATA_SOURCE", raising=False)
    unset = Settings(_env_file=None, database_path=tmp_path / "p.sqlite")  # type: ignore[call-arg]
    assert market_provider(unset).name == "sample"
    assert market_provider(unset.model_copy(update={"data_source": "yahoo"})).name == "yahoo"
    assert unset.source_for("yahoo") == "yahoo"
    chosen = Settings(_env_file=None, data_source="sample")  # type: ignore[call-arg]
    assert chosen.source_for("yahoo") == "sample"
