"""/status (the rotation dashboard) and /history (this chat's last alerts).

The dashboard carries one line of valuation context where the data source has it: the
trailing P/E of small-cap funds against large-cap ones (Yahoo's fund data, ``DATA_SOURCE=yahoo``),
"n/a" where it has none (the sample, a CSV folder, Yahoo not answering in time). It is shown,
never alerted on: there is no history of it to backtest yet.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from telegram import Update

from bot.context import BotData, Context
from bot.handlers import fetch
from bot.handlers.common import reply, services, tr
from bot.handlers.permissions import Target, for_target
from bot.i18n import Translator, translator
from bot.messages import SYNTHETIC_NOTE, TEXT_LIMIT, esc
from bot.offload import POOLS
from bot.services import Services
from market.base import MarketDataError, Valuations, valuation_of
from signals.dashboard import Dashboard, Gauge
from storage.stats import recent_messages, waiting_messages

log = logging.getLogger(__name__)

HISTORY_SIZE = 10


@dataclass(frozen=True, slots=True)
class ValuationPair:
    """Small-cap fund against large-cap fund, each with its index's name."""

    small: str
    large: str
    label: str


VALUATION_PAIRS = (
    ValuationPair("IWM", "SPY", "Russell 2000 vs S&P 500"),
    ValuationPair("IJR", "IVV", "S&P 600 vs S&P 500"),
)
"""IWM/SPY is the pair the dashboard follows; the S&P 600 admits only profitable companies,
so its P/E is not pulled up by the Russell 2000's loss-makers."""
VALUATION_TICKERS = tuple(dict.fromkeys(t for p in VALUATION_PAIRS for t in (p.small, p.large)))


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x * 100:+.1f}%"


def _gauge_line(g: Gauge) -> str:
    above = [g.vs_ma50 is not None and g.vs_ma50 > 0, g.vs_ma200 is not None and g.vs_ma200 > 0]
    trend = {2: "▲ above both averages", 1: "◆ mixed", 0: "▼ below both averages"}[sum(above)]
    return (
        f"<b>{esc(g.label)}</b> ({esc(g.subject)}) {g.value:.4f} — {trend}\n"
        f"    vs 50d {_pct(g.vs_ma50)} · vs 200d {_pct(g.vs_ma200)} · 1 month {_pct(g.change_1m)}"
    )


def valuation_lines(values: Valuations, source: str, t: Translator | None = None) -> list[str]:
    """Small vs large caps by trailing P/E, as the source gives it; "n/a" where it does not."""
    t = t or translator(None)

    def pe(x: float | None) -> str:
        return "n/a" if x is None else t.number(x, 1)

    if all(values.get(ticker) is None for ticker in VALUATION_TICKERS):
        why = (
            t("Yahoo gave none just now")
            if source == "yahoo"
            else t("the {source} data source has no fund valuations", source=source.split(":")[0])
        )
        return [t("<b>Valuation</b> (trailing P/E): n/a — {why}", why=esc(why))]
    lines = [t("<b>Valuation</b> (trailing P/E, Yahoo's fund data)")]
    for p in VALUATION_PAIRS:
        small, large = values.get(p.small), values.get(p.large)
        line = f"    {esc(p.label)}: {p.small} {pe(small)} · {p.large} {pe(large)}"
        if small is not None and large is not None:
            gap = t.percent(abs(small / large - 1), digits=0, sign=False)
            line += " — " + (
                t("small caps at a {gap} discount", gap=gap)
                if small < large
                else t("small caps at a {gap} premium", gap=gap)
            )
        lines.append(line)
    return lines


def dashboard_html(board: Dashboard, synthetic: bool, valuation: list[str] | None = None) -> str:
    """The dashboard as a chat message (``valuation``: :func:`valuation_lines`)."""
    when = f" · {board.date:%a %d %b %Y} close" if board.date else ""
    lines = [f"📊 <b>Rotation dashboard</b>{when}"]
    if synthetic:
        lines.append(SYNTHETIC_NOTE)
    lines.append("")
    lines += [_gauge_line(g) for g in board.gauges]
    if valuation:
        lines += valuation
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


UNAVAILABLE = "I can't reach the market data right now. Try again later."
NO_CLOSES = "No closes available yet, so no dashboard. Try again later."


async def fund_valuations(svc: Services) -> Valuations:
    """The valuation pairs' trailing P/E from the data source, off the loop and within the
    data timeout; None for each when it has none or does not answer in time."""
    try:
        return await POOLS.fetch(valuation_of, svc.provider, VALUATION_TICKERS)
    except MarketDataError as e:
        log.info("valuations unavailable: %s", e)
        return dict.fromkeys(VALUATION_TICKERS)


async def dashboard_message(
    svc: Services, held: BotData, t: Translator | None = None
) -> tuple[Dashboard | None, str]:
    """(the dashboard, its message with the valuation line in ``t``'s language), or (None,
    why there is none).

    The valuations are fetched alongside the closes, so a slow one adds no wait."""
    try:
        (board, synthetic), values = await asyncio.gather(
            fetch.current_dashboard(svc, held), fund_valuations(svc)
        )
    except MarketDataError:
        return None, UNAVAILABLE
    if board.date is None:
        return None, NO_CLOSES
    valuation = valuation_lines(values, svc.provider.name, t)
    return board, dashboard_html(board, synthetic, valuation)


async def status(update: Update, context: Context) -> None:
    """A compact rotation dashboard from the latest closes."""
    _, text = await dashboard_message(services(context), context.bot_data, tr(update, context))
    await reply(update, text)


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
