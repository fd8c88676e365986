"""The ``rotation-bot`` command: its subcommands (run, scan, backtest, rrg, backup, demo,
chat) and their exit statuses."""

__all__: list[str] = []
