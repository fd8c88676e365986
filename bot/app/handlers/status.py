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

from bot.app.context import BotData, Context
from bot.app.handlers import fetch
from bot.app.handlers.common import reply, services, tr
from bot.app.handlers.permissions import Target, for_target
from bot.app.offload import POOLS
from bot.services import Services
from bot.text.alerts import SYNTHETIC_NOTE, esc
from bot.text.i18n import N_, Translator, translator
from bot.text.names import name
from bot.text.signals import quadrant
from bot.text.telegram_html import TEXT_LIMIT
from market.base import MarketDataError, Valuations, valuation_of
from signals.dashboard import Dashboard, Gauge
from storage.stats import recent_messages, waiting_messages

__all__ = [
    "HISTORY_SIZE",
    "NO_CLOSES",
    "UNAVAILABLE",
    "VALUATION_PAIRS",
    "VALUATION_TICKERS",
    "ValuationPair",
    "dashboard_html",
    "dashboard_message",
    "fund_valuations",
    "history",
    "status",
    "valuation_lines",
]

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


def _pct(x: float | None, t: Translator) -> str:
    return t("n/a") if x is None else t.percent(x)


def _gauge_line(g: Gauge, t: Translator) -> str:
    above = [g.vs_ma50 is not None and g.vs_ma50 > 0, g.vs_ma200 is not None and g.vs_ma200 > 0]
    trend = {
        2: t("▲ above both averages"),
        1: t("◆ mixed"),
        0: t("▼ below both averages"),
    }[sum(above)]
    label = name(g.label, t)
    return f"<b>{esc(label)}</b> ({esc(g.subject)}) {t.number(g.value, 4)} — {trend}\n" + t(
        "    vs 50d {ma50} · vs 200d {ma200} · 1 month {month}",
        ma50=_pct(g.vs_ma50, t),
        ma200=_pct(g.vs_ma200, t),
        month=_pct(g.change_1m, t),
    )


def _pe(x: float | None, t: Translator) -> str:
    return t("n/a") if x is None else t.number(x, 1)


def valuation_lines(values: Valuations, source: str, t: Translator | None = None) -> list[str]:
    """Small vs large caps by trailing P/E, as the source gives it; "n/a" where it does not."""
    t = t or translator(None)
    if all(values.get(x) is None for x in VALUATION_TICKERS):
        why = (
            t("Yahoo gave none just now")
            if source == "yahoo"
            else t("the {source} data source has no fund valuations", source=source.split(":")[0])
        )
        return [t("<b>Valuation</b> (trailing P/E): n/a — {why}", why=esc(why))]
    lines = [t("<b>Valuation</b> (trailing P/E, Yahoo's fund data)")]
    for p in VALUATION_PAIRS:
        small, large = values.get(p.small), values.get(p.large)
        label = name(p.label, t)
        line = f"    {esc(label)}: {p.small} {_pe(small, t)} · {p.large} {_pe(large, t)}"
        if small is not None and large is not None:
            gap = small / large - 1
            pct = t.percent(abs(gap), 0, sign=False)
            line += (
                t(" — small caps at a {pct} discount", pct=pct)
                if gap < 0
                else t(" — small caps at a {pct} premium", pct=pct)
            )
        lines.append(line)
    return lines


def dashboard_html(
    board: Dashboard,
    synthetic: bool,
    valuation: list[str] | None = None,
    t: Translator | None = None,
) -> str:
    """The dashboard as a chat message (``valuation``: :func:`valuation_lines`)."""
    t = t or translator(None)
    head = t("📊 <b>Rotation dashboard</b>")
    if board.date:
        head += " · " + t("{day} close", day=t.date(board.date))
    lines = [head]
    if synthetic:
        lines.append(t(SYNTHETIC_NOTE))
    lines.append("")
    lines += [_gauge_line(g, t) for g in board.gauges]
    if valuation:
        lines += valuation
    if board.sectors:
        lines.append(
            "\n"
            + t(
                "<b>Sectors vs SPY</b> (3-month relative return · relative rotation (JdK-style) "
                "quadrant)"
            )
        )
        for rank, s in enumerate(board.sectors, start=1):
            where = f" · {quadrant(s.quadrant, t)}" if s.quadrant else ""
            lines.append(
                f"{rank:>2}. {esc(s.ticker)} {esc(name(s.name, t))} {_pct(s.relative_3m, t)}{where}"
            )
    if board.record is not None:
        r = board.record
        where = (
            t("at a record close")
            if r.at_record
            else t(
                "{pct} below its record close {record}",
                pct=t.percent(-r.from_record, 1, sign=False),
                record=t.number(r.record, 2),
            )
        )
        lines.append(
            "\n"
            + t(
                "<b>Russell 2000</b> ({ticker}) {close} — {where} ({day})",
                ticker=esc(r.ticker),
                close=t.number(r.close, 2),
                where=where,
                day=t.day(r.record_date),
            )
        )
    if board.yield_10y is not None:
        y = board.yield_10y
        change = (
            ""
            if y.change_1m is None
            else " " + t("({change} pts in a month)", change=t.signed(y.change_1m, 2))
        )
        lines.append(
            t(
                "<b>10-year yield</b> ({ticker}) {level}",
                ticker=esc(y.ticker),
                level=t.percent(y.value / 100, 2, sign=False),
            )
            + change
        )
    if board.stale:
        older = ", ".join(f"{x} ({t.day(day)})" for x, day in board.stale)
        lines.append(
            "\n"
            + t(
                "⚠️ <i>Older than the rest: {older} — its last close is shown.</i>", older=esc(older)
            )
        )
    if board.missing:
        lines.append(
            "\n" + t("<i>No data for {tickers}.</i>", tickers=esc(", ".join(board.missing)))
        )
    return "\n".join(lines)


UNAVAILABLE = N_("I can't reach the market data right now. Try again later.")
NO_CLOSES = N_("No closes available yet, so no dashboard. Try again later.")


async def fund_valuations(svc: Services) -> Valuations:
    """The valuation pairs' trailing P/E from the data source, off the loop and within the
    data timeout; None for each when it has none or does not answer in time."""
    try:
        timeout = svc.settings.data_timeout
        return await POOLS.fetch(valuation_of, svc.provider, VALUATION_TICKERS, timeout=timeout)
    except MarketDataError as e:
        log.info("valuations unavailable: %s", e)
        return dict.fromkeys(VALUATION_TICKERS)


async def dashboard_message(
    svc: Services, held: BotData, t: Translator | None = None
) -> tuple[Dashboard | None, str]:
    """(the dashboard, its message with the valuation line), or (None, why there is none).

    The valuations are fetched alongside the closes, so a slow one adds no wait."""
    t = t or translator(None)
    try:
        (board, synthetic), values = await asyncio.gather(
            fetch.current_dashboard(svc, held), fund_valuations(svc)
        )
    except MarketDataError:
        return None, t(UNAVAILABLE)
    if board.date is None:
        return None, t(NO_CLOSES)
    valuation = valuation_lines(values, svc.provider.name, t)
    return board, dashboard_html(board, synthetic, valuation, t)


async def status(update: Update, context: Context) -> None:
    """A compact rotation dashboard from the latest closes."""
    t = tr(update, context)
    _, text = await dashboard_message(services(context), context.bot_data, t)
    await reply(update, text)


@for_target(manage=False)
async def history(update: Update, context: Context, where: Target, _: list[str]) -> None:
    """This chat's last alerts, newest first, from the messages actually sent."""
    db = services(context).db
    t = tr(update, context)
    label = esc(t(where.label))
    sent = recent_messages(db, where.id, HISTORY_SIZE)
    waiting = waiting_messages(db, where.id)
    if not sent:
        text = t("No alerts sent to {label} yet.", label=label)
        if waiting:
            text += " " + t("{n} on the way.", n=waiting)
        await reply(update, text + " " + t("/list shows what it gets."))
        return
    head = t.n(
        "🕘 <b>Last alert</b> for {label}",
        "🕘 <b>Last {n} alerts</b> for {label}, newest first",
        len(sent),
        label=label,
    )
    parts = [head]
    size = len(head)
    for m in sent:
        when = m.sent_at[:16].replace("T", " ") if m.sent_at else ""
        stamp = t("<i>— sent {when} UTC</i>", when=when) + "\n" if m.sent_at else ""
        part = stamp + m.body
        if len(parts) > 1 and size + len(part) + 2 > TEXT_LIMIT - 60:
            parts.append(t("<i>… older ones left out to fit one message.</i>"))
            break
        parts.append(part)
        size += len(part) + 2
    if waiting:
        parts.append(t("<i>{n} more on the way.</i>", n=waiting))
    await reply(update, "\n\n".join(parts))
