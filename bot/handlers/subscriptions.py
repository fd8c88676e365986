"""/signals, /subscribe, /unsubscribe, /list and the subscribe buttons."""

from __future__ import annotations

import datetime as dt

from telegram import Update
from telegram.error import BadRequest

from bot.context import Context
from bot.handlers import keyboards
from bot.handlers.common import code, ensure_chat, local_time, reply, services, tr
from bot.handlers.permissions import Target, for_target, may_manage
from bot.handlers.topics import TOPICS, resolve, short_name, title
from bot.i18n import Translator
from bot.messages import esc
from bot.signal_texts import describe, kind_title, preset_description, preset_title
from signals.catalogue import KINDS
from signals.kind import RuleError
from signals.presets import PRESETS


def catalogue_html(where: Target, t: Translator) -> str:
    """The presets and signal kinds, one line each."""
    lines = [t("<b>Presets</b> — tap to subscribe{channel} or unsubscribe:", channel=where.mention)]
    for p in PRESETS.values():
        name, about = esc(preset_title(p.name, t)), esc(preset_description(p.name, t))
        lines.append(f"• <b>{name}</b> ({code(p.name)}): {about}")
    lines.append("\n" + t("<b>Signals</b> — every preset rule of one kind:"))
    for kind in KINDS.values():
        about = esc(describe(kind.id, kind.defaults, t))  # with the default values
        lines.append(f"• <b>{esc(kind_title(kind.id, t))}</b> ({code(kind.id)}): {about}")
    lines.append("\n" + t("Or an alert of your own: /alert IWM/SPY crosses above 200d"))
    return "\n".join(lines)


@for_target(manage=False)
async def signals(update: Update, context: Context, where: Target, _: list[str]) -> None:
    """The catalogue and presets, with a keyboard to subscribe or unsubscribe in one tap."""
    topics = services(context).chats.topics(where.id)
    t = tr(update, context)
    await reply(update, catalogue_html(where, t), keyboards.topics_keyboard(where.id, topics, t))


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
    t = tr(update, context)
    verb = "subscribe" if on else "unsubscribe"
    if not names:
        topics = store.topics(where.id)
        await reply(
            update,
            t("Which one? Tap below, or type e.g. /{verb} small_vs_large.", verb=verb),
            keyboards.topics_keyboard(where.id, topics, t),
        )
        return
    try:
        chosen = list(dict.fromkeys(resolve(n, t) for n in names))
    except RuleError as e:
        await reply(update, esc(e) + "\n" + t("Example: /{verb} small_vs_large", verb=verb))
        return
    done = [x for x in chosen if (store.subscribe if on else store.unsubscribe)(where.id, x)]
    same = [x for x in chosen if x not in done]
    label = esc(t(where.label))
    lines = []
    if done:
        head = (
            t("✅ Subscribed {label} to: {topics}", label=label, topics=_names(done, t))
            if on
            else t("Unsubscribed {label} from: {topics}", label=label, topics=_names(done, t))
        )
        lines.append(head)
    if same:
        state = (
            t("{label} already gets: {topics}", label=label, topics=_names(same, t))
            if on
            else t("{label} was not subscribed to: {topics}", label=label, topics=_names(same, t))
        )
        lines.append(state[:1].upper() + state[1:])
    if on and done:
        lines.append(t("You'll hear from me the evening one of them fires."))
    lines.append(
        t("/list{channel} shows everything {label} gets.", channel=where.mention, label=label)
    )
    await reply(update, "\n".join(lines))


def _names(topics: list[str], t: Translator) -> str:
    return ", ".join(
        esc(title(x, t)) + " (" + t.n("{n} rule", "{n} rules", len(TOPICS.get(x, []))) + ")"
        for x in topics
    )


@for_target(manage=False)
async def list_subscriptions(update: Update, context: Context, where: Target, _: list[str]) -> None:
    """What this chat (or a linked channel) gets: topics, custom alerts, delivery."""
    svc = services(context)
    t = tr(update, context)
    topics = svc.chats.topics(where.id)
    rules = svc.rules.list(where.id)
    chat = svc.chats.get(where.id)
    lines = [t("📋 <b>What {label} gets</b>", label=esc(t(where.label)))]
    if topics:
        lines += [f"• {esc(title(x, t))} ({code(short_name(x))})" for x in topics]
    if rules:
        lines.append(t("<b>Custom alerts</b>:"))
        lines += [f"{n}. {code(text)}" for n, text, _ in rules]
    if not topics and not rules:
        lines.append(t("Nothing yet. /signals to choose, or /alert IWM/SPY crosses above 200d"))
    if chat is not None:
        mode = t("one evening digest") if chat.digest else t("instant alerts")
        until = chat.muted_until
        muted = until is not None and until > dt.datetime.now(dt.UTC)
        if until and muted:
            mode = t(
                "{mode}, muted until {when}", mode=mode, when=esc(local_time(until, chat.tz, t))
            )
        lines.append(
            t("Delivery: {mode}. /settings{channel} to change.", mode=mode, channel=where.mention)
        )
    await reply(update, "\n".join(lines))


async def on_toggle(update: Update, context: Context) -> None:
    """A subscribe button: toggle that topic for that chat, then redraw the keyboard."""
    query = update.callback_query
    assert query is not None
    fields = keyboards.parse(query.data, "sub", 2)
    t = tr(update, context)
    if fields is None or fields[1] not in TOPICS:
        await query.answer(t("That button is out of date: send /signals again."))
        return
    chat_id, topic = int(fields[0]), fields[1]
    if not await may_manage(update, context, chat_id):
        await query.answer(t("Only administrators can change this."), show_alert=True)
        return
    store = services(context).chats
    if chat_id == (update.effective_chat.id if update.effective_chat else None):
        ensure_chat(update, context)
    if store.subscribe(chat_id, topic):
        note = t("Subscribed: {topic}", topic=title(topic, t))
    else:
        store.unsubscribe(chat_id, topic)
        note = t("Unsubscribed: {topic}", topic=title(topic, t))
    await query.answer(note)
    try:
        await query.edit_message_reply_markup(
            keyboards.topics_keyboard(chat_id, store.topics(chat_id), t)
        )
    except BadRequest as e:  # "message is not modified" after a double tap, or too old
        if "not modified" not in str(e).lower():
            raise
