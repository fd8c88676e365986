"""/chart SUBJECT: a PNG of a ratio, a price or the sector rotation graph.

``/chart IWM/SPY`` (a pair) draws the ratio with its 50- and 200-day averages and the
crossings of the 200-day marked; ``/chart XLE`` (one ticker) the price with its record closes
and its drawdown from the 52-week high (a yield: its level); ``/chart sectors`` (or ``rrg``)
the 11 sectors' relative rotation (JdK-style) graph against SPY, each with its last weeks as a tail.

The closes are fetched (with a timeout, in a thread) and the chart drawn in a drawing process
(bot/app/offload.py: a live provider blocks on the network; drawing in a thread held the GIL the
loop needs), so other chats are answered meanwhile. The last charts drawn are kept
(bot/app/handlers/chart_cache.py): a crowd asking for the same chart costs one drawing. Without a
subject the reply is the usage, with buttons for the common subjects; a button carries
``chart:<subject>`` as its callback data and draws that chart. :mod:`bot.charts` (matplotlib)
is imported at the first chart, not with the handlers, so the bot and ``rotation-bot chat``
start without it.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass

import pandas as pd
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatAction, ParseMode
from telegram.error import TelegramError

from bot.app.context import Context
from bot.app.handlers import fetch
from bot.app.handlers.chart_cache import ChartCache
from bot.app.handlers.common import arg_text, code, fitted, reply, services, tr
from bot.app.offload import POOLS, shippable
from bot.errors import BotError
from bot.text import names
from bot.text.alerts import SYNTHETIC_NOTE, esc
from bot.text.i18n import N_, Translator, translator
from bot.text.names import subject_label
from bot.text.rules import translated
from bot.text.telegram_html import CAPTION_LIMIT
from market.base import MarketDataError, NoData
from signals.phrases import TICKER

__all__ = [
    "BENCHMARK",
    "BUTTON_PREFIX",
    "COMMON",
    "EXAMPLE",
    "UNAVAILABLE",
    "USAGE",
    "Subject",
    "SubjectError",
    "caption_html",
    "chart",
    "chart_cache",
    "fingerprint",
    "keyboard",
    "last_close",
    "no_chart_html",
    "on_button",
    "parse_subject",
    "send_chart",
]

log = logging.getLogger(__name__)

BUTTON_PREFIX = "chart:"
COMMON = ("IWM/SPY", "IWD/IWF", "RSP/SPY", "^RUT", "^TNX", "sectors")
"""The subjects offered as buttons under the usage."""
BENCHMARK = "SPY"
_TICKER = re.compile(rf"^{TICKER}$")

USAGE = N_(
    "📈 <b>Charts</b> — what to draw? e.g.\n"
    "/chart IWM/SPY — a ratio with its 50- and 200-day averages and the crossings marked\n"
    "/chart XLE — a price with its record highs and its drawdown from the high\n"
    "/chart sectors — the sectors' relative rotation (JdK-style) graph\n"
    "Tickers are Yahoo's: ^RUT, ^TNX, CL=F, BRK-B. Or tap one:"
)
EXAMPLE = N_("Example: /chart IWM/SPY, /chart XLE or /chart sectors")
UNAVAILABLE = N_("I can't reach the market data right now, so no chart. Try again later.")


@dataclass(frozen=True, slots=True)
class Subject:
    """What to chart: ``text`` as the chart names it, the tickers it needs."""

    kind: str  # "pair", "ticker" or "sectors"
    text: str  # "IWM/SPY", "XLE", "sectors"
    tickers: tuple[str, ...]  # the tickers that must have data

    @property
    def fetch(self) -> tuple[str, ...]:
        from bot.charts import SECTORS

        return (*SECTORS, BENCHMARK) if self.kind == "sectors" else self.tickers

    @property
    def filename(self) -> str:
        return re.sub(r"[^A-Za-z0-9=.-]+", "-", self.text).strip("-").lower() + ".png"


class SubjectError(BotError, ValueError):
    """A subject that is not a ticker, a pair or ``sectors``: the message says why."""


def parse_subject(text: str, t: Translator | None = None) -> Subject:
    """``iwm / spy`` -> pair IWM/SPY; ``xle`` -> ticker XLE; ``sectors``/``rrg`` -> sectors.

    Raises :class:`SubjectError` with a sentence for the chat."""
    from bot.charts import RRG_WORDS

    t = t or translator(None)
    words = text.strip()
    if words.lower() in RRG_WORDS:
        return Subject("sectors", "sectors", (BENCHMARK,))
    legs = [leg.strip().upper().removeprefix("$") for leg in words.split("/")]
    if len(legs) > 2:
        raise SubjectError(t("a pair has two tickers, like IWM/SPY, not {n}.", n=len(legs)))
    if not all(legs):
        raise SubjectError(t("a pair has two tickers, like IWM/SPY."))
    bad = [leg for leg in legs if not _TICKER.match(leg)]
    if bad:
        raise SubjectError(t("{ticker} is not a ticker.", ticker=code(bad[0])))
    compact = "/".join(legs)
    if len(legs) == 2:
        if legs[0] == legs[1]:
            raise SubjectError(
                t("{pair} is a ticker against itself (always 1).", pair=code(compact))
            )
        return Subject("pair", compact, tuple(legs))
    return Subject("ticker", compact, (compact,))


def caption_html(
    subject: Subject, last: dt.date, synthetic: bool, t: Translator | None = None
) -> str:
    """What the chart shows, as of which close, and whether the data is real."""
    from bot.charts import base as chart_base

    t = t or translator(None)
    if subject.kind == "sectors":
        head = t(
            "🔄 <b>Sectors vs {benchmark}</b> — relative rotation (JdK-style) graph",
            benchmark=esc(names.BENCHMARK),
        )
        what = t(
            "Each sector's last 8 weeks as a tail, ending at its latest week: "
            "Leading, Weakening, Lagging or Improving."
        )
    else:
        label = subject_label(subject.text, t)
        head = f"📈 <b>{esc(subject.text)}</b>" + (f" — {esc(label)}" if label else "")
        if subject.kind == "pair":
            what = t(
                "The ratio with its 50- and 200-day averages; triangles mark where it crossed "
                "the 200-day (green up, red down)."
            )
        elif chart_base.is_rate(subject.text):
            what = t("The yield's level, in percent.")
        else:
            what = t(
                "The close with its record highs (green dots), and below it the drawdown from "
                "the 52-week high."
            )
    lines = [head, what, t("Last close: {day}.", day=t.date(last))]
    if synthetic:
        lines.append(t(SYNTHETIC_NOTE))
    return "\n".join(lines)


def last_close(frame: pd.DataFrame, subject: Subject) -> dt.date | None:
    """The latest session the chart's subject has a close on (every leg of a pair)."""
    columns = [t for t in subject.tickers if t in frame.columns]
    if len(columns) < len(subject.tickers):
        return None
    rows = frame[columns].dropna(how="any")
    return None if rows.empty else pd.Timestamp(rows.index[-1]).date()


async def chart(update: Update, context: Context) -> None:
    """/chart SUBJECT: fetch, draw and send the chart (the usage and buttons without one)."""
    text = arg_text(context)
    if not text:
        t = tr(update, context)
        await reply(update, t(USAGE), keyboard(t))
        return
    await send_chart(update, context, text)


async def on_button(update: Update, context: Context) -> None:
    """A subject button under the usage: draw that chart."""
    query = update.callback_query
    assert query is not None
    subject = (query.data or "").removeprefix(BUTTON_PREFIX)
    t = tr(update, context)
    await query.answer(t("Drawing {subject}…", subject=subject) if subject else None)
    if subject:
        await send_chart(update, context, subject)


def keyboard(t: Translator | None = None) -> InlineKeyboardMarkup:
    t = t or translator(None)
    buttons = [
        InlineKeyboardButton(s if s != "sectors" else t("Sectors"), callback_data=BUTTON_PREFIX + s)
        for s in COMMON
    ]
    return InlineKeyboardMarkup([buttons[i : i + 3] for i in range(0, len(buttons), 3)])


async def send_chart(update: Update, context: Context, text: str) -> None:
    """Parse ``text``, refuse it with a reason and an example, or draw and send its chart."""
    t = tr(update, context)
    try:
        subject = parse_subject(text, t)
    except SubjectError as e:
        why = t("❌ Can't chart {subject}: {why}", subject=code(text), why=e)
        await reply(update, f"{why}\n{t(EXAMPLE)}")
        return
    chat = update.effective_chat
    if chat is None:
        return
    svc = services(context)
    try:  # "sending a photo…" while it is fetched and drawn; cosmetic, so never fatal
        await chat.send_action(ChatAction.UPLOAD_PHOTO, message_thread_id=_thread(update))
    except TelegramError as e:
        log.info("chat action for /chart in %s failed: %s", chat.id, e)
    try:
        end = await fetch.latest_session(svc)
        got = await fetch.closes(svc, subject.fetch, None, end)
    except MarketDataError:
        await reply(update, t(UNAVAILABLE))
        return
    missing = [t for t in subject.tickers if t in got.missing or t not in got.frame.columns]
    unknown = {t: got.missing.get(t) for t in missing}
    frame = got.frame.loc[: pd.Timestamp(end)]
    last = None if unknown else last_close(frame, subject)
    if last is None:
        await reply(update, no_chart_html(subject, unknown, t))
        return
    synthetic = got.synthetic or svc.provider.synthetic
    from bot.charts import chart_for_subject

    key = (svc.provider.name, synthetic, end, fingerprint(frame), subject.text, t.lang)
    try:
        png = await chart_cache(context).png(
            key,
            lambda: POOLS.draw(
                chart_for_subject, subject.text, shippable(frame), synthetic=synthetic, lang=t.lang
            ),
        )
    except ValueError as e:  # too little history, and the like: the message says which
        why = esc(translated(e, t)) + "."
        why = t("❌ Can't chart {subject}: {why}", subject=code(subject.text), why=why)
        await reply(update, f"{why}\n{t(EXAMPLE)}")
        return
    await chat.get_bot().send_photo(
        chat.id,
        photo=png,
        filename=subject.filename,
        caption=fitted(caption_html(subject, last, synthetic, t), CAPTION_LIMIT),
        parse_mode=ParseMode.HTML,
        message_thread_id=_thread(update),
    )


def fingerprint(frame: pd.DataFrame) -> str:
    """The closes a chart is drawn from, in short: their length and latest row (a source that
    corrects a close, or adds one, makes a new picture)."""
    tail = frame.iloc[-1:].to_numpy().tobytes()
    return f"{len(frame)}:{','.join(map(str, frame.columns))}:{tail.hex()}"


def chart_cache(context: Context) -> ChartCache:
    if context.bot_data.charts is None:
        context.bot_data.charts = ChartCache()
    return context.bot_data.charts


def no_chart_html(
    subject: Subject, unknown: dict[str, NoData | None], t: Translator | None = None
) -> str:
    """Why there is no chart: the tickers without data (with the reason when known), or no
    closes yet."""
    t = t or translator(None)
    if not unknown:
        return t("No closes for {subject} yet, so no chart.", subject=code(subject.text))
    return "\n".join([*fetch.no_data_lines(unknown, t), t(EXAMPLE)])


def _thread(update: Update) -> int | None:
    """The forum topic the command (or the button's message) is in, to answer there."""
    message: Message | None = update.effective_message
    return message.message_thread_id if message and message.is_topic_message else None
