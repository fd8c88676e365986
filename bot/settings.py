"""Configuration from the environment or a ``.env`` file (see ``.env.example``).

Every setting has a default that works offline, so ``rotation-bot demo`` and
``rotation-bot backtest`` need no configuration at all. The bot token is a secret: it is held
as a :class:`pydantic.SecretStr`, so it prints as ``**********`` and never reaches a log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.errors import BotError
from signals.rules import NEW_YORK

__all__ = [
    "LOG_LEVELS",
    "OFFLINE_TOKEN",
    "SOURCE_FORMS",
    "TELEGRAM_WEBHOOK_PORTS",
    "TOKEN_PATTERN",
    "WEBHOOK_SECRET_PATTERN",
    "Settings",
    "SettingsError",
    "WebApp",
    "Webhook",
    "is_listen_address",
    "is_time_zone",
    "load_settings",
]

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
SOURCE_FORMS = "sample | yahoo | csv:PATH"
_HOST_NAME = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)
OFFLINE_TOKEN = "0:offline"
"""The token of a bot whose Bot API answers in-process (the console, tests): never sent anywhere."""
TOKEN_PATTERN = re.compile(r"^\d{3,15}:[A-Za-z0-9_-]{30,64}$")
TELEGRAM_WEBHOOK_PORTS = (443, 80, 88, 8443)
WEBHOOK_SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,256}$")
"""Telegram allows 1-256 of these characters; fewer than 16 is too easy to guess."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    telegram_bot_token: SecretStr | None = None
    telegram_base_url: str | None = None
    admin_ids: str = Field(default="", description="comma-separated Telegram user ids")
    database_path: Path = Path("rotation-bot.sqlite")
    # PostgreSQL (issue 24): postgresql://user:password@host:port/dbname; DATABASE_PATH is then
    # ignored. A secret (its password): held as SecretStr, shown only through storage.url.
    database_url: SecretStr | None = None
    # Where the evening's chart pictures are drawn and read back by the sender: beside the
    # database by default; several instances on several hosts share one folder (a volume).
    charts_dir: Path | None = None
    data_source: str | None = None  # None: the command's own default (source_for)
    cache_dir: Path = Path("~/.cache/rotation-bot").expanduser()
    # Past these the data source is "unavailable": a command's answer says so (its download
    # may go on in the background), the evening scan fails, saying so, and is retried.
    data_timeout: float = Field(
        default=3.0, gt=0, le=600, description="seconds a command waits for the data source"
    )
    scan_data_timeout: float = Field(
        default=300.0, gt=0, le=3600, description="seconds the evening scan waits for its data"
    )
    scan_delay_minutes: int = Field(default=30, ge=0, le=600)
    default_timezone: str = NEW_YORK
    max_rules_per_chat: int = Field(default=50, ge=1, le=1000)
    # Days finished alerts (sent, failed, dropped), their events and chart files are kept
    # (bot/app/housekeeping.py); a chat's /settings keep may keep less, never more.
    retention_days: int = Field(default=30, ge=1, le=3650)
    paid_broadcast: bool = False
    send_retry_hours: float = Field(default=12.0, gt=0, le=72)  # transient failures retried
    max_delivery_wait_minutes: int = Field(default=30, ge=1, le=1440)  # /healthz 503 past it
    log_level: str = "INFO"
    startup_timeout: float = Field(default=60.0, ge=0, le=3600)
    log_format: Literal["text", "json"] = "text"
    metrics_port: int | None = Field(default=None, ge=0, le=65535)
    metrics_listen: str = "127.0.0.1"
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    webhook_secret: SecretStr | None = None
    # The Mini App (bot/webapp/): WEBAPP_URL, the public https address a proxy maps to
    # WEBAPP_LISTEN:WEBAPP_PORT, turns it on; a launch's initData is good for so many hours.
    webapp_url: str | None = None
    webapp_listen: str = "127.0.0.1"
    webapp_port: int = Field(default=8088, ge=1, le=65535)
    webapp_max_age_hours: float = Field(default=24.0, gt=0, le=24 * 365)
    inline_chat_id: int | None = None

    @field_validator(
        "metrics_port",
        "webhook_url",
        "webhook_secret",
        "inline_chat_id",
        "webapp_url",
        "database_url",
        "charts_dir",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        """``METRICS_PORT=`` (as .env.example has it) means off, not a bad number."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("data_source", mode="before")
    @classmethod
    def _source_form(cls, value: object) -> object:
        """sample | yahoo | csv:PATH (blank: unset). Only the form: a CSV path is looked for
        when a command opens the source, so a missing one does not stop ``demo``."""
        if not isinstance(value, str):
            return value
        text = value.strip()
        if not text:
            return None
        if text in ("sample", "yahoo") or (text.startswith("csv:") and text[4:].strip()):
            return text
        raise ValueError(f"DATA_SOURCE must be one of {SOURCE_FORMS}, not {value!r}")

    @field_validator("default_timezone", mode="before")
    @classmethod
    def _time_zone(cls, value: object) -> object:
        """An IANA name (``Europe/Berlin``): ``Berlin`` would be shown to chats while quiet
        hours ran on another zone."""
        if not isinstance(value, str):
            return value
        text = value.strip()
        if not is_time_zone(text):
            raise ValueError(
                f"DEFAULT_TIMEZONE must be an IANA time zone such as America/New_York or "
                f"Europe/Berlin, not {value!r}"
            )
        return text

    @field_validator("log_level", mode="before")
    @classmethod
    def _log_level(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        text = value.strip().upper()
        if text not in LOG_LEVELS:
            raise ValueError(f"LOG_LEVEL must be one of {' | '.join(LOG_LEVELS)}, not {value!r}")
        return text

    @field_validator("metrics_listen", "webhook_listen", "webapp_listen", mode="before")
    @classmethod
    def _address(cls, value: object, info: ValidationInfo) -> object:
        if not isinstance(value, str):
            return value
        text = value.strip()
        if not is_listen_address(text):
            name = (info.field_name or "").upper()
            raise ValueError(
                f"{name} must be an IP address or host name to listen on (127.0.0.1, 0.0.0.0, "
                f"::, localhost), not {value!r}"
            )
        return text

    def source_for(self, command_default: str) -> str:
        """DATA_SOURCE when set, else ``command_default``: ``sample`` for the offline commands
        (scan, backtest, rrg, chat), ``yahoo`` for ``rotation-bot run``."""
        return self.data_source or command_default

    @field_validator("cache_dir", "database_path", mode="after")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    @property
    def admins(self) -> frozenset[int]:
        """The operator's Telegram user ids (``ADMIN_IDS=123,456``)."""
        return frozenset(int(p) for p in re.split(r"[,\s]+", self.admin_ids.strip()) if p)

    @field_validator("admin_ids")
    @classmethod
    def _admin_ids_are_numbers(cls, value: str) -> str:
        for part in re.split(r"[,\s]+", value.strip()):
            if part and not part.lstrip("-").isdigit():
                raise ValueError(f"ADMIN_IDS must be numeric Telegram user ids, not {part!r}")
        return value

    def database(self) -> str | Path:
        """Where the data lives: DATABASE_URL when set (PostgreSQL), else DATABASE_PATH
        (SQLite). Raises ValueError with one line (never the URL) for a malformed URL."""
        if self.database_url is None:
            return self.database_path
        from storage.url import BadDatabaseUrl, parse

        raw = self.database_url.get_secret_value().strip()
        try:
            parse(raw)
        except BadDatabaseUrl as e:
            raise ValueError(str(e)) from None
        return raw

    def database_shown(self) -> str:
        """The database as people may see it (a URL without its password)."""
        if self.database_url is None:
            return str(self.database_path)
        from storage.url import redacted

        return redacted(self.database_url.get_secret_value().strip())

    @property
    def on_postgres(self) -> bool:
        return self.database_url is not None

    def raw_token(self) -> str | None:
        """The token as configured, whatever its shape (for redaction only)."""
        if self.telegram_bot_token is None:
            return None
        return self.telegram_bot_token.get_secret_value().strip() or None

    def bot_api_url(self) -> str | None:
        """TELEGRAM_BASE_URL as PTB wants it (``http://host:port/bot``), or None for Telegram's
        own. Accepted with or without a trailing slash or ``/bot``; raises ValueError with a
        one-line reason when it is not an http(s) URL with a host."""
        raw = (self.telegram_base_url or "").strip()
        if not raw:
            return None
        parts = urlsplit(raw)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
            raise ValueError(
                f"TELEGRAM_BASE_URL {raw!r} is not a Bot API server URL: expected the form "
                "http://HOST:PORT (or https://HOST/PATH), optionally ending in /bot"
            )
        try:
            parts.port  # noqa: B018 - raises ValueError for a port that is not a number
        except ValueError:
            raise ValueError(f"TELEGRAM_BASE_URL {raw!r} has a port that is not a number") from None
        if "{token}" in raw:  # PTB's own placeholder form: taken as written
            return raw
        path = parts.path.rstrip("/")
        if not path.endswith("/bot"):
            path += "/bot"
        return f"{parts.scheme}://{parts.netloc}{path}"

    def token(self) -> str:
        """The bot token, checked for shape; raises ValueError with a one-line reason."""
        if self.telegram_bot_token is None or not self.telegram_bot_token.get_secret_value():
            raise ValueError(
                "TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather and put its token "
                "in .env (see .env.example)"
            )
        value = self.telegram_bot_token.get_secret_value().strip()
        if not TOKEN_PATTERN.match(value):
            raise ValueError(
                "TELEGRAM_BOT_TOKEN does not look like a bot token (expected 123456789:ABC..., "
                "as @BotFather gives it)"
            )
        return value

    def webhook(self) -> Webhook | None:
        """Webhook mode's parameters when WEBHOOK_URL is set (None: polling); raises
        ValueError with a one-line reason for a bad URL or a missing or weak secret."""
        if not self.webhook_url:
            return None
        url = urlsplit(self.webhook_url.strip())
        if url.scheme not in ("https", "http") or not url.hostname:
            raise ValueError(
                f"WEBHOOK_URL must be the public https:// address Telegram posts updates to, "
                f"not {self.webhook_url!r}"
            )
        # Telegram posts only to https on these ports (setWebhook refuses the rest); a local
        # Bot API server (TELEGRAM_BASE_URL) posts to any http or https address.
        if self.bot_api_url() is None:
            if url.scheme != "https":
                raise ValueError(
                    f"WEBHOOK_URL must be https:// (Telegram posts only to HTTPS; http:// works "
                    f"with a local Bot API server, TELEGRAM_BASE_URL), not {self.webhook_url!r}"
                )
            if url.port not in (None, *TELEGRAM_WEBHOOK_PORTS):
                raise ValueError(
                    f"WEBHOOK_URL's port must be one Telegram posts to (443, 80, 88 or 8443; "
                    f"your proxy forwards it to WEBHOOK_PORT), not {url.port}"
                )
        secret = self.webhook_secret.get_secret_value().strip() if self.webhook_secret else ""
        if not secret:
            raise ValueError(
                "WEBHOOK_SECRET is not set: webhook mode needs it (Telegram sends it with every "
                "update; make one with: openssl rand -hex 32)"
            )
        if not WEBHOOK_SECRET_PATTERN.match(secret):
            raise ValueError(
                "WEBHOOK_SECRET must be 16 to 256 characters of A-Z, a-z, 0-9, _ and - "
                "(make one with: openssl rand -hex 32)"
            )
        return Webhook(
            url=url.geturl(),
            path=url.path.lstrip("/"),
            listen=self.webhook_listen,
            port=self.webhook_port,
            secret=secret,
        )

    def webapp(self) -> WebApp | None:
        """The Mini App's parameters when WEBAPP_URL is set (None: no Mini App); raises
        ValueError with a one-line reason for an address Telegram would not open."""
        if not self.webapp_url:
            return None
        raw = self.webapp_url.strip()
        url = urlsplit(raw)
        if url.scheme != "https" or not url.hostname or url.query or url.fragment:
            raise ValueError(
                f"WEBAPP_URL must be the public https:// address of the Mini App (Telegram "
                f"opens only HTTPS pages; a reverse proxy maps it to WEBAPP_PORT), not {raw!r}"
            )
        return WebApp(
            url=raw,
            listen=self.webapp_listen,
            port=self.webapp_port,
            max_age=self.webapp_max_age_hours * 3600,
        )


def is_time_zone(name: str) -> bool:
    """Whether ``name`` is an IANA zone the system's (or tzdata's) database knows."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if not name or name.startswith("/") or ".." in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def is_listen_address(text: str) -> bool:
    """An IPv4/IPv6 address or a host name (what a server can bind to), not a URL or a port."""
    import ipaddress

    try:
        ipaddress.ip_address(text)
    except ValueError:
        # all-numeric labels are a malformed IPv4 address (999.1.1.1), not a name
        return bool(_HOST_NAME.match(text)) and not text.replace(".", "").isdigit()
    return True


@dataclass(frozen=True, slots=True)
class Webhook:
    """Where Telegram posts updates (``url``) and where the bot listens for them: the proxy
    in front forwards ``url``'s path to ``listen:port``."""

    url: str
    path: str  # the URL's path, without its leading slash (PTB's url_path)
    listen: str
    port: int
    secret: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class WebApp:
    """Where Telegram opens the Mini App (``url``) and where the bot serves it: the proxy in
    front maps ``url`` to ``listen:port``; a launch's initData older than ``max_age`` seconds
    is refused."""

    url: str
    listen: str
    port: int
    max_age: float


def load_settings() -> Settings:
    """Settings from the environment and ``.env``; a malformed value is a ValueError in one
    line naming the variable (pydantic's own report spans several lines and may quote it)."""
    from pydantic import ValidationError

    try:
        return Settings()
    except ValidationError as e:
        problems = "; ".join(_problem(err) for err in e.errors())
        raise SettingsError(problems) from None


def _problem(err: Any) -> str:
    """``NAME: why`` (our validators' messages already start with the name)."""
    name = ".".join(str(p) for p in err["loc"]).upper()
    msg = str(err["msg"]).removeprefix("Value error, ")
    return msg if msg.startswith(name + " ") else f"{name}: {msg}"


class SettingsError(BotError, ValueError):
    """A setting that cannot be read (``rotation-bot: error: ...``, exit status 2)."""
