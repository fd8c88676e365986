"""Texts that fit their room without being cut: a chart's title and subtitle.

A title cut short with "…" reads as something else ("Sectors — relative rotation
(JdK-style)…" lost what the sectors are against: issue 26), so a title is first shrunk, then
said in fewer words (:func:`title_choices`, :func:`clause_choices` for a subtitle), and cut
only when nothing else fits. The PNG's Title and Description chunks keep the full words.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.text import Text

__all__ = ["clause_choices", "fit", "renderer", "say_first", "shrink", "title_choices"]


def title_choices(title: str) -> list[str]:
    """``title`` and shorter ways to say it, longest first: without its asides in brackets
    (``Sectors — relative rotation vs S&P 500``), then the subject before " — " alone."""
    choices = [title]
    plain = " ".join(re.sub(r"\s*\([^()]*\)", "", title).split())
    if plain and plain != title:
        choices.append(plain)
    subject = title.split(" — ", 1)[0].strip()
    if subject and subject not in choices:
        choices.append(subject)
    return choices


def clause_choices(subtitle: str) -> list[str]:
    """``subtitle`` and shorter ways to say it, longest first: its last part (after the last
    " · ") without its last clause (after ", "), one clause at a time — ``last close
    2026-10-30 · change in the ratio, after each firing beside every session`` becomes
    ``last close 2026-10-30 · change in the ratio``."""
    choices = [subtitle]
    head, dot, tail = subtitle.rpartition(" · ")
    while ", " in tail:
        tail = tail.rsplit(", ", 1)[0]
        choices.append(head + dot + tail)
    return choices


def say_first(text: Text, choices: Sequence[str], width_px: float, mins: Sequence[float]) -> bool:
    """Set ``text`` to the first of ``choices`` that fits ``width_px`` shrunk from its
    present size to one of ``mins`` (each choice tried down to each of ``mins`` in turn);
    False, with ``text`` in a state to be replaced, when none does. A text's width is nearly
    proportional to its size, so a choice far too wide costs one layout, not a search."""
    start = float(text.get_fontsize())
    for words in choices:
        for least in mins:
            text.set_text(words)
            text.set_fontsize(start)
            first = text.get_window_extent(renderer(text.figure)).width
            if first * least / start > width_px * 1.05:
                continue
            if shrink(text, width_px, least):
                return True
    return False


def renderer(fig: object) -> RendererAgg:
    """The renderer of a figure made by bot.charts.canvas (always on an Agg canvas)."""
    canvas = getattr(fig, "canvas", None)
    assert isinstance(canvas, FigureCanvasAgg), "figures here are made by canvas.new_figure"
    got: RendererAgg = canvas.get_renderer()
    return got


def fit(text: Text, width_px: float, min_pt: float) -> None:
    """Shrink a text to ``width_px`` (:func:`shrink`); if it still does not fit, cut it
    short with "…" (two characters at a time, keeping at least 8)."""
    if shrink(text, width_px, min_pt):
        return
    drawer = renderer(text.figure)

    def width() -> float:
        return text.get_window_extent(drawer).width

    words = text.get_text()
    cuts = max(0, (len(words) - 8 + 1) // 2)  # the original loop stops at 8 characters or less

    def cut(k: int) -> None:
        shorter = words[: len(words) - 2 * k]
        text.set_text(shorter.rstrip() + "…" if k else words)

    lo, hi = 0, cuts  # the fewest cuts that fit, if any does; found by bisection
    while lo < hi:
        mid = (lo + hi) // 2
        cut(mid)
        if width() <= width_px:
            hi = mid
        else:
            lo = mid + 1
    cut(lo)


def shrink(text: Text, width_px: float, min_pt: float) -> bool:
    """Shrink a text to ``width_px`` (not below ``min_pt``, in steps of 0.5 pt); False, at
    ``min_pt``, when it does not fit even so.

    Each width is a text layout (a few ms): the size is first guessed from the width being
    proportional to it and then corrected step by step — the same result as trying every
    step in turn, in a handful of layouts."""
    drawer = renderer(text.figure)

    def width() -> float:
        return text.get_window_extent(drawer).width

    start = float(text.get_fontsize())
    first = width()
    if first <= width_px:
        return True
    steps = max(0, math.ceil((start - min_pt) / 0.5 - 1e-9))  # how far the size may go down
    guess = min(steps, max(1, math.ceil((start - start * width_px / first) / 0.5 - 1e-9)))
    text.set_fontsize(start - 0.5 * guess)
    while guess > 1:  # a larger size that fits after all
        text.set_fontsize(start - 0.5 * (guess - 1))
        if width() > width_px:
            text.set_fontsize(start - 0.5 * guess)
            break
        guess -= 1
    while width() > width_px and guess < steps:
        guess += 1
        text.set_fontsize(start - 0.5 * guess)
    return width() <= width_px
