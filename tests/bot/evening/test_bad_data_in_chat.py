"""Bad and old data as a chat sees it: /backtest states the real range and the data problems,
/stats shows what validation held back, and nothing is announced from a held session."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.app.jobs import scan_time
from bot.evening.pipeline import run_scan
from market.sources import open_provider
from tests.support.bad_data import FRAME, jump_frame, write
from tests.support.bot_harness import ADMIN_ID, BotHarness, private, user


async def test_backtest_in_a_chat_states_the_real_range_and_the_gap(
    harness: BotHarness, tmp_path: Path
) -> None:
    frame = FRAME.copy()  # a CSV folder that ends on 30 Jun 2021, with a hole in IWM
    hole = frame.index[300:310]
    frame.loc[hole, "IWM"] = float("nan")
    harness.services.provider = open_provider(f"csv:{write(tmp_path / 'data', frame)}")
    reply, *_picture = await harness.send("/backtest IWM/SPY crosses above 50d")  # and a picture
    assert "Over the available history (02 Jan 2019 to 30 Jun 2021" in reply.text
    assert "Data problems" in reply.text
    gap = f"gap in IWM: no close for 10 NYSE sessions ({hole[0].date()} to {hole[-1].date()})"
    assert gap in reply.text
    listed = [line[2:13] for line in reply.text.splitlines() if line.startswith("• ")]
    held = {d.strftime("%d %b %Y") for d in frame.index[300 : 310 + 252]}
    assert listed and not held & set(listed)  # nothing fired while IWM refilled


async def test_a_clean_history_has_no_data_problem_lines(
    harness: BotHarness, tmp_path: Path
) -> None:
    harness.services.provider = open_provider(f"csv:{write(tmp_path / 'data', FRAME)}")
    reply, *_picture = await harness.send("/backtest IWM/SPY crosses above 50d")  # and a picture
    assert "02 Jan 2019 to 30 Jun 2021" in reply.text
    assert "Data problems" not in reply.text


async def test_stats_shows_a_close_held_for_a_recheck_and_no_alert_goes_out(
    harness: BotHarness, tmp_path: Path
) -> None:
    """A x6 close on the evening's session is held: /stats names it; the outbox has nothing
    about IWM/SPY that evening."""
    await harness.send("/subscribe small_vs_large")
    services = harness.services
    services.provider = open_provider(f"csv:{write(tmp_path / 'data', jump_frame())}")
    day = dt.date(2021, 6, 29)
    report = await run_scan(services, day, now=scan_time(day, 30), chart_maker=None)
    assert "IWM" in report.problems
    [reply] = await harness.send("/stats", private(ADMIN_ID), user(ADMIN_ID))
    assert "session 2021-06-29" in reply.text and "IWM" in reply.text
    assert "held for a re-check" in reply.text
    bodies = [b for (b,) in services.db.execute("SELECT body FROM outbox")]
    assert not any("IWM/SPY" in b for b in bodies)
