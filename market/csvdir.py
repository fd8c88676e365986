"""Your own data: a folder of ``<TICKER>.csv`` files, or one wide CSV file.

Accepted shapes, as Yahoo, Stooq and most tools export them:

* a folder with one file per ticker (``IWM.csv``, ``^RUT.csv``, ``CL=F.csv``; the match is
  case-insensitive) holding a date column (``Date``/``date``/``timestamp``) and a close
  column: ``Adj Close`` is preferred (it accounts for dividends and splits), else ``Close``;
* one wide CSV file: a date column and one column per ticker.

A value that is empty, ``null``, ``NaN``, ``NA`` or ``.`` is a missing close (Yahoo writes
``null`` for a day without a trade). Anything else that is not a date or a number is a
mistake, reported as a :class:`~market.base.MarketDataError` naming the file and the line
(its message a :class:`~signals.sentence.Sentence`, so a chat reads it in its language).
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

import pandas as pd

from market.base import Closes, MarketDataError, NoData, Valuations, split_missing, tidy
from signals.sentence import Sentence, message_of

__all__ = ["CLOSE_COLUMNS", "DATE_COLUMNS", "MISSING", "CsvProvider"]

DATE_COLUMNS = ("date", "datetime", "timestamp", "time")
CLOSE_COLUMNS = ("adj close", "adj_close", "adjclose", "adjusted close", "close")
MISSING = frozenset({"", "null", "nan", "na", "n/a", "none", "."})


class CsvProvider:
    """Daily closes from CSV files on disk: ``csv:DIR`` or ``csv:FILE.csv``."""

    synthetic = False

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        if not self.path.exists():
            raise MarketDataError(
                Sentence("csv source {path}: no such file or folder", path=self.path)
            )
        self.name = f"csv:{self.path}"

    def closes(self, tickers: Sequence[str], start: dt.date | None, end: dt.date) -> Closes:
        """Closes for ``tickers``; a file that cannot be read (a bad row, a duplicated date, a
        header and no rows) costs its own ticker only, reported with its name and line."""
        unreadable: dict[str, NoData] = {}
        if self.path.is_file():
            frame = _read_wide(self.path, _stamp(self.path))
        else:
            files = self.files()
            series = {}
            for t in dict.fromkeys(tickers):
                if t.upper() not in files:
                    continue
                try:
                    series[t] = _read_one(files[t.upper()], _stamp(files[t.upper()]))
                except MarketDataError as e:
                    unreadable[t] = NoData(t, message_of(e))
            frame = pd.concat(series, axis=1, sort=True) if series else pd.DataFrame()
        frame = tidy(frame)
        rows = frame.loc[None if start is None else pd.Timestamp(start) : pd.Timestamp(end)]
        result = split_missing(
            rows.reindex(columns=[t for t in tickers if t in rows.columns]),
            tickers,
            reason=Sentence("no closes in {path} for the requested dates", path=self.path),
        )
        for t in tickers:
            if t in unreadable:
                result.missing[t] = unreadable[t]
            elif t not in frame.columns:
                result.missing[t] = NoData(
                    t,
                    Sentence("no column {ticker} in {path}", ticker=t, path=self.path)
                    if self.path.is_file()
                    else Sentence("no file {ticker}.csv in {path}", ticker=t, path=self.path),
                    unknown=True,
                )
            elif t in result.missing:
                first = frame[t].first_valid_index()
                last = frame[t].last_valid_index()
                if first is not None and pd.Timestamp(end) < first:
                    said = Sentence(
                        "its data in {path} starts on {day}", path=self.path, day=first.date()
                    )
                    result.missing[t] = NoData(t, said)
                elif first is not None and start is not None and pd.Timestamp(start) > last:
                    said = Sentence(
                        "its data in {path} ends on {day}", path=self.path, day=last.date()
                    )
                    result.missing[t] = NoData(t, said)
        result.source = self.name
        return result

    def valuation(self, tickers: Sequence[str]) -> Valuations:
        """None for every ticker: a folder of closes holds no earnings."""
        return dict.fromkeys(tickers)

    @property
    def first_session(self) -> dt.date | None:
        """The earliest date any file holds (read from each file's first and last rows)."""
        spans = self._spans()
        return min((a for a, _ in spans), default=None)

    @property
    def last_session(self) -> dt.date | None:
        """The latest date any file holds: a folder's "latest session", however old it is."""
        spans = self._spans()
        return max((b for _, b in spans), default=None)

    def _spans(self) -> list[tuple[dt.date, dt.date]]:
        paths = [self.path] if self.path.is_file() else list(self.files().values())
        return [s for s in (_span(p, _stamp(p)) for p in paths) if s is not None]

    def files(self) -> dict[str, Path]:
        """Ticker (upper-case) -> file, for every ``*.csv`` in the folder."""
        return {p.stem.upper(): p for p in sorted(self.path.glob("*.csv")) if p.is_file()}


def _stamp(path: Path) -> tuple[float, int]:
    st = path.stat()
    return (st.st_mtime, st.st_size)


@lru_cache(maxsize=256)
def _span(path: Path, _stamp: tuple[float, int]) -> tuple[dt.date, dt.date] | None:
    """(first, last) date of a file from its first and last rows, without parsing the rest;
    ``None`` when they cannot be read (the file's own problem is reported when it is read)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(4096).decode("utf-8-sig", errors="replace").splitlines()
            fh.seek(0, 2)
            size = fh.tell()
            fh.seek(max(0, size - 4096))
            tail = fh.read().decode("utf-8", errors="replace").splitlines()
        header = next(csv.reader([head[0]]))
        col = [h.strip().lower() for h in header]
        i = next(col.index(n) for n in DATE_COLUMNS if n in col)
        rows = [r for r in (head[1:2], [t for t in tail if t.strip()][-1:]) if r]
        first, last = (pd.Timestamp(next(csv.reader(r))[i].strip()).date() for r in rows)
        return (first, last) if first <= last else (last, first)
    except (OSError, StopIteration, ValueError, IndexError):
        return None


@lru_cache(maxsize=256)
def _read_one(path: Path, _stamp: tuple[float, int]) -> pd.Series:
    """One ticker's closes from a Date + (Adj) Close file; cached until the file changes."""
    header, rows = _rows(path)
    date_col = _find(header, DATE_COLUMNS, path, Sentence("a date column (Date)"))
    close_col = _find(header, CLOSE_COLUMNS, path, Sentence("a close column (Adj Close or Close)"))
    dates, values, lines = [], [], []
    for line, row in rows:
        dates.append(_date(row[date_col], path, line))
        values.append(_number(row[close_col], path, line))
        lines.append(line)
    return _series(dates, values, path, lines)


@lru_cache(maxsize=16)
def _read_wide(path: Path, _stamp: tuple[float, int]) -> pd.DataFrame:
    """A wide file: a date column, then one column of closes per ticker."""
    header, rows = _rows(path)
    date_col = _find(header, DATE_COLUMNS, path, Sentence("a date column (Date)"))
    names = [h.strip() for i, h in enumerate(header) if i != date_col]
    if not names:
        raise MarketDataError(
            Sentence("{path}, line 1: no ticker columns besides the date", path=path)
        )
    dates: list[pd.Timestamp] = []
    lines: list[int] = []
    columns: list[list[float]] = [[] for _ in names]
    others = [i for i in range(len(header)) if i != date_col]
    for line, row in rows:
        dates.append(_date(row[date_col], path, line))
        lines.append(line)
        for col, i in zip(columns, others, strict=True):
            col.append(_number(row[i], path, line))
    return pd.DataFrame(
        {n: _series(dates, c, path, lines) for n, c in zip(names, columns, strict=True)}
    )


def _rows(path: Path) -> tuple[list[str], Iterable[tuple[int, list[str]]]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            lines = list(csv.reader(fh))
    except UnicodeDecodeError as e:
        said = Sentence("{path}: not a text CSV file ({why})", path=path, why=e.reason)
        raise MarketDataError(said) from None
    except (OSError, csv.Error) as e:
        raise MarketDataError(Sentence("{path}: cannot read: {why}", path=path, why=e)) from None
    if not lines or not any(cell.strip() for cell in lines[0]):
        raise MarketDataError(
            Sentence("{path}, line 1: empty file, expected a header row", path=path)
        )
    header = lines[0]
    body = []
    for number, row in enumerate(lines[1:], start=2):
        if not row or not any(cell.strip() for cell in row):
            continue  # blank line
        if len(row) != len(header):
            raise MarketDataError(
                Sentence(
                    "{path}, line {line}: {fields} fields, the header has {columns}",
                    path=path,
                    line=number,
                    fields=len(row),
                    columns=len(header),
                )
            )
        body.append((number, row))
    if not body:
        raise MarketDataError(Sentence("{path}: a header but no rows of data", path=path))
    return header, body


def _find(header: list[str], wanted: Sequence[str], path: Path, what: str) -> int:
    lowered = [h.strip().lower() for h in header]
    for name in wanted:
        if name in lowered:
            return lowered.index(name)
    raise MarketDataError(
        Sentence(
            "{path}, line 1: found no {what} in header {header}",
            path=path,
            what=what,
            header=", ".join(header),
        )
    )


def _date(text: str, path: Path, line: int) -> pd.Timestamp:
    value = text.strip()
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        stamp = pd.NaT
    if value == "" or pd.isna(stamp):
        raise MarketDataError(
            Sentence(
                "{path}, line {line}: {value!r} is not a date", path=path, line=line, value=text
            )
        )
    if stamp.tzinfo is not None:
        stamp = stamp.tz_localize(None)
    return stamp.normalize()


def _number(text: str, path: Path, line: int) -> float:
    value = text.strip().replace(",", "")  # "1,234.50" as some spreadsheets write it
    if value.lower() in MISSING:
        return math.nan
    try:
        number = float(value)
    except ValueError:
        said = Sentence(
            "{path}, line {line}: {value!r} is not a number", path=path, line=line, value=text
        )
        raise MarketDataError(said) from None
    if math.isinf(number):
        raise MarketDataError(
            Sentence(
                "{path}, line {line}: {value!r} is not a finite number",
                path=path,
                line=line,
                value=text,
            )
        )
    return number  # zero and negative are allowed: a 3-month yield can be 0.00


def _series(
    dates: list[pd.Timestamp], values: list[float], path: Path, lines: list[int]
) -> pd.Series:
    index = pd.DatetimeIndex(dates)
    dupes = index.duplicated()
    if dupes.any():
        line = lines[int(dupes.argmax())]
        raise MarketDataError(
            Sentence(
                "{path}, line {line}: date {day} appears twice",
                path=path,
                line=line,
                day=index[dupes.argmax()].date(),
            )
        )
    return pd.Series(values, index=index, dtype=float).sort_index()
