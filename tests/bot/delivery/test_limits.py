"""The delivery rate limiters on a fake clock: what they admit, and when, exactly.

No wall clock: :class:`FakeClock` advances only when a limiter sleeps, so these assertions
hold on any machine, however loaded (how close to the rate real sends get: bench/delivery.py).
"""

from __future__ import annotations

import itertools

from bot.delivery.limits import MARGIN, WINDOW, ChatWindows, Pace


class FakeClock:
    """Time that moves only when someone sleeps; like a real loop's, by at least a tick (a
    float subtraction can leave 1e-17 s to wait, which would otherwise never pass)."""

    TICK = 1e-6

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(self.TICK, seconds)


def pace(rate: float, clock: FakeClock) -> Pace:
    return Pace(rate, clock=clock, sleep=clock.sleep)


async def test_pace_admits_at_the_rate_never_more_in_any_window() -> None:
    clock = FakeClock()
    limiter = pace(10.0, clock)
    times = [await limiter.acquire() for _ in range(35)]
    for i, start in enumerate(times):  # no one-second window holds more than the rate
        assert sum(1 for t in times[i:] if t <= start + WINDOW) <= 10
    assert all(b - a >= 0.1 - limiter.tolerance for a, b in itertools.pairwise(times))
    assert times[-1] <= 34 * 0.1 * (1 + MARGIN)  # nor falls behind it by more than the margin


async def test_pace_pause_holds_every_send_until_it_ends() -> None:
    clock = FakeClock()
    limiter = pace(1000.0, clock)
    await limiter.acquire()
    limiter.pause(0.4)
    limiter.pause(0.1)  # a shorter pause never shortens the longer one
    assert await limiter.acquire() >= 0.4


def test_chat_windows_allow_count_per_period_per_kind_of_chat() -> None:
    windows = ChatWindows(group=(2, 0.4), private=(1, 0.1))
    windows.note(9, 0.0)
    assert windows.wait(9, 0.05) == 0.05 and windows.wait(9, 0.1) == 0.0
    windows.note(-77, 0.0)
    assert windows.wait(-77, 0.0) == 0.0  # the second of two
    windows.note(-77, 0.1)
    assert windows.wait(-77, 0.2) == 0.2 and windows.wait(-77, 0.4) == 0.0
    assert windows.wait(5, 0.0) == 0.0  # a chat never sent to waits for nothing


def test_chat_windows_forget_chats_whose_period_has_passed() -> None:
    windows = ChatWindows(group=None, private=(1, 0.1))
    for chat_id in range(1, 101):
        windows.note(chat_id, 0.0)
    windows.note(500, 10.0)  # a later send sweeps the stale chats
    assert list(windows.sent) == [500]
    unlimited = ChatWindows(None, None)
    unlimited.note(-1, 0.0)
    assert unlimited.sent == {} and unlimited.wait(-1, 0.0) == 0.0


def test_chat_windows_survive_a_chat_freed_by_wait_then_a_sweep() -> None:
    """Issue 22: wait() emptied a chat's list in place and the sweep in note() read ts[-1] of
    it: an IndexError that killed the delivery worker on the second alert of an evening."""
    windows = ChatWindows(group=(20, 60.0), private=(1, 1.0))
    windows.note(7, 0.0)  # a private chat's first alert
    assert windows.wait(7, 2.0) == 0.0  # its period has passed: free again
    windows.note(8, 6.0)  # another chat's send, past the sweep interval: sweeps
    windows.note(7, 6.5)  # the second alert of the first chat
    assert windows.wait(7, 7.0) == 0.5
    assert windows.wait(8, 7.5) == 0.0


def test_chat_windows_keep_only_what_the_limit_needs() -> None:
    windows = ChatWindows(group=(3, 60.0), private=(1, 1.0))
    for i in range(50):
        windows.note(-5, float(i) / 100)
    assert len(windows.sent[-5]) == 3
    assert windows.wait(-5, 1.0) == windows.sent[-5][0] + 60.0 - 1.0
