"""What the signal engine refuses, as one tree under :class:`SignalsError`.

signals/ does no I/O, so all it can refuse is what it was given: a rule text it cannot read,
or a rule that cannot be built. Both are also :class:`ValueError` (a bad value, said for the
person who typed it), so a caller may catch either. The tree (a test checks it against the
code, so it cannot drift):

* SignalsError (signals.errors) — the root: anything signals/ refuses.
  * RuleError (signals.kind) — a rule that cannot be built (an unknown kind, a bad
    parameter, a ticker the kind cannot mean anything of).
  * ParseError (signals.parse) — a rule text that cannot be read.
"""

from __future__ import annotations

__all__ = ["SignalsError"]


class SignalsError(Exception):
    """Anything the signal engine refuses; the message is for a human."""
