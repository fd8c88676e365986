"""Delivery: the outbox drained to Telegram within its limits, what each answer means, and the
worker kept running."""

__all__: list[str] = []
