"""Reading a Prometheus exposition in tests: every sample as (name, sorted labels) -> value."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

__all__ = ["figures"]


def figures(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a Prometheus exposition: (name, sorted labels) -> value."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
