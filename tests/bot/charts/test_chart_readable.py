"""Charts a trader cannot misread (issue 26): value ticks written with the decimals their
step needs, titles said in full words (never cut with "…") inside the figure, and the
drawdown bands' names inside their bands. Each chart is drawn and its figure read after it
became a PNG (the texts, their ticks and their rendered extents)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.figure import Figure
from matplotlib.text import Text

from bot import charts
from bot.charts import base, canvas
from bot.charts.outcomes import outcomes_chart
from bot.evening.backtest_stats import backtest_with_stats
from bot.text.i18n import translator
from market.sample import SampleProvider, sample_closes
from signals import drawdown
from signals.parse import parse_rule

LANGS = ["en", "de", "es"]


def drawn(draw: Callable[[], bytes]) -> Figure:
    """The figure of the chart ``draw`` makes, as it was drawn into the PNG (its texts and
    ticks are laid out)."""
    seen: list[Figure] = []
    with canvas.inspecting(seen.append):
        draw()
    (fig,) = seen
    return fig


def value(label: str, lang: str) -> float:
    """A tick label back to its number: ``5,000.25`` / ``5.000,25`` / ``4,25 %``."""
    text = label.replace("\u2212", "-").replace("%", "").replace("\xa0", "").strip()
    if lang == "en":
        return float(text.replace(",", ""))
    return float(text.replace(".", "").replace(",", "."))


def drawer(fig: Figure) -> RendererAgg:
    """The renderer the chart was drawn with (bot.charts.canvas: an Agg canvas)."""
    assert isinstance(fig.canvas, FigureCanvasAgg)
    got: RendererAgg = fig.canvas.get_renderer()
    return got


def heading_title(fig: Figure) -> Text:
    """The title: the text at the figure's top left (base.draw_heading)."""
    (title,) = [x for x in fig.texts if x.get_position() == (0.035, 0.955)]
    return title


def ratio_frame(lo: float, hi: float) -> pd.DataFrame:
    """Two years and a half of IWM and SPY whose ratio swings between ``lo`` and ``hi``."""
    days = pd.bdate_range("2024-01-01", periods=650)
    ratio = lo + (hi - lo) * (0.5 + 0.5 * np.sin(np.linspace(0, 5 * np.pi, len(days))))
    spy = np.full(len(days), 500.0)
    return pd.DataFrame({"IWM": ratio * spy, "SPY": spy}, index=days)


def value_ticks(fig: Figure, lang: str, axis: int = 0) -> tuple[np.ndarray, list[str]]:
    ax = fig.axes[axis]
    y0, y1 = sorted(ax.get_ylim())
    pairs = [
        (tick.get_loc(), tick.label2.get_text())
        for tick in ax.yaxis.get_major_ticks()
        if y0 <= tick.get_loc() <= y1 and tick.label2.get_text()
    ]
    return np.array([loc for loc, _ in pairs]), [label for _, label in pairs]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(("lo", "hi"), [(0.42, 0.58), (0.405, 0.62), (1.05, 1.2), (2100, 2650)])
def test_ratio_ticks_are_distinct_and_equally_spaced_as_written(
    lang: str, lo: float, hi: float
) -> None:
    """Each label writes its tick exactly, so equal steps read as equal steps (0.425, not
    0.42 beside 0.45), all with the same number of decimals, in the language's format."""
    frame = ratio_frame(lo, hi)
    fig = drawn(lambda: charts.ratio_chart(frame, "IWM", "SPY", lang=lang))
    locs, labels = value_ticks(fig, lang)
    assert len(locs) >= 4, labels
    numbers = np.array([value(label, lang) for label in labels])
    step = float(np.min(np.diff(locs)))
    assert len(set(labels)) == len(labels), labels
    assert np.allclose(numbers, locs, rtol=0, atol=step * 1e-3), labels
    assert np.allclose(np.diff(numbers), step, rtol=0, atol=step * 1e-3), labels
    decimals = {len(label.split("." if lang == "en" else ",")[-1]) for label in labels}
    if any("." in label or "," in label for label in labels) and hi < 100:
        assert len(decimals) == 1, labels
    if lang != "en" and hi < 100:
        assert all("," in label for label in labels), labels  # 0,475 in German and Spanish


def test_a_step_of_a_quarter_gets_three_decimals() -> None:
    """The case the issue saw: ticks 0.025 apart written with two decimals."""
    from bot.charts.ticks import decimals_for

    frame = ratio_frame(0.42, 0.58)
    fig = drawn(lambda: charts.ratio_chart(frame, "IWM", "SPY"))
    _, labels = value_ticks(fig, "en")
    assert "0.425" in labels or "0.475" in labels, labels
    assert decimals_for([0.425, 0.45, 0.475]) == 3
    assert decimals_for([0.4, 0.45, 0.5]) == 2
    assert decimals_for([3000.0, 4000.0, 5000.0]) == 0


def outcomes(lang: str) -> Callable[[], bytes]:
    sample = SampleProvider()
    rule = parse_rule("IWM/SPY crosses 200d")
    _, got = backtest_with_stats(sample, [rule], None, sample.last_session)
    labels = {"above": "up", "below": "down"}

    def draw() -> bytes:
        return outcomes_chart(got, sample.last_session, labels, synthetic=True, lang=lang)

    return draw


def every_chart(lang: str) -> dict[str, Callable[[], bytes]]:
    closes = sample_closes()
    return {
        "ratio": lambda: charts.ratio_chart(closes, "IWM", "SPY", synthetic=True, lang=lang),
        "price": lambda: charts.price_chart(
            closes, "^RUT", synthetic=True, alert_drawdown=15.0, lang=lang
        ),
        "yield": lambda: charts.price_chart(
            closes, "^TNX", synthetic=True, levels=(4.25,), lang=lang
        ),
        "rrg": lambda: charts.rrg_chart(closes, synthetic=True, lang=lang),
        "outcomes": outcomes(lang),
    }


@pytest.mark.parametrize("lang", LANGS)
def test_every_title_is_whole_words_inside_the_figure(lang: str) -> None:
    """No title is cut short: it is the full title or a shorter way to say it
    (fitting.title_choices), its rendered extent inside the figure and clear of the badge."""
    t = translator(lang)
    for name, draw in every_chart(lang).items():
        fig = drawn(draw)
        renderer = drawer(fig)
        texts: list[Text] = list(fig.texts)
        badge = next(x for x in texts if x.get_text() == t("SYNTHETIC"))
        title = heading_title(fig)
        full = title.get_text()
        assert not full.endswith("…"), (name, full)
        box = title.get_window_extent(renderer)
        assert box.x0 >= 0 and box.x1 <= charts.SIZE[0], (name, full)
        assert box.x1 < badge.get_window_extent(renderer).x0, (name, full)
        assert float(title.get_fontsize()) >= base.SMALL_PT, (name, full)
        (sub,) = [x for x in texts if x.get_position() == (0.035, 0.895)]
        assert not sub.get_text().endswith("…"), (name, sub.get_text())
        assert sub.get_window_extent(renderer).x1 <= charts.SIZE[0] * 0.965, (name, sub)


@pytest.mark.parametrize("lang", LANGS)
def test_the_sector_graph_says_what_it_is_against(lang: str) -> None:
    """The sector graph's title keeps its benchmark ("… vs S&P 500"), not "(JdK-style)…"."""
    fig = drawn(lambda: charts.rrg_chart(sample_closes(), synthetic=True, lang=lang))
    title = heading_title(fig).get_text()
    assert title.endswith("S&P 500"), title


def test_title_choices_are_whole_words() -> None:
    from bot.charts import fitting

    subtitle = "last close 2026-10-30 · change in the ratio, after each firing beside every session"
    assert fitting.clause_choices(subtitle) == [
        subtitle,
        "last close 2026-10-30 · change in the ratio",
    ]

    title = "Sectors — relative rotation (JdK-style) vs S&P 500"
    assert fitting.title_choices(title) == [
        title,
        "Sectors — relative rotation vs S&P 500",
        "Sectors",
    ]
    assert fitting.title_choices("IWM/SPY") == ["IWM/SPY"]


def band_labels(fig: Figure) -> dict[str, tuple[float, float]]:
    """Each annotation of the drawdown panel: its text -> (bottom, top) in percent."""
    ax = fig.axes[1]
    renderer = drawer(fig)
    to_data = ax.transData.inverted()
    out = {}
    for text in ax.texts:
        box = text.get_window_extent(renderer)
        (_, bottom), (_, top) = to_data.transform([(box.x0, box.y0), (box.x1, box.y1)])
        out[text.get_text()] = (float(bottom), float(top))
    return out


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(("ticker", "alert"), [("XLE", None), ("^RUT", None), ("^RUT", 15.0)])
def test_drawdown_band_names_sit_inside_their_bands(
    lang: str, ticker: str, alert: float | None
) -> None:
    """ "correction" lies between the 10% and 20% lines, "bear market" below the 20% line
    (signals.drawdown.BEAR) and above the panel's floor."""
    t = translator(lang)
    closes = sample_closes()
    fig = drawn(lambda: charts.price_chart(closes, ticker, alert_drawdown=alert, lang=lang))
    floor = min(fig.axes[1].get_ylim())
    labels = band_labels(fig)
    bear = t("bear market")
    assert bear in labels, labels  # the panel leaves room for it
    bottom, top = labels[bear]
    assert floor <= bottom and top <= -drawdown.BEAR, labels
    if t("correction") in labels:
        bottom, top = labels[t("correction")]
        assert bottom >= -drawdown.BEAR and top <= -10.0, labels
    if alert is None:
        assert t("correction") in labels, labels


def test_an_alert_tick_does_not_overlap_the_lines_ticks() -> None:
    """With an alert at 15%, the -10% and -20% ticks would overprint "-15%": only the alert's
    is written."""
    fig = drawn(lambda: charts.price_chart(sample_closes(), "^RUT", alert_drawdown=15.0))
    _, labels = value_ticks(fig, "en", axis=1)
    assert "-15%" in labels and "-10%" not in labels and "-20%" not in labels, labels


def test_reading_a_figure_is_the_chart_of_the_day() -> None:
    """The helper reads the figure of the chart just drawn (not a stale one)."""
    closes = sample_closes()
    fig = drawn(lambda: charts.price_chart(closes, "XLE", highlight=dt.date(2026, 4, 7)))
    assert heading_title(fig).get_text().startswith("XLE")


@pytest.mark.parametrize("lang", ["de", "es"])
def test_the_ratio_in_the_subtitle_is_written_the_way_the_axis_is(lang: str) -> None:
    """0,6223 beside ticks 0,55 0,60: not 0.6223, which a German reader takes for 6223."""
    fig = drawn(lambda: charts.ratio_chart(sample_closes(), "IWM", "SPY", lang=lang))
    (sub,) = [x for x in fig.texts if x.get_position() == (0.035, 0.895)]
    assert "0,6223" in sub.get_text() and "0.6223" not in sub.get_text(), sub.get_text()
