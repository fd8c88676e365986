"""Pure signal engine: price frames in, signal events out.

Nothing in this package does I/O, reads a clock, or knows about Telegram or SQL.
The same functions answer the live evening scan and a 25-year backtest.
"""

from signals.errors import SignalsError
from signals.events import Event, Followup
from signals.rules import Context, Rule

__all__ = ["Context", "Event", "Followup", "Rule", "SignalsError"]
