"""The canvas of every chart: a new figure of :data:`SIZE`, one reused per
kind of chart and thread, and the PNG it becomes.

Only the object API (``Figure`` + ``FigureCanvasAgg``): no pyplot, no global state but the
per-thread figures, so charts can be drawn in worker threads and processes at once.
"""

from __future__ import annotations

import contextlib
import struct
import threading
import zlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image
from zlib_ng import zlib_ng

from bot.charts.agg_text import TextCachingCanvas

if TYPE_CHECKING:
    from bot.charts.heading import Heading

__all__ = [
    "DPI",
    "PNG_LEVEL",
    "SIZE",
    "encode_png",
    "figure",
    "inspecting",
    "new_figure",
    "rgb_pixels",
    "to_png",
]

SIZE = (1280, 960)
"""Width, height in pixels of every chart (bot.charts.base says why)."""
DPI = 200


def new_figure() -> Figure:
    """A blank chart on an Agg canvas that draws repeated text from a cache
    (:mod:`bot.charts.agg_text`)."""
    fig = Figure(figsize=(SIZE[0] / DPI, SIZE[1] / DPI), dpi=DPI, facecolor="white")
    TextCachingCanvas(fig)
    return fig


_held = threading.local()


def figure(kind: str, make_axes: Callable[[Figure], list[Axes]]) -> tuple[Figure, list[Axes]]:
    """A figure and its axes for one ``kind`` of chart: made (by ``make_axes``) the first time
    in a thread, then handed out again, wiped of the previous chart's artists.

    Making a figure, its axes and their ticks costs about as much as drawing it (~65 ms of
    a 1280 x 960 chart's CPU); what a chart sets on its axes (limits, locators, formatters,
    styles) it sets every time, so a reused figure draws the same pixels as a new one
    (tests/bot/charts/test_charts.py draws one chart between two of another). One per kind
    and thread: threads never share one, and a kind's axes always have the same settings to
    reset."""
    held: dict[str, tuple[Figure, list[Axes]]] | None = getattr(_held, "figures", None)
    if held is None:
        held = _held.figures = {}
    if kind in held:
        fig, axes = held[kind]
        _wipe(fig)
        return fig, axes
    fig = new_figure()
    axes = make_axes(fig)
    held[kind] = (fig, axes)
    return fig, axes


def _wipe(fig: Figure) -> None:
    """Remove every artist a chart added (lines, collections, texts, patches, the legend and
    the figure's own texts); the axes, their ticks and spines stay."""
    for ax in fig.axes:
        for artist in [*ax.lines, *ax.collections, *ax.texts, *ax.patches, *ax.images]:
            artist.remove()
        if ax.legend_ is not None:
            ax.legend_.remove()
    for artist in [*fig.texts, *fig.legends, *fig.patches, *fig.lines, *fig.images]:
        artist.remove()


PNG_LEVEL = 2
"""Deflate level of the PNG, compressed by zlib-ng. Measured on a 1280 x 960 chart (process
CPU): matplotlib's own RGBA PNG at level 6 takes 93 ms to encode, at level 3 64 ms; Pillow's
RGB at level 1 with Z_FILTERED 31 ms (it tries four PNG filters on every row); the same
pixels with the "Up" filter on every row (numpy: each row minus the one above, mostly zeros
on a chart's flat areas) and zlib level 1 take 15 ms, for a file the size of level 6's (159
vs 161 KiB). zlib-ng at level 2 deflates those rows in 5 ms instead of zlib's 12-13, into a
file 3-7% smaller (ratio 139 vs 150 KiB, RRG 205 vs 211)."""


def to_png(fig: Figure, h: Heading) -> bytes:
    """The figure as PNG bytes, exactly :data:`SIZE`, with no time- or version-dependent chunk.

    Drawn on its Agg canvas and encoded from the canvas's buffer as RGB (every chart is
    opaque), with its Title and Description text chunks."""
    canvas = fig.canvas
    assert isinstance(canvas, FigureCanvasAgg), "figures here are made by new_figure"
    if _inspect is not None:
        _inspect(fig)
    canvas.draw()
    return encode_png(rgb_pixels(canvas), {"Title": h.title, "Description": h.description})


def rgb_pixels(canvas: FigureCanvasAgg) -> np.ndarray:
    """The canvas's RGBA buffer without its alpha, contiguous (height x width x 3): Pillow
    packs the RGB bytes in 1.6 ms (its convert() and a copy out took 5, numpy's copy of the
    strided RGB view 12-15)."""
    width, height = canvas.get_width_height(physical=True)
    rgba = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    rgb = np.frombuffer(rgba.tobytes("raw", "RGB"), dtype=np.uint8)
    return rgb.reshape(height, width, 3)


def encode_png(rgb: np.ndarray, texts: dict[str, str]) -> bytes:
    """An 8-bit RGB PNG of ``rgb`` (height x width x 3), ``texts`` as text chunks (tEXt, or
    iTXt when not Latin-1), a pHYs chunk of :data:`DPI`; every row filtered "Up"."""
    height, width, _ = rgb.shape
    flat = rgb.reshape(height, width * 3)
    rows = np.empty((height, width * 3 + 1), dtype=np.uint8)
    rows[:, 0] = 2  # the "Up" filter: each byte minus the one above it (mod 256)
    rows[0, 1:] = flat[0]
    np.subtract(flat[1:], flat[:-1], out=rows[1:, 1:])
    per_metre = round(DPI / 0.0254)
    chunks = [
        (b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)),
        (b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1)),
    ]
    for key, text in texts.items():
        try:
            chunks.append((b"tEXt", key.encode("latin-1") + b"\0" + text.encode("latin-1")))
        except UnicodeEncodeError:
            chunks.append((b"iTXt", key.encode("latin-1") + b"\0\0\0\0\0" + text.encode()))
    chunks.append((b"IDAT", zlib_ng.compress(rows, PNG_LEVEL)))
    chunks.append((b"IEND", b""))
    out = [b"\x89PNG\r\n\x1a\n"]
    for kind, data in chunks:
        out.append(struct.pack(">I", len(data)) + kind + data)
        out.append(struct.pack(">I", zlib.crc32(kind + data)))
    return b"".join(out)


_inspect: Callable[[Figure], None] | None = None


@contextlib.contextmanager
def inspecting(look: Callable[[Figure], None]) -> Iterator[None]:
    """Tests: call ``look(figure)`` with every chart's figure just before it is drawn to PNG
    (its texts, legend, artists). One process-wide hook: not for charts drawn in threads."""
    global _inspect
    _inspect = look
    try:
        yield
    finally:
        _inspect = None
