"""Inline keyboards and the callback data their buttons carry.

Callback data is at most 64 bytes and a modified client can send any data at all, so every
press is parsed defensively and permission is checked again when it is handled:

    sub:<chat id>:<topic>      a subscription's next state: off -> its default (on or silent)
                               -> the other one -> off (topic: preset:NAME or signal:KIND)
    digest:<chat id>:<0|1>     instant alerts (0) or one evening digest (1)
    forget:<chat id>           delete everything stored about the chat (after /stop)
    keep:<chat id>             keep it (dismiss the question)
"""

from __future__ import annotations

from collections.abc import Iterable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.app.handlers.topics import TOPICS, title
from bot.text.i18n import Translator, translator
from bot.text.signals import kind_title
from storage.chats import Subscription

__all__ = [
    "NOT_SUBSCRIBED",
    "SILENT",
    "SUBSCRIBED",
    "digest_keyboard",
    "forget_keyboard",
    "parse",
    "storable",
    "topics_keyboard",
]

SUBSCRIBED, SILENT, NOT_SUBSCRIBED = "✅", "🔕", "➕"


def topics_keyboard(
    chat_id: int, subscribed: Iterable[Subscription], t: Translator | None = None
) -> InlineKeyboardMarkup:
    """One button per topic, marked by how ``chat_id`` gets it (✅ on, 🔕 silent, ➕ not at
    all); a press moves it on to the next state."""
    t = t or translator(None)
    modes = {s.topic: s.mode for s in subscribed}
    presets = [topic for topic in TOPICS if topic.startswith("preset:")]
    kinds = [topic for topic in TOPICS if topic.startswith("signal:")]

    def button(topic: str) -> InlineKeyboardButton:
        mode = modes.get(topic)
        mark = NOT_SUBSCRIBED if mode is None else SILENT if mode == "silent" else SUBSCRIBED
        label = title(topic, t) if topic.startswith("preset:") else kind_title(topic[7:], t)
        return InlineKeyboardButton(f"{mark} {label}", callback_data=f"sub:{chat_id}:{topic}")

    rows = [[button(topic)] for topic in presets]
    rows += [[button(k) for k in kinds[i : i + 2]] for i in range(0, len(kinds), 2)]
    return InlineKeyboardMarkup(rows)


def digest_keyboard(
    chat_id: int, digest: bool, t: Translator | None = None
) -> InlineKeyboardMarkup:
    t = t or translator(None)
    mark = {True: "● ", False: "○ "}
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    mark[not digest] + t("Instant alerts"), callback_data=f"digest:{chat_id}:0"
                ),
                InlineKeyboardButton(
                    mark[digest] + t("Evening digest"), callback_data=f"digest:{chat_id}:1"
                ),
            ]
        ]
    )


def forget_keyboard(chat_id: int, t: Translator | None = None) -> InlineKeyboardMarkup:
    t = t or translator(None)
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t("🗑 Delete all data about this chat"), callback_data=f"forget:{chat_id}"
                )
            ],
            [InlineKeyboardButton(t("Keep my settings"), callback_data=f"keep:{chat_id}")],
        ]
    )


def parse(data: str | None, action: str, parts: int) -> list[str] | None:
    """``action:a:b...`` -> [a, b, ...] (the last part may contain ':'), the first part a
    chat id; None if the data is not of that shape, or the id is outside SQLite's signed
    64-bit range (a forged button: it would fail in storage with an OverflowError)."""
    if not data or not data.startswith(action + ":"):
        return None
    fields = data[len(action) + 1 :].split(":", parts - 1)
    if len(fields) != parts:
        return None
    try:
        chat_id = int(fields[0])
    except ValueError:
        return None
    return fields if storable(chat_id) else None


def storable(number: int) -> bool:
    """Whether SQLite can hold ``number`` (a signed 64-bit integer): an id typed or forged
    beyond that is no chat, and would fail in storage with an OverflowError."""
    return -(2**63) <= number < 2**63
