"""Live daily closes from Yahoo Finance, through yfinance.

yfinance is the only free source for the whole watch list (ETFs, indices, yields), but it is a
scraper with three habits this module exists to tame:

* It never raises for a bad symbol. ``yf.download`` logs the failure and returns an all-NaN
  column. We detect that per ticker and report it in ``Closes.missing`` (``NoData``), never as
  prices.
* It swallows transient failures too. In yfinance 1.7 a rate limit (HTTP 429, twice in a row:
  yfinance retries once itself after switching cookie strategy) becomes a ``YFRateLimitError``
  that ``download()`` catches and records per ticker; a dropped connection on the price request
  is turned into "possibly delisted; no price data found". Neither reaches the caller. We watch
  the session's traffic while ``download()`` runs, so we know which tickers really failed for
  a transient reason, and retry just those with exponential backoff (tenacity).
* Its per-ticker error text lives in a context object ``download()`` throws away (the old
  ``yfinance.shared._ERRORS`` is no longer written in 1.x). The text is only logged, so we
  listen to yfinance's logger, on our own thread, for the length of the call. That text is only
  ever used as the human-readable ``NoData.reason``; decisions never depend on it alone.

Results are cut to what a daily close means here: sessions of the NYSE calendar (XNYS) whose
close has passed at ``now()``. That drops today's still-moving bar, handles early closes
(13:00 New York) through ``market.calendar``, and drops stray bars on exchange holidays.
"""

from __future__ import annotations

import ast
import datetime as dt
import logging
import os
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pandas as pd
import yfinance as yf
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
    wait_none,
)
from tenacity.wait import wait_base
from yfinance.exceptions import YFRateLimitError

from market import calendar
from market.base import Closes, MarketDataError, NoData, tidy

log = logging.getLogger(__name__)

DEFAULT_REASON = "no prices returned (delisted or unknown symbol?)"
NOT_CLOSED_REASON = "no closed session in the requested range"

# Exception class names that mean "the network, not the symbol" (requests and curl_cffi spell
# them the same way; yfinance's own data._is_transient_error uses this list too).
_TRANSIENT_NAMES = frozenset(
    {
        "ConnectionError",
        "ConnectTimeout",
        "ReadTimeout",
        "Timeout",
        "TimeoutError",
        "ChunkedEncodingError",
        "RemoteDisconnected",
        "ProxyError",
        "SSLError",
        "DNSError",
    }
)
_RATE_LIMIT_MARKERS = ("YFRateLimitError", "Too Many Requests", "Rate limited")

# yfinance keeps one process-wide session/cookie/crumb (the YfData singleton) and switches it
# to whichever session the latest download() passed. Two downloads at once would pull the
# session from under each other, so they take turns.
_DOWNLOAD_LOCK = threading.Lock()

_cache_lock = threading.Lock()
_cache_location: Path | None = None


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/rotation-bot/yfinance`` (``~/.cache/...`` without XDG)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "rotation-bot" / "yfinance"


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


def _new_session() -> Any:
    """The session yfinance itself would build: curl_cffi impersonating Chrome (Yahoo
    throttles plain ``requests`` clients much sooner), else ``requests``."""
    try:
        from yfinance._http import new_session

        return new_session()
    except ImportError:  # yfinance releases before the _http module
        try:
            from curl_cffi import requests as curl_requests

            return curl_requests.Session(impersonate="chrome")
        except ImportError:
            import requests

            return requests.Session()


@dataclass
class _Failure:
    kind: str  # "rate" | "network" | "gone"
    detail: str


@dataclass
class _Traffic:
    """What the session saw during one download: HTTP statuses and transport exceptions,
    by the symbol each request was about."""

    owner: int
    statuses: dict[str, list[int]] = field(default_factory=dict)
    errors: dict[str, list[BaseException]] = field(default_factory=dict)
    all_errors: list[BaseException] = field(default_factory=list)

    def saw_429(self, symbol: str) -> bool:
        return 429 in self.statuses.get(symbol, [])

    def transport_error(self, symbol: str) -> BaseException | None:
        errs = self.errors.get(symbol)
        return errs[-1] if errs else None


def _symbol_of(url: str) -> str | None:
    """The ticker a Yahoo API URL is about (chart, quoteSummary, quote, timeseries)."""
    parts = urlsplit(url)
    path = parts.path
    for prefix in (
        "/v8/finance/chart/",
        "/v10/finance/quoteSummary/",
        "/ws/fundamentals-timeseries/v1/finance/timeseries/",
    ):
        if path.startswith(prefix):
            return unquote(path[len(prefix) :]).upper() or None
    if path.startswith("/v7/finance/quote"):
        symbols = parse_qs(parts.query).get("symbols")
        return symbols[0].upper() if symbols else None
    return None


@contextmanager
def _watch(session: Any) -> Iterator[_Traffic]:
    """Record, for this thread only, every response status and transport exception the
    session produces while the block runs.

    yfinance reports neither to us, so this is how a 429 or a dropped connection is told apart
    from a delisted symbol. It wraps ``session.request`` on the instance (both ``requests`` and
    curl_cffi route ``get``/``post`` through it) and puts the original back afterwards.
    """
    traffic = _Traffic(owner=threading.get_ident())
    had_own = "request" in getattr(session, "__dict__", {})
    original = session.request

    def request(method: Any, url: Any, *args: Any, **kwargs: Any) -> Any:
        mine = threading.get_ident() == traffic.owner
        params = kwargs.get("params")
        symbol = _symbol_of(str(url))
        if symbol is None and isinstance(params, dict) and "symbols" in params:
            symbol = str(params["symbols"]).upper()
        try:
            response = original(method, url, *args, **kwargs)
        except Exception as exc:
            if mine:
                traffic.all_errors.append(exc)
                if symbol:
                    traffic.errors.setdefault(symbol, []).append(exc)
            raise
        if mine and symbol:
            traffic.statuses.setdefault(symbol, []).append(int(response.status_code))
        return response

    session.request = request
    try:
        yield traffic
    finally:
        if had_own:
            session.request = original
        else:
            del session.request


_SUMMARY = re.compile(r"^\[(?P<syms>[^\]]*)\]: (?P<err>.+)$", re.DOTALL)
_PER_TICKER = re.compile(r"^\$(?P<sym>[^:\s]+): (?P<err>.+)$", re.DOTALL)


class _ErrorText(logging.Handler):
    """Collects yfinance's per-ticker error messages logged on one thread.

    ``download()`` ends with ``"['PXD', 'XYZ']: <reason>"`` per distinct reason; the history
    scraper logs ``"$PXD: <reason>"`` as it goes. Either gives the text for ``NoData.reason``.
    """

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.owner = threading.get_ident()
        self.summary: dict[str, str] = {}
        self.per_ticker: dict[str, str] = {}

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread != self.owner:
            return
        try:
            msg = record.getMessage().strip()
        except Exception:  # a malformed record must never break a download
            return
        if m := _SUMMARY.match(msg):
            try:
                syms = ast.literal_eval(f"[{m['syms']}]")
            except (ValueError, SyntaxError):
                return
            for sym in syms:
                self.summary[str(sym).upper()] = m["err"].strip()
        elif m := _PER_TICKER.match(msg):
            self.per_ticker[m["sym"].upper()] = m["err"].strip()

    def text(self, symbol: str) -> str | None:
        return self.summary.get(symbol) or self.per_ticker.get(symbol)


@contextmanager
def _listen() -> Iterator[_ErrorText]:
    handler = _ErrorText()
    logger = logging.getLogger("yfinance")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


class _Transient(Exception):
    """Some tickers failed for a reason worth retrying (internal: drives tenacity)."""

    def __init__(self, failures: dict[str, _Failure]) -> None:
        super().__init__(f"{len(failures)} ticker(s) rate-limited or unreachable")
        self.failures = failures


def _one_line(text: str, limit: int = 160) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _is_transient_exception(exc: BaseException) -> bool:
    return type(exc).__name__ in _TRANSIENT_NAMES or isinstance(exc, TimeoutError)


def _classify(symbol: str, text: str | None, traffic: _Traffic) -> _Failure:
    """Why ``symbol`` came back without prices: rate limit, network, or (by elimination) the
    symbol itself. Traffic decides where it can; yfinance's text is a second witness."""
    if text and any(marker in text for marker in _RATE_LIMIT_MARKERS):
        return _Failure("rate", text)
    if text:
        name = text.split("(", 1)[0].strip()
        if name in _TRANSIENT_NAMES:
            return _Failure("network", text)
    exc = traffic.transport_error(symbol)
    if exc is not None:
        return _Failure("network", f"{type(exc).__name__}: {exc}")
    if traffic.saw_429(symbol):
        return _Failure("rate", "HTTP 429 Too Many Requests")
    return _Failure("gone", text or DEFAULT_REASON)


class YahooProvider:
    """Daily adjusted closes from Yahoo Finance (``yf.download``), for the ``Provider`` protocol.

    ``session``: the HTTP session yfinance should use (default: curl_cffi impersonating
    Chrome, as yfinance would build). Tests pass an offline fake here.
    ``cache_dir``: yfinance's own cache folder (see ``configure_cache``).
    ``attempts``: downloads tried in all before a rate limit or network failure is final.
    ``wait``: a tenacity wait strategy, or the base in seconds of an exponential backoff
    (``wait``, ``2*wait``, ``4*wait``... capped at 60 s); 0 means no wait (tests).
    ``now``: the current instant, tz-aware; decides which sessions have closed.
    ``timeout``: per HTTP request, seconds.
    """

    name = "yahoo"
    synthetic = False

    def __init__(
        self,
        session: Any = None,
        cache_dir: Path | None = None,
        attempts: int = 4,
        wait: float | wait_base = 2.0,
        now: Callable[[], pd.Timestamp] | None = None,
        timeout: float = 10.0,
    ) -> None:
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self.session = session if session is not None else _new_session()
        self.cache_dir = configure_cache(Path(cache_dir) if cache_dir else default_cache_dir())
        self.attempts = attempts
        if isinstance(wait, int | float):
            if wait < 0:
                raise ValueError("wait must not be negative")
            self.wait: wait_base = (
                wait_none() if wait == 0 else wait_exponential(multiplier=wait, min=wait, max=60)
            )
        else:
            self.wait = wait
        self.now = now or (lambda: pd.Timestamp.now(tz="UTC"))
        self.timeout = timeout

    # ---- the Provider interface -------------------------------------------------------------

    def closes(self, tickers: Sequence[str], start: dt.date, end: dt.date) -> Closes:
        """Adjusted daily closes for ``tickers`` on XNYS sessions ``start``..``end`` inclusive
        that have closed by ``now()``.

        One batched ``yf.download`` per attempt; later attempts re-ask only for tickers that
        were rate-limited or unreachable. Raises ``MarketDataError`` when, after every attempt,
        nothing at all could be had for a transient reason; tickers Yahoo does not know go to
        ``missing`` and never stop the others.
        """
        start = pd.Timestamp(start).date()
        end = pd.Timestamp(end).date()
        wanted = list(dict.fromkeys(tickers))
        if not wanted or start > end:  # nothing to ask Yahoo; answer like the other providers
            reason = f"empty date range ({start} is after {end})"
            return Closes(
                frame=tidy(pd.DataFrame()),
                missing={t: NoData(t, reason) for t in wanted},
                source=self.name,
                synthetic=False,
            )
        # yfinance upper-cases symbols; we answer in the caller's spelling.
        symbol_of = {t: t.upper() for t in wanted}

        got: dict[str, pd.Series] = {}
        gone: dict[str, str] = {}
        pending = sorted(set(symbol_of.values()))
        left: dict[str, _Failure] = {}

        retrying = Retrying(
            stop=stop_after_attempt(self.attempts),
            wait=self.wait,
            retry=retry_if_exception_type(_Transient),
            before_sleep=self._before_sleep,
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    series, failures = self._download(pending, start, end)
                    got.update(series)
                    gone.update({s: f.detail for s, f in failures.items() if f.kind == "gone"})
                    transient = {s: f for s, f in failures.items() if f.kind != "gone"}
                    if transient:
                        pending = sorted(transient)
                        raise _Transient(transient)
        except _Transient as exc:
            left = exc.failures
            if not got:
                raise MarketDataError(self._give_up_message(left)) from None
            log.warning("yahoo: %s; returning the rest", self._give_up_message(left))

        return self._assemble(wanted, symbol_of, got, gone, left, start, end)

    # ---- one attempt ------------------------------------------------------------------------

    def _download(
        self, symbols: list[str], start: dt.date, end: dt.date
    ) -> tuple[dict[str, pd.Series], dict[str, _Failure]]:
        """One ``yf.download`` for ``symbols``: the close series that have at least one price,
        and why each of the others has none."""
        with _DOWNLOAD_LOCK, _watch(self.session) as traffic, _listen() as errors:
            try:
                raw = yf.download(
                    symbols,
                    start=start,
                    # yfinance's end is exclusive (midnight New York, the exchange's zone).
                    end=end + dt.timedelta(days=1),
                    interval="1d",
                    # Close becomes Yahoo's dividend- and split-adjusted close.
                    auto_adjust=True,
                    actions=False,
                    progress=False,
                    group_by="column",
                    multi_level_index=True,
                    # Serial on purpose: yfinance's threads share one session and one cookie
                    # (curl_cffi sessions are not thread-safe), wait in a busy loop that hangs
                    # if a worker dies, and hit Yahoo's rate limit sooner. A watch list of a
                    # few dozen daily series takes seconds either way.
                    threads=False,
                    timeout=self.timeout,
                    session=self.session,
                )
            except YFRateLimitError as exc:  # not raised by 1.7's download(), maybe by others
                return {}, {s: _Failure("rate", str(exc)) for s in symbols}
            except Exception as exc:
                if _is_transient_exception(exc):
                    detail = f"{type(exc).__name__}: {exc}"
                    return {}, {s: _Failure("network", detail) for s in symbols}
                raise MarketDataError(
                    _one_line(f"yfinance failed: {type(exc).__name__}: {exc}")
                ) from exc

        close = _close_level(raw)
        series: dict[str, pd.Series] = {}
        failures: dict[str, _Failure] = {}
        for sym in symbols:
            col = close[sym] if sym in close.columns else None
            if isinstance(col, pd.DataFrame):  # duplicated column label: keep the first
                col = col.iloc[:, 0]
            if col is not None and col.notna().any():
                series[sym] = col.astype(float)
            else:
                failures[sym] = _classify(sym, errors.text(sym), traffic)
        return series, failures

    # ---- shaping the answer -----------------------------------------------------------------

    def _assemble(
        self,
        wanted: list[str],
        symbol_of: dict[str, str],
        got: dict[str, pd.Series],
        gone: dict[str, str],
        left: dict[str, _Failure],
        start: dt.date,
        end: dt.date,
    ) -> Closes:
        frame = tidy(pd.DataFrame(got)) if got else tidy(pd.DataFrame())
        frame = self._closed_sessions(frame, start, end)

        missing: dict[str, NoData] = {}
        columns: dict[str, pd.Series] = {}
        for t in wanted:
            sym = symbol_of[t]
            if sym in left:
                reason = self._give_up_message(left, short=True)
            elif sym in gone:
                reason = _one_line(gone[sym])
            elif sym not in frame.columns or not frame[sym].notna().any():
                reason = NOT_CLOSED_REASON if sym in got else DEFAULT_REASON
            else:
                columns[t] = frame[sym]
                continue
            missing[t] = NoData(t, reason)
            log.warning("yahoo: no data for %s: %s", t, reason)

        out = pd.DataFrame(columns, index=frame.index) if columns else frame.iloc[:, :0]
        # A session where no requested ticker has a close tells nothing; leave it out.
        out = out.dropna(how="all") if columns else out.iloc[:0]
        out = tidy(out)
        # Sessions are not business days: no inferred frequency on the index.
        out.index = pd.DatetimeIndex(out.index.to_numpy(), name="date")
        return Closes(frame=out, missing=missing, source=self.name, synthetic=False)

    def _closed_sessions(self, frame: pd.DataFrame, start: dt.date, end: dt.date) -> pd.DataFrame:
        """Keep rows in ``start``..``end`` that are XNYS sessions closed by ``now()``.

        * Today's bar before the close is a live quote, not a close: it moves until 16:00
          New York (13:00 on early-close days, which the calendar knows) and would be
          alerted on as if final.
        * A bar on a day the NYSE was shut (a holiday quirk of Yahoo's, or an instrument that
          trades when the NYSE does not) would add a row where every other ticker is blank;
          everything downstream reasons in XNYS sessions, so it goes. Dates before the
          calendar's first session (1990) cannot be checked and are kept.
        """
        if frame.empty:
            return frame
        frame = frame.loc[pd.Timestamp(start) : pd.Timestamp(end)]
        first = calendar.xnys().first_session.tz_localize(None)
        sessions = calendar.sessions(max(pd.Timestamp(start), first), pd.Timestamp(end))
        on_calendar = (frame.index < first) | frame.index.isin(sessions)
        if not on_calendar.all():
            log.info(
                "yahoo: dropping bars on non-session days %s",
                [d.date().isoformat() for d in frame.index[~on_calendar]],
            )
        frame = frame[on_calendar]

        last = calendar.last_closed_session(pd.Timestamp(self.now()))
        if last is None:
            return frame[frame.index < first]
        unclosed = frame.index > pd.Timestamp(last)
        if unclosed.any():
            log.info(
                "yahoo: dropping bars of sessions not yet closed: %s",
                [d.date().isoformat() for d in frame.index[unclosed]],
            )
        return frame[~unclosed]

    # ---- messages ---------------------------------------------------------------------------

    def _give_up_message(self, failures: dict[str, _Failure], short: bool = False) -> str:
        """One line for a human: what kept failing, and how often we tried."""
        kinds = {f.kind for f in failures.values()}
        n = self.attempts
        if kinds == {"rate"}:
            return f"Yahoo rate-limited us {'once' if n == 1 else f'{n} times'}; try again later"
        if kinds == {"network"}:
            if short:
                return f"could not reach Yahoo ({n} attempts)"
            sample = next(iter(failures.values())).detail
            return _one_line(
                f"Could not reach Yahoo after {n} attempts ({sample}); "
                "check the network and try again later"
            )
        return f"Yahoo rate-limited us or was unreachable ({n} attempts); try again later"

    def _before_sleep(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        failures = exc.failures if isinstance(exc, _Transient) else {}
        kinds = sorted({f.kind for f in failures.values()})
        delay = state.next_action.sleep if state.next_action else 0.0
        log.warning(
            "yahoo: %d ticker(s) %s on attempt %d of %d (%s); retrying in %.1fs",
            len(failures),
            " / ".join("rate-limited" if k == "rate" else "unreachable" for k in kinds),
            state.attempt_number,
            self.attempts,
            ", ".join(sorted(failures)),
            delay,
        )


def _close_level(raw: pd.DataFrame | None) -> pd.DataFrame:
    """The ``Close`` block of ``download()``'s (Price, Ticker) columns, or an empty frame."""
    if raw is None or (raw.empty and len(raw.columns) == 0):
        return pd.DataFrame()
    if isinstance(raw.columns, pd.MultiIndex):
        if "Close" not in raw.columns.get_level_values(0):
            return pd.DataFrame(index=raw.index)
        close = raw["Close"].copy()
        close.columns = [str(c).upper() for c in close.columns]
        return close
    return pd.DataFrame(index=raw.index)  # single-level columns: not a shape we ask for
