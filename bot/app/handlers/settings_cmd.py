"""/settings (time zone, quiet hours, instant vs digest, language) and /mute DAYS.

/settings                     show them, with a button for instant vs digest
/settings lang de             the language of replies and alerts (en, de, es)
/settings tz Europe/Berlin    time zone (IANA name; for quiet hours and the digest)
/settings quiet 22:00-07:00   no alerts in those local hours (they wait until the end)
/settings quiet off
/settings digest | instant    one evening message, or each alert as it fires
/settings keep 365 | keep all days of alert history kept (older is deleted), or all (default)
/mute 3 | /mute off           pause every alert for N days (1 to 365), or resume
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from functools import lru_cache

from telegram import Update
from telegram.error import BadRequest

from bot.app.context import Context
from bot.app.handlers import keyboards
from bot.app.handlers.common import ensure_chat, local_time, reply, services, tr
from bot.app.handlers.permissions import Target, for_target, may_manage
from bot.errors import BotError
from bot.text.alerts import esc
from bot.text.i18n import LANGUAGES, N_, Translator, pick_language, translator
from storage.chats import Chat
from storage.history import purge

__all__ = [
    "MAX_KEEP_DAYS",
    "MAX_MUTE_DAYS",
    "MIN_KEEP_DAYS",
    "TIME",
    "USAGE",
    "BadSetting",
    "changed_fields",
    "clock",
    "mute",
    "muted_until",
    "on_digest",
    "settings",
    "settings_html",
    "time_zone",
    "usage",
]

MAX_MUTE_DAYS = 365
MIN_KEEP_DAYS, MAX_KEEP_DAYS = 7, 36500
"""Days of alert history a chat may keep: at least a week (what /history shows), at most a
century (``keep all`` for no limit)."""
USAGE = N_(
    "Change with:\n"
    "/settings tz Europe/Berlin — your time zone\n"
    "/settings quiet 22:00-07:00 — no alerts at night (or quiet off)\n"
    "/settings digest — one evening message instead of each alert (or instant)\n"
    "/settings lang de — the language of replies and alerts (en, de, es)\n"
    "/settings keep 365 — delete alert history older than 365 days (or keep all)\n"
    "/mute 3 — pause alerts for 3 days (or /mute off)"
)
TIME = re.compile(r"^([01]?\d|2[0-3])[:.h]?([0-5]\d)?$")


@lru_cache(maxsize=1)
def _zones() -> dict[str, str]:
    return {z.lower(): z for z in zoneinfo.available_timezones()}


def time_zone(text: str) -> str | None:
    """The IANA zone ``text`` names (case forgiven), or None."""
    return _zones().get(text.strip().lower())


def clock(text: str) -> str | None:
    """ "22:00", "22", "7.30", "0730" -> "HH:MM"; None if not a time of day."""
    m = TIME.match(text.strip().lower())
    if not m:
        return None
    return f"{int(m.group(1)):02d}:{m.group(2) or '00'}"


class BadSetting(BotError, ValueError):
    """A /settings change refused: its one line, in the chat's language (the command replies
    with it, the Mini App shows it)."""


def changed_fields(
    what: str, rest: list[str], t: Translator, mention: str = ""
) -> dict[str, object]:
    """The chat's fields ``/settings WHAT REST…`` sets (tz, quiet, digest, instant, lang,
    keep), or :class:`BadSetting` with the command's own refusal. Shared with the Mini App
    (bot.webapp), so both read a setting the same way; ``mention`` is the channel's name the
    examples in a refusal carry."""
    what = what.lower()
    if what in ("tz", "timezone", "zone", "time_zone"):
        zone = time_zone(rest[0]) if len(rest) == 1 else None
        if zone is None:
            raise BadSetting(
                t(
                    "❌ Give an IANA time zone, e.g. /settings tz Europe/Berlin "
                    "or /settings tz America/New_York"
                )
            )
        return {"tz": zone}
    if what == "quiet":
        text = " ".join(rest).lower().replace("–", "-").replace(" to ", "-").replace(" ", "")
        if text in ("off", "none", "no", t("off").lower()):
            return {"quiet_start": None, "quiet_end": None}
        start, _, end = text.partition("-")
        begin, finish = clock(start), clock(end)
        if begin is None or finish is None or begin == finish:
            raise BadSetting(
                t("❌ Give two times, e.g. /settings quiet 22:00-07:00 (or quiet off)")
            )
        return {"quiet_start": begin, "quiet_end": finish}
    if what in ("keep", "retention", "history"):
        word = rest[0].lower().removesuffix("d") if len(rest) == 1 else ""
        if word in ("all", "off", "forever", t("all").lower()):
            return {"keep_days": None}
        days = int(word) if word.isdigit() else 0
        if not MIN_KEEP_DAYS <= days <= MAX_KEEP_DAYS:
            raise BadSetting(
                t(
                    "❌ How many days of alert history to keep? {example} ({least} to {most}), "
                    "or keep all",
                    example=f"/settings{mention} keep 365",
                    least=MIN_KEEP_DAYS,
                    most=MAX_KEEP_DAYS,
                )
            )
        return {"keep_days": days}
    if what in ("digest", "instant"):
        return {"digest": int(what == "digest")}
    if what in ("lang", "language", "sprache", "idioma"):
        word = rest[0].lower() if len(rest) == 1 else ""
        lang = pick_language(word) if word else None
        if lang is None or (lang == "en" and not word.startswith("en")):
            choices = ", ".join(f"{code} ({name})" for code, name in LANGUAGES.items())
            raise BadSetting(
                t("❌ Choose a language: {choices}, e.g. /settings lang de", choices=choices)
            )
        return {"lang": lang}
    raise BadSetting(t("❌ I don't know the setting {word}.", word=repr(what)))


def muted_until(word: str, t: Translator, mention: str = "") -> dt.datetime | None:
    """``/mute WORD``: until when (N days from now, 1 to :data:`MAX_MUTE_DAYS`), None for
    ``off``; :class:`BadSetting` with the command's own question otherwise. Shared with the
    Mini App (bot.webapp)."""
    word = word.strip().lower()
    if word in ("off", "0", "no", "stop", t("off").lower()):
        return None
    try:
        days = float(word.removesuffix("d").replace(",", "."))
    except ValueError:
        days = float("nan")
    if not 0 < days <= MAX_MUTE_DAYS:
        raise BadSetting(
            t(
                "How many days? /mute{channel} 3 (1 to {most}), or /mute{channel} off",
                channel=mention,
                most=MAX_MUTE_DAYS,
            )
        )
    return (dt.datetime.now(dt.UTC) + dt.timedelta(days=days)).replace(microsecond=0)


def usage(t: Translator, where: Target) -> str:
    """How to change the settings, with the channel's name after each command."""
    return (
        t(USAGE)
        .replace("/settings", f"/settings{where.mention}")
        .replace("/mute", f"/mute{where.mention}")
    )


def settings_html(chat: Chat, where: Target, t: Translator, retention: int) -> str:
    """The chat's settings; its alert history kept at most ``retention`` days (RETENTION_DAYS),
    the operator's limit, whatever the chat chose."""
    quiet = f"{chat.quiet_start}–{chat.quiet_end}" if chat.quiet_start else t("off")
    mode = t("one evening digest") if chat.digest else t("instant alerts")
    muted = t("no")
    if chat.muted_until and chat.muted_until > dt.datetime.now(dt.UTC):
        muted = t("until {when}", when=local_time(chat.muted_until, chat.tz, t))
    kept = t("the last {n} days", n=min(chat.keep_days or retention, retention))
    return (
        t("⚙️ <b>Settings for {label}</b>", label=esc(t(where.label)))
        + "\n"
        + t("Time zone: {zone}", zone=esc(chat.tz))
        + "\n"
        + t("Quiet hours: {quiet}", quiet=quiet)
        + "\n"
        + t("Delivery: {mode}", mode=mode)
        + "\n"
        + t("Language: {language}", language=LANGUAGES.get(chat.lang, chat.lang))
        + "\n"
        + t("Muted: {muted}", muted=muted)
        + "\n"
        + t("Alert history kept: {kept}", kept=kept)
        + "\n\n"
        + usage(t, where)
    )


@for_target(manage=bool)  # showing them is open to all; any word is a change
async def settings(update: Update, context: Context, where: Target, words: list[str]) -> None:
    """Show or change the chat's time zone, quiet hours and instant/digest delivery."""
    store = services(context).chats
    chat = store.get(where.id) if where.is_channel else ensure_chat(update, context)
    assert chat is not None
    t = tr(update, context)
    if not words:
        keyboard = keyboards.digest_keyboard(where.id, chat.digest, t)
        retention = services(context).settings.retention_days
        await reply(update, settings_html(chat, where, t, retention), keyboard)
        return
    what, rest = words[0].lower(), words[1:]
    known = ("tz", "timezone", "zone", "time_zone", "quiet", "keep", "retention", "history")
    if what not in (*known, "digest", "instant", "lang", "language", "sprache", "idioma"):
        await reply(
            update,
            t("❌ I don't know the setting {word}.", word=repr(esc(words[0])))
            + "\n"
            + usage(t, where),
        )
        return
    try:
        fields = changed_fields(what, rest, t, where.mention)
    except BadSetting as e:
        await reply(update, str(e))
        return
    chat = store.update(where.id, **fields)
    if "tz" in fields:
        await reply(update, t("✅ Time zone: {zone}.", zone=esc(chat.tz)))
    elif "quiet_start" in fields and chat.quiet_start is None:
        await reply(update, t("✅ Quiet hours off: alerts arrive whenever they fire."))
    elif "quiet_start" in fields:
        await reply(
            update,
            t(
                "✅ Quiet hours {begin}–{end} ({zone}): alerts wait until {end}.",
                begin=chat.quiet_start,
                end=chat.quiet_end,
                zone=esc(chat.tz),
            ),
        )
    elif "keep_days" in fields:
        await _kept(update, context, where, chat.keep_days, t)
    elif "digest" in fields:
        done = t("one evening digest") if chat.digest else t("each alert as it fires")
        await reply(
            update, t("✅ Delivery for {label}: {mode}.", label=esc(t(where.label)), mode=done)
        )
    else:
        t = translator(chat.lang) if not where.is_channel else t
        await reply(
            update,
            t(
                "✅ Language for {label}: {language}.",
                label=esc(t(where.label)),
                language=LANGUAGES[chat.lang],
            ),
        )


async def _kept(
    update: Update, context: Context, where: Target, keep_days: int | None, t: Translator
) -> None:
    """Older finished alerts are deleted now (and after every evening scan: storage/history.py)
    once a chat says how many days of its alert history to keep."""
    retention = services(context).settings.retention_days  # the operator's: no chat keeps more
    days = retention if keep_days is None else min(keep_days, retention)
    gone = purge(services(context).db, dt.datetime.now(dt.UTC), where.id)
    await reply(
        update,
        t(
            "✅ Alert history of {label}: the last {days} days are kept; {gone} older alerts "
            "deleted now, and more each evening as they age. {export} first if you want a copy.",
            label=esc(t(where.label)),
            days=days,
            gone=gone,
            export=f"/export{where.mention}",
        ),
    )


@for_target(manage=True)
async def mute(update: Update, context: Context, where: Target, words: list[str]) -> None:
    """Pause every alert for N days (/mute off resumes)."""
    store = services(context).chats
    if not where.is_channel:
        ensure_chat(update, context)
    t = tr(update, context)
    try:
        until = muted_until(words[0] if len(words) == 1 else "", t, where.mention)
    except BadSetting as e:
        await reply(update, str(e))
        return
    if until is None:
        store.update(where.id, muted_until=None)
        await reply(update, t("🔔 Alerts for {label} are back on.", label=esc(t(where.label))))
        return
    chat = store.update(where.id, muted_until=until)
    await reply(
        update,
        t(
            "🔕 Muted {label} until {when}. /mute{channel} off to resume.",
            label=esc(t(where.label)),
            when=esc(local_time(until, chat.tz, t)),
            channel=where.mention,
        ),
    )


async def on_digest(update: Update, context: Context) -> None:
    """The instant/digest buttons under /settings."""
    query = update.callback_query
    assert query is not None
    fields = keyboards.parse(query.data, "digest", 2)
    t = tr(update, context)
    if fields is None or fields[1] not in ("0", "1"):
        await query.answer(t("That button is out of date: send /settings again."))
        return
    chat_id, digest = int(fields[0]), fields[1] == "1"
    store = services(context).chats
    if not await may_manage(update, context, chat_id) or store.get(chat_id) is None:
        await query.answer(t("Only administrators can change this."), show_alert=True)
        return
    store.update(chat_id, digest=int(digest))
    await query.answer(t("Evening digest") if digest else t("Instant alerts"))
    try:
        await query.edit_message_reply_markup(keyboards.digest_keyboard(chat_id, digest, t))
    except BadRequest as e:
        if "not modified" not in str(e).lower():
            raise
