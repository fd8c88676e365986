"""``rotation-bot scan --source yahoo`` in a child process whose Yahoo is the offline fake.

Run as ``python -m tests.support.yahoo_scan SCENARIO [scan arguments]``: yfinance's real code
runs end to end through :class:`tests.support.yahoo_fake.FakeYahooSession` (handed to it
through ``YahooProvider``'s session seam), the provider waits 0 s between its attempts, and
everything else -- the CLI, its logging set-up, the price cache, the scan -- is the real
command, so its stderr is what an operator would read. The prices served are the bundled
synthetic sample's (not real prices); the faults' texts are built in the shape curl_cffi
gives them (curl's error codes 6, 7 and 28), not recorded.

Scenarios: ``ok``, ``dns`` (every request: curl 6, host not resolved), ``refused`` (curl 7),
``timeout`` (curl 28), ``unknown`` (IWM answered 404 Not Found), ``rate`` (every API request
429), ``5xx`` (every chart request about SPY 503).
"""

from __future__ import annotations

import sys
from typing import Any

from curl_cffi.requests import exceptions as curl

from tests.support.yahoo_fake import FakeYahooSession, _Fault

HOST = "query2.finance.yahoo.com"
SEE = "See https://curl.se/libcurl/c/libcurl-errors.html first for more details."
TEXTS = {
    "dns": (curl.DNSError, f"Failed to perform, curl: (6) Could not resolve host: {HOST}. {SEE}"),
    "refused": (
        curl.ConnectionError,
        f"Failed to perform, curl: (7) Failed to connect to {HOST} port 443 after 2 ms: "
        f"Couldn't connect to server. {SEE}",
    ),
    "timeout": (
        curl.Timeout,
        f"Failed to perform, curl: (28) Connection timed out after 10001 milliseconds. {SEE}",
    ),
}
TICKERS = ("SPY", "IWM")
"""What ``--preset small_vs_large`` asks for."""


def fake_yahoo(scenario: str) -> FakeYahooSession:
    from market.sample import sample_closes

    fake = FakeYahooSession()
    closes = sample_closes()
    for ticker in TICKERS:
        fake.add(ticker, closes[ticker].dropna().to_dict())
    if scenario in TEXTS:
        kind, text = TEXTS[scenario]

        def fail(_message: str, kind: Any = kind, text: str = text) -> BaseException:
            return kind(text)

        fake.network_error(exc=fail)  # type: ignore[arg-type]
    elif scenario == "unknown":
        fake.delist("IWM")
    elif scenario == "rate":
        fake.rate_limit()
    elif scenario == "5xx":
        fake.symbols["SPY"].faults.append(_Fault(None, status=503))
    elif scenario != "ok":
        raise SystemExit(f"unknown scenario {scenario!r}")
    return fake


def main() -> int:
    scenario, *argv = sys.argv[1:]
    fake = fake_yahoo(scenario)
    import market.yahoo as yahoo

    original = yahoo.YahooProvider.__init__

    def offline(self: yahoo.YahooProvider, session: Any = None, **options: Any) -> None:
        original(self, fake, **(options | {"wait": 0.0}))

    yahoo.YahooProvider.__init__ = offline  # type: ignore[method-assign, assignment]
    from bot.cli.main import main as cli

    return cli(["scan", "--source", "yahoo", *argv])


if __name__ == "__main__":
    sys.exit(main())
