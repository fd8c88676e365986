"""Inline mode: ``@yourbot IWM/SPY`` (or ``^RUT``, ``XLE``, ``sectors``, ``status``) typed in
any chat offers the chart with a one-line summary, and the rotation dashboard as text.

Nothing is stored about the person asking: an inline query has no chat the bot is in, so it
works for people who never started the bot, and no chat row is made (flood control counts
their queries per person, :mod:`bot.app.handlers.throttle`).

The chart is drawn once per subject and session and posted to ``INLINE_CHAT_ID`` (a private
channel the operator set up for it); Telegram's ``file_id`` of that photo is then offered to
everyone who asks, as a cached photo. Without that chat — or while the chat refuses the bot,
or past the person's budget for new charts — the chart result is an article with the text
summary, and ``/chart`` in a chat with the bot draws the picture. Answers stay within
Telegram's limits: a few results of at most 50, ids of at most 64 bytes, captions of 1,024
characters, and ``cache_time`` long for a good answer, short for a refusal. Every answer is
*personal* (``is_personal``): it is written in the asker's language, and Telegram would
otherwise hand one person's German answer to everyone typing the same query.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import html
import logging
import re

import pandas as pd
from telegram import (
    InlineQueryResult,
    InlineQueryResultArticle,
    InlineQueryResultCachedPhoto,
    InlineQueryResultsButton,
    InputTextMessageContent,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.app.context import Context
from bot.app.flood import Verdict
from bot.app.handlers import fetch, status
from bot.app.handlers.chart import Subject, SubjectError, caption_html, last_close, parse_subject
from bot.app.handlers.common import NO_PREVIEW, services, tr
from bot.app.handlers.inline_cache import (
    RETRY_SECONDS,
    InlineCache,
    Key,
    Offer,
)
from bot.app.handlers.inline_summary import summary_line
from bot.app.offload import POOLS, shippable
from bot.text.alerts import esc
from bot.text.i18n import N_, Translator
from bot.text.rules import translated
from bot.text.telegram_html import CAPTION_LIMIT, TEXT_LIMIT, fit
from market.base import MarketDataError
from signals.dashboard import Dashboard

__all__ = [
    "BUTTON",
    "STATUS_WORDS",
    "TRY",
    "chart_file_id",
    "chart_offer",
    "chart_result",
    "dashboard_result",
    "hint",
    "hint_result",
    "inline_cache",
    "inline_query",
    "is_chart_query",
    "offer_for",
    "plain",
    "result_id",
    "slow_down",
]

log = logging.getLogger(__name__)

STATUS_WORDS = frozenset({"", "status", "dashboard"})
TRY = N_("Try IWM/SPY, ^RUT, XLE, sectors or status.")
BUTTON = N_("Get alerts: open the bot")
"""Above the results: opens a private chat with the bot (/start inline)."""


def inline_cache(context: Context) -> InlineCache:
    if context.bot_data.inline is None:
        context.bot_data.inline = InlineCache()
    return context.bot_data.inline


def is_chart_query(text: str) -> bool:
    """Whether an inline query may draw a chart (it then waits in the heavy lane)."""
    return " ".join(text.split()).lower() not in STATUS_WORDS


async def inline_query(update: Update, context: Context) -> None:
    """Answer ``@bot QUERY`` with the chart and the dashboard, or a hint what to type."""
    query = update.inline_query
    if query is None:
        return
    t = tr(update, context)  # the person's Telegram language: no chat to store one
    offer = await offer_for(query.query, query.from_user.id, context, t)
    try:
        await query.answer(
            offer.results,
            cache_time=offer.cache_time,
            is_personal=True,  # in the asker's language: never shared between people
            button=InlineQueryResultsButton(text=t(BUTTON), start_parameter="inline"),
        )
    except TelegramError as e:  # mostly "query is too old": the person typed on
        log.info("inline answer to %r not taken: %s", query.query, e)


async def offer_for(text: str, user_id: int, context: Context, t: Translator) -> Offer:
    """The results for one query in ``t``'s language (never raises for bad input or missing
    data)."""
    svc = services(context)
    text = " ".join(text.split())
    if text.lower() in STATUS_WORDS:
        board, message = await status.dashboard_message(svc, context.bot_data, t)
        if board is None:
            return hint(t, plain(message), t("The dashboard is not available right now."))
        results: list[InlineQueryResult] = [dashboard_result(board, message, svc.provider.name, t)]
        if not text:
            results.append(hint_result(t, t("Type a chart after my name"), t(TRY)))
        return Offer(results)
    try:
        subject = parse_subject(text, t)
    except SubjectError as e:
        return hint(t, t("Can't chart {subject}: {why}", subject=text, why=plain(str(e))), t(TRY))
    try:
        end = await fetch.latest_session(svc)
    except MarketDataError:
        return hint(t, t("The market data is not available right now"), t("Try again in a minute."))
    cache, key = inline_cache(context), (svc.provider.name, end, subject.text)
    async with cache.lock((t.lang, *key)):  # a crowd asking at once: one of them computes
        held = cache.offers.get((t.lang, key))
        if held is not None:
            return held
        offer = await chart_offer(subject, end, user_id, context, t)
        if offer.complete:
            cache.keep_offer(t.lang, key, offer)
        return offer


async def chart_offer(
    subject: Subject, end: dt.date, user_id: int, context: Context, t: Translator
) -> Offer:
    """The chart (or its summary) and the dashboard, for the session ``end``."""
    svc = services(context)
    try:
        got, (board, message) = await asyncio.gather(
            fetch.closes(svc, subject.fetch, None, end),
            status.dashboard_message(svc, context.bot_data, t),
        )
    except MarketDataError:
        return hint(t, t("The market data is not available right now"), t("Try again in a minute."))
    unknown = [x for x in subject.tickers if x in got.missing or x not in got.frame.columns]
    if unknown:
        why = got.missing.get(unknown[0])
        title = t("No market data for {ticker}", ticker=unknown[0])
        return hint(t, title, (f"{translated(why.reason, t)}. " if why else "") + t(TRY))
    frame = got.frame.loc[: pd.Timestamp(end)]
    last = last_close(frame, subject)
    if last is None:
        return hint(t, t("No closes for {subject} yet", subject=subject.text), t(TRY))
    synthetic = got.synthetic or svc.provider.synthetic
    summary = await POOLS.compute(summary_line, subject, frame, board, t)
    shown = caption_html(subject, last, synthetic, t)
    caption = fit(f"<b>{esc(summary)}</b>\n{shown}", CAPTION_LIMIT)
    key = (svc.provider.name, last, subject.text)
    file_id, personal = await chart_file_id(
        context, user_id, key, subject, frame, caption, synthetic, t.lang
    )
    results = [chart_result(key, subject, summary, caption, file_id, svc.bot_username, t)]
    if board is not None:
        results.append(dashboard_result(board, message, svc.provider.name, t))
    if personal:
        return Offer(results, RETRY_SECONDS)
    # complete: the chart, or no store chat to post it to (a failed post is tried again)
    return Offer(results, complete=file_id is not None or svc.settings.inline_chat_id is None)


async def chart_file_id(
    context: Context,
    user_id: int,
    key: Key,
    subject: Subject,
    frame: pd.DataFrame,
    caption: str,
    synthetic: bool,
    lang: str,
) -> tuple[str | None, bool]:
    """(the chart's file_id or None, whether the answer is this person's alone): drawn and
    posted to INLINE_CHAT_ID the first time in ``lang``, past the person's budget for charts
    not."""
    chat_id = services(context).settings.inline_chat_id
    if chat_id is None:
        return None, False
    cache = inline_cache(context)
    async with cache.lock(("photo", lang, *key)):
        if (lang, key) in cache.photos:
            return cache.photos[(lang, key)], False
        flood = context.bot_data.flood
        if flood is not None and flood.check(user_id, user_id, heavy=True) is not Verdict.ALLOW:
            return None, True  # text now; the chart for whoever asks after the budget refills
        from bot.charts import chart_for_subject

        try:
            png = await POOLS.draw(
                chart_for_subject, subject.text, shippable(frame), synthetic=synthetic, lang=lang
            )
            posted = await context.bot.send_photo(
                chat_id,
                photo=png,
                filename=subject.filename,
                caption=caption,
                parse_mode=ParseMode.HTML,
                disable_notification=True,
            )
        except ValueError as e:  # too little history to draw: the summary says what there is
            log.info("inline chart %s not drawn: %s", subject.text, e)
            return None, False
        except TelegramError as e:
            log.warning("inline chart %s not posted to INLINE_CHAT_ID: %s", subject.text, e)
            return None, False
        cache.uploads += 1
        file_id = posted.photo[-1].file_id if posted.photo else None
        if file_id is not None:
            cache.keep_photo(lang, key, file_id)
        return file_id, False


# -- results ------------------------------------------------------------------------------------
def result_id(kind: str, *parts: object) -> str:
    """A result id unique to what it shows, 34 bytes (Telegram allows 64)."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:32]
    return f"{kind}-{digest}"


def chart_result(
    key: Key,
    subject: Subject,
    summary: str,
    caption: str,
    file_id: str | None,
    bot_username: str,
    t: Translator,
) -> InlineQueryResult:
    title = (
        t("📈 {subject} chart", subject=subject.text)
        if subject.kind != "sectors"
        else t("🔄 Sectors chart")
    )
    if file_id is not None:
        return InlineQueryResultCachedPhoto(
            result_id("c", t.lang, *key),
            file_id,
            title=title,
            description=summary,
            caption=caption,
            parse_mode=ParseMode.HTML,
        )
    command = f"/chart {esc(subject.text)}"
    draws = (
        t("{command} in a chat with @{bot} draws it.", command=command, bot=esc(bot_username))
        if bot_username
        else t("{command} in a chat with me draws it.", command=command)
    )
    text = f"{caption}\n<i>{draws}</i>"
    return InlineQueryResultArticle(
        result_id("s", t.lang, *key),
        title=t("{title} (summary)", title=title),
        description=summary,
        input_message_content=InputTextMessageContent(
            fit(text, TEXT_LIMIT), parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW
        ),
    )


def dashboard_result(
    board: Dashboard, message: str, source: str, t: Translator
) -> InlineQueryResult:
    gauge = next(iter(board.gauges), None)
    parts = [t("{date} close", date=t.date(board.date)) if board.date else t("latest closes")]
    if gauge is not None:
        parts.append(f"{gauge.subject} {t.number(gauge.value, 4)}")
    if board.sectors:
        parts.append(t("strongest sector {ticker}", ticker=board.sectors[0].ticker))
    return InlineQueryResultArticle(
        result_id("d", t.lang, source, board.date),
        title=t("📊 Rotation dashboard"),
        description=" · ".join(parts),
        input_message_content=InputTextMessageContent(
            fit(message, TEXT_LIMIT), parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW
        ),
    )


def hint_result(t: Translator, title: str, description: str) -> InlineQueryResultArticle:
    text = t(
        "📈 <b>rotation-bot</b> in any chat: type my name, then <code>IWM/SPY</code>, "
        "<code>^RUT</code>, <code>XLE</code>, <code>sectors</code> or <code>status</code>."
    )
    return InlineQueryResultArticle(
        result_id("h", t.lang, title),
        title=title[:200],
        description=description,
        input_message_content=InputTextMessageContent(text, parse_mode=ParseMode.HTML),
    )


def plain(html_text: str) -> str:
    """Telegram HTML as the plain text a title or description shows."""
    return html.unescape(re.sub(r"<[^>]+>", "", html_text))


def hint(t: Translator, title: str, description: str) -> Offer:
    """A refusal or an "unavailable", with what to type instead (asked again soon)."""
    return Offer([hint_result(t, title, description)], RETRY_SECONDS)


def slow_down(wait: int, t: Translator) -> Offer:
    """Past the person's budget (bot/app/flood.py): said once, to them alone."""
    again = t("I'll answer again in {wait} s.", wait=t.number(wait))
    return Offer([hint_result(t, t("🐢 Slow down a little"), again)], 0)
