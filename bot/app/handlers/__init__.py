"""The chat layer: one module per feature, flat ``async def handler(update, context)``
functions, all registered from the single table in :mod:`bot.app.handlers.commands`."""

__all__: list[str] = []
