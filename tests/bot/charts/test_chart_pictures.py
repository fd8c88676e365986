"""The charts look as they did: each render compared with a reference picture.

``tests/data/charts/*.png`` were rendered by the code before the charts were made faster
(matplotlib's ``savefig`` at zlib level 3, one scatter per mark) and scaled to half size.
A render today, scaled the same way, must match its reference: on average within a
fraction of a grey level, and with hardly a pixel far off. A lost line, legend entry,
label or colour moves thousands of pixels and fails; a font's hinting does not.

A change meant to be seen redraws the references it changes, and someone looks at them:
``python -m tests.bot.charts.test_chart_pictures price-rut rrg-sectors`` (issue 26 redrew
those two: the sector graph's title said in full words, the drawdown bands named inside
them and no tick overprinting the alert's; the ratio and yield references are the old ones).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bot import charts
from market.sample import sample_closes
from tests.support.paths import TEST_DATA

REFERENCES = TEST_DATA / "charts"
HALF = (640, 480)


def cases() -> dict[str, Callable[[], bytes]]:
    closes = sample_closes()
    return {
        "ratio-iwm-spy": lambda: charts.ratio_chart(
            closes, "IWM", "SPY", synthetic=True, highlight=dt.date(2026, 6, 1)
        ),
        "price-rut": lambda: charts.price_chart(
            closes, "^RUT", synthetic=True, alert_drawdown=15.0, highlight=dt.date(2026, 4, 7)
        ),
        "yield-tnx": lambda: charts.price_chart(closes, "^TNX", synthetic=True, levels=(4.25,)),
        "rrg-sectors": lambda: charts.rrg_chart(closes, synthetic=True, highlight="XLE"),
    }


def pixels(png: bytes | Path) -> np.ndarray:
    source = png if isinstance(png, Path) else io.BytesIO(png)
    image = Image.open(source).convert("RGB")
    if image.size != HALF:
        image = image.resize(HALF, Image.Resampling.BOX)
    return np.asarray(image, dtype=np.int16)


def difference(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Mean absolute difference (grey levels) and the share of pixels off by more than 64."""
    diff = np.abs(a - b).max(axis=2)
    return float(diff.mean()), float((diff > 64).mean())


@pytest.mark.parametrize("name", sorted(cases()))
def test_chart_looks_as_before(name: str) -> None:
    png = cases()[name]()
    assert Image.open(io.BytesIO(png)).size == charts.SIZE
    mean, far = difference(pixels(png), pixels(REFERENCES / f"{name}.png"))
    assert mean < 0.6, f"{name}: mean difference {mean:.2f} grey levels"
    assert far < 0.002, f"{name}: {far:.2%} of the pixels far off"


def test_the_comparison_sees_a_lost_legend_or_line() -> None:
    """The thresholds above are not loose: the same chart without its legend, or without
    its 200-day average, fails them."""
    from bot.charts import canvas

    ref = pixels(REFERENCES / "ratio-iwm-spy.png")
    draw = cases()["ratio-iwm-spy"]
    for damage in (
        lambda fig: fig.legends[0].remove(),
        lambda fig: fig.axes[0].lines[2].remove(),  # the ratio, the 50-day, the 200-day
    ):
        with canvas.inspecting(damage):
            mean, far = difference(pixels(draw()), ref)
        assert mean >= 0.6 or far >= 0.002, (mean, far)


def test_a_reused_figure_draws_what_a_new_one_draws() -> None:
    """Each kind of chart reuses its figure in a thread (bot.charts.canvas.figure): drawn after
    other charts of its kind — other tickers, levels, rings, crossings, a missing sector — a
    chart is byte for byte what a new thread (a new figure) draws."""
    closes = sample_closes()
    others: list[Callable[[], bytes]] = [
        lambda: charts.ratio_chart(closes, "XLK", "XLU", years=10, window=50),
        lambda: charts.ratio_chart(closes, "IWM", None, highlight=dt.date(2026, 1, 5)),
        lambda: charts.price_chart(closes, "XLE", levels=(70.0, 95.0), alert_drawdown=8.0),
        lambda: charts.price_chart(closes, "^IRX", levels=(3.0,), highlight=dt.date(2026, 3, 2)),
        lambda: charts.rrg_chart(closes, ("XLE", "XLK", "XLU"), highlight=None),
        lambda: charts.rrg_chart(closes.drop(columns=["XLC"]), lang="de"),
    ]
    with ThreadPoolExecutor(1) as fresh:  # a thread that has drawn nothing yet
        new = {name: fresh.submit(draw).result() for name, draw in cases().items()}
    for draw in others:
        draw()
    for name, draw in cases().items():
        assert draw() == new[name], name


def regenerate(names: list[str]) -> None:
    """Redraw the named references (all when none is named), scaled as compared."""
    for name, draw in cases().items():
        if not names or name in names:
            image = Image.open(io.BytesIO(draw())).convert("RGB")
            image.resize(HALF, Image.Resampling.BOX).save(REFERENCES / f"{name}.png", optimize=True)
            print(REFERENCES / f"{name}.png")


if __name__ == "__main__":
    import sys

    regenerate(sys.argv[1:])
