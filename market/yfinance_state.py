"""yfinance's process-wide state, as :mod:`market.yahoo` uses it: the folder of its caches,
the HTTP session it would build itself, one download at a time, and its chatter kept out of
the log.
"""

from __future__ import annotations

import logging
import threading
import warnings
from pathlib import Path
from typing import Any

import yfinance as yf

__all__ = ["DOWNLOAD_LOCK", "configure_cache", "new_session", "quiet_yfinance"]

log = logging.getLogger("market.yahoo")  # where these lines always were

# yfinance keeps one process-wide session/cookie/crumb (the YfData singleton) and switches it
# to whichever session the latest download() passed. Two downloads at once would pull the
# session from under each other, so they take turns.
DOWNLOAD_LOCK = threading.Lock()

_cache_lock = threading.Lock()
_cache_location: Path | None = None


def configure_cache(cache_dir: Path) -> Path:
    """Point yfinance's sqlite caches (ticker timezones, cookie) at ``cache_dir``, once per
    process, and return the folder in use.

    Why our own folder: yfinance's default lives in a shared ``py-yfinance`` folder that other
    programs may lock or leave corrupt. Why once: yfinance binds its caches to a path on first
    use, so moving it later does not take effect; a second, different ``cache_dir`` is logged
    and ignored.
    """
    global _cache_location
    with _cache_lock:
        if _cache_location is None:
            try:
                cache_dir.mkdir(parents=True, exist_ok=True)
            except OSError as exc:  # yfinance then falls back to running without a cache
                log.warning("cannot create yfinance cache folder %s: %s", cache_dir, exc)
            yf.set_tz_cache_location(str(cache_dir))
            _cache_location = cache_dir
        elif Path(cache_dir) != _cache_location:
            log.warning(
                "yfinance cache already set to %s for this process; ignoring %s",
                _cache_location,
                cache_dir,
            )
        return _cache_location


def new_session() -> Any:
    """The session yfinance itself would build: curl_cffi impersonating Chrome (Yahoo
    throttles plain ``requests`` clients much sooner), else ``requests``."""
    try:
        from yfinance._http import new_session as yfinance_session

        return yfinance_session()
    except ImportError:  # yfinance releases before the _http module
        try:
            from curl_cffi import requests as curl_requests

            return curl_requests.Session(impersonate="chrome")
        except ImportError:
            import requests

            return requests.Session()


class _OnlyWhenDebugging(logging.Handler):
    """Passes yfinance's records on to the root's handlers at LOG_LEVEL=DEBUG only."""

    def emit(self, record: logging.LogRecord) -> None:
        root = logging.getLogger()
        if not root.isEnabledFor(logging.DEBUG):
            return
        for handler in root.handlers:
            if record.levelno >= handler.level:
                handler.handle(record)


def quiet_yfinance() -> None:
    """Keep yfinance's own log lines and warnings out of the log (idempotent).

    One failed download made yfinance log two or three lines per ticker, three hundred for
    the watch list, blaming "possibly delisted" for a DNS failure. The provider reads those
    records itself (market.yahoo_traffic.listen, on the same logger) and says one line per
    failure with the real cause; they reach the log only at LOG_LEVEL=DEBUG. yfinance's
    deprecation warnings (about its own pandas calls) tell an operator nothing either."""
    logger = logging.getLogger("yfinance")
    if not any(isinstance(h, _OnlyWhenDebugging) for h in logger.handlers):
        logger.addHandler(_OnlyWhenDebugging())
    logger.propagate = False
    warnings.filterwarnings("ignore", module=r"yfinance(\.|$)")
