"""The evening scan: which rules, the closes fetched and checked, the pure engine run, the
events recorded and fanned out to the outbox."""

__all__: list[str] = []
