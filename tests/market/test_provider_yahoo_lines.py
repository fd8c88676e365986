"""A failed Yahoo fetch is one line on stderr naming the real cause, not yfinance's hundreds
blaming "possibly delisted" for a DNS failure.

Each test runs the real ``rotation-bot scan --source yahoo`` as a child process whose Yahoo
is the offline fake (tests/support/yahoo_scan.py: yfinance's own code through its session
seam; synthetic prices; fault texts in curl_cffi's shape, not recordings) and counts the
lines it writes to stderr. The choice where the issue left one: a fetch that fails for one
network cause is one line (the command's error, or the bot's scan's data problem); a ticker
that fails alone is one line naming it and why.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import ROOT

SCAN = ("--preset", "small_vs_large", "--date", "2025-06-02")


def scan(scenario: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    keep = ("TELEGRAM_", "DATA_SOURCE", "DATABASE_PATH", "CACHE_DIR", "LOG_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(keep)}
    env |= {
        "PYTHONPATH": str(ROOT),
        "DATABASE_PATH": str(tmp_path / "bot.sqlite"),
        "CACHE_DIR": str(tmp_path / "cache"),
    }
    return subprocess.run(
        [sys.executable, "-m", "tests.support.yahoo_scan", scenario, *SCAN],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("scenario", "line"),
    [
        (
            "dns",
            "rotation-bot: Could not reach Yahoo after 4 attempts (DNS lookup failed for "
            "query2.finance.yahoo.com); check the network and try again later",
        ),
        (
            "refused",
            "rotation-bot: Could not reach Yahoo after 4 attempts (connection refused by "
            "query2.finance.yahoo.com:443); check the network and try again later",
        ),
        (
            "timeout",
            "rotation-bot: Could not reach Yahoo after 4 attempts (timed out); check the "
            "network and try again later",
        ),
        ("rate", "rotation-bot: Yahoo rate-limited us 4 times; try again later"),
    ],
)
def test_a_fetch_that_fails_for_one_cause_is_one_line_naming_it(
    scenario: str, line: str, tmp_path: Path
) -> None:
    done = scan(scenario, tmp_path)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.splitlines() == [line]


@pytest.mark.parametrize(
    ("scenario", "said"),
    [
        ("unknown", "yahoo: no data for IWM: unknown symbol (HTTP 404): possibly delisted"),
        ("5xx", "yahoo: no data for SPY: HTTP 503 from Yahoo (4 attempts)"),
    ],
)
def test_a_ticker_that_fails_alone_is_one_line_naming_it_and_why(
    scenario: str, said: str, tmp_path: Path
) -> None:
    done = scan(scenario, tmp_path)
    assert done.returncode == 0, done.stderr
    [line] = done.stderr.splitlines()
    assert " WARNING market.yahoo: " + said in line
    assert scenario == "unknown" or "possibly delisted" not in line
    assert "data problem: no data for" in done.stdout  # the report says it too, on stdout


def test_a_sound_fetch_writes_nothing_to_stderr(tmp_path: Path) -> None:
    done = scan("ok", tmp_path)
    assert done.returncode == 0 and done.stderr == ""
    assert "source: yahoo" in done.stdout and "data problem" not in done.stdout


@pytest.mark.parametrize(
    ("error", "cause"),
    [
        (
            "requests.ConnectionError(\"HTTPSConnectionPool(host='query1.finance.yahoo.com', "
            'port=443): Max retries exceeded (Caused by NameResolutionError(\\"Failed to '
            "resolve 'query1.finance.yahoo.com' ([Errno -2] Name or service not known)\\\"))\")",
            "DNS lookup failed for query1.finance.yahoo.com",
        ),
        ("socket.gaierror(-3, 'Temporary failure in name resolution')", "DNS lookup failed"),
        ("ConnectionRefusedError(111, 'Connection refused')", "connection refused"),
        ("requests.ReadTimeout('Read timed out. (read timeout=10)')", "timed out"),
        ("TimeoutError()", "timed out"),
        ("requests.exceptions.SSLError('certificate verify failed')", "TLS error"),
        ("OSError('something else entirely')", "OSError: something else entirely"),
    ],
)
def test_the_cause_is_said_in_a_few_words(error: str, cause: str) -> None:
    import socket  # noqa: F401 - used by the expressions

    import requests  # noqa: F401

    from market.yahoo_traffic import cause_of

    assert cause_of(eval(error)) == cause
