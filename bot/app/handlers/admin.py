"""/stats: the operator's view (ADMIN_IDS only; anyone else gets the unknown-command reply,
so the command is not advertised)."""

from __future__ import annotations

import datetime as dt

from telegram import Update

from bot.app.context import Context
from bot.app.handlers.common import reply, services, tr
from bot.app.handlers.permissions import is_operator
from bot.app.handlers.start import unknown
from bot.text.alerts import esc
from bot.text.i18n import N_, Translator, translator
from bot.text.rules import translated
from storage import stats

__all__ = ["MAX_PROBLEMS", "STORED_WORDS", "stats_command", "stats_html", "stored_word"]

MAX_PROBLEMS = 10
STORED_WORDS = {
    **{"private": N_("private"), "group": N_("group"), "supergroup": N_("supergroup")},
    **{"channel": N_("channel"), "pending": N_("pending"), "sending": N_("sending")},
    **{"sent": N_("sent"), "failed": N_("failed"), "dropped": N_("dropped")},
    **{"running": N_("running"), "ok": N_("ok")},
}
"""The chat kinds, outbox states and scan statuses the database stores, as /stats says them."""


def stored_word(word: str, t: Translator) -> str:
    """A stored word (a chat kind, an outbox state, a scan status) in the language of ``t``."""
    return t(STORED_WORDS[word]) if word in STORED_WORDS else word


async def stats_command(update: Update, context: Context) -> None:
    """Chats, subscriptions, outbox depth, last scan and data health (operator only)."""
    if not is_operator(update, context):
        await unknown(update, context)
        return
    svc = services(context)
    view = stats.overview(svc.db)
    uptime = dt.datetime.now(dt.UTC) - svc.started_at
    t = tr(update, context)
    source = svc.provider.name + (" " + t("(synthetic)") if svc.provider.synthetic else "")
    await reply(update, stats_html(view, source, uptime, t))


def stats_html(
    view: stats.Overview, source: str, uptime: dt.timedelta, t: Translator | None = None
) -> str:
    """The operator's view as a chat message (chat kinds, outbox states and scan statuses
    in the language of ``t``)."""
    t = t or translator(None)
    counts, topics, scan = view.counts, view.topics, view.scan
    top = ", ".join(f"{esc(x)} {n}" for x, n in list(topics.items())[:3])
    kinds = ", ".join(f"{stored_word(k, t)} {n}" for k, n in view.kinds.items()) or t("none")
    subscriptions = t("Subscriptions: {n}", n=counts["subscriptions"])
    outbox = ", ".join(f"{stored_word(k, t)} {n}" for k, n in view.outbox.items())
    lines = [
        t("🛠 <b>Operator stats</b>"),
        t(
            "Chats: {active} active of {all} ({kinds})",
            active=counts["active_chats"],
            all=counts["chats"],
            kinds=kinds,
        ),
        subscriptions + (" " + t("(top: {top})", top=top) if topics else ""),
        t(
            "Custom alerts: {n} in chats, {distinct} distinct rules",
            n=counts["rules"],
            distinct=view.distinct_rules,
        ),
        t("Outbox: {states}", states=outbox),
        t("Data source: {source} · up {uptime}", source=esc(source), uptime=_duration(uptime)),
    ]
    if scan is None:
        lines.append(t("Last scan: none yet"))
    else:
        finished = scan.finished_at or t("not finished")
        lines.append(
            t(
                "Last scan: session {session}, {status}, started {started}, finished "
                "{finished}; {events} events, {messages} messages, source {source}",
                session=esc(scan.session),
                status=esc(stored_word(scan.status, t)),
                started=esc(scan.started_at),
                finished=esc(finished),
                events=scan.events,
                messages=scan.messages,
                source=esc(scan.source),
            )
        )
        if scan.problems:
            lines.append(t("Data health: {n} problem(s)", n=len(scan.problems)))
            lines += [f"• {esc(translated(p, t))}" for p in scan.problems[:MAX_PROBLEMS]]
        else:
            lines.append(t("Data health: no problems in the last scan"))
    return "\n".join(lines)


def _duration(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    return f"{days}d {hours}h {minutes}m" if days else f"{hours}h {minutes}m"
