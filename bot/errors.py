"""What the bot refuses or cannot do, as one tree under :class:`BotError`.

Each room raises its own and says it in one line: the command line turns the start-up ones
into an exit status (:data:`bot.cli.main.EXIT_STATUS`, README "Exit statuses"), a handler
turns a bad subject into a sentence for the chat, the webhook server a refused request into
an HTTP status. Those that are a bad value are also :class:`ValueError`. Failures of the
layers below keep their own roots (:class:`signals.SignalsError`,
:class:`market.MarketDataError`, :class:`storage.StorageError`). This module imports nothing,
so every room (and ``rotation-bot --help``) may use it. The tree (a test checks it against
the code, so it cannot drift):

* BotError (bot.errors) — the root: anything bot/ refuses or cannot do.
  * SettingsError (bot.settings) — a setting that cannot be read (exit status 2).
  * StartFailure (bot.app.start_errors) — a command cannot start.
    * ConfigError (bot.app.start_errors) — a missing or malformed token or base URL.
    * TokenRejected (bot.app.start_errors) — the Bot API refused the token.
    * BotApiUnreachable (bot.app.start_errors) — the Bot API could not be reached.
    * WebhookPortUnavailable (bot.app.webhook_server) — the webhook's address cannot be
      listened on.
    * WebAppPortUnavailable (bot.webapp.http) — the Mini App's address cannot be listened on.
  * Refused (bot.app.http_server) — a request to the webhook or the Mini App refused with
    an HTTP status.
  * SubjectError (bot.app.handlers.chart) — a /chart subject that is not a ticker, a pair
    or ``sectors``.
  * BadSetting (bot.app.handlers.settings_cmd) — a /settings change refused, in the chat's
    language (the command and the Mini App say the same line).
  * DeliveryBlocked (bot.delivery.worker) — delivery must not go on (the database was
    replaced under the bot).
  * BadInitData (bot.webapp.initdata) — Mini App launch data that is not Telegram's, or
    no longer good (401).
  * Refusal (bot.webapp.api) — a Mini App request the chat cannot have (400).
  * UsageError (bot.cli.main) — a bad argument, found after parsing (exit status 2).
  * Rejected (bot.fake_api.wire) — the fake Bot API answers with an error.
"""

from __future__ import annotations

__all__ = ["BotError"]


class BotError(Exception):
    """Anything bot/ refuses or cannot do; the message is one line, for a human."""
