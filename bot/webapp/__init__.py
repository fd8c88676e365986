"""The Telegram Mini App (issue 25): an interactive rotation dashboard served by the bot's own
process (``WEBAPP_URL``), its launch data checked as Telegram documents, its data from the same
core functions and stores the commands use."""

__all__: list[str] = []
