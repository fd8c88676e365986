"""Turn a source spec (``sample``, ``yahoo``, ``csv:DIR``) into a provider."""

from __future__ import annotations

from pathlib import Path

from market.base import MarketDataError, Provider
from signals.sentence import Sentence

__all__ = ["SPECS", "check_spec", "open_provider"]

SPECS = "sample | yahoo | csv:DIR | csv:FILE.csv"


def check_spec(spec: str) -> str:
    """The spec, stripped, if it names a source (a CSV one whose file or folder exists);
    else :class:`MarketDataError` saying what works. Imports no provider (nor pandas), so a
    command can refuse a bad ``--source`` at once and open the provider when it needs it."""
    text = (spec or "").strip()
    if text in ("sample", "yahoo"):
        return text
    if text.startswith("csv:") and len(text) > 4:
        path = Path(text[4:]).expanduser()
        if not path.exists():  # CsvProvider's own words, so a chat reads them in its language
            raise MarketDataError(Sentence("csv source {path}: no such file or folder", path=path))
        return text
    raise MarketDataError(f"unknown data source {spec!r}; use one of: {SPECS}")


def open_provider(spec: str, *, cache_dir: Path | None = None) -> Provider:
    """The provider a spec names; a bad spec raises :class:`MarketDataError` saying what works."""
    text = check_spec(spec)
    if text == "sample":
        from market.sample import SampleProvider

        return SampleProvider()
    if text == "yahoo":
        from market.yahoo import YahooProvider

        return YahooProvider(cache_dir=cache_dir)
    from market.csvdir import CsvProvider

    return CsvProvider(text[4:])
