"""The words at the top of a chart (:class:`Heading`), apart from bot.charts.base so that the
canvas, which writes them into the PNG, needs nothing of the drawing code."""

from __future__ import annotations

from dataclasses import dataclass

from bot.text.i18n import DEFAULT as DEFAULT_LANGUAGE
from bot.text.i18n import N_, translator

__all__ = ["SYNTHETIC_DESCRIPTION", "SYNTHETIC_NOTE", "Heading"]

SYNTHETIC_NOTE = N_("SYNTHETIC")
SYNTHETIC_DESCRIPTION = N_("synthetic sample data, not real prices")


@dataclass(frozen=True, slots=True)
class Heading:
    """The words at the top of a chart: what it shows, as of when, and whether it is real."""

    title: str
    subtitle: str
    synthetic: bool = False
    lang: str = DEFAULT_LANGUAGE

    @property
    def note(self) -> str:
        return translator(self.lang)(SYNTHETIC_NOTE) if self.synthetic else ""

    @property
    def description(self) -> str:
        """Subtitle plus the synthetic warning: the PNG's Description text chunk."""
        if not self.synthetic:
            return self.subtitle
        return f"{self.subtitle} ({translator(self.lang)(SYNTHETIC_DESCRIPTION)})"
