"""What a test makes the fake Bot API answer instead of the result: errors and hangs.

A :class:`Fault` is one failure in Bot API form (403 blocked, 429 with retry_after, 400 with
migrate_to_chat_id, 5xx, a hang). :class:`Faults` is what :class:`bot.fake_api.answers.BotApi`
keeps of them; for each request it picks, in this order, the fault of an outage under way
(:meth:`Faults.outage`), a fault for the chat named (:meth:`Faults.fail_chat`), the next one
scheduled for the method (:meth:`Faults.schedule`), a seeded random one
(:meth:`Faults.random_faults`), or none.
"""

from __future__ import annotations

import collections
import random
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.fake_api.wire import error_body

__all__ = ["SENDING_METHODS", "Fault", "Faults"]

# Methods random faults apply to unless told otherwise: the ones that deliver something.
SENDING_METHODS = frozenset({"sendMessage", "sendPhoto", "editMessageText"})


@dataclass(frozen=True)
class Fault:
    """One injected failure: an error answer in Bot API form, or a hang (``delay``)."""

    code: int
    description: str
    parameters: dict[str, Any] | None = field(default=None, hash=False, compare=False)
    delay: float = 0.0  # > 0: wait this long, then answer 504 (the client has long given up)

    @classmethod
    def forbidden(cls) -> Fault:
        return cls(403, "Forbidden: bot was blocked by the user")

    @classmethod
    def chat_not_found(cls) -> Fault:
        return cls(400, "Bad Request: chat not found")

    @classmethod
    def retry_after(cls, seconds: int = 1) -> Fault:
        return cls(429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds})

    @classmethod
    def migrate(cls, new_chat_id: int) -> Fault:
        return cls(
            400,
            "Bad Request: group chat was upgraded to a supergroup chat",
            {"migrate_to_chat_id": new_chat_id},
        )

    @classmethod
    def server_error(cls, code: int = 500) -> Fault:
        phrases = {502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}
        return cls(code, phrases.get(code, "Internal Server Error"))

    @classmethod
    def bad_gateway(cls) -> Fault:
        return cls.server_error(502)

    @classmethod
    def timeout(cls, delay: float = 5.0) -> Fault:
        return cls(504, "Gateway Timeout (simulated hang)", delay=delay)

    def body(self) -> bytes:
        return error_body(self.code, self.description, self.parameters)


class Faults:
    """The faults injected so far, and the pick for each request."""

    def __init__(self) -> None:
        self._chat_faults: dict[int | str, list[list[Any]]] = {}  # chat -> [[fault, left]]
        self._schedule: dict[str, collections.deque[Fault | None]] = {}
        self._random: tuple[random.Random, list[tuple[float, Fault]], frozenset[str]] | None = None
        self._outage: tuple[Fault, float, frozenset[str]] | None = None

    def fail_chat(self, chat_id: int | str, fault: Fault, times: int | None = None) -> None:
        """Answer ``fault`` for requests naming ``chat_id``: ``times`` times, or always."""
        self._chat_faults.setdefault(chat_id, []).append([fault, times])

    def schedule(self, method: str, faults: Iterable[Fault | None]) -> None:
        """The next requests of ``method`` get these faults in order (None: answer normally)."""
        self._schedule.setdefault(method, collections.deque()).extend(faults)

    def outage(
        self, fault: Fault, seconds: float, *, methods: Iterable[str] = SENDING_METHODS
    ) -> None:
        """Every request of ``methods`` gets ``fault`` for the next ``seconds`` (an outage of
        the Bot API, a proxy answering 502, a token refused during a rotation)."""
        self._outage = (fault, time.monotonic() + seconds, frozenset(methods))

    def random_faults(
        self,
        faults: Sequence[tuple[float, Fault]],
        *,
        seed: int = 0,
        methods: Iterable[str] = SENDING_METHODS,
    ) -> None:
        """Each request of ``methods`` fails with ``fault`` with probability ``p`` (seeded)."""
        if sum(p for p, _ in faults) > 1:
            raise ValueError("fault probabilities add up to more than 1")
        self._random = (random.Random(seed), list(faults), frozenset(methods))

    def clear_faults(self) -> None:
        self._chat_faults.clear()
        self._schedule.clear()
        self._random = None
        self._outage = None

    def _pick_fault(self, method: str, chat_id: Any) -> Fault | None:
        if self._outage is not None:
            fault, until, methods = self._outage
            if time.monotonic() >= until:
                self._outage = None
            elif method in methods:
                return fault
        for entry in self._chat_faults.get(chat_id, ()) if chat_id is not None else ():
            chat_fault: Fault = entry[0]
            left: int | None = entry[1]
            if left is None:
                return chat_fault
            if left > 0:
                entry[1] = left - 1
                return chat_fault
        queue = self._schedule.get(method)
        if queue:
            return queue.popleft()
        if self._random is not None and method in self._random[2]:
            rng, faults, _ = self._random
            draw, acc = rng.random(), 0.0
            for p, fault in faults:
                acc += p
                if draw < acc:
                    return fault
        return None
