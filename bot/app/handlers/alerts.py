"""Custom alerts: /alert RULE, /alerts, /delete N, and /backtest RULE."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import Update
from telegram.constants import ParseMode

from bot.app.context import Context
from bot.app.handlers import fetch
from bot.app.handlers.common import arg_text, code, ensure_chat, reply, services, tr, upper_first
from bot.app.handlers.forum import forum_topic, to_topic, topic_label
from bot.app.handlers.permissions import Target, for_target
from bot.app.handlers.topics import TOPICS, resolve, title
from bot.app.offload import POOLS
from bot.evening.backtest_stats import backtest_with_stats
from bot.evening.evaluate import BENCHMARK, BacktestResult, tickers_for
from bot.text.alerts import SYNTHETIC_NOTE, esc
from bot.text.backtest_stats import stats_lines
from bot.text.i18n import N_, Translator, translator
from bot.text.rules import translated
from bot.text.signals import event_text, followup_text, variant_name
from market.base import MarketDataError
from signals.backtest_stats import HorizonStats
from signals.catalogue import KINDS
from signals.events import Event
from signals.kind import RuleError
from signals.parse import EXAMPLES, ParseError, parse_rule
from signals.presets import all_preset_rules
from signals.rules import Rule
from storage.rules import DuplicateRuleError, NoSuchRuleError, RuleLimitError, RuleStoreError

__all__ = [
    "EVERY_PHRASE",
    "MAX_FOLLOWUPS",
    "MAX_PROBLEMS",
    "SHOWN_EVENTS",
    "UNAVAILABLE",
    "WRITE_IT",
    "alert",
    "backtest_command",
    "backtest_html",
    "delete",
    "describe",
    "list_alerts",
    "store_error",
    "usage",
]

WRITE_IT = N_("Write the alert after the command, e.g.")
EVERY_PHRASE = N_("/help shows every phrase.")
UNAVAILABLE = N_(
    "I can't reach the market data right now, so I can't check the ticker. Try again later."
)


def usage(t: Translator) -> str:
    examples = "\n".join(f"/alert {e}" for e in EXAMPLES[:5])
    return f"{t(WRITE_IT)}\n{examples}\n{t(EVERY_PHRASE)}"


def store_error(e: RuleStoreError, t: Translator) -> str:
    """A refusal of the rule store, in the chat's language."""
    if isinstance(e, RuleLimitError):
        return t("this chat already has {n} alerts, the most it may keep", n=e.limit)
    if isinstance(e, DuplicateRuleError):
        return t("this chat already has that alert (#{number})", number=e.number)
    if isinstance(e, NoSuchRuleError):
        if e.count:
            return t(
                "there is no alert #{number} (this chat's alerts: numbered 1 to {count})",
                number=e.number,
                count=e.count,
            )
        return t("there is no alert #{number} (this chat has none yet)", number=e.number)
    return str(e)


SHOWN_EVENTS = 10
MAX_FOLLOWUPS = 8
MAX_PROBLEMS = 5


def describe(rule: Rule, t: Translator | None = None) -> str:
    """What a rule watches, in words (plain text), in the language of ``t``: its kind's
    :attr:`~signals.kind.SignalKind.describe_rule` said in that language."""
    t = t or translator(None)
    kind = KINDS.get(rule.kind)
    return translated(kind.describe_rule(rule), t) if kind else rule.key


async def _refuse_unknown(update: Update, context: Context, rule: Rule) -> bool:
    """Check the rule's tickers against the data provider; reply and return True if any is
    unknown or the provider cannot be reached."""
    t = tr(update, context)
    try:
        unknown = await fetch.unknown_tickers(services(context), rule.tickers)
    except MarketDataError:
        await reply(update, t(UNAVAILABLE))
        return True
    if not unknown:
        return False
    await reply(update, "\n".join(fetch.no_data_lines(unknown, t)))
    return True


@for_target(manage=True)
async def alert(update: Update, context: Context, where: Target, words: list[str]) -> None:
    """Add a custom alert rule for this chat (or a linked channel)."""
    text = " ".join(words)
    t = tr(update, context)
    if not text:
        await reply(update, usage(t))
        return
    try:
        rule = parse_rule(text)
    except ParseError as e:
        await reply(update, f"❌ {esc(translated(e, t))}")
        return
    svc = services(context)
    if svc.rules.count(where.id) >= svc.rules.limit:
        limit = upper_first(esc(store_error(RuleLimitError(svc.rules.limit), t)))
        await reply(update, t("❌ {why}. /alerts, then /delete N.", why=limit))
        return
    if await _refuse_unknown(update, context, rule):
        return
    if not where.is_channel:
        ensure_chat(update, context)
    thread, name = (None, None) if where.is_channel else forum_topic(update)
    try:
        number = svc.rules.add(where.id, rule, text, thread_id=thread, thread_name=name)
    except (DuplicateRuleError, RuleLimitError) as e:
        moved = isinstance(e, DuplicateRuleError) and await _moved(
            update, context, where, e.number, thread, name
        )
        if moved:
            return
        why = upper_first(esc(store_error(e, t)))
        await reply(
            update, t("❌ {why}. /alerts{channel} lists them.", why=why, channel=where.mention)
        )
        return
    label = esc(t(where.label))
    lines = [
        t(
            "✅ Alert #{number} saved for {label}: {rule}",
            number=number,
            label=label,
            rule=code(text),
        ),
        t("It fires when {what}. I check after every close.", what=esc(describe(rule, t))),
    ]
    if thread is not None:
        lines.append(t("Its alerts go to topic {topic}.", topic=esc(topic_label(thread, name))))
    lines.append(t("/backtest {rule} — when it would have fired before.", rule=esc(text)))
    await reply(update, "\n".join(lines))


async def _moved(
    update: Update,
    context: Context,
    where: Target,
    number: int,
    thread: int | None,
    name: str | None,
) -> bool:
    """/alert of an alert the chat has, sent from another forum topic (or General): its
    alerts move here, as /subscribe moves a preset's. False when it is where it was."""
    rules = services(context).rules
    if rules.topics(where.id).get(number, (None, None))[0] == thread:
        return False
    rules.move(where.id, number, thread, name)
    t = tr(update, context)
    if thread is None:
        text = t("Alert #{number} now goes to General.", number=number)
    else:
        text = t(
            "Alert #{number} now goes to topic {topic}.",
            number=number,
            topic=esc(topic_label(thread, name)),
        )
    await reply(update, "➡️ " + text)
    return True


@for_target(manage=False)
async def list_alerts(update: Update, context: Context, where: Target, _: list[str]) -> None:
    """This chat's custom alerts, numbered for /delete."""
    rules = services(context).rules.list(where.id)
    t = tr(update, context)
    label = esc(t(where.label))
    if not rules:
        await reply(update, t("No custom alerts for {label} yet.", label=label) + "\n" + usage(t))
        return
    topics = services(context).rules.topics(where.id)
    lines = [t("🔔 <b>Custom alerts for {label}</b>", label=label)]
    lines += [
        f"{n}. {code(text)} — {esc(describe(rule, t))}{to_topic(topics.get(n), t)}"
        for n, text, rule in rules
    ]
    lines.append(t("/delete{channel} N removes one.", channel=where.mention))
    await reply(update, "\n".join(lines))


@for_target(manage=True)
async def delete(update: Update, context: Context, where: Target, words: list[str]) -> None:
    """Delete custom alert number N."""
    t = tr(update, context)
    if len(words) != 1 or not words[0].lstrip("#").isdigit():
        await reply(
            update,
            t("Which one? /delete{channel} 2 — the numbers are in /alerts.", channel=where.mention),
        )
        return
    try:
        text, _ = services(context).rules.delete(where.id, int(words[0].lstrip("#")))
    except NoSuchRuleError as e:
        await reply(update, f"❌ {upper_first(esc(store_error(e, t)))}.")
        return
    await reply(
        update, t("🗑 Deleted {rule} from {label}.", rule=code(text), label=esc(t(where.label)))
    )


def _rules_for(text: str, t: Translator) -> tuple[list[Rule], str]:
    """A backtest's rules: a preset or signal name, or one rule in the alert language."""
    try:
        topic = resolve(text)
    except RuleError:
        return [parse_rule(text)], text
    keys = set(TOPICS[topic])
    return [r for r in all_preset_rules() if r.key in keys], title(topic, t)


async def backtest_command(update: Update, context: Context) -> None:
    """When a rule (or a preset) would have fired over the available history, and what followed."""
    text = arg_text(context)
    t = tr(update, context)
    if not text:
        await reply(
            update,
            t("Backtest a rule or a preset, e.g.") + "\n/backtest IWM/SPY crosses above 200d\n"
            "/backtest ^RUT record high\n/backtest small_vs_large",
        )
        return
    try:
        rules, name = _rules_for(text, t)
    except ParseError as e:
        await reply(update, f"❌ {esc(translated(e, t))}")
        return
    if len(rules) == 1 and await _refuse_unknown(update, context, rules[0]):
        return
    svc = services(context)
    try:
        end = await fetch.latest_session(svc)
        got = await fetch.closes(svc, tickers_for(rules, BENCHMARK), None, end)
        fetched = fetch.Fetched(got, svc.provider.name, svc.provider.synthetic)
        result, stats = await POOLS.compute(backtest_with_stats, fetched, rules, None, end)
    except MarketDataError:
        await reply(update, t(UNAVAILABLE))
        return
    await reply(update, backtest_html(name, result, t, stats))
    await _send_outcomes_chart(update, name, result, stats, t)


async def _send_outcomes_chart(
    update: Update,
    name: str,
    result: BacktestResult,
    stats: Sequence[HorizonStats],
    t: Translator,
) -> None:
    """For one rule, the picture of its firings' changes beside every session's
    (bot/charts/outcomes.py), drawn in the drawing pool, after the text: a picture that
    cannot be drawn costs the picture, never the answer."""
    chat = update.effective_chat
    if chat is None or len({s.rule for s in stats}) != 1 or result.last is None:
        return
    if not any(s.changes for s in stats):
        return
    from bot.charts.outcomes import outcomes_chart

    labels = {e.variant: variant_name(e.kind, e.variant, t) for e in result.events}
    try:
        png = await POOLS.draw(
            outcomes_chart,
            list(stats),
            result.last,
            labels,
            synthetic=result.synthetic,
            lang=t.lang,
        )
    except ValueError:
        return
    message = update.effective_message
    thread = message.message_thread_id if message and message.is_topic_message else None
    caption = t(
        "🧪 {name}: each firing's change (dots, a bar at their median) beside every session's "
        "(grey: the middle half, whiskers 5% to 95%).",
        name=esc(name),
    )
    await chat.get_bot().send_photo(
        chat.id,
        photo=png,
        filename="backtest.png",
        caption=caption,
        parse_mode=ParseMode.HTML,
        message_thread_id=thread,
    )


def backtest_html(
    name: str,
    result: BacktestResult,
    t: Translator | None = None,
    stats: Sequence[HorizonStats] = (),
) -> str:
    """When it fired (the last few), and what had followed the earlier firings: for one rule,
    at 1 week to 6 months beside what followed every session, with a verdict
    (bot/text/backtest_stats.py)."""
    t = t or translator(None)
    events = result.events
    times = t.n("{n} time", "{n} times", len(events))
    sessions = t.n("{n} session", "{n} sessions", result.sessions)
    span = _span(result, t)
    lines = [
        t("🧪 <b>Backtest</b> · {name}", name=esc(name)),
        t(
            "Over the available history ({span}, {sessions}): it fired {times}.",
            span=span,
            sessions=sessions,
            times=times,
        ),
    ]
    if result.synthetic:
        lines.append(t(SYNTHETIC_NOTE))
    if not events:
        return "\n".join(
            [*lines, t("It never fired over this history."), *_problem_lines(result, t)]
        )
    shown = events[-SHOWN_EVENTS:]
    lines.append("\n" + t("<b>Last {n}</b>:", n=len(shown)) if len(events) > len(shown) else "")
    lines += [f"• {t.day(e.date)}: {esc(event_text(e, t))}" for e in shown]
    if stats and len({s.rule for s in stats}) == 1:
        labels = {e.variant: variant_name(e.kind, e.variant, t) for e in events}
        lines.append(
            "\n" + t("<b>What followed</b> the earlier firings, as known at the last one:")
        )
        lines += stats_lines(stats, labels, t)
        return "\n".join(line for line in [*lines, *_problem_lines(result, t)] if line)
    # the last firing of each variant carries the outcomes of every earlier one
    latest: dict[tuple[str, str], Event] = {(e.subject, e.variant): e for e in events}
    several = len({e.subject for e in events}) > 1
    lines.append("\n" + t("<b>What followed</b> the earlier firings, as known at the last one:"))
    for (subject, variant), e in sorted(latest.items())[:MAX_FOLLOWUPS]:
        kind = variant_name(e.kind, variant, t)
        label = f"{subject} {kind}" if several else kind
        lines.append(f"• {esc(label)}: {esc(followup_text(e.followup, t))}")
    return "\n".join(line for line in [*lines, *_problem_lines(result, t)] if line)


def _problem_lines(result: BacktestResult, t: Translator) -> list[str]:
    """The data problems the history had: its rules fired nothing on those sessions (each
    problem as the data check wrote it, in the chat's language)."""
    if not result.problems:
        return []
    texts = list(result.problems.values())
    lines = ["\n" + t("⚠️ <b>Data problems</b> (nothing fired from the sessions they touch):")]
    lines += [f"• {esc(translated(x, t))}" for x in texts[:MAX_PROBLEMS]]
    if len(texts) > MAX_PROBLEMS:
        lines.append(
            t(
                "… and {n} more (rotation-bot backtest lists all)",
                n=len(texts) - MAX_PROBLEMS,
            )
        )
    return lines


def _span(result: BacktestResult, t: Translator) -> str:
    """The sessions the data really covers, not the dates asked for."""
    if result.first is None or result.last is None:
        return t("no session")
    return t("{first} to {last}", first=t.day(result.first), last=t.day(result.last))
