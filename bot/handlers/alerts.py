"""Custom alerts: /alert RULE, /alerts, /delete N, and /backtest RULE."""

from __future__ import annotations

from telegram import Update

from bot.context import Context
from bot.handlers import fetch
from bot.handlers.common import arg_text, code, ensure_chat, reply, services, upper_first
from bot.handlers.permissions import Target, for_target
from bot.handlers.topics import TOPICS, resolve, title
from bot.messages import SYNTHETIC_NOTE, esc
from bot.offload import POOLS
from bot.render import followup_text
from bot.scanner import BENCHMARK, BacktestResult, backtest, tickers_for
from market.base import MarketDataError
from signals.events import Event
from signals.kind import RuleError
from signals.parse import EXAMPLES, ParseError, parse_rule
from signals.presets import all_preset_rules
from signals.rrg import describe_rule as rrg_description
from signals.rules import Rule
from storage.rules import DuplicateRuleError, NoSuchRuleError, RuleLimitError

USAGE = (
    "Write the alert after the command, e.g.\n"
    + "\n".join(f"/alert {e}" for e in EXAMPLES[:5])
    + "\n/help shows every phrase."
)
UNAVAILABLE = (
    "I can't reach the market data right now, so I can't check the ticker. Try again later."
)
SHOWN_EVENTS = 10
MAX_FOLLOWUPS = 8
MAX_PROBLEMS = 5


def describe(rule: Rule) -> str:
    """What a rule watches, in words (plain text)."""
    p = rule.as_dict()
    s = rule.subject
    if rule.kind == "ratio_cross":
        way = {"above": "crosses above", "below": "crosses below"}.get(
            str(p.get("direction")), "crosses"
        )
        band = f", with a {p['band']:g}% band" if p.get("band") else ""
        return f"{s} {way} its {p.get('window')}-day moving average{band}"
    if rule.kind == "level_cross":
        way = {"above": "rises above", "below": "falls below"}.get(
            str(p.get("direction")), "crosses"
        )
        return f"{s} {way} {p.get('level'):g}"
    if rule.kind == "record_high":
        return f"{s} closes at a record after {p.get('quiet')} sessions without one"
    if rule.kind == "drawdown":
        return f"{s} closes {p.get('threshold'):g}% or more below its 52-week high"
    if rule.kind == "monthly_move":
        if rule.is_pair:
            a, b = s.split("/")
            return f"{a} beats or lags {b} by {p.get('pct'):g} points or more in a month"
        return f"{s} moves {p.get('pct'):g}% or more in a month"
    if rule.kind == "rrg_quadrant":
        return rrg_description(rule)
    return rule.key


async def _refuse_unknown(update: Update, context: Context, rule: Rule) -> bool:
    """Check the rule's tickers against the data provider; reply and return True if any is
    unknown or the provider cannot be reached."""
    try:
        unknown = await fetch.unknown_tickers(services(context), rule.tickers)
    except MarketDataError:
        await reply(update, UNAVAILABLE)
        return True
    if not unknown:
        return False
    lines = [f"❌ No market data for {code(t)}: {esc(why)}." for t, why in unknown.items()]
    lines.append(fetch.ticker_hint(next(iter(unknown))).strip())
    await reply(update, "\n".join(lines))
    return True


@for_target(manage=True)
async def alert(update: Update, context: Context, where: Target, words: list[str]) -> None:
    """Add a custom alert rule for this chat (or a linked channel)."""
    text = " ".join(words)
    if not text:
        await reply(update, USAGE)
        return
    try:
        rule = parse_rule(text)
    except ParseError as e:
        await reply(update, f"❌ {esc(e)}")
        return
    svc = services(context)
    if svc.rules.count(where.id) >= svc.rules.limit:
        await reply(update, f"❌ {esc(RuleLimitError(svc.rules.limit))}. /alerts, then /delete N.")
        return
    if await _refuse_unknown(update, context, rule):
        return
    if not where.is_channel:
        ensure_chat(update, context)
    try:
        number = svc.rules.add(where.id, rule, text)
    except (DuplicateRuleError, RuleLimitError) as e:
        await reply(update, f"❌ {upper_first(esc(e))}. /alerts{where.mention} lists them.")
        return
    await reply(
        update,
        f"✅ Alert #{number} saved for {esc(where.label)}: {code(text)}\n"
        f"It fires when {esc(describe(rule))}. I check after every close.\n"
        f"/backtest {esc(text)} — when it would have fired before.",
    )


@for_target(manage=False)
async def list_alerts(update: Update, context: Context, where: Target, _: list[str]) -> None:
    """This chat's custom alerts, numbered for /delete."""
    rules = services(context).rules.list(where.id)
    if not rules:
        await reply(update, f"No custom alerts for {esc(where.label)} yet.\n{USAGE}")
        return
    lines = [f"🔔 <b>Custom alerts for {esc(where.label)}</b>"]
    lines += [f"{n}. {code(text)} — {esc(describe(rule))}" for n, text, rule in rules]
    lines.append(f"/delete{where.mention} N removes one.")
    await reply(update, "\n".join(lines))


@for_target(manage=True)
async def delete(update: Update, context: Context, where: Target, words: list[str]) -> None:
    """Delete custom alert number N."""
    if len(words) != 1 or not words[0].lstrip("#").isdigit():
        await reply(update, f"Which one? /delete{where.mention} 2 — the numbers are in /alerts.")
        return
    try:
        text, _ = services(context).rules.delete(where.id, int(words[0].lstrip("#")))
    except NoSuchRuleError as e:
        await reply(update, f"❌ {upper_first(esc(e))}.")
        return
    await reply(update, f"🗑 Deleted {code(text)} from {esc(where.label)}.")


def _rules_for(text: str) -> tuple[list[Rule], str]:
    """A backtest's rules: a preset or signal name, or one rule in the alert language."""
    try:
        topic = resolve(text)
    except RuleError:
        return [parse_rule(text)], text
    keys = set(TOPICS[topic])
    return [r for r in all_preset_rules() if r.key in keys], title(topic)


async def backtest_command(update: Update, context: Context) -> None:
    """When a rule (or a preset) would have fired over the available history, and what followed."""
    text = arg_text(context)
    if not text:
        await reply(
            update,
            "Backtest a rule or a preset, e.g.\n/backtest IWM/SPY crosses above 200d\n"
            "/backtest ^RUT record high\n/backtest small_vs_large",
        )
        return
    try:
        rules, name = _rules_for(text)
    except ParseError as e:
        await reply(update, f"❌ {esc(e)}")
        return
    if len(rules) == 1 and await _refuse_unknown(update, context, rules[0]):
        return
    svc = services(context)
    try:
        end = await fetch.latest_session(svc)
        got = await fetch.closes(svc, tickers_for(rules, BENCHMARK), None, end)
        fetched = fetch.Fetched(got, svc.provider.name, svc.provider.synthetic)
        result = await POOLS.compute(backtest, fetched, rules, None, end)
    except MarketDataError:
        await reply(update, UNAVAILABLE)
        return
    await reply(update, backtest_html(name, result))


def backtest_html(name: str, result: BacktestResult) -> str:
    """When it fired (the last few), and what had followed the earlier firings."""
    events = result.events
    times = f"{len(events):,} time{'s' if len(events) != 1 else ''}"
    lines = [
        f"🧪 <b>Backtest</b> · {esc(name)}",
        f"Over the available history ({_span(result)}, {result.sessions:,} sessions): "
        f"it fired {times}.",
    ]
    if result.synthetic:
        lines.append(SYNTHETIC_NOTE)
    if not events:
        return "\n".join([*lines, "It never fired over this history.", *_problem_lines(result)])
    shown = events[-SHOWN_EVENTS:]
    lines.append(f"\n<b>Last {len(shown)}</b>:" if len(events) > len(shown) else "")
    lines += [f"• {e.date:%d %b %Y}: {esc(e.text)}" for e in shown]
    # the last firing of each variant carries the outcomes of every earlier one
    latest: dict[tuple[str, str], Event] = {(e.subject, e.variant): e for e in events}
    several = len({e.subject for e in events}) > 1
    lines.append("\n<b>What followed</b> the earlier firings, as known at the last one:")
    for (subject, variant), e in sorted(latest.items())[:MAX_FOLLOWUPS]:
        label = f"{subject} {variant}" if several else variant
        lines.append(f"• {esc(label)}: {esc(followup_text(e.followup))}")
    return "\n".join(line for line in [*lines, *_problem_lines(result)] if line)


def _problem_lines(result: BacktestResult) -> list[str]:
    """The data problems the history had: its rules fired nothing on those sessions."""
    if not result.problems:
        return []
    texts = list(result.problems.values())
    lines = ["\n⚠️ <b>Data problems</b> (nothing fired from the sessions they touch):"]
    lines += [f"• {esc(t)}" for t in texts[:MAX_PROBLEMS]]
    if len(texts) > MAX_PROBLEMS:
        lines.append(f"… and {len(texts) - MAX_PROBLEMS} more (rotation-bot backtest lists all)")
    return lines


def _span(result: BacktestResult) -> str:
    """The sessions the data really covers, not the dates asked for."""
    if result.first is None or result.last is None:
        return "no session"
    return f"{result.first:%d %b %Y} to {result.last:%d %b %Y}"
