"""bot.charts: PNG charts for /chart and for alerts, on the synthetic sample and hand-made frames.

The pictures themselves are checked by eye (bench/charts.py writes them); here: they are
PNGs of exactly SIZE, say what they show and as of when (the heading helper, and the PNG's
own Title/Description text chunks), say SYNTHETIC when asked, come out byte-identical for the
same input, and fail with a clear ValueError (or None for an alert) when the data cannot
support them.
"""

from __future__ import annotations

import datetime as dt
import struct
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from bot import charts
from bot.charts import base, canvas
from bot.charts.rrg import tails
from bot.text.i18n import translator
from bot.text.names import subject_label
from market import calendar
from market.sample import SAMPLE_END, sample_closes
from signals.catalogue import KINDS
from signals.engine import evaluate
from signals.events import Event
from signals.kind import Chart
from signals.presets import all_preset_rules
from signals.rules import ParamValue

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    """(type, data) of every chunk; checks each CRC on the way."""
    assert png[:8] == PNG_SIGNATURE
    out, pos = [], 8
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind, data = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", png[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(kind + data) == crc
        out.append((kind, data))
        pos += 12 + length
    return out


def png_size(png: bytes) -> tuple[int, int]:
    kind, data = chunks(png)[0]
    assert kind == b"IHDR"
    return struct.unpack(">II", data[:8])


def png_text(png: bytes) -> dict[str, str]:
    """The tEXt / iTXt key -> text pairs (Title, Description)."""
    out = {}
    for kind, data in chunks(png):
        if kind == b"tEXt":
            key, _, text = data.partition(b"\0")
            out[key.decode("latin-1")] = text.decode("latin-1")
        elif kind == b"iTXt":
            key, _, rest = data.partition(b"\0")
            compressed, rest = rest[0], rest[2:]  # flag, method
            _lang, _, rest = rest.partition(b"\0")
            _translated, _, text = rest.partition(b"\0")
            out[key.decode("latin-1")] = (zlib.decompress(text) if compressed else text).decode()
    return out


def assert_chart(png: bytes, *, synthetic: bool | None = None) -> dict[str, str]:
    assert isinstance(png, bytes) and len(png) > 10_000
    assert png.startswith(PNG_SIGNATURE)
    assert png_size(png) == charts.SIZE
    text = png_text(png)
    assert "Software" not in text  # no version string: bytes do not change with matplotlib
    if synthetic is not None:
        assert ("synthetic" in text["Description"].lower()) is synthetic
    return text


# ------------------------------------------------------------------- hand-made frame

SESSIONS = calendar.sessions("2023-01-03", "2024-12-31")  # ~500 real NYSE sessions


def hand_frame(n: int | None = None) -> pd.DataFrame:
    """SPY drifting up; AAA beating it, then lagging (so its ratio crosses its averages);
    XLE/XLK/XLU circling SPY at different phases (an RRG with tails); a yield ^TNX."""
    index = SESSIONS if n is None else SESSIONS[-n:]
    t = np.arange(len(index), dtype=float)
    spy = 400 * np.exp(0.0004 * t + 0.03 * np.sin(t / 17))
    cols = {
        "SPY": spy,
        "AAA": spy * 0.5 * np.exp(0.15 * np.sin(t / 60)),
        "BBB": 50 * np.exp(0.0002 * t),
        "XLE": spy * 0.2 * np.exp(0.04 * np.sin(t / 25)),
        "XLK": spy * 0.5 * np.exp(0.04 * np.sin(t / 25 + 2)),
        "XLU": spy * 0.15 * np.exp(0.04 * np.sin(t / 25 + 4)),
        "^TNX": 4.0 + 0.5 * np.sin(t / 40),
    }
    return pd.DataFrame(cols, index=index)


def test_size_is_phone_friendly_and_what_telegram_keeps() -> None:
    w, h = charts.SIZE
    assert max(w, h) <= 1280  # Telegram's photo limit: no rescaling on the way
    assert w >= h  # landscape, a time axis
    assert base.SMALL_PT >= 13 and base.TEXT_PT >= 14


@pytest.mark.parametrize(
    "draw",
    [
        lambda f: charts.ratio_chart(f, "AAA", "SPY"),
        lambda f: charts.ratio_chart(f, "AAA", None),  # one price against its averages
        lambda f: charts.price_chart(f, "AAA"),
        lambda f: charts.price_chart(f, "^TNX", levels=(4.25,)),
        lambda f: charts.rrg_chart(f, ("XLE", "XLK", "XLU")),
    ],
    ids=["ratio", "single", "price", "yield", "rrg"],
)
def test_each_chart_on_a_hand_made_frame(draw) -> None:
    text = assert_chart(draw(hand_frame()), synthetic=False)
    assert "last close 2024-12-31" in text["Description"]


def test_each_chart_on_the_synthetic_sample() -> None:
    closes = sample_closes()
    last = SAMPLE_END.isoformat()
    for png, title in [
        (charts.ratio_chart(closes, "IWM", "SPY", synthetic=True), "small caps vs large caps"),
        (charts.price_chart(closes, "^RUT", synthetic=True), "Russell 2000"),
        (charts.price_chart(closes, "^TNX", synthetic=True), "10-year Treasury yield"),
        (charts.rrg_chart(closes, synthetic=True), "relative rotation (JdK-style) vs S&P 500"),
    ]:
        text = assert_chart(png, synthetic=True)
        assert title in text["Title"] and last in text["Description"]


# ------------------------------------------------------------------- words on the chart


def test_heading_names_the_subject_and_the_last_close() -> None:
    h = base.heading("IWM/SPY", dt.date(2026, 10, 30), detail="ratio 0.6223")
    assert h.title == "IWM/SPY — small caps vs large caps"
    assert h.subtitle == "last close 2026-10-30 · ratio 0.6223"
    assert h.note == "" and "synthetic" not in h.description
    s = base.heading("^RUT", dt.date(2026, 10, 30), synthetic=True)
    assert s.title == "^RUT — Russell 2000" and s.note == "SYNTHETIC"
    assert "synthetic" in s.description and "2026-10-30" in s.description
    assert base.heading("ZZZ", dt.date(2026, 1, 2)).title == "ZZZ"  # unknown: no made-up name


@pytest.mark.parametrize(
    ("subject", "label"),
    [
        ("IWM/SPY", "small caps vs large caps"),
        ("IWD/IWF", "value vs growth"),
        ("IWN/IWO", "small value vs small growth"),
        ("RSP/SPY", "equal weight vs cap weight"),
        ("XLE/SPY", "Energy vs S&P 500"),
        ("XLRE/SPY", "Real estate vs S&P 500"),
        ("XLE/XLK", "Energy vs Technology"),
        ("^TNX", "10-year Treasury yield"),
        ("VSAT/SPY", "VSAT vs S&P 500"),
        ("AAA/BBB", ""),
    ],
)
def test_subject_labels(subject: str, label: str) -> None:
    assert subject_label(subject, translator(None)) == label


def test_titles_fit_the_width() -> None:
    """The longest sector title is shrunk to fit beside the badge, not cut short."""
    closes = sample_closes()
    png = charts.ratio_chart(closes, "XLY", "SPY", synthetic=True)
    assert png_text(png)["Title"] == "XLY/SPY — Discretionary vs S&P 500"
    fig = canvas.new_figure()
    base.draw_heading(fig, base.heading("XLY/SPY", SAMPLE_END, synthetic=True))
    title = next(t for t in fig.texts if t.get_text().startswith("XLY/SPY"))
    assert not title.get_text().endswith("…") and title.get_fontsize() >= base.TITLE_MIN_PT
    right = title.get_window_extent(fig.canvas.get_renderer()).x1
    assert right < charts.SIZE[0] * 0.8  # clear of the SYNTHETIC badge


# ------------------------------------------------------------------- dispatch


@pytest.mark.parametrize(
    ("subject", "title"),
    [
        ("sectors", "Sectors — relative rotation (JdK-style) vs S&P 500"),
        ("RRG", "Sectors — relative rotation (JdK-style) vs S&P 500"),
        ("IWM/SPY", "IWM/SPY — small caps vs large caps"),
        (" iwd/iwf ", "IWD/IWF — value vs growth"),
        ("XLE", "XLE — Energy"),
        ("^rut", "^RUT — Russell 2000"),
        ("^IRX", "^IRX — 13-week T-bill yield"),
    ],
)
def test_chart_for_subject(subject: str, title: str) -> None:
    png = charts.chart_for_subject(subject, sample_closes(), synthetic=True)
    assert assert_chart(png, synthetic=True)["Title"] == title


@pytest.mark.parametrize(
    ("subject", "message"),
    [
        ("ZZZ", "no data for ZZZ"),
        ("IWM/ZZZ", "no data for ZZZ"),
        ("PXD", "no data for PXD"),
        ("IWM/SPY/QQQ", "give a ticker"),
        ("", "give a ticker"),
        ("/", "give a ticker"),
        ("SPY/SPY", "give a ticker"),
    ],
)
def test_chart_for_subject_refuses_clearly(subject: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        charts.chart_for_subject(subject, sample_closes())


def test_too_little_history_is_a_clear_error() -> None:
    short = hand_frame(10)
    for subject in ("AAA", "AAA/SPY", "^TNX", "sectors"):
        with pytest.raises(ValueError, match="too little history"):
            charts.chart_for_subject(subject, short)
    sparse = hand_frame()
    sparse.loc[sparse.index[15] :, "BBB"] = np.nan  # a ticker that has 15 closes in all
    with pytest.raises(ValueError, match="too little history for BBB: 15 sessions"):
        charts.chart_for_subject("BBB", sparse)


def test_a_sector_without_data_is_left_out_of_the_rotation_graph() -> None:
    frame = hand_frame()
    png = charts.rrg_chart(frame, ("XLE", "XLK", "XLU", "XLC"))  # XLC is not in the frame
    assert_chart(png)
    with pytest.raises(ValueError, match="no data for SPY"):
        charts.rrg_chart(frame.drop(columns="SPY"))


def test_rrg_tails_end_on_the_same_week() -> None:
    closes = sample_closes()
    drawn = tails(closes, charts.SECTORS, "SPY", 8)
    assert len(drawn) == 11
    assert all(len(t.ratio) == len(t.momentum) == 8 for t in drawn)
    assert {t.last for t in drawn} == {pd.Timestamp(SAMPLE_END)}  # a Friday: its week's end
    assert all(0 <= t.quadrant <= 3 for t in drawn)


# ------------------------------------------------------------------- alerts


def test_chart_for_event_of_every_kind_on_the_sample() -> None:
    closes = sample_closes()
    ctx = calendar.context(closes.index)
    events = evaluate(all_preset_rules(), closes, ctx, start="2024-01-01").events
    latest: dict[str, Event] = {}
    for e in events:
        latest[e.kind] = e
    assert set(latest) == {
        "ratio_cross", "record_high", "drawdown", "level_cross", "rrg_quadrant", "monthly_move"
    }  # fmt: skip
    for e in latest.values():
        png = charts.chart_for_event(e, closes, synthetic=True)
        assert png is not None, e.key
        text = assert_chart(png, synthetic=True)
        # drawn as of the alert's session, whatever came after it
        assert f"last close {e.date.isoformat()}" in text["Description"], e.key


def hand_event(kind: str, subject: str, **params: ParamValue) -> Event:
    return Event(
        date=dt.date(2024, 12, 31),
        kind=kind,
        subject=subject,
        rule=" ".join([kind, subject, *(f"{k}={v}" for k, v in sorted(params.items()))]),
        variant="x",
        text="hand-made",
        params=params,
    )


@pytest.mark.parametrize(
    "event",
    [
        hand_event("ratio_cross", "AAA/SPY", band=0.5, direction="both", window=50),
        hand_event("ratio_cross", "AAA", band=0.0, direction="both", window=200),
        hand_event("record_high", "AAA", quiet=20),
        hand_event("drawdown", "AAA", threshold=15.0, window=252),
        hand_event("level_cross", "^TNX", band=1.0, direction="both", level=4.25),
        hand_event("rrg_quadrant", "XLE/SPY", band=1.0, momentum=4, window=10),
        hand_event("rrg_quadrant", "AAA/BBB", band=1.0, momentum=4, window=10),
        hand_event("monthly_move", "AAA/SPY", pct=3.0),
        hand_event("monthly_move", "AAA", pct=5.0),
    ],
    ids=lambda e: e.rule,
)
def test_chart_for_hand_made_events(event: Event) -> None:
    assert_chart(charts.chart_for_event(event, hand_frame()), synthetic=False)


def test_chart_for_event_is_none_without_data() -> None:
    frame = hand_frame()
    assert charts.chart_for_event(hand_event("record_high", "ZZZ"), frame) is None
    assert charts.chart_for_event(hand_event("ratio_cross", "AAA/ZZZ"), frame) is None
    assert charts.chart_for_event(hand_event("record_high", "AAA"), hand_frame(5)) is None
    assert charts.chart_for_event(hand_event("new_kind", "AAA"), frame) is None
    early = Event(dt.date(2020, 1, 2), "record_high", "AAA", "record_high AAA", "r", "t")
    assert charts.chart_for_event(early, frame) is None  # before the data starts


def test_every_kind_has_a_drawing() -> None:
    assert {k.chart for k in KINDS.values()} <= set(charts.DRAW)
    assert set(charts.DRAW) == set(Chart)


def test_the_chart_reads_the_parameters_from_the_event() -> None:
    # the drawdown line and the moving average come from the event, not from its key text
    frame = hand_frame()
    at_15 = hand_event("drawdown", "AAA", threshold=15.0, window=252)
    at_25 = replace(at_15, params={"threshold": 25.0, "window": 252})
    assert charts.chart_for_event(at_15, frame) != charts.chart_for_event(at_25, frame)
    fast = hand_event("ratio_cross", "AAA/SPY", band=0.0, direction="both", window=50)
    slow = replace(fast, params={**fast.params, "window": 100})
    assert charts.chart_for_event(fast, frame) != charts.chart_for_event(slow, frame)
    # an event stored before events carried parameters: the kind's defaults
    bare = replace(fast, params={})
    default = replace(fast, params=dict(KINDS["ratio_cross"].defaults))
    assert charts.chart_for_event(bare, frame) == charts.chart_for_event(default, frame)


# ------------------------------------------------------------------- determinism, threads


def test_same_input_same_bytes() -> None:
    closes = sample_closes()
    for draw in (
        lambda: charts.ratio_chart(closes, "IWM", "SPY", synthetic=True),
        lambda: charts.price_chart(closes, "^RUT", synthetic=True),
        lambda: charts.rrg_chart(closes, synthetic=True),
    ):
        assert draw() == draw()
    assert charts.price_chart(closes, "IWM") != charts.price_chart(closes, "IWM", years=1)


def test_threads_draw_the_same_charts_as_one_thread() -> None:
    frame = hand_frame()
    subjects = ["AAA/SPY", "AAA", "^TNX", "sectors", "XLE/SPY", "BBB"] * 2
    serial = [charts.chart_for_subject(s, frame) for s in subjects]
    with ThreadPoolExecutor(4) as pool:
        parallel = list(pool.map(lambda s: charts.chart_for_subject(s, frame), subjects))
    assert parallel == serial
