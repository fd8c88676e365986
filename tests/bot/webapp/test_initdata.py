"""initData checked as Telegram documents: valid, tampered, expired, missing (issue 25)."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import quote

import pytest

from bot.webapp.initdata import BadInitData, secret_key, sign, verify

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0"
USER = {"id": 42, "first_name": "Ana", "language_code": "de"}
NOW = 1_800_000_000
DAY = 24 * 3600.0


def by_hand(fields: dict[str, str], token: str) -> str:
    """initData built from Telegram's documented recipe, independently of bot.webapp."""
    key = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    digest = hmac.new(key, check.encode(), hashlib.sha256).hexdigest()
    return "&".join(f"{k}={quote(v, safe='')}" for k, v in fields.items()) + f"&hash={digest}"


def test_documented_recipe_is_accepted() -> None:
    raw = by_hand(
        {
            "query_id": "AAF",
            "user": '{"id":7,"first_name":"Bo","username":"bo","language_code":"es"}',
            "auth_date": str(NOW - 60),
            "chat_type": "private",
            "signature": "abc",
        },
        TOKEN,
    )
    launch = verify(raw, secret_key(TOKEN), DAY, now=NOW)
    assert (launch.user.id, launch.user.username, launch.user.language_code) == (7, "bo", "es")
    assert launch.chat_type == "private" and launch.auth_date == NOW - 60


def test_sign_round_trips_with_a_start_parameter() -> None:
    raw = sign(TOKEN, USER, auth_date=NOW, start_param="-1001")
    launch = verify(raw, secret_key(TOKEN), DAY, now=NOW + 5)
    assert launch.user.id == 42 and launch.start_param == "-1001"


@pytest.mark.parametrize(
    "change",
    [
        lambda raw: raw.replace("%22id%22%3A42", "%22id%22%3A43"),  # another user
        lambda raw: raw.replace(f"auth_date={NOW}", f"auth_date={NOW + 1}"),  # a later date
        lambda raw: raw + "&chat_type=group",  # a field added
        lambda raw: raw[:-1] + ("0" if raw[-1] != "0" else "1"),  # the hash itself
    ],
)
def test_tampered_data_is_refused(change: object) -> None:
    raw = sign(TOKEN, USER, auth_date=NOW)
    assert callable(change)
    changed = change(raw)
    assert changed != raw
    with pytest.raises(BadInitData, match="tampered"):
        verify(changed, secret_key(TOKEN), DAY, now=NOW)


def test_another_bots_token_is_refused() -> None:
    raw = sign("987654321:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0", USER, auth_date=NOW)
    with pytest.raises(BadInitData, match="tampered"):
        verify(raw, secret_key(TOKEN), DAY, now=NOW)


def test_expired_data_is_refused_and_the_age_is_a_setting() -> None:
    raw = sign(TOKEN, USER, auth_date=NOW)
    assert verify(raw, secret_key(TOKEN), DAY, now=NOW + DAY).user.id == 42
    with pytest.raises(BadInitData, match="expired"):
        verify(raw, secret_key(TOKEN), DAY, now=NOW + DAY + 1)
    with pytest.raises(BadInitData, match="expired"):
        verify(raw, secret_key(TOKEN), 3600, now=NOW + 3601)
    with pytest.raises(BadInitData, match="future"):
        verify(raw, secret_key(TOKEN), DAY, now=NOW - 3600)


@pytest.mark.parametrize("raw", ["", "hash=", "auth_date=1", "a=1&a=2", "%%%", "x" * 5000])
def test_missing_or_malformed_data_is_refused(raw: str) -> None:
    with pytest.raises(BadInitData):
        verify(raw, secret_key(TOKEN), DAY, now=NOW)


def test_a_refusal_never_quotes_the_token_or_the_hash() -> None:
    raw = sign(TOKEN, USER, auth_date=NOW)
    digest = raw.rsplit("hash=", 1)[1]
    for bad in (raw + "0", raw.replace("Ana", "Bob"), raw):
        try:
            verify(bad, secret_key(TOKEN), DAY, now=NOW + 10 * DAY)
        except BadInitData as e:
            assert TOKEN not in str(e) and digest not in str(e) and digest[:16] not in str(e)
