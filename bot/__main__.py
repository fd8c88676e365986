"""``python -m bot``: the same as the ``rotation-bot`` command."""

import sys

from bot.cli.main import main

__all__: list[str] = []

sys.exit(main())
