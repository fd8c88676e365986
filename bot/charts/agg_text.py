"""An Agg canvas that blends each line of text as one cached bitmap, not glyph by glyph.

matplotlib 3.11's Agg renderer lays out every string again (HarfBuzz), then renders and
blends each glyph separately, with a font transform computed in numpy per glyph: a chart's
~25 texts and ~250 glyphs were a third of its CPU (bench/demo.py's profile: 22,665 glyph
renders for the demo's 89 charts). Most of those texts repeat from chart to chart — tick
labels, the legend, the footer, the title — so here a line of text is laid out and its
glyphs rendered once, exactly as matplotlib does it (same layout, same FreeType calls),
into one coverage bitmap that is kept per process and blended in a single call wherever
the line is drawn again. Colour and alpha come from the graphics context at each draw, so
one bitmap serves every colour.

A line is drawn at its position to :data:`PHASES` of a pixel (matplotlib: 1/64), so a
bitmap serves every position with the same fraction; the glyphs may land up to 1/16 px from
where matplotlib puts them, well within what tests/bot/charts/test_chart_pictures.py's
comparison with the reference pictures allows. Rotated, math and non-antialiased text, and text with
OpenType features or a language set, go to matplotlib's own path unchanged.

The renderer also answers the layout's question for a font's ascent, descent and line gap
(:meth:`TextCachingRenderer._get_font_height_metrics`) from a cache, with the numbers
matplotlib would read from the font's tables: every text keeps its place to the pixel.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg, get_hinting_flag
from matplotlib.font_manager import fontManager, get_font
from matplotlib.ft2font import FT2Font

__all__ = [
    "AVAILABLE",
    "CACHED_LINES",
    "PHASES",
    "Bitmap",
    "RenderMode",
    "TextCachingCanvas",
    "TextCachingRenderer",
]

try:  # matplotlib 3.10 and later
    from matplotlib.ft2font import RenderMode
except ImportError:  # older: AVAILABLE is False below, and nothing here renders
    RenderMode = None  # type: ignore[assignment, misc]

PHASES = 8
"""Sub-pixel positions a line may take on each axis (8: eighths of a pixel)."""
CACHED_LINES = 4096
"""Bitmaps kept per process (a line of chart text is a few KiB): past it the cache starts
again, so a long-running bot's memory stays bounded."""

AVAILABLE = RenderMode is not None and all(
    hasattr(FT2Font, n) for n in ("_layout", "_set_transform", "_render_glyph")
)
"""Whether this matplotlib renders glyph by glyph with the calls used here (3.11); if not,
every text goes to matplotlib's own path."""

Bitmap = tuple[np.ndarray, int, int]  # coverage (rows x columns), its left and top in px
_heights: dict[tuple[Any, ...], tuple[float | None, ...]] = {}
"""A font's height metrics by its files, size and dpi (a few fonts, a few sizes)."""
_bitmaps: dict[tuple[Any, ...], Bitmap] = {}
"""Shared by threads: a bitmap is only read once made. (The FreeType faces that make them
are per thread: matplotlib's ``get_font`` keys them by thread.)"""


class TextCachingRenderer(RendererAgg):
    """:class:`RendererAgg` whose ``draw_text`` blends a cached bitmap of the whole line."""

    def draw_text(
        self,
        gc: Any,
        x: float,
        y: float,
        s: str,
        prop: Any,
        angle: float,
        ismath: bool | str = False,
        mtext: Any = None,
    ) -> None:
        if (
            not AVAILABLE
            or ismath
            or angle % 360
            or not gc.get_antialiased()
            or _has_features(mtext)
        ):
            # matplotlib leaves RendererAgg.draw_text unannotated
            super().draw_text(gc, x, y, s, prop, angle, ismath, mtext)  # type: ignore[no-untyped-call]
            return
        # x from the left, y from the top (matplotlib's); FreeType's y is upwards
        up = self.height - y
        ix, iy = math.floor(x), math.floor(up)
        px, py = round((x - ix) * PHASES), round((up - iy) * PHASES)
        if px == PHASES:  # rounded up to the next whole pixel
            ix, px = ix + 1, 0
        if py == PHASES:
            iy, py = iy + 1, 0
        image, left, top = self._bitmap(s, prop, px, py)
        if image.size:
            self._renderer.draw_text_image(
                image, ix + left, int(self.height) - (iy + top) + image.shape[0], 0, gc
            )

    def _get_font_height_metrics(self, prop: Any) -> tuple[float | None, ...]:
        """The ascent, descent and line gap of ``prop``'s font at its size, in pixels.

        matplotlib's Text layout asks its renderer for these when it can (its PDF and PS
        renderers answer); otherwise it reads them from the font's tables on every layout,
        twice per text drawn (~10% of a chart's text CPU). The same numbers, from the same
        tables (OS/2, else hhea), read once per font file, size and dpi."""
        files = fontManager._find_fonts_by_props(prop)
        size = prop.get_size_in_points()
        key = (tuple(files), size, self.dpi)
        found = _heights.get(key)
        if found is None:
            found = _heights[key] = _height_metrics(get_font(files), size, self.dpi)
        return found

    def _bitmap(self, s: str, prop: Any, px: int, py: int) -> Bitmap:
        """The line ``s`` in ``prop`` with its origin at (px, py) / PHASES of a pixel: each
        glyph rendered as matplotlib 3.11 renders it, blended as Agg would blend them."""
        flags = get_hinting_flag()
        key = (s, prop.copy(), px, py, self.dpi, flags)
        found = _bitmaps.get(key)
        if found is not None:
            return found
        font = self._prepare_font(prop)  # type: ignore[no-untyped-call]  # unannotated in matplotlib
        size = prop.get_size_in_points()
        glyphs = []
        for item in font._layout(s, flags=flags, features=None, language=None):
            face = item.ft_object
            face.set_size(size, self.dpi)
            face._set_transform(
                [[0x10000, 0], [0, 0x10000]],
                [round(0x40 * (px / PHASES + item.x)), round(0x40 * (py / PHASES + item.y))],
            )
            bitmap = face._render_glyph(item.glyph_index, flags, RenderMode.NORMAL)
            glyphs.append((np.asarray(bitmap.buffer), bitmap.left, bitmap.top))
        found = _compose(glyphs)
        if len(_bitmaps) >= CACHED_LINES:
            _bitmaps.clear()
        _bitmaps[key] = found
        return found


def _height_metrics(font: Any, size: float, dpi: float) -> tuple[float | None, ...]:
    """As matplotlib.text.Text._get_layout reads them (3.11): the OS/2 table's typographic
    metrics, else hhea's, scaled to ``size`` points at ``dpi``; Nones if neither exists."""
    for table_name, gap, ascent, descent in (
        ("OS/2", "sTypoLineGap", "sTypoAscender", "sTypoDescender"),
        ("hhea", "lineGap", "ascent", "descent"),
    ):
        table = font.get_sfnt_table(table_name)
        if table is None:
            continue
        scale = 1 / font.get_sfnt_table("head")["unitsPerEm"] * size * dpi / 72
        return table[ascent] * scale, -table[descent] * scale, table[gap] * scale
    return None, None, None


def _compose(glyphs: list[tuple[np.ndarray, int, int]]) -> Bitmap:
    """One coverage bitmap of the glyphs (each with its left and top, y upwards), where two
    overlap combined as Agg blends one over the other: a + b - ab."""
    glyphs = [g for g in glyphs if g[0].size]
    if not glyphs:
        return np.zeros((0, 0), np.uint8), 0, 0
    left = min(g[1] for g in glyphs)
    top = max(g[2] for g in glyphs)
    right = max(g[1] + g[0].shape[1] for g in glyphs)
    bottom = min(g[2] - g[0].shape[0] for g in glyphs)
    out = np.zeros((top - bottom, right - left), np.uint16)
    for buffer, x, y in glyphs:
        rows, cols = buffer.shape
        area = out[top - y : top - y + rows, x - left : x - left + cols]
        area += buffer - (area * buffer + 127) // 255
    return out.astype(np.uint8), left, top


def _has_features(mtext: Any) -> bool:
    """Whether a Text asks for OpenType features or a language (matplotlib 3.11's own
    layout honours them; the cached bitmap is laid out without)."""
    if mtext is None:
        return False
    features = getattr(mtext, "get_fontfeatures", lambda: None)()
    language = getattr(mtext, "get_language", lambda: None)()
    return bool(features) or bool(language)


class TextCachingCanvas(FigureCanvasAgg):
    """:class:`FigureCanvasAgg` drawing with a :class:`TextCachingRenderer` (kept while the
    figure's size and dpi stay the same, as Agg's own canvas keeps its renderer)."""

    _size_key: tuple[int, int, float] | None = None

    def get_renderer(self) -> RendererAgg:
        w, h = self.get_width_height(physical=True)
        key = (w, h, float(self.figure.dpi))
        if self._size_key != key:
            # RendererAgg.__init__ is unannotated in matplotlib
            self.renderer = TextCachingRenderer(w, h, self.figure.dpi)  # type: ignore[no-untyped-call]
            self._size_key = key
        renderer: RendererAgg = self.renderer
        return renderer
