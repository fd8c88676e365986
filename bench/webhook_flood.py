"""Webhook mode under a flood, against the real ``rotation-bot run`` (prints; asserts nothing).

    python -m bench.webhook_flood
    python -m bench.webhook_flood --smoke     # 40 idle connections, 2 posts of 1 MB

The bot runs in webhook mode under systemd's default ``ulimit -n 1024`` against the fake Bot
API (tests/bot/app/test_webhook_limits.py uses these helpers as its fixtures). Printed: how
many idle connections were opened and how long the bot then took to answer a real update and
/healthz, how many bytes it logged meanwhile; its memory (VmRSS, VmHWM) before and after 20
posts of 10 MB without the secret; the time those took. With PTB's own server (before issue 22)
the update and /healthz timed out (60 s each) while the log grew by ~200 MB, and the 20 posts
took VmRSS from 134 to 402 MiB; with bot/app/webhook_server.py: answered in 0.01 s, 170 bytes
logged, 125 -> 125 MiB.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import resource
import socket
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from pathlib import Path

import httpx

from bench._common import bench_parser
from bot.fake_api.process import STARTED, BotProcess, bot_env, free_port, until, wait_for
from bot.fake_api.server import FakeBotApi

SECRET = "s3cret-0f-the-webhook_4c9e2b7d"
HEADER = "X-Telegram-Bot-Api-Secret-Token"
PATH = "/telegram/updates"
SYSTEMD_NOFILE = 1024
IDLE = 1100
MiB = 1 << 20


def systemd_nofile() -> Callable[[], None]:
    """For preexec_fn: the child's soft fd limit as systemd's default (``ulimit -n 1024``)."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    soft = SYSTEMD_NOFILE if hard == resource.RLIM_INFINITY else min(SYSTEMD_NOFILE, hard)

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))

    return limit


@contextlib.contextmanager
def own_fds(needed: int) -> Iterator[None]:
    """Raise this process's soft fd limit to ``needed`` (within the hard limit) for a while;
    OSError if the hard limit is lower."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        if hard != resource.RLIM_INFINITY and hard < needed:
            raise OSError(f"needs {needed} file descriptors; the hard limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


class WebhookBot:
    def __init__(
        self, bot: BotProcess, api: FakeBotApi, port: int, metrics: int, healthz: int
    ) -> None:
        self.bot, self.api, self.port, self.metrics = bot, api, port, metrics
        self.healthz = healthz  # what /healthz answered before (503 on the sample data)
        self.url = f"http://127.0.0.1:{port}{PATH}"


def webhook_env(base_url: str, database: Path, port: int, **extra: str) -> dict[str, str]:
    """The bot's environment in webhook mode on 127.0.0.1:``port`` with :data:`SECRET`."""
    return bot_env(
        base_url,
        database,
        WEBHOOK_URL=f"http://127.0.0.1:{port}{PATH}",
        WEBHOOK_PORT=str(port),
        WEBHOOK_SECRET=SECRET,
        **extra,
    )


@contextlib.asynccontextmanager
async def running_bot(tmp_path: Path) -> AsyncIterator[WebhookBot]:
    """The bot in webhook mode under ``ulimit -n 1024``, up (its webhook registered and the
    application running) and /healthz answering; stopped cleanly at the end."""
    port, metrics = free_port(), free_port()
    async with FakeBotApi(max_long_poll=0.2) as api:
        env = webhook_env(api.base_url, tmp_path / "bot.sqlite", port, METRICS_PORT=str(metrics))
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            preexec_fn=systemd_nofile(),
        )  # fmt: skip
        bot = BotProcess(proc)
        try:

            def running() -> bool:
                assert proc.returncode is None, f"the bot exited: {bot.output[-3000:]}"
                return "rotation-bot is running: webhook" in bot.output

            await wait_for(running, STARTED, "the bot to run")
            async with httpx.AsyncClient(timeout=10) as web:

                async def answered() -> int:
                    return (await web.get(f"http://127.0.0.1:{metrics}/healthz")).status_code

                healthz = await until(answered, "/healthz")
            yield WebhookBot(bot, api, port, metrics, healthz)
            await bot.stopped(timeout=120)
        finally:
            await bot.kill()
    assert SECRET not in bot.output


def accept_queue(port: int) -> int:
    """How many connections wait in the kernel to be accepted on the listening ``port``
    (a LISTEN socket's rx_queue in /proc/net/tcp)."""
    waiting = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[3] == "0A" and int(fields[1].split(":")[1], 16) == port:
            waiting += int(fields[4].split(":")[1], 16)
    return waiting


async def open_idle(port: int, count: int, batch: int = 32) -> list[socket.socket]:
    """Up to ``count`` connections that send nothing, opened ``batch`` at a time, each batch
    once the server has accepted the ones before (its accept queue empty, within 30 s): so
    every connection really reaches the server. Stops early if the server stops accepting."""
    loop = asyncio.get_running_loop()

    async def one() -> socket.socket | None:
        s = socket.socket()
        s.setblocking(False)
        try:
            await asyncio.wait_for(loop.sock_connect(s, ("127.0.0.1", port)), 20)
        except (OSError, TimeoutError):
            s.close()
            return None
        return s

    opened: list[socket.socket] = []
    while len(opened) < count:
        try:
            await wait_for(lambda: accept_queue(port) == 0, 30, "the bot to accept")
        except AssertionError:
            break  # the bot accepts no more: what the update and /healthz below meet
        more = await asyncio.gather(*(one() for _ in range(min(batch, count - len(opened)))))
        opened += [s for s in more if s is not None]
    return opened


def memory(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (its peak) of ``pid``, in kB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0])
    return fields


async def big_post(port: int, headers: dict[str, str], body: bytes) -> None:
    """Post ``body`` (as fast as the server takes it) until the server answers or closes;
    60 s at most."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    writer.write(f"POST {PATH} HTTP/1.1\r\nHost: x\r\n{head}\r\n".encode())

    async def send() -> None:
        with contextlib.suppress(ConnectionError):
            for start in range(0, len(body), 1 << 16):
                writer.write(body[start : start + (1 << 16)])
                await writer.drain()

    try:
        async with asyncio.timeout(60):
            sending = asyncio.create_task(send())
            with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
                await reader.readuntil(b"\r\n\r\n")  # the answer's head, or the server closed
            sending.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sending
    finally:
        writer.transport.abort()


async def timed(what: str, request: Awaitable[httpx.Response]) -> None:
    start = time.monotonic()
    try:
        reply = await request
        print(f"  {what}: {reply.status_code} in {time.monotonic() - start:.2f} s")
    except httpx.HTTPError as e:
        print(f"  {what}: {type(e).__name__} after {time.monotonic() - start:.1f} s")


async def flood(idle_count: int, posts: int, mb: int) -> None:
    """The bot up, ``idle_count`` idle connections, then ``posts`` posts of ``mb`` MB."""
    with tempfile.TemporaryDirectory() as tmp:
        async with running_bot(Path(tmp)) as hook:
            logged = len(hook.bot.output.encode())
            with own_fds(idle_count + 512):
                start = time.monotonic()
                idle = await open_idle(hook.port, idle_count)
                print(f"{len(idle)} idle connections opened in {time.monotonic() - start:.1f} s")
                async with httpx.AsyncClient(timeout=60) as web:
                    update = hook.api.add_message(8, 8, "/start")
                    post = web.post(hook.url, json=update, headers={HEADER: SECRET})
                    await timed("a real update", post)
                    await timed("/healthz", web.get(f"http://127.0.0.1:{hook.metrics}/healthz"))
                for s in idle:
                    s.close()
            grown = len(hook.bot.output.encode()) - logged
            print(f"  logged meanwhile: {grown} bytes")
            before = memory(hook.bot.pid)
            body = b"x" * (mb * 10**6)
            head = {"Content-Type": "application/json", "Content-Length": str(len(body))}
            start = time.monotonic()
            await asyncio.gather(*(big_post(hook.port, head, body) for _ in range(posts)))
            after = memory(hook.bot.pid)
            print(
                f"{posts} x {mb} MB without the secret in {time.monotonic() - start:.2f} s: "
                f"VmRSS {before['VmRSS'] / 1024:.0f} -> {after['VmRSS'] / 1024:.0f} MiB, "
                f"VmHWM {before['VmHWM'] / 1024:.0f} -> {after['VmHWM'] / 1024:.0f} MiB"
            )


def build_parser() -> argparse.ArgumentParser:
    parser = bench_parser(__file__, __doc__, "40 idle, 2 posts of 1 MB")
    parser.add_argument("--idle", type=int, default=IDLE, help=f"idle connections (default {IDLE})")
    parser.add_argument("--posts", type=int, default=20, help="big posts at once (default 20)")
    parser.add_argument("--mb", type=int, default=10, help="each big post's size (default 10)")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    if args.smoke:
        args.idle, args.posts, args.mb = 40, 2, 1
    asyncio.run(flood(args.idle, args.posts, args.mb))


if __name__ == "__main__":
    main()
