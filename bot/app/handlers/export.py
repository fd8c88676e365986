"""/export: a chat's alert history, subscriptions, custom alerts and settings as a file.

/export           one CSV file (a ``record`` column says what each row is)
/export json      the same as one JSON document
/export @channel  a linked channel's, sent to the private chat that asked

In a group only its administrators may export (its history is the group's, not every
member's); a channel's, only its administrators, from a private chat with the bot.

The file is for spreadsheets and scripts, so it reads the same in every language: column
names, record kinds, statuses, signal and setting names are fixed codes (a script written
for one chat works for all); only what a person wrote or was sent (an alert's text, a topic's
name, a custom alert as typed) is in the chat's language. The caption is in the chat's.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import re
from typing import Any

from telegram import InputFile, Update
from telegram.constants import ParseMode

from bot.app.context import Context
from bot.app.handlers.common import ensure_chat, reply, services, tr
from bot.app.handlers.permissions import Target, for_target, may_manage_here
from bot.app.handlers.topics import short_name
from bot.text.alerts import esc
from storage import history
from storage.history import ChatExport

__all__ = ["CSV_COLUMNS", "FORMATS", "NO_SIGNAL", "export", "plain", "to_csv", "to_json"]

FORMATS = ("csv", "json")
CSV_COLUMNS = (
    "record",  # alert | subscription | custom_alert | setting
    "time",  # when it was queued (alert) or made (subscription, custom alert), UTC
    "session",
    "status",  # alert: sent, pending, failed ...; subscription: on or silent
    "sent_at",
    "name",  # alert: signal kind; subscription: preset or signal; custom alert: as typed
    "subject",
    "rule",
    "variant",
    "cooldown",
    "silent",
    "thread_id",
    "text",  # alert: the message as plain text; setting: its value
)
NO_SIGNAL = "digest_or_notice"
"""The ``name`` of an alert row no signal made (a digest, a notice): a code, as the others."""
_TAG = re.compile(r"<[^>]+>")


def plain(body: str | None) -> str:
    """An alert's HTML as the text a chat shows."""
    return html.unescape(_TAG.sub("", body or ""))


def to_csv(data: ChatExport) -> str:
    """One CSV table of everything: alerts first (oldest first), then what the chat gets."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for a in data.alerts:
        writer.writerow(
            {
                "record": "alert",
                "time": a["created_at"],
                "session": a["session"],
                "status": a["status"],
                "sent_at": a["sent_at"],
                "name": a["signal"] or NO_SIGNAL,
                "subject": a["subject"],
                "rule": a["rule"],
                "variant": a["variant"],
                "silent": int(a["silent"]),
                "thread_id": a["thread_id"],
                "text": plain(a["body"]),
            }
        )
    for s in data.subscriptions:
        writer.writerow(
            {
                "record": "subscription",
                "time": s["created_at"],
                "status": s["mode"],
                "name": short_name(s["topic"]),
                "cooldown": s["cooldown"],
                "silent": int(s["mode"] == "silent"),
                "thread_id": s["thread_id"],
                "text": s["thread_name"],
            }
        )
    for r in data.custom_alerts:
        writer.writerow(
            {"record": "custom_alert", "time": r["created_at"], "name": r["text"]}
            | {"rule": r["rule"], "thread_id": r["thread_id"], "text": r["thread_name"]}
        )
    for key, value in data.chat.items():
        if key not in ("id", "kind", "title", "username", "created_at"):
            writer.writerow({"record": "setting", "name": key, "text": value})
    return out.getvalue()


def to_json(data: ChatExport) -> str:
    """The export as one JSON document; alerts carry their text as plain text and HTML."""
    alerts = [
        {**{k: v for k, v in a.items() if k != "body"}, "text": plain(a["body"]), "html": a["body"]}
        for a in data.alerts
    ]
    doc: dict[str, Any] = {
        "chat": data.chat,
        "subscriptions": [{**s, "topic": short_name(s["topic"])} for s in data.subscriptions],
        "custom_alerts": data.custom_alerts,
        "alerts": alerts,
    }
    return json.dumps(doc, ensure_ascii=False, indent=1)


@for_target(manage=False)
async def export(update: Update, context: Context, where: Target, words: list[str]) -> None:
    """Send this chat's (or a linked channel's) history and subscriptions as a file."""
    chat = update.effective_chat
    assert chat is not None
    t = tr(update, context)
    if not where.is_channel and not await may_manage_here(update, context):
        # a channel's administrators are checked by for_target
        await reply(update, t("Only this group's administrators can export its alert history."))
        return
    fmt = words[0].lower().removeprefix(".") if words else "csv"
    if fmt not in FORMATS or len(words) > 1:
        command = f"/export{where.mention}"
        await reply(update, t("❌ {command} or {command} json", command=command))
        return
    if not where.is_channel:
        ensure_chat(update, context)
    data = history.export(services(context).db, where.id)
    body = to_csv(data) if fmt == "csv" else to_json(data)
    day = dt.datetime.now(dt.UTC).date().isoformat()
    name = f"rotation-bot-{_slug(where)}-{day}.{fmt}"
    caption = t(
        "🗂 Export for {label}: {alerts}, {subscriptions}, {rules}.",
        label=esc(t(where.label)),
        alerts=t.n("{n} alert in the history", "{n} alerts in the history", len(data.alerts)),
        subscriptions=t.n("{n} subscription", "{n} subscriptions", len(data.subscriptions)),
        rules=t.n("{n} custom alert", "{n} custom alerts", len(data.custom_alerts)),
    )
    message = update.effective_message
    thread = message.message_thread_id if message and message.is_topic_message else None
    await context.bot.send_document(
        chat.id,  # a channel's export goes to the admin who asked, not to the channel
        InputFile(body.encode(), filename=name),
        caption=caption,
        parse_mode=ParseMode.HTML,
        message_thread_id=thread,
    )


def _slug(where: Target) -> str:
    if where.label.startswith("@"):
        return where.label[1:]
    return str(where.id).replace("-", "g")
