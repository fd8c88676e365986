"""/signals, /subscribe, /unsubscribe, /list and the subscribe buttons.

A subscription is on (✅, notified), silent (🔕, ``disable_notification``) or off (no row);
it has a cooldown (sessions a rule stays quiet after alerting this chat) and, in a forum
supergroup, the topic /subscribe was sent in, where its alerts go. A new one gets the topic's
defaults (bot/app/handlers/topics.py: silent for the noisiest, a cooldown of 10 sessions).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from telegram import Update
from telegram.error import BadRequest

from bot.app.context import Context
from bot.app.handlers import keyboards
from bot.app.handlers.common import code, ensure_chat, local_time, reply, services, tr, upper_first
from bot.app.handlers.forum import forum_topic, to_topic, topic_label
from bot.app.handlers.permissions import Target, for_target, may_manage
from bot.app.handlers.topics import (
    DEFAULT_COOLDOWN,
    DEFAULT_MODE,
    TOPICS,
    resolve,
    short_name,
    title,
)
from bot.text.alerts import esc
from bot.text.i18n import Translator
from bot.text.signals import describe, kind_title, preset_description, preset_title
from signals.catalogue import KINDS
from signals.kind import RuleError
from signals.presets import PRESETS
from storage.chats import MAX_COOLDOWN, Subscription

__all__ = [
    "MODE_WORDS",
    "Wish",
    "catalogue_html",
    "how",
    "list_subscriptions",
    "next_mode",
    "on_toggle",
    "signals",
    "subscribe",
    "unsubscribe",
    "wish",
]


def catalogue_html(where: Target, t: Translator) -> str:
    """The presets and signal kinds, one line each."""
    lines = [
        t(
            "<b>Presets</b> — tap to subscribe{channel} (✅ with a notification), tap again for "
            "🔕 silent or the other way round, a third time to unsubscribe:",
            channel=where.mention,
        )
    ]
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
    subs = services(context).chats.subscriptions(where.id)
    t = tr(update, context)
    await reply(update, catalogue_html(where, t), keyboards.topics_keyboard(where.id, subs, t))


@for_target(manage=True)
async def subscribe(update: Update, context: Context, where: Target, words: list[str]) -> None:
    """Subscribe this chat (or a linked channel) to presets or signal kinds, and say how:
    ``silent``, ``on``, ``off``, ``cooldown N``."""
    await _change(update, context, where, words, on=True)


@for_target(manage=True)
async def unsubscribe(update: Update, context: Context, where: Target, words: list[str]) -> None:
    """Unsubscribe this chat (or a linked channel) from presets or signal kinds."""
    await _change(update, context, where, words, on=False)


@dataclass(frozen=True, slots=True)
class Wish:
    """What /subscribe's words ask for: the topics, and how (None: as it is, or the default)."""

    topics: list[str]
    mode: str | None = None  # "on", "silent" or "off"
    cooldown: int | None = None


MODE_WORDS = {"on": "on", "loud": "on", "notify": "on", "silent": "silent", "off": "off"}


def wish(words: list[str], t: Translator) -> Wish:
    """Read /subscribe's words; a RuleError says what is wrong."""
    names: list[str] = []
    mode: str | None = None
    cooldown: int | None = None
    rest = iter(words)
    for word in rest:
        low = word.lower()
        if low in MODE_WORDS:
            mode = MODE_WORDS[low]
        elif low == "cooldown":
            value = next(rest, "").lower()
            n = 0 if value in ("off", "none", "no") else _int(value)
            if n is None or not 0 <= n <= MAX_COOLDOWN:
                raise RuleError(
                    t(
                        "a cooldown is a number of sessions from 0 to {most}, e.g. cooldown 5 "
                        "(or cooldown off)",
                        most=MAX_COOLDOWN,
                    )
                )
            cooldown = n
        else:
            names.append(word)
    return Wish(list(dict.fromkeys(resolve(n, t) for n in names)), mode, cooldown)


def _int(text: str) -> int | None:
    try:
        return int(text.removesuffix("d"))
    except ValueError:
        return None


async def _change(
    update: Update, context: Context, where: Target, words: list[str], *, on: bool
) -> None:
    store = services(context).chats
    if not where.is_channel:
        ensure_chat(update, context)
    t = tr(update, context)
    verb = "subscribe" if on else "unsubscribe"
    try:
        wanted = wish(words, t)
    except RuleError as e:
        example = t(
            "Example: /subscribe small_vs_large (or /subscribe sectors silent, /subscribe rates "
            "cooldown 5 — in sessions, 0 for none — or /subscribe oil off)"
        )
        if not on:
            example = t("Example: /{verb} small_vs_large", verb=verb)
        await reply(update, esc(e) + "\n" + example)
        return
    if not wanted.topics:
        subs = store.subscriptions(where.id)
        await reply(
            update,
            t("Which one? Tap below, or type e.g. /{verb} small_vs_large.", verb=verb),
            keyboards.topics_keyboard(where.id, subs, t),
        )
        return
    if not on or wanted.mode == "off":
        await _off(update, context, where, wanted.topics, t)
        return
    thread, name = (None, None) if where.is_channel else forum_topic(update)
    added, changed = [], []
    for topic in wanted.topics:
        before = store.subscription(where.id, topic)
        mode = wanted.mode or (None if before else DEFAULT_MODE.get(topic, "on"))
        cooldown = wanted.cooldown
        if cooldown is None and before is None:
            cooldown = DEFAULT_COOLDOWN.get(topic, 0)
        store.subscribe(
            where.id, topic, mode=mode, cooldown=cooldown, thread_id=thread, thread_name=name
        )
        after = store.subscription(where.id, topic)
        assert after is not None
        if before is None:
            added.append(after)
        elif after != before:
            changed.append(after)
    same = [x for x in wanted.topics if x not in {s.topic for s in added + changed}]
    label = esc(t(where.label))
    lines = _listed(
        t("✅ Subscribed {label} to:", label=label),
        [(_names([s.topic], t), s) for s in added],
        t,
    )
    lines += _listed(
        t("✅ Changed for {label}:", label=label),
        [(esc(title(s.topic, t)), s) for s in changed],
        t,
    )
    if same:
        lines.append(
            upper_first(t("{label} already gets: {topics}", label=label, topics=_names(same, t)))
        )
    if added:
        lines.append(t("You'll hear from me the evening one of them fires."))
    lines.append(
        t("/list{channel} shows everything {label} gets.", channel=where.mention, label=label)
    )
    await reply(update, "\n".join(lines))


def _listed(head: str, items: list[tuple[str, Subscription]], t: Translator) -> list[str]:
    """One line for one topic ("head name — how"), else a line per topic under the head."""
    if len(items) == 1:
        return [f"{head} {items[0][0]} — {how(items[0][1], t)}"]
    return [head, *(f"• {name} — {how(s, t)}" for name, s in items)] if items else []


async def _off(
    update: Update, context: Context, where: Target, topics: list[str], t: Translator
) -> None:
    store = services(context).chats
    done = [x for x in topics if store.unsubscribe(where.id, x)]
    same = [x for x in topics if x not in done]
    label = esc(t(where.label))
    lines = []
    if done:
        lines.append(t("Unsubscribed {label} from: {topics}", label=label, topics=_names(done, t)))
    if same:
        state = t("{label} was not subscribed to: {topics}", label=label, topics=_names(same, t))
        lines.append(upper_first(state))
    lines.append(
        t("/list{channel} shows everything {label} gets.", channel=where.mention, label=label)
    )
    await reply(update, "\n".join(lines))


def how(sub: Subscription, t: Translator) -> str:
    """How a chat gets a topic, in words: "🔕 silent, cooldown 10 sessions, to topic “Caps”"."""
    parts = [t("🔕 silent") if sub.silent else t("🔔 with a notification")]
    if sub.cooldown:
        parts.append(t("cooldown {n} sessions", n=sub.cooldown))
    if sub.thread_id is not None:
        parts.append(t("to topic {topic}", topic=esc(topic_label(sub.thread_id, sub.thread_name))))
    return ", ".join(parts)


def _names(topics: list[str], t: Translator) -> str:
    return ", ".join(
        esc(title(x, t)) + " (" + t.n("{n} rule", "{n} rules", len(TOPICS.get(x, []))) + ")"
        for x in topics
    )


@for_target(manage=False)
async def list_subscriptions(update: Update, context: Context, where: Target, _: list[str]) -> None:
    """What this chat (or a linked channel) gets: topics and how, custom alerts, delivery."""
    svc = services(context)
    t = tr(update, context)
    subs = svc.chats.subscriptions(where.id)
    rules = svc.rules.list(where.id)
    chat = svc.chats.get(where.id)
    lines = [t("📋 <b>What {label} gets</b>", label=esc(t(where.label)))]
    lines += [
        f"• {esc(title(s.topic, t))} ({code(short_name(s.topic))}): {how(s, t)}" for s in subs
    ]
    topics = svc.rules.topics(where.id)
    if rules:
        lines.append(t("<b>Custom alerts</b>:"))
        lines += [f"{n}. {code(text)}{to_topic(topics.get(n), t)}" for n, text, _ in rules]
    if not subs and not rules:
        lines.append(t("Nothing yet. /signals to choose, or /alert IWM/SPY crosses above 200d"))
    if topics or any(s.thread_id is not None for s in subs):
        lines.append(t("Everything else goes to General."))
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
    if subs:
        lines.append(
            t(
                "Change one with e.g. /subscribe{channel} sectors silent or cooldown 5.",
                channel=where.mention,
            )
        )
    await reply(update, "\n".join(lines))


async def on_toggle(update: Update, context: Context) -> None:
    """A subscribe button: move that topic on to its next state, then redraw the keyboard."""
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
    before = store.subscription(chat_id, topic)
    mode = next_mode(topic, before)
    if mode == "off":
        store.unsubscribe(chat_id, topic)
        note = t("Unsubscribed: {topic}", topic=title(topic, t))
    else:
        if before is None:
            thread, name = forum_topic(update)
            cooldown = DEFAULT_COOLDOWN.get(topic, 0)
        else:
            thread, name, cooldown = before.thread_id, before.thread_name, before.cooldown
        store.subscribe(
            chat_id, topic, mode=mode, cooldown=cooldown, thread_id=thread, thread_name=name
        )
        note = (
            t("Subscribed: {topic}", topic=title(topic, t))
            if mode == "on"
            else t("Silent: {topic}", topic=title(topic, t))
        )
    await query.answer(note)
    try:
        await query.edit_message_reply_markup(
            keyboards.topics_keyboard(chat_id, store.subscriptions(chat_id), t)
        )
    except BadRequest as e:  # "message is not modified" after a double tap, or too old
        if "not modified" not in str(e).lower():
            raise


def next_mode(topic: str, now: Subscription | None) -> str:
    """A button press's next state: off -> the topic's default mode -> the other one -> off."""
    first = DEFAULT_MODE.get(topic, "on")
    second = "on" if first == "silent" else "silent"
    if now is None:
        return first
    return second if now.mode == first else "off"
