"""/signals, /subscribe, /unsubscribe, /list and the subscribe buttons."""

from __future__ import annotations

import datetime as dt

from telegram import Update
from telegram.error import BadRequest

from bot.context import Context
from bot.handlers import keyboards
from bot.handlers.common import code, ensure_chat, local_time, reply, services
from bot.handlers.permissions import Target, for_target, may_manage
from bot.handlers.topics import TOPICS, resolve, short_name, title
from bot.messages import esc
from signals.catalogue import KINDS
from signals.kind import RuleError
from signals.presets import PRESETS


def catalogue_html(where: Target) -> str:
    """The presets and signal kinds, one line each."""
    lines = [f"<b>Presets</b> — tap to subscribe{where.mention} or unsubscribe:"]
    for p in PRESETS.values():
        lines.append(f"• <b>{esc(p.title)}</b> ({code(p.name)}): {esc(p.description)}")
    lines.append("\n<b>Signals</b> — every preset rule of one kind:")
    for kind in KINDS.values():
        about = esc(kind.description())  # with the default values
        lines.append(f"• <b>{esc(kind.title)}</b> ({code(kind.id)}): {about}")
    lines.append("\nOr an alert of your own: /alert IWM/SPY crosses above 200d")
    return "\n".join(lines)


@for_target(manage=False)
async def signals(update: Update, context: Context, where: Target, _: list[str]) -> None:
    """The catalogue and presets, with a keyboard to subscribe or unsubscribe in one tap."""
    topics = services(context).chats.topics(where.id)
    await reply(update, catalogue_html(where), keyboards.topics_keyboard(where.id, topics))


@for_target(manage=True)
async def subscribe(update: Update, context: Context, where: Target, names: list[str]) -> None:
    """Subscribe this chat (or a linked channel) to presets or signal kinds."""
    await _change(update, context, where, names, on=True)


@for_target(manage=True)
async def unsubscribe(update: Update, context: Context, where: Target, names: list[str]) -> None:
    """Unsubscribe this chat (or a linked channel) from presets or signal kinds."""
    await _change(update, context, where, names, on=False)


async def _change(
    update: Update, context: Context, where: Target, names: list[str], *, on: bool
) -> None:
    store = services(context).chats
    if not where.is_channel:
        ensure_chat(update, context)
    verb = "subscribe" if on else "unsubscribe"
    if not names:
        topics = store.topics(where.id)
        await reply(
            update,
            f"Which one? Tap below, or type e.g. /{verb} small_vs_large.",
            keyboards.topics_keyboard(where.id, topics),
        )
        return
    try:
        chosen = list(dict.fromkeys(resolve(n) for n in names))
    except RuleError as e:
        await reply(update, f"{esc(e)}\nExample: /{verb} small_vs_large")
        return
    done = [t for t in chosen if (store.subscribe if on else store.unsubscribe)(where.id, t)]
    same = [t for t in chosen if t not in done]
    lines = []
    if done:
        head = "✅ Subscribed" if on else "Unsubscribed"
        lines.append(f"{head} {esc(where.label)} {'to' if on else 'from'}: " + _names(done))
    if same:
        state = "already gets" if on else "was not subscribed to"
        label = esc(where.label)
        lines.append(f"{label[:1].upper()}{label[1:]} {state}: " + _names(same))
    if on and done:
        lines.append("You'll hear from me the evening one of them fires.")
    lines.append(f"/list{where.mention} shows everything {esc(where.label)} gets.")
    await reply(update, "\n".join(lines))


def _names(topics: list[str]) -> str:
    return ", ".join(f"{esc(title(t))} ({len(TOPICS.get(t, []))} rules)" for t in topics)


@for_target(manage=False)
async def list_subscriptions(update: Update, context: Context, where: Target, _: list[str]) -> None:
    """What this chat (or a linked channel) gets: topics, custom alerts, delivery."""
    svc = services(context)
    topics = svc.chats.topics(where.id)
    rules = svc.rules.list(where.id)
    chat = svc.chats.get(where.id)
    lines = [f"📋 <b>What {esc(where.label)} gets</b>"]
    if topics:
        lines += [f"• {esc(title(t))} ({code(short_name(t))})" for t in topics]
    if rules:
        lines.append("<b>Custom alerts</b>:")
        lines += [f"{n}. {code(text)}" for n, text, _ in rules]
    if not topics and not rules:
        lines.append("Nothing yet. /signals to choose, or /alert IWM/SPY crosses above 200d")
    if chat is not None:
        mode = "one evening digest" if chat.digest else "instant alerts"
        until = chat.muted_until
        muted = until is not None and until > dt.datetime.now(dt.UTC)
        extra = f", muted until {esc(local_time(until, chat.tz))}" if until and muted else ""
        lines.append(f"Delivery: {mode}{extra}. /settings{where.mention} to change.")
    await reply(update, "\n".join(lines))


async def on_toggle(update: Update, context: Context) -> None:
    """A subscribe button: toggle that topic for that chat, then redraw the keyboard."""
    query = update.callback_query
    assert query is not None
    fields = keyboards.parse(query.data, "sub", 2)
    if fields is None or fields[1] not in TOPICS:
        await query.answer("That button is out of date: send /signals again.")
        return
    chat_id, topic = int(fields[0]), fields[1]
    if not await may_manage(update, context, chat_id):
        await query.answer("Only administrators can change this.", show_alert=True)
        return
    store = services(context).chats
    if chat_id == (update.effective_chat.id if update.effective_chat else None):
        ensure_chat(update, context)
    if store.subscribe(chat_id, topic):
        note = f"Subscribed: {title(topic)}"
    else:
        store.unsubscribe(chat_id, topic)
        note = f"Unsubscribed: {title(topic)}"
    await query.answer(note)
    try:
        await query.edit_message_reply_markup(
            keyboards.topics_keyboard(chat_id, store.topics(chat_id))
        )
    except BadRequest as e:  # "message is not modified" after a double tap, or too old
        if "not modified" not in str(e).lower():
            raise
