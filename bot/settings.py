"""Configuration from the environment or a ``.env`` file (see ``.env.example``).

Every setting has a default that works offline, so ``rotation-bot demo`` and
``rotation-bot backtest`` need no configuration at all. The bot token is a secret: it is held
as a :class:`pydantic.SecretStr`, so it prints as ``**********`` and never reaches a log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from signals.rules import NEW_YORK

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
    data_source: str = "sample"
    cache_dir: Path = Path("~/.cache/rotation-bot").expanduser()
    scan_delay_minutes: int = Field(default=30, ge=0, le=600)
    default_timezone: str = NEW_YORK
    max_rules_per_chat: int = Field(default=50, ge=1, le=1000)
    paid_broadcast: bool = False
    log_level: str = "INFO"
    startup_timeout: float = Field(default=60.0, ge=0, le=3600)
    log_format: Literal["text", "json"] = "text"
    metrics_port: int | None = Field(default=None, ge=0, le=65535)
    metrics_listen: str = "127.0.0.1"
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    webhook_secret: SecretStr | None = None
    inline_chat_id: int | None = None

    @field_validator(
        "metrics_port", "webhook_url", "webhook_secret", "inline_chat_id", mode="before"
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        """``METRICS_PORT=`` (as .env.example has it) means off, not a bad number."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

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


@dataclass(frozen=True, slots=True)
class Webhook:
    """Where Telegram posts updates (``url``) and where the bot listens for them: the proxy
    in front forwards ``url``'s path to ``listen:port``."""

    url: str
    path: str  # the URL's path, without its leading slash (PTB's url_path)
    listen: str
    port: int
    secret: str = field(repr=False)


def load_settings() -> Settings:
    """Settings from the environment and ``.env``; a malformed value is a ValueError in one
    line naming the variable (pydantic's own report spans several lines and may quote it)."""
    from pydantic import ValidationError

    try:
        return Settings()
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']).upper()}: {err['msg']}" for err in e.errors()
        )
        raise SettingsError(problems) from None


class SettingsError(ValueError):
    """A setting that cannot be read (``rotation-bot: error: ...``, exit status 2)."""
