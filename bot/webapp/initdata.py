"""A Mini App launch's ``initData``, checked exactly as Telegram documents it.

https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app: the page
gets a query string (``Telegram.WebApp.initData``) and sends it with every request; it is the
bot's word only if

* ``hash`` equals hex(HMAC-SHA256(data_check_string, secret_key)), where the data-check-string
  is every other field as ``key=value`` (values URL-decoded), sorted by key, joined by ``\\n``
  (a ``signature`` field, which Bot API 8.0 added for third parties, is one of them), and
  ``secret_key`` = HMAC-SHA256(key="WebAppData", message=bot_token);
* ``auth_date`` (Unix seconds, when Telegram signed it) is no older than ``max_age`` seconds
  (``WEBAPP_MAX_AGE_HOURS``, 24 h by default): a copied launch link stops working; and it is
  not more than a minute in the future (a clock skew allowance, no more).

The comparison is constant-time (:func:`hmac.compare_digest`). A refusal is a
:class:`BadInitData` whose ``reason`` is a short English phrase the page shows ("expired",
"tampered" ...) - never the data itself: neither the token nor the hash ever reaches a log,
an error line or an answer. :func:`sign` builds launch data the same way Telegram does (the
preview and the tests).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from bot.errors import BotError

__all__ = [
    "MAX_LENGTH",
    "BadInitData",
    "Launch",
    "LaunchUser",
    "secret_key",
    "sign",
    "verify",
]

MAX_LENGTH = 4096
"""Bytes of initData we read at all: Telegram's are a few hundred (a user with a long name and
photo URL, a chat, a start parameter of at most 512 characters)."""
FUTURE_SKEW = 60.0
"""Seconds an ``auth_date`` may lie ahead of our clock."""


class BadInitData(BotError, ValueError):
    """Launch data that is not Telegram's, or no longer good; ``reason`` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class LaunchUser:
    id: int
    first_name: str
    username: str | None
    language_code: str | None


@dataclass(frozen=True, slots=True)
class Launch:
    """What a checked initData says: who opened the app, when, and from where."""

    user: LaunchUser
    auth_date: int
    chat_type: str | None  # "private", "group", "supergroup", "channel", "sender" ...
    start_param: str | None  # t.me/<bot>/<app>?startapp=... (we put a chat id there)


def secret_key(token: str) -> bytes:
    """HMAC-SHA256 with the key "WebAppData" of the bot token, as Telegram derives it."""
    return hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()


def _check_string(fields: dict[str, str]) -> bytes:
    return "\n".join(f"{k}={fields[k]}" for k in sorted(fields)).encode()


def verify(init_data: str, key: bytes, max_age: float, now: float | None = None) -> Launch:
    """The launch ``init_data`` describes, or :class:`BadInitData`; ``key`` is
    :func:`secret_key` of the bot's token (computed once, not per request)."""
    if not init_data:
        raise BadInitData("missing: open the app from the bot in Telegram")
    if len(init_data) > MAX_LENGTH:
        raise BadInitData("too long")
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise BadInitData("malformed") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise BadInitData("malformed (a field given twice)")
    given = fields.pop("hash", "")
    expected = hmac.new(key, _check_string(fields), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise BadInitData("tampered: the signature does not match")
    try:
        auth_date = int(fields["auth_date"])
    except (KeyError, ValueError):
        raise BadInitData("no auth_date") from None
    now = time.time() if now is None else now
    if auth_date > now + FUTURE_SKEW:
        raise BadInitData("signed in the future: check this computer's clock")
    if now - auth_date > max_age:
        raise BadInitData("expired: close the app and open it again from the bot")
    return Launch(
        user=_user(fields.get("user")),
        auth_date=auth_date,
        chat_type=fields.get("chat_type") or None,
        start_param=fields.get("start_param") or None,
    )


def _user(raw: str | None) -> LaunchUser:
    try:
        data = json.loads(raw or "")
        user = LaunchUser(
            id=int(data["id"]),
            first_name=str(data.get("first_name", "")),
            username=str(data["username"]) if data.get("username") else None,
            language_code=str(data["language_code"]) if data.get("language_code") else None,
        )
    except (ValueError, KeyError, TypeError):
        raise BadInitData("no user") from None
    return user


def sign(
    token: str,
    user: dict[str, object],
    *,
    auth_date: int | None = None,
    **extra: str,
) -> str:
    """initData as Telegram would send it for ``user`` (the preview's launch, the tests')."""
    fields = {
        "user": json.dumps(user, separators=(",", ":"), ensure_ascii=False),
        "auth_date": str(int(time.time()) if auth_date is None else auth_date),
        **extra,
    }
    digest = hmac.new(secret_key(token), _check_string(fields), hashlib.sha256).hexdigest()
    return urlencode({**fields, "hash": digest})
