"""``rotation-bot run``: start only when everything is sound, serve, and stop cleanly.

Start-up, in this order; each failure is one line on stderr and an exit status of its own
(``EXIT_STATUS`` in bot/cli/main.py, README "Exit statuses"):

1. the token's shape and ``TELEGRAM_BASE_URL``'s form -> 2 (:class:`ConfigError`);
2. getMe: the Bot API rejects the token -> 3; it cannot be reached -> 4, after retrying with
   back-off for ``STARTUP_TIMEOUT`` seconds (:func:`check_token`);
3. the instance lock beside the database (:mod:`storage.lock`) -> 5 if another bot holds it;
4. the database's checks (:mod:`storage.checks`: folder, read-only, locked, damaged, newer) ->
   6 to 10 (1 for any other reason it cannot be opened); a database that existed there and is
   missing or empty now (:mod:`storage.marker`) -> 12, unless ``--new-database``;
5. the market-data source -> 1;
6. in webhook mode, WEBHOOK_LISTEN:WEBHOOK_PORT (bound in :func:`serve`, before setWebhook) -> 11.

Nothing touches the disk before step 3, and a database file created at step 4 is removed
again if a later step fails, so a failed start leaves no new database behind.

Stop (SIGTERM, or SIGINT / Ctrl-C): no more updates are fetched; updates already fetched are
handled; the delivery worker claims nothing more and its sends in flight get ``SEND_GRACE``
seconds to finish and be recorded (:meth:`bot.delivery.worker.DeliveryWorker.drain`); a running
scan gets ``JOBS_GRACE``. A send cut short goes back to ``pending``, so nothing is left
``sending``; the lock is released and the exit status is 0. The whole stop takes at most
about ``SEND_GRACE + JOBS_GRACE`` seconds (20): deploy/rotation-bot.service's
``TimeoutStopSec`` and the Dockerfile's stop timeout (30) leave a margin above it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from urllib.parse import urlsplit

from telegram import Bot, User
from telegram.error import BadRequest, InvalidToken, NetworkError, RetryAfter, TelegramError

from bot.app.application import ALLOWED_UPDATES, build_application
from bot.app.context import App
from bot.app.metrics import TimedUpdates
from bot.app.start_errors import BotApiUnreachable, ConfigError, TokenRejected
from bot.app.updates import ChatOrderedProcessor
from bot.app.webhook_server import WebhookServer, start_webhook
from bot.delivery.answers import retry_after_seconds
from bot.logs import scrub, secrets_of
from bot.services import Services, open_services
from bot.settings import Settings, Webhook
from storage.coordination import SENDER, Coordination
from storage.lock import InstanceLock
from storage.marker import expect as expect_database
from storage.marker import mark as mark_database

__all__ = [
    "FIRST_RETRY",
    "JOBS_GRACE",
    "MAX_RETRY",
    "SEND_GRACE",
    "TELEGRAM",
    "Stopping",
    "add_command",
    "check_token",
    "cmd_run",
    "run",
    "serve",
    "stop",
    "where",
]

log = logging.getLogger(__name__)

SEND_GRACE = 10.0
"""Seconds the sends in flight get to finish at a stop (a send's own timeouts are ~5 s)."""
JOBS_GRACE = 10.0
"""Seconds a running job (an evening scan) and pending updates get at a stop."""
FIRST_RETRY, MAX_RETRY = 1.0, 15.0
"""Back-off between getMe attempts at start-up: 1 s, doubling, at most 15 s."""
TELEGRAM = "https://api.telegram.org/bot"


def run(
    settings: Settings, *, new_database: bool = False, setup: Callable[[App], None] | None = None
) -> int:
    """Start, serve until SIGTERM/SIGINT, stop cleanly: 0; a failed start raises the
    :class:`bot.app.start_errors.StartFailure` or :class:`storage.StorageError` that says why.
    The market data is Yahoo's unless DATA_SOURCE names another (serve() warns for sample).
    ``setup`` is given the application once built (the CLI's: the Mini App, bot.webapp)."""
    settings = settings.model_copy(update={"data_source": settings.source_for("yahoo")})
    try:
        token = settings.token()
        base_url = settings.bot_api_url()
        webhook = settings.webhook()
        settings.webapp()  # WEBAPP_URL's form, before anything starts
        settings.database()  # DATABASE_URL's form (never quoted: it holds a password)
    except ValueError as e:
        raise ConfigError(str(e)) from None
    return asyncio.run(_run(settings, token, base_url, webhook, new_database, setup))


async def _run(
    settings: Settings,
    token: str,
    base_url: str | None,
    webhook: Webhook | None = None,
    new_database: bool = False,
    setup: Callable[[App], None] | None = None,
) -> int:
    stopping = Stopping()
    stopping.install()
    try:
        me = await check_token(token, base_url, settings.startup_timeout, stopping)
        if me is None:
            return 0  # told to stop while waiting for the Bot API
        log.info("the Bot API accepted the token: @%s", me.username)
        with _one_instance(settings):
            if not settings.on_postgres:
                expect_database(settings.database_path, new=new_database)  # never silently empty
            services = open_services(settings)
            if not settings.on_postgres:
                mark_database(settings.database_path, again=new_database)
            app = build_application(services, token=token)
            coordination = _coordinate(app, settings, webhook)
            if setup is not None:
                setup(app)
            if settings.metrics_port is not None:  # started in post_init, stopped in serve
                from bot.app.monitor import Monitor

                metrics = app.bot_data.metrics
                assert metrics is not None  # set by build_application
                app.bot_data.monitor = Monitor(
                    app.bot_data, metrics, settings.metrics_listen, settings.metrics_port
                )
            try:
                await serve(app, services, stopping, webhook)
            finally:
                services.close()
                if coordination is not None:
                    coordination.close()
    finally:
        stopping.remove()
    log.info("rotation-bot stopped")
    return 0


def _one_instance(settings: Settings) -> contextlib.AbstractContextManager[object]:
    """SQLite: the lock beside the file, one ``run`` per database (status 5). PostgreSQL:
    nothing here, several instances are the point (:func:`_coordinate` sorts out who does
    what, and refuses a second poller)."""
    if settings.on_postgres:
        return contextlib.nullcontext()
    return InstanceLock.acquire(settings.database_path, "run")


def _coordinate(app: App, settings: Settings, webhook: Webhook | None) -> Coordination | None:
    """On PostgreSQL: this instance's roles and chat locks (bot/app/instances.py); polling
    beside another instance, or webhook mode beside a poller, is refused (status 5)."""
    if not settings.on_postgres:
        return None
    from bot.app.instances import ChatGate, claim_mode
    from storage.coordination import Coordination
    from storage.url import parse

    coordination = Coordination(parse(str(settings.database())))
    try:
        claim_mode(coordination, webhook=webhook is not None, database=settings.database_shown())
        if webhook is not None:
            gate = ChatGate(coordination)
            app.bot_data.gate = gate
            processor = app.update_processor
            while isinstance(processor, TimedUpdates):
                processor = processor.inner
            if not isinstance(processor, ChatOrderedProcessor):
                raise TypeError("several instances need the chat-ordered update processor")
            processor.after = gate.leave
    except BaseException:
        coordination.close()
        raise
    app.bot_data.coordination = coordination
    return coordination


class Stopping:
    """SIGTERM and SIGINT ask for a graceful stop (a second one is only logged)."""

    SIGNALS = (signal.SIGTERM, signal.SIGINT)

    def __init__(self) -> None:
        self.requested = asyncio.Event()
        self.installed = False

    def install(self) -> None:
        """Catch the signals (only possible on the main thread: elsewhere, e.g. in a test's
        worker thread, the caller stops the bot by setting ``requested``)."""
        loop = asyncio.get_running_loop()
        try:
            for sig in self.SIGNALS:
                loop.add_signal_handler(sig, self._on_signal, sig)
        except (ValueError, RuntimeError):  # not the main thread
            return
        self.installed = True

    def remove(self) -> None:
        if self.installed:
            loop = asyncio.get_running_loop()
            for sig in self.SIGNALS:
                loop.remove_signal_handler(sig)

    def _on_signal(self, sig: signal.Signals) -> None:
        if self.requested.is_set():
            log.warning("%s: already stopping (at most %.0f s)", sig.name, SEND_GRACE + JOBS_GRACE)
            return
        log.info("%s: stopping", sig.name)
        self.requested.set()


def where(base_url: str | None) -> str:
    """The Bot API's address for messages: scheme, host and port (never a token)."""
    parts = urlsplit(base_url or TELEGRAM)
    return f"{parts.scheme}://{parts.netloc}"


async def check_token(
    token: str, base_url: str | None, patience: float, stopping: Stopping
) -> User | None:
    """getMe, retried with back-off while the Bot API is unreachable, for ``patience``
    seconds. The bot's user; None if a stop was requested while waiting; raises
    :class:`TokenRejected` or :class:`BotApiUnreachable`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + patience
    secrets = secrets_of(token)
    delay, tries = FIRST_RETRY, 0
    while True:
        tries += 1
        try:
            async with Bot(token, base_url=base_url or TELEGRAM) as bot:
                return bot.bot
        except InvalidToken:
            hint = " and TELEGRAM_BASE_URL" if base_url else ""
            raise TokenRejected(
                f"the Bot API at {where(base_url)} rejected the token: check TELEGRAM_BOT_TOKEN"
                f"{hint} (@BotFather's /token shows the current token)"
            ) from None
        except RetryAfter as e:
            wait, reason = retry_after_seconds(e.retry_after), "flood control"
        except BadRequest as e:  # a NetworkError subclass, but an answer: retrying cannot help
            raise BotApiUnreachable(
                f"the Bot API at {where(base_url)} refused getMe: {scrub(e.message, secrets)}"
            ) from None
        except NetworkError as e:  # refused, timed out, 5xx
            wait, reason = delay, scrub(e.message, secrets)
            delay = min(delay * 2, MAX_RETRY)
        except TelegramError as e:
            raise BotApiUnreachable(
                f"the Bot API at {where(base_url)} refused getMe: {scrub(e.message, secrets)}"
            ) from None
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise BotApiUnreachable(
                f"cannot reach the Bot API at {where(base_url)} ({reason}); tried {tries} "
                f"times over {patience:g} s (STARTUP_TIMEOUT)"
            )
        wait = min(wait, remaining)
        log.warning("the Bot API at %s: %s; trying again in %.0f s", where(base_url), reason, wait)
        try:
            await asyncio.wait_for(stopping.requested.wait(), wait)
            return None
        except TimeoutError:
            pass


async def serve(
    app: App, services: Services, stopping: Stopping, webhook: Webhook | None = None
) -> None:
    """Poll (or serve the webhook) and deliver until a stop is requested, then stop as the
    module says. Webhook mode is :mod:`bot.app.webhook_server` (bounded connections and bodies,
    the secret checked before a body is read) feeding the same Application as polling; its
    port is bound before setWebhook is called; polling deletes a webhook left from webhook
    mode first (PTB does)."""
    try:
        await app.initialize()  # getMe once more, for the application's own bot
        if app.post_init is not None:
            await app.post_init(app)
    except BaseException as e:  # an endpoint post_init started is stopped before we go
        await _stop_endpoints(app)
        await app.shutdown()
        if isinstance(e, InvalidToken):
            raise TokenRejected("the Bot API rejected the token during start-up") from None
        if isinstance(e, TelegramError):
            reason = scrub(e.message, secrets_of(app.bot.token))
            raise BotApiUnreachable(f"the Bot API failed during start-up: {reason}") from None
        raise
    hook: WebhookServer | None = None
    try:
        assert app.updater is not None
        if webhook is None:
            await app.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
        else:
            try:  # binds WEBHOOK_LISTEN:WEBHOOK_PORT first (status 11), then setWebhook
                hook = await start_webhook(
                    app.bot, app.update_queue, webhook, ALLOWED_UPDATES, gate=app.bot_data.gate
                )
            except InvalidToken:
                raise TokenRejected("the Bot API rejected the token at setWebhook") from None
            except TelegramError as e:
                reason = scrub(e.message, [*secrets_of(app.bot.token), webhook.secret])
                raise BotApiUnreachable(f"the Bot API refused setWebhook: {reason}") from None
        await app.start()
        source = services.provider.name + (" (synthetic)" if services.provider.synthetic else "")
        mode = f"webhook at {webhook.url}" if webhook else "polling"
        log.info("rotation-bot is running: %s, data source %s", mode, source)
        if services.provider.synthetic:
            log.warning(
                "the data source is the synthetic sample, which ends on a fixed date: evening "
                "scans will report stale data and send no alerts. Set DATA_SOURCE=yahoo (or "
                "csv:DIR) for real closes"
            )
        await stopping.requested.wait()
    finally:
        await stop(app, services, hook)
        await _stop_endpoints(app)
        await app.shutdown()


async def _stop_endpoints(app: App) -> None:
    """The monitoring endpoint and the Mini App closed (either may never have started: e.g.
    the Mini App's port in use fails post_init after the monitoring one is listening)."""
    if app.bot_data.monitor is not None:
        await app.bot_data.monitor.stop()
    if app.bot_data.webapp is not None:
        await app.bot_data.webapp.stop()


async def stop(app: App, services: Services, hook: WebhookServer | None = None) -> None:
    """Updates off, sends in flight finished (or put back), jobs given their grace."""
    log.info("stopping: no new updates; sends in flight get up to %.0f s", SEND_GRACE)
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if hook is not None:  # webhook mode: no new requests; those being read finish
        await hook.stop()
    worker = app.bot_data.delivery
    if worker is not None:
        cut = await worker.drain(SEND_GRACE)
        if cut:
            log.warning("%d sends were still in flight after %.0f s: cut short", cut, SEND_GRACE)
    if app.running:
        try:
            await asyncio.wait_for(app.stop(), JOBS_GRACE)
        except TimeoutError:
            log.warning("a job was still running after %.0f s: cancelled", JOBS_GRACE)
    if app.bot_data.database_problem is not None:  # writes stopped: nothing can be requeued
        return
    coordination = app.bot_data.coordination
    if coordination is not None and not coordination.holds(SENDER):
        return  # several instances: only the sender's rows are its own to put back
    requeued = services.outbox.requeue_in_flight("requeued at shutdown", everything=True)
    if requeued:
        log.warning("%d messages cut short go out after the next start", requeued)


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    return run(settings, new_database=args.new_database)


def add_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``rotation-bot run`` to the CLI's subcommands."""
    p = sub.add_parser(
        "run",
        help="run the Telegram bot (polling; needs TELEGRAM_BOT_TOKEN)",
        description="Run the bot: answer commands and send alerts. Needs TELEGRAM_BOT_TOKEN; "
        "TELEGRAM_BASE_URL points it at a local Bot API server. SIGTERM or Ctrl-C stops it "
        "cleanly. Exit statuses: README 'Exit statuses'.",
    )
    p.set_defaults(func=cmd_run)
