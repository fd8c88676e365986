"""What the Mini App shows, as plain data: the same core functions and stores as the commands.

Nothing here knows HTTP (:mod:`bot.webapp.server` turns these dicts into JSON answers) and
nothing here writes SQL: the rotation is :func:`bot.evening.sector_rotation.fetch` (the numbers
behind ``rotation-bot rrg`` and /chart sectors), the dashboard /status's
(:func:`bot.app.handlers.fetch.current_dashboard`, kept per session), a rule is read by
:func:`signals.parse.parse_rule` (its refusal said in the chat's language), and the alerts are
:class:`storage.chats.ChatStore`, :class:`storage.rules.RuleStore` and
:func:`storage.stats.recent_messages`, so a change in either place is seen in both.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from bot.app.context import BotData
from bot.app.handlers import fetch
from bot.app.handlers.alerts import store_error
from bot.app.handlers.common import upper_first
from bot.app.handlers.settings_cmd import BadSetting, changed_fields, muted_until
from bot.app.handlers.topics import DEFAULT_COOLDOWN, TOPICS, title
from bot.app.offload import POOLS
from bot.errors import BotError
from bot.evening import sector_rotation
from bot.services import Services
from bot.text.i18n import LANGUAGES, Translator
from bot.text.rules import translated
from bot.text.signals import kind_title
from signals.parse import ParseError, parse_rule
from signals.presets import SECTORS
from storage.chats import MAX_COOLDOWN
from storage.history import purge
from storage.rules import DuplicateRuleError, NoSuchRuleError, RuleLimitError
from storage.stats import recent_messages

__all__ = [
    "ROTATION_WEEKS",
    "Refusal",
    "add_rule",
    "alerts",
    "change_setting",
    "dashboard",
    "delete_rule",
    "rotation",
    "set_settings",
    "set_subscription",
    "try_rule",
]

ROTATION_WEEKS = 52
"""Weeks of the rotation graph the page can step back through (its tails reach further)."""
HISTORY = 20
MODES = ("on", "silent", "off")


class Refusal(BotError, ValueError):
    """A request the chat cannot have (a bad topic, a duplicate rule): 400 with this line."""


def _plain(value: Any) -> Any:
    """A dataclass tree as JSON-ready values (dates as YYYY-MM-DD)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, float):
        return round(value, 6)
    return value


async def rotation(svc: Services) -> dict[str, Any]:
    """Every sector's weekly RS-Ratio and RS-Momentum for the last :data:`ROTATION_WEEKS`
    weeks, by sector (oldest first), and its quadrant; the page draws tails from them."""
    end = await fetch.latest_session(svc)
    start = end - dt.timedelta(weeks=ROTATION_WEEKS)
    got = await POOLS.compute(
        sector_rotation.fetch,
        fetch.Bounded(svc.provider, svc.settings.data_timeout),
        SECTORS,
        start,
        end,
    )
    weeks = sorted({p.date for p in got.table.points})
    by_subject: dict[str, list[list[Any]]] = {}
    for p in got.table.points:
        row = [p.date.isoformat(), round(p.rs_ratio, 3), round(p.rs_momentum, 3), p.quadrant]
        by_subject.setdefault(p.subject.split("/")[0], []).append(row)
    return {
        "source": got.source,
        "synthetic": got.synthetic,
        "weeks": [w.isoformat() for w in weeks],
        "sectors": by_subject,
        "short": {k.split("/")[0]: str(v) for k, v in got.table.short.items()},
    }


async def dashboard(svc: Services, held: BotData) -> dict[str, Any]:
    """/status's dashboard at the latest session (computed once per session for everyone)."""
    board, synthetic = await fetch.current_dashboard(svc, held)
    return {"synthetic": synthetic, "source": svc.provider.name, "board": _plain(board)}


def try_rule(text: str, t: Translator) -> dict[str, Any]:
    """The rule as the server reads it, or its refusal in the chat's language."""
    try:
        rule = parse_rule(text)
    except ParseError as e:
        return {"ok": False, "error": translated(e, t)}
    return {
        "ok": True,
        "kind": kind_title(rule.kind, t),
        "subject": rule.subject,
        "key": rule.key,
    }


def alerts(svc: Services, chat_id: int, t: Translator) -> dict[str, Any]:
    """What /list, /alerts, /settings and /history show for the chat, as data."""
    subs = {s.topic: s for s in svc.chats.subscriptions(chat_id)}
    chat = svc.chats.get(chat_id)
    topics = [
        {
            "topic": topic,
            "title": title(topic, t),
            "mode": subs[topic].mode if topic in subs else "off",
            "cooldown": subs[topic].cooldown if topic in subs else DEFAULT_COOLDOWN[topic],
        }
        for topic in TOPICS
    ]
    rules = [
        {"number": n, "text": text, "kind": rule.kind, "subject": rule.subject}
        for n, text, rule in svc.rules.list(chat_id)
    ]
    history = [
        {"id": m.id, "session": m.session, "sent_at": m.sent_at, "html": m.body}
        for m in recent_messages(svc.db, chat_id, HISTORY)
    ]
    settings = None
    if chat is not None:
        now = dt.datetime.now(dt.UTC)
        muted = chat.muted_until if chat.muted_until and chat.muted_until > now else None
        settings = {
            "tz": chat.tz,
            "quiet_start": chat.quiet_start,
            "quiet_end": chat.quiet_end,
            "digest": chat.digest,
            "lang": chat.lang,
            "keep_days": chat.keep_days,
            "muted_until": muted.isoformat() if muted else None,
        }
    return {
        "chat": chat_id,
        "topics": topics,
        "rules": rules,
        "settings": settings,
        "history": history,
        "max_cooldown": MAX_COOLDOWN,
        "languages": dict(LANGUAGES),
    }


def set_subscription(
    svc: Services, chat_id: int, topic: str, mode: str, cooldown: int | None
) -> None:
    """What /subscribe TOPIC [silent] [cooldown N] and /unsubscribe do, for one topic (the chat
    must exist: :meth:`storage.chats.ChatStore.ensure`); a new one keeps the topic's default
    cooldown unless one is given, an existing one its forum topic."""
    if topic not in TOPICS:
        raise Refusal(f"no such topic: {topic}")
    if mode not in MODES:
        raise Refusal("mode is on, silent or off")
    if cooldown is not None and not 0 <= cooldown <= MAX_COOLDOWN:
        raise Refusal(f"a cooldown is 0 to {MAX_COOLDOWN} sessions")
    if mode == "off":
        svc.chats.unsubscribe(chat_id, topic)
        return
    before = svc.chats.subscription(chat_id, topic)
    if before is None:
        cooldown = DEFAULT_COOLDOWN.get(topic, 0) if cooldown is None else cooldown
        svc.chats.subscribe(chat_id, topic, mode=mode, cooldown=cooldown)
    else:
        svc.chats.subscribe(
            chat_id, topic, mode=mode, cooldown=cooldown,
            thread_id=before.thread_id, thread_name=before.thread_name,
        )  # fmt: skip


def set_settings(svc: Services, chat_id: int, digest: object, lang: object, t: Translator) -> None:
    """The page's digest/instant buttons and language list: ``/settings digest|instant`` and
    ``/settings lang xx``, through :func:`change_setting` (the chat must exist)."""
    if digest is not None:
        if not isinstance(digest, bool):
            raise Refusal("digest is true or false")
        change_setting(svc, chat_id, "digest" if digest else "instant", "", t)
    if lang is not None:
        change_setting(svc, chat_id, "lang", str(lang), t)


def change_setting(svc: Services, chat_id: int, setting: str, value: str, t: Translator) -> None:
    """``/settings SETTING VALUE`` (tz, quiet, keep, digest, instant, lang) and ``/mute
    VALUE`` (setting ``mute``), read by the commands' own
    :func:`bot.app.handlers.settings_cmd.changed_fields` and
    :func:`~bot.app.handlers.settings_cmd.muted_until`, refused with their words; a shorter
    history kept deletes the older alerts now, as the command does."""
    try:
        if setting == "mute":
            fields: dict[str, object] = {"muted_until": muted_until(value, t)}
        else:
            fields = changed_fields(setting, value.split(), t)
    except BadSetting as e:
        raise Refusal(str(e)) from None
    svc.chats.update(chat_id, **fields)
    if "keep_days" in fields:
        purge(svc.db, dt.datetime.now(dt.UTC), chat_id)


def delete_rule(svc: Services, chat_id: int, number: int, t: Translator) -> str:
    """/delete N: the text of the rule removed; :class:`Refusal` with the command's words when
    the chat has no rule ``number``."""
    try:
        text, _ = svc.rules.delete(chat_id, number)
    except NoSuchRuleError as e:
        raise Refusal(f"❌ {upper_first(store_error(e, t))}.") from None
    return text


def add_rule(svc: Services, chat_id: int, text: str, t: Translator) -> int:
    """/alert TEXT: the chat's new rule's number; :class:`Refusal` says why not."""
    try:
        rule = parse_rule(text)
    except ParseError as e:
        raise Refusal(translated(e, t)) from None
    try:
        return svc.rules.add(chat_id, rule, " ".join(text.split()))
    except (DuplicateRuleError, RuleLimitError) as e:
        raise Refusal(translated(e, t)) from None
