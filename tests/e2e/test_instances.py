"""Several real ``rotation-bot run`` processes on one PostgreSQL database (issue 24 items 3, 4).

Each instance is the real command in webhook mode behind its own port, all with the same
``WEBHOOK_URL`` path and secret, sending through the project's fake Bot API over HTTP. The
tests play Telegram: an update is posted to one instance, and the next only after the answer.
Everything is counted at the fake Bot API: what each chat got, in which order, how often.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import signal
import time
from pathlib import Path

import httpx
import psycopg
import pytest

from bot.fake_api.fleet import instance_env, instances, post
from bot.fake_api.process import (
    TOKEN,
    BotProcess,
    bot_env,
    fake_api,
    free_port,
    lost_and_duplicated,
    seed_broadcast,
)
from tests.support.pipeline_support import wait_for
from tests.support.postgres import SECRETIVE_PASSWORD, SECRETIVE_ROLE, PgServer

pytestmark = [pytest.mark.faults, pytest.mark.timeout(1800)]


def outbox_counts(url: str) -> dict[str, int]:
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute("SELECT status, count(*) FROM outbox GROUP BY status").fetchall()
    return {str(status): int(n) for status, n in rows}


def sending_rows(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM outbox WHERE status = 'sending'").fetchone()
    return int(row[0]) if row else 0


# --- item 4: failover -------------------------------------------------------------------------
async def test_killing_the_sender_twice_loses_nothing(pg_url: str, tmp_path: Path) -> None:
    """Three instances, an evening of 5,100 messages (private chats and groups, three each);
    the sender is SIGKILLed at a third and at two thirds. Every message arrives; a message
    arrives twice only if it was being sent at a kill; a successor sends within 15 s."""
    chats, per_chat = 1700, 3
    total = chats * per_chat
    async with (
        fake_api(send_latency=0.02) as api,
        instances(api, pg_url, tmp_path, 3, PAID_BROADCAST="true") as bots,
    ):
        await wait_for(lambda: sum(b.sending for b in bots) == 1, 60, "one sender elected")
        expected = seed_broadcast(pg_url, chats, per_chat)
        sends = api.calls

        def delivered() -> int:
            return len(sends("sendMessage"))

        in_flight, takeovers = 0, []
        for share in (1 / 3, 2 / 3):
            await wait_for(lambda s=share: delivered() >= total * s, 300, "sends")
            sender = next(b for b in bots if b.sending)
            killed = time.monotonic()
            await sender.proc.kill()
            in_flight += sending_rows(pg_url)  # left 'sending' by the dead one
            await wait_for(lambda: any(b.sending for b in bots), 60, "a successor elected")
            before = delivered()  # the successor is the only one who can send from here
            await wait_for(lambda b=before: delivered() > b, 60, "the successor's sends")
            takeovers.append(time.monotonic() - killed)
            assert sum(b.sending for b in bots) == 1
        with contextlib.suppress(AssertionError):  # a message lost: counted below
            await wait_for(  # the dead senders' rows come back after their lease (60 s)
                lambda: set(outbox_counts(pg_url)) == {"sent"}, 300, "every message sent"
            )
        lost, duplicated = lost_and_duplicated(api, expected)
        depth = outbox_counts(pg_url)
    print(
        f"\nfailover: {total} messages, 2 kills; successor sending after "
        f"{', '.join(f'{t:.2f}' for t in takeovers)} s; in flight at the kills {in_flight}; "
        f"lost {lost}, duplicated {duplicated}; outbox {depth}"
    )
    assert lost == 0
    assert duplicated <= in_flight
    assert all(t <= 15 for t in takeovers)
    for bot in bots:
        assert TOKEN not in bot.proc.output


# --- item 3: each chat's updates in order, whichever instance gets them ----------------------
async def test_one_chats_updates_are_handled_in_order_across_instances(
    pg_url: str, tmp_path: Path
) -> None:
    """Commands of one chat posted alternately to two instances (each after the previous
    answer, as Telegram sends them) are answered as if one instance had them all: /list
    right after /subscribe (handled by the other instance) shows the subscription."""
    users = [7001, 7002, 7003, 7004]
    rounds = 6
    async with (
        fake_api() as api,
        instances(api, pg_url, tmp_path, 2) as bots,
        httpx.AsyncClient(timeout=30) as client,
    ):

        async def converse(user: int) -> None:
            for r in range(rounds):
                first, second = bots[r % 2], bots[(r + 1) % 2]
                verb = "/subscribe" if r % 2 == 0 else "/unsubscribe"
                await post(client, first, api.add_message(user, user, f"{verb} oil"))
                await post(client, second, api.add_message(user, user, "/list"))

        await asyncio.gather(*(converse(u) for u in users))

        def answered() -> bool:
            return all(len(api.texts(u)) >= 2 * rounds for u in users)

        await wait_for(answered, 120, "every command answered")
    for user in users:
        texts = [t or "" for t in api.texts(user)]
        lists = texts[1::2]
        assert len(lists) == rounds, texts
        for r, listing in enumerate(lists):
            subscribed = "Oil" in listing or "oil" in listing
            assert subscribed == (r % 2 == 0), (r, texts)
    waited = sum(b.proc.output.count("handling its update anyway") for b in bots)
    assert waited == 0


# --- item 3: the evening scan once, whatever instances are up --------------------------------
async def test_a_missed_scan_runs_once_with_three_instances(pg_url: str, tmp_path: Path) -> None:
    """Three instances start together with the last session's scan missing: one scans, the
    other two wait for it and find it done; the scans table has one row for the session."""
    async with fake_api() as api, instances(api, pg_url, tmp_path, 3) as bots:

        def scanned() -> bool:
            with psycopg.connect(pg_url, autocommit=True) as conn:
                row = conn.execute(
                    "SELECT count(*) FROM scans WHERE status <> 'running'"
                ).fetchone()
            return bool(row and row[0])

        await wait_for(scanned, 300, "the missed scan")
        await wait_for(
            lambda: all("next scan:" in b.proc.output for b in bots), 60, "every schedule"
        )
    with psycopg.connect(pg_url, autocommit=True) as conn:
        rows = conn.execute("SELECT session, status FROM scans").fetchall()
    ran = [b for b in bots if "holds the scanner role" in b.proc.output]
    print(f"\nscan: rows {rows}; instances that scanned: {len(ran)} of 3")
    assert len(rows) == 1
    assert len(ran) == 1


# --- polling: one instance only, and never beside webhook instances ---------------------------
def assert_refused(bot: BotProcess, code: int, words: str) -> None:
    assert code == 5, bot.output[-3000:]
    assert bot.last_line.startswith("rotation-bot: "), bot.output[-2000:]
    assert words in bot.last_line, bot.last_line
    assert "Traceback" not in bot.output
    lines = collections.Counter(line.split(":")[0] for line in bot.output.splitlines())
    assert lines["rotation-bot"] == 1


async def test_a_second_polling_instance_is_refused_in_one_line(
    pg_url: str, tmp_path: Path
) -> None:
    """Polling is one instance per token: a second poller, and a webhook instance beside a
    poller (its setWebhook would end the polling), are refused at start, status 5."""
    async with fake_api() as api:
        env = bot_env(api.base_url, tmp_path / "unused.sqlite", DATABASE_URL=pg_url)
        first = await BotProcess.start(env, tmp_path)
        try:
            await first.polling(api)
            second = await BotProcess.start(env, tmp_path)
            assert_refused(second, await second.wait(), "polling allows one instance")
            hook = await BotProcess.start(
                instance_env(api, pg_url, tmp_path, free_port()), tmp_path
            )
            assert_refused(hook, await hook.wait(), "polls for updates")
        finally:
            await first.stopped(signal.SIGTERM)
    assert not api.calls("setWebhook")  # the refused one never pointed Telegram elsewhere


async def test_a_poller_beside_webhook_instances_is_refused(pg_url: str, tmp_path: Path) -> None:
    """Polling starts by deleting the webhook: beside webhook instances it would cut them off."""
    async with fake_api() as api, instances(api, pg_url, tmp_path, 1):
        env = bot_env(api.base_url, tmp_path / "unused.sqlite", DATABASE_URL=pg_url)
        poller = await BotProcess.start(env, tmp_path)
        assert_refused(poller, await poller.wait(), "polling allows one instance")
        assert not api.calls("deleteWebhook")


# --- the database server: its connections dropped, and a restart --------------------------------
async def test_the_server_dropping_connections_and_restarting_loses_nothing(
    pg_server: PgServer, pg_url: str, tmp_path: Path
) -> None:
    """Two instances deliver 3,000 messages while PostgreSQL first ends every session (as a
    failover of the server does), then restarts (down for a moment, fast shutdown). The bot
    reconnects, elects a sender again and delivers everything; nothing is lost."""
    chats, per_chat = 1000, 3
    async with (
        fake_api(send_latency=0.02) as api,
        instances(api, pg_url, tmp_path, 2, PAID_BROADCAST="true") as bots,
    ):
        await wait_for(lambda: sum(b.sending for b in bots) == 1, 60, "one sender elected")
        expected = seed_broadcast(pg_url, chats, per_chat)
        total = chats * per_chat

        def delivered() -> int:
            return len(api.calls("sendMessage"))

        await wait_for(lambda: delivered() >= total / 4, 300, "a quarter sent")
        dropped = pg_server.terminate_connections(pg_url)
        await wait_for(lambda: delivered() >= total / 2, 300, "half sent after the drop")
        pg_server.restart()
        with contextlib.suppress(AssertionError):
            await wait_for(lambda: set(outbox_counts(pg_url)) == {"sent"}, 300, "all sent")
        lost, duplicated = lost_and_duplicated(api, expected)
        depth = outbox_counts(pg_url)
        alive = [b.alive for b in bots]
    print(
        f"\nserver: {total} messages, {dropped} sessions ended, then a restart: lost {lost}, "
        f"duplicated {duplicated}; outbox {depth}"
    )
    assert alive == [True, True]
    assert lost == 0 and depth == {"sent": total}


# --- the database password, wherever the bot speaks ---------------------------------------------
async def test_the_database_password_never_shows(
    pg_server: PgServer, pg_url: str, tmp_path: Path
) -> None:
    """The real ``run`` on a URL with a password, logging at DEBUG, with /metrics and /healthz
    on and an administrator asking /stats: the password appears nowhere; a wrong one is one
    line, status 13, without it either."""
    name = pg_url.rsplit("/", 1)[1]
    with psycopg.connect(pg_server.url, autocommit=True) as admin:
        admin.execute(f"ALTER DATABASE {name} OWNER TO {SECRETIVE_ROLE}".encode())
    url = pg_server.url_for(name, SECRETIVE_ROLE, SECRETIVE_PASSWORD)
    admin_id, port = 4242, free_port()
    async with fake_api() as api, httpx.AsyncClient(timeout=10) as client:
        env = bot_env(
            api.base_url, tmp_path / "unused.sqlite", DATABASE_URL=url, LOG_LEVEL="DEBUG",
            METRICS_PORT=str(port), ADMIN_IDS=str(admin_id),
        )  # fmt: skip
        bot = await BotProcess.start(env, tmp_path)
        try:
            await bot.polling(api)
            api.add_message(admin_id, admin_id, "/stats")
            await wait_for(lambda: len(api.texts(admin_id)) >= 1, 60, "the /stats answer")
            pages = [
                (await client.get(f"http://127.0.0.1:{port}/{page}")).text
                for page in ("metrics", "healthz")
            ]
            output = await bot.stopped(signal.SIGTERM)
        finally:
            await bot.kill()
        wrong = url.replace(SECRETIVE_PASSWORD, "not-the-password-7")
        refused = await BotProcess.start({**env, "DATABASE_URL": wrong}, tmp_path)
        code = await refused.wait()
    said = [output, *pages, *(t or "" for t in api.texts(admin_id)), refused.output]
    assert all(SECRETIVE_PASSWORD not in text for text in said)
    assert "not-the-password-7" not in refused.output
    assert "DEBUG" in output  # it did log at DEBUG
    assert code == 13 and "refused the login" in refused.last_line, refused.output[-2000:]
