"""Turn a source spec (``sample``, ``yahoo``, ``csv:DIR``) into a provider."""

from __future__ import annotations

from pathlib import Path

from market.base import MarketDataError, Provider

SPECS = "sample | yahoo | csv:DIR | csv:FILE.csv"


def open_provider(spec: str, *, cache_dir: Path | None = None) -> Provider:
    """The provider a spec names; a bad spec raises :class:`MarketDataError` saying what works."""
    text = (spec or "").strip()
    if text == "sample":
        from market.sample import SampleProvider

        return SampleProvider()
    if text == "yahoo":
        from market.yahoo import YahooProvider

        return YahooProvider(cache_dir=cache_dir)
    if text.startswith("csv:") and len(text) > 4:
        from market.csvdir import CsvProvider

        return CsvProvider(text[4:])
    raise MarketDataError(f"unknown data source {spec!r}; use one of: {SPECS}")
