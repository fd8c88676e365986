"""/stats: the operator's view (ADMIN_IDS only; anyone else gets the unknown-command reply,
so the command is not advertised)."""

from __future__ import annotations

import datetime as dt

from telegram import Update

from bot.context import Context
from bot.handlers.common import reply, services
from bot.handlers.permissions import is_operator
from bot.handlers.start import unknown
from bot.messages import esc
from storage import stats

MAX_PROBLEMS = 10


async def stats_command(update: Update, context: Context) -> None:
    """Chats, subscriptions, outbox depth, last scan and data health (operator only)."""
    if not is_operator(update, context):
        await unknown(update, context)
        return
    svc = services(context)
    view = stats.overview(svc.db)
    uptime = dt.datetime.now(dt.UTC) - svc.started_at
    source = svc.provider.name + (" (synthetic)" if svc.provider.synthetic else "")
    await reply(update, stats_html(view, source, uptime))


def stats_html(view: stats.Overview, source: str, uptime: dt.timedelta) -> str:
    """The operator's view as a chat message."""
    counts, topics, scan = view.counts, view.topics, view.scan
    top = ", ".join(f"{esc(t)} {n}" for t, n in list(topics.items())[:3])
    lines = [
        "🛠 <b>Operator stats</b>",
        f"Chats: {counts['active_chats']} active of {counts['chats']} "
        f"({', '.join(f'{k} {n}' for k, n in view.kinds.items()) or 'none'})",
        f"Subscriptions: {counts['subscriptions']}" + (f" (top: {top})" if topics else ""),
        f"Custom alerts: {counts['rules']} in chats, {view.distinct_rules} distinct rules",
        "Outbox: " + ", ".join(f"{k} {n}" for k, n in view.outbox.items()),
        f"Data source: {esc(source)} · up {_duration(uptime)}",
    ]
    if scan is None:
        lines.append("Last scan: none yet")
    else:
        finished = scan.finished_at or "not finished"
        lines.append(
            f"Last scan: session {esc(scan.session)}, {esc(scan.status)}, started "
            f"{esc(scan.started_at)}, finished {esc(finished)}; {scan.events} events, "
            f"{scan.messages} messages, source {esc(scan.source)}"
        )
        if scan.problems:
            lines.append(f"Data health: {len(scan.problems)} problem(s)")
            lines += [f"• {esc(p)}" for p in scan.problems[:MAX_PROBLEMS]]
        else:
            lines.append("Data health: no problems in the last scan")
    return "\n".join(lines)


def _duration(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    return f"{days}d {hours}h {minutes}m" if days else f"{hours}h {minutes}m"
