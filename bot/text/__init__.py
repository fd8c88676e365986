"""Words: what the bot says, in the chat's language: catalogs, names, what the signals and
the rule language say, alert messages, Telegram HTML within its limits."""

__all__: list[str] = []
