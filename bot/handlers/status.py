"""/status (the rotation dashboard) and /history (this chat's last alerts)."""

from __future__ import annotations

from telegram import Update

from bot.context import Context
from bot.handlers import fetch
from bot.handlers.common import reply, services
from bot.handlers.permissions import Target, for_target
from bot.messages import SYNTHETIC_NOTE, TEXT_LIMIT, esc
from market.base import MarketDataError
from signals.dashboard import Dashboard, Gauge
from storage.stats import recent_messages, waiting_messages

HISTORY_SIZE = 10


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x * 100:+.1f}%"


def _gauge_line(g: Gauge) -> str:
    above = [g.vs_ma50 is not None and g.vs_ma50 > 0, g.vs_ma200 is not None and g.vs_ma200 > 0]
    trend = {2: "▲ above both averages", 1: "◆ mixed", 0: "▼ below both averages"}[sum(above)]
    return (
        f"<b>{esc(g.label)}</b> ({esc(g.subject)}) {g.value:.4f} — {trend}\n"
        f"    vs 50d {_pct(g.vs_ma50)} · vs 200d {_pct(g.vs_ma200)} · 1 month {_pct(g.change_1m)}"
    )


def dashboard_html(board: Dashboard, synthetic: bool) -> str:
    """The dashboard as a chat message."""
    when = f" · {board.date:%a %d %b %Y} close" if board.date else ""
    lines = [f"📊 <b>Rotation dashboard</b>{when}"]
    if synthetic:
        lines.append(SYNTHETIC_NOTE)
    lines.append("")
    lines += [_gauge_line(g) for g in board.gauges]
    if board.sectors:
        lines.append(
            "\n<b>Sectors vs SPY</b> (3-month relative return · relative rotation (JdK-style) "
            "quadrant)"
        )
        for rank, s in enumerate(board.sectors, start=1):
            quadrant = f" · {s.quadrant}" if s.quadrant else ""
            lines.append(
                f"{rank:>2}. {esc(s.ticker)} {esc(s.name)} {_pct(s.relative_3m)}{quadrant}"
            )
    if board.record is not None:
        r = board.record
        where = (
            "at a record close"
            if r.at_record
            else f"{-r.from_record * 100:.1f}% below its record close {r.record:,.2f}"
        )
        lines.append(
            f"\n<b>Russell 2000</b> ({esc(r.ticker)}) {r.close:,.2f} — {where} "
            f"({r.record_date:%d %b %Y})"
        )
    if board.yield_10y is not None:
        y = board.yield_10y
        change = "" if y.change_1m is None else f" ({y.change_1m:+.2f} pts in a month)"
        lines.append(f"<b>10-year yield</b> ({esc(y.ticker)}) {y.value:.2f}%{change}")
    if board.stale:
        older = ", ".join(f"{t} ({day:%d %b %Y})" for t, day in board.stale)
        lines.append(f"\n⚠️ <i>Older than the rest: {esc(older)} — its last close is shown.</i>")
    if board.missing:
        lines.append(f"\n<i>No data for {esc(', '.join(board.missing))}.</i>")
    return "\n".join(lines)


async def status(update: Update, context: Context) -> None:
    """A compact rotation dashboard from the latest closes."""
    try:
        board, synthetic = await fetch.current_dashboard(services(context), context.bot_data)
    except MarketDataError:
        await reply(update, "I can't reach the market data right now. Try again later.")
        return
    if board.date is None:
        await reply(update, "No closes available yet, so no dashboard. Try again later.")
        return
    await reply(update, dashboard_html(board, synthetic))


@for_target(manage=False)
async def history(update: Update, context: Context, where: Target, _: list[str]) -> None:
    """This chat's last alerts, newest first, from the messages actually sent."""
    db = services(context).db
    sent = recent_messages(db, where.id, HISTORY_SIZE)
    waiting = waiting_messages(db, where.id)
    if not sent:
        text = f"No alerts sent to {esc(where.label)} yet."
        if waiting:
            text += f" {waiting} on the way."
        await reply(update, text + " /list shows what it gets.")
        return
    head = f"🕘 <b>Last {len(sent)} alerts</b> for {esc(where.label)}, newest first"
    parts = [head]
    size = len(head)
    for m in sent:
        stamp = f"<i>— sent {m.sent_at[:16].replace('T', ' ')} UTC</i>\n" if m.sent_at else ""
        part = stamp + m.body
        if len(parts) > 1 and size + len(part) + 2 > TEXT_LIMIT - 60:
            parts.append("<i>… older ones left out to fit one message.</i>")
            break
        parts.append(part)
        size += len(part) + 2
    if waiting:
        parts.append(f"<i>{waiting} more on the way.</i>")
    await reply(update, "\n\n".join(parts))
