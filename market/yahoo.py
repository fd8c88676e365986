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

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

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
from market.base import Closes, MarketDataError, NoData, Valuations, tidy
from market.yahoo_traffic import (
    DEFAULT_REASON,
    Failure,
    Transient,
    as_said,
    classify,
    is_transient_exception,
    listen,
    one_line,
    watch,
)
from market.yahoo_valuation import YahooValuations
from market.yfinance_state import DOWNLOAD_LOCK, configure_cache, new_session, quiet_yfinance
from signals.sentence import Sentence

__all__ = ["NOT_CLOSED_REASON", "YahooProvider"]

log = logging.getLogger(__name__)

NOT_CLOSED_REASON = Sentence("no closed session in the requested range")


class YahooProvider:
    """Daily adjusted closes from Yahoo Finance (``yf.download``), for the ``Provider`` protocol.

    ``session``: the HTTP session yfinance should use (default: curl_cffi impersonating
    Chrome, as yfinance would build). Tests pass an offline fake here.
    ``cache_dir``: yfinance's own cache folder (see ``configure_cache``); the bot passes
    ``CACHE_DIR/yfinance`` from its settings, the one default. None leaves yfinance's.
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
        quiet_yfinance()
        self.session = session if session is not None else new_session()
        self.cache_dir = configure_cache(Path(cache_dir)) if cache_dir else None
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
        self.valuations = YahooValuations(self.session, DOWNLOAD_LOCK)

    # ---- the Provider interface -------------------------------------------------------------

    def closes(self, tickers: Sequence[str], start: dt.date | None, end: dt.date) -> Closes:
        """Adjusted daily closes for ``tickers`` on XNYS sessions ``start``..``end`` inclusive
        that have closed by ``now()``.

        One batched ``yf.download`` per attempt; later attempts re-ask only for tickers that
        were rate-limited or unreachable. Raises ``MarketDataError`` when, after every attempt,
        nothing at all could be had for a transient reason; tickers Yahoo does not know go to
        ``missing`` and never stop the others.
        """
        start = None if start is None else pd.Timestamp(start).date()
        end = pd.Timestamp(end).date()
        wanted = list(dict.fromkeys(tickers))
        if not wanted or (
            start is not None and start > end
        ):  # nothing to ask Yahoo; answer like the other providers
            reason = Sentence("empty date range ({start} is after {end})", start=start, end=end)
            return Closes(
                frame=tidy(pd.DataFrame()),
                missing={t: NoData(t, reason) for t in wanted},
                source=self.name,
                synthetic=False,
            )
        # yfinance upper-cases symbols; we answer in the caller's spelling.
        symbol_of = {t: t.upper() for t in wanted}

        got: dict[str, pd.Series] = {}
        gone: dict[str, Failure] = {}
        pending = sorted(set(symbol_of.values()))
        left: dict[str, Failure] = {}  # what still failed after the last attempt
        earlier: dict[str, Failure] = {}  # what failed transiently on the attempt before

        retrying = Retrying(
            stop=stop_after_attempt(self.attempts),
            wait=self.wait,
            retry=retry_if_exception_type(Transient),
            before_sleep=self._before_sleep,
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    series, failures = self._download(pending, start, end)
                    for sym, failure in failures.items():
                        if failure.kind == "gone" and not failure.asked and sym in earlier:
                            # yfinance asked Yahoo nothing about it this time (it remembers
                            # the failed timezone lookup): the earlier cause still stands
                            failures[sym] = earlier[sym]
                    got.update(series)
                    gone.update({s: f for s, f in failures.items() if f.kind == "gone"})
                    transient = {s: f for s, f in failures.items() if f.kind != "gone"}
                    if transient:
                        pending, earlier = sorted(transient), transient
                        raise Transient(transient)
        except Transient as exc:
            left = exc.failures
            if not got:  # the caller's one line (the CLI's error, the scan's data problem)
                raise MarketDataError(self._give_up_message(left)) from None

        return self._assemble(wanted, symbol_of, got, gone, left, start, end)

    def valuation(self, tickers: Sequence[str]) -> Valuations:
        """Each fund's trailing P/E as Yahoo gives it, None where it gives none (see
        market/yahoo_valuation.py); blocks on the network: call it off the event loop."""
        return self.valuations(tickers)

    # ---- one attempt ------------------------------------------------------------------------

    def _download(
        self, symbols: list[str], start: dt.date | None, end: dt.date
    ) -> tuple[dict[str, pd.Series], dict[str, Failure]]:
        """One ``yf.download`` for ``symbols``: the close series that have at least one price,
        and why each of the others has none."""
        with DOWNLOAD_LOCK, watch(self.session) as traffic, listen() as errors:
            try:
                raw = yf.download(
                    symbols,
                    # None: everything Yahoo has. yfinance 1.7 reads a missing start with an
                    # end as "one month before it" unless told period="max" (99 years back).
                    start=start,
                    period="max" if start is None else None,
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
                return {}, {s: Failure("rate", str(exc)) for s in symbols}
            except Exception as exc:
                if is_transient_exception(exc):
                    detail = f"{type(exc).__name__}: {exc}"
                    return {}, {s: Failure("network", detail) for s in symbols}
                raise MarketDataError(
                    one_line(f"yfinance failed: {type(exc).__name__}: {exc}")
                ) from exc

        close = _close_level(raw)
        series: dict[str, pd.Series] = {}
        failures: dict[str, Failure] = {}
        for sym in symbols:
            col = close[sym] if sym in close.columns else None
            if isinstance(col, pd.DataFrame):  # duplicated column label: keep the first
                col = col.iloc[:, 0]
            if col is not None and col.notna().any():
                series[sym] = col.astype(float)
            else:
                failures[sym] = classify(sym, errors.text(sym), traffic)
        return series, failures

    # ---- shaping the answer -----------------------------------------------------------------

    def _assemble(
        self,
        wanted: list[str],
        symbol_of: dict[str, str],
        got: dict[str, pd.Series],
        gone: dict[str, Failure],
        left: dict[str, Failure],
        start: dt.date | None,
        end: dt.date,
    ) -> Closes:
        frame = tidy(pd.DataFrame(got)) if got else tidy(pd.DataFrame())
        frame = self._closed_sessions(frame, start, end)

        missing: dict[str, NoData] = {}
        columns: dict[str, pd.Series] = {}
        unreachable: dict[str, list[str]] = {}  # the cause -> the tickers it kept out
        for t in wanted:
            sym = symbol_of[t]
            if sym in left:  # the network: the symbol may well exist
                reason, unknown = self._give_up_message(left, short=True), False
                unreachable.setdefault(left[sym].said, []).append(t)
            elif sym in gone:
                reason, unknown = as_said(one_line(gone[sym].detail)), True
                log.warning("yahoo: no data for %s: %s", t, gone[sym].said)
            elif sym in frame.columns and frame[sym].notna().any():
                columns[t] = frame[sym]
                continue
            elif sym in got:  # data, but no closed session yet
                reason, unknown = NOT_CLOSED_REASON, False
                log.warning("yahoo: no data for %s: %s", t, reason)
            else:
                reason, unknown = DEFAULT_REASON, True
                log.warning("yahoo: no data for %s: %s", t, reason)
            missing[t] = NoData(t, reason, unknown=unknown)
        for cause, names in unreachable.items():  # one line per cause, not per ticker
            log.warning(
                "yahoo: no data for %s: %s (%d attempts)", ", ".join(names), cause, self.attempts
            )

        out = pd.DataFrame(columns, index=frame.index) if columns else frame.iloc[:, :0]
        # A session where no requested ticker has a close tells nothing; leave it out.
        out = out.dropna(how="all") if columns else out.iloc[:0]
        out = tidy(out)
        # Sessions are not business days: no inferred frequency on the index.
        out.index = pd.DatetimeIndex(out.index.to_numpy(), name="date")
        return Closes(frame=out, missing=missing, source=self.name, synthetic=False)

    def _closed_sessions(
        self, frame: pd.DataFrame, start: dt.date | None, end: dt.date
    ) -> pd.DataFrame:
        """Keep rows in ``start``..``end`` that are XNYS sessions closed by ``now()``.

        * Today's bar before the close is a live quote, not a close: it moves until 16:00
          New York (13:00 on early-close days, which the calendar knows) and would be
          alerted on as if final.
        * A bar on a day the NYSE was shut (a holiday quirk of Yahoo's, or an instrument that
          trades when the NYSE does not) would add a row where every other ticker is blank;
          everything downstream reasons in XNYS sessions, so it goes. Dates before the
          calendar's first session (1970) cannot be checked and are kept.
        """
        if frame.empty:
            return frame
        lo = None if start is None else pd.Timestamp(start)
        frame = frame.loc[lo : pd.Timestamp(end)]
        first = calendar.xnys().first_session.tz_localize(None)
        sessions = calendar.sessions(first if lo is None else max(lo, first), pd.Timestamp(end))
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

    def _give_up_message(self, failures: dict[str, Failure], short: bool = False) -> str:
        """One line for a human: what kept failing, and how often we tried."""
        kinds = {f.kind for f in failures.values()}
        n = self.attempts
        if kinds == {"rate"}:
            if n == 1:
                return Sentence("Yahoo rate-limited us once; try again later")
            return Sentence("Yahoo rate-limited us {n} times; try again later", n=n)
        if kinds == {"network"}:
            if short:
                return Sentence("could not reach Yahoo ({n} attempts)", n=n)
            sample = next(iter(failures.values())).said
            return one_line(
                f"Could not reach Yahoo after {n} attempts ({sample}); "
                "check the network and try again later"
            )
        return Sentence(
            "Yahoo rate-limited us or was unreachable ({n} attempts); try again later", n=n
        )

    def _before_sleep(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        failures = exc.failures if isinstance(exc, Transient) else {}
        kinds = sorted({f.kind for f in failures.values()})
        delay = state.next_action.sleep if state.next_action else 0.0
        log.debug(  # the outcome is logged once, by closes() or its caller
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
