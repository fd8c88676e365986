"""bot.charts.agg_text: text blended from cached line bitmaps looks as matplotlib draws it."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.charts import agg_text

pytestmark = pytest.mark.skipif(
    not agg_text.AVAILABLE, reason="this matplotlib has no glyph-by-glyph Agg text to cache"
)

LINES = [
    ("IWM/SPY — small caps vs large caps", 19, "bold", "#1a1a1a"),
    ("Größe · Über · año · café · 0.6223", 14, "normal", "#555555"),
    ("Сектора: XLE ↑ 13.4%", 14, "normal", "#c62828"),
    ("AVA Wo Ty 2026-10-30", 13, "normal", "#1f4e99"),
]


def draw(canvas_class: type[FigureCanvasAgg], *, rotated: bool = False) -> np.ndarray:
    fig = Figure(figsize=(6.4, 4.8), dpi=200, facecolor="white")
    canvas = canvas_class(fig)
    for i, (text, size, weight, colour) in enumerate(LINES):
        # positions off the pixel grid, as tick labels and titles are
        fig.text(
            0.031 + 0.013 * i,
            0.9 - 0.21 * i - 0.0007 * i,
            text,
            fontsize=size,
            fontweight=weight,
            color=colour,
            rotation=90 if rotated else 0,
        )
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[:, :, :3].astype(np.int16)


def test_lines_look_as_matplotlib_draws_them() -> None:
    agg_text._bitmaps.clear()
    ours, theirs = draw(agg_text.TextCachingCanvas), draw(FigureCanvasAgg)
    inked = (theirs < 250).any(axis=2)
    assert inked.sum() > 20_000  # the lines are there to compare
    diff = np.abs(ours - theirs).max(axis=2)
    # glyphs at most 1/16 px from matplotlib's own positions: edges differ by a few
    # grey levels, nothing is missing, moved or recoloured
    assert diff[inked].mean() < 6, diff[inked].mean()
    assert (diff > 96).mean() < 0.0005
    assert ((ours < 250).any(axis=2) != inked).sum() < 0.03 * inked.sum()  # faint edges


def test_a_line_drawn_again_comes_from_the_cache_and_draws_the_same() -> None:
    agg_text._bitmaps.clear()
    first = draw(agg_text.TextCachingCanvas)
    cached = len(agg_text._bitmaps)
    assert cached == len(LINES)
    again = draw(agg_text.TextCachingCanvas)
    assert len(agg_text._bitmaps) == cached
    assert np.array_equal(first, again)


def test_one_bitmap_serves_every_colour() -> None:
    agg_text._bitmaps.clear()
    fig = Figure(figsize=(3, 1), dpi=100, facecolor="white")
    canvas = agg_text.TextCachingCanvas(fig)
    fig.text(0.1, 0.6, "SYNTHETIC", color="#ff0000", fontsize=14)
    fig.text(0.1, 0.2, "SYNTHETIC", color="#0000ff", fontsize=14)
    canvas.draw()
    pixels = np.asarray(canvas.buffer_rgba())
    assert len(agg_text._bitmaps) == 1
    top, bottom = pixels[:50, :, :3].astype(int), pixels[50:, :, :3].astype(int)
    assert (top[:, :, 0] - top[:, :, 2]).max() > 200  # red ink above
    assert (bottom[:, :, 2] - bottom[:, :, 0]).max() > 200  # blue ink below


def test_rotated_text_is_left_to_matplotlib() -> None:
    agg_text._bitmaps.clear()
    ours, theirs = (
        draw(agg_text.TextCachingCanvas, rotated=True),
        draw(FigureCanvasAgg, rotated=True),
    )
    assert np.array_equal(ours, theirs)
    assert not agg_text._bitmaps


def test_the_cache_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    agg_text._bitmaps.clear()
    monkeypatch.setattr(agg_text, "CACHED_LINES", 3)
    fig = Figure(figsize=(3, 3), dpi=100)
    canvas = agg_text.TextCachingCanvas(fig)
    for i in range(10):
        fig.text(0.1, 0.09 * i, f"line {i}", fontsize=10)
    canvas.draw()
    assert 0 < len(agg_text._bitmaps) <= 3


def test_an_empty_or_blank_line_draws_nothing() -> None:
    fig = Figure(figsize=(2, 1), dpi=100, facecolor="white")
    canvas = agg_text.TextCachingCanvas(fig)
    fig.text(0.1, 0.5, "   ", fontsize=12)
    canvas.draw()
    assert (np.asarray(canvas.buffer_rgba())[:, :, :3] == 255).all()


def test_texts_are_laid_out_where_matplotlib_lays_them_out() -> None:
    """The cached font heights give every text, one line or several, the box matplotlib's
    own reading of the font tables gives it."""
    agg_text._heights.clear()

    def boxes(canvas_class: type[FigureCanvasAgg]) -> list[tuple[float, ...]]:
        fig = Figure(figsize=(6.4, 4.8), dpi=200)
        canvas = canvas_class(fig)
        texts = [
            fig.text(0.1, 0.1 + 0.2 * i, text, fontsize=size, fontweight=weight)
            for i, (text, size, weight, _) in enumerate(LINES)
        ]
        texts.append(fig.text(0.5, 0.5, "two lines\nof text", fontsize=13, linespacing=1.4))
        texts.append(fig.text(0.5, 0.2, "Gy\nq\nÉ", fontsize=19, fontweight="bold"))
        renderer = canvas.get_renderer()
        return [tuple(t.get_window_extent(renderer).bounds) for t in texts]

    assert boxes(agg_text.TextCachingCanvas) == boxes(FigureCanvasAgg)
    assert agg_text._heights  # the cache answered
