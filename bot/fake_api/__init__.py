"""One fake Telegram Bot API: answers complete for python-telegram-bot 22.8, no network.

``answers`` (:class:`BotApi`: the chats, the messages, faults, recording, and what each
method answers), ``wire`` (the shapes PTB requires, Telegram's text checks, parameter
decoding), ``local`` (:class:`LocalBotApi`, in-process as a PTB ``BaseRequest``: the console
of ``rotation-bot demo``/``chat`` and the handler tests) and ``server`` (the same over HTTP
with aiohttp, from the ``dev`` extra: delivery tests and benches).
"""

from bot.fake_api.answers import BotApi, Recorded, Sent
from bot.fake_api.faults import Fault
from bot.fake_api.local import LocalBotApi
from bot.fake_api.wire import Rejected, Upload

__all__ = ["BotApi", "Fault", "LocalBotApi", "Recorded", "Rejected", "Sent", "Upload"]
