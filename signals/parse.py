"""The custom alert language: a few forgiving phrases over the signal catalogue.

    IWM/SPY crosses above 200d          ratio_cross   (also "50-day", "200 day ma", "band 1%",
                                                       "IWM/SPY above 200d", "IWM vs SPY 200d";
                                                       "IWM/SPY band 1%" alone: the 200d)
    SPY crosses below 50d               ratio_cross on a price (a single ticker vs its average)
    ^RUT record high                    record_high   (also "new high", "all-time high")
    ^TNX below 4.0                      level_cross   (also "above", "crosses 80", "> 4.5")
    XLE drawdown 20%                    drawdown      (also "correction" = 10%, "bear market" = 20%)
    IWM/SPY beats by 3% month           monthly_move on a pair (also "IWM beats SPY by 3 points")
    ^RUT moves 5% month                 monthly_move on one ticker (also "monthly 5%")
    XLE rrg                             rrg_quadrant vs SPY: into Leading or Lagging (also
                                        "XLE/SPY quadrant"; "all" for every quadrant,
                                        "band 1", "confirm 2", "window 12", "momentum 5")

Tickers are Yahoo's (^RUT, CL=F, BRK-B); a leading ``$`` (a cashtag, ``$IWM``) is dropped.
Numbers may use a decimal comma (4,5) or thousands separators (2,500).

Strict where it matters: a control character (NUL, escape, zero-width ...) refuses the rule,
and so does anything after a complete rule that is not part of the language
(``^RUT record high'; DROP TABLE chats;--``); the refusal shows the rule without it.
Digits from other scripts are read as the digits they are, deliberately: a phone keyboard
set to Arabic types ``٤٫٥`` for 4.5, a Japanese one ``４.５`` (full-width forms of ASCII
become ASCII, so ``ＩＷＭ`` is IWM). Nothing else outside ASCII is part of a rule
(superscripts, fractions and the like are refused, not guessed at).

:func:`parse_rule` returns a canonical :class:`Rule` (so "iwm/spy crosses above 200 day" and
"IWM/SPY crosses above 200d" are one rule, computed once) or raises :class:`ParseError`, whose
message says what is wrong and shows a correct example. It never raises anything else.
The message is a :class:`~signals.sentence.Sentence`: English, and sayable in a chat's language.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from signals import phrases
from signals.errors import SignalsError
from signals.kind import RuleError
from signals.phrases import TICKER
from signals.rules import Rule
from signals.sentence import Sentence, message_of

__all__ = [
    "ARABIC_SEPARATORS",
    "AVERAGE",
    "DRAWDOWN",
    "EXAMPLES",
    "FULL_WIDTH",
    "KEYWORDS",
    "LEVEL",
    "MAX_LENGTH",
    "MONTH",
    "OPERATORS",
    "PAIR_MONTH",
    "READERS",
    "RECORD",
    "RIVALS",
    "RRG",
    "SUBJECT",
    "VOCABULARY",
    "ParseError",
    "Reader",
    "parse_rule",
]

SUBJECT = re.compile(
    rf"^(?P<a>{TICKER})(?:\s*(?:/|\bVS\b\.?|\bVERSUS\b|\bAGAINST\b)\s*(?P<b>{TICKER}))?"
    rf"(?P<extra>\s*/\s*\S*)?\s*(?P<rest>.*)$"
)
MAX_LENGTH = 120
KEYWORDS = frozenset(
    (
        *("cross", "crosses", "crossed", "crossing", "above", "below", "over", "under"),
        *("record", "new", "all-time", "drawdown", "down", "off", "bear", "correction"),
        *("moves", "move", "monthly", "month", "beats", "beat", "rrg", "quadrant", "rotation"),
        *("when", "if", "alert", "is"),
    )
)
"""Words that start a phrase, not a ticker: "crosses above 200d" lacks its subject, and
"IWM/ crosses 200d" its second ticker."""

EXAMPLES = (
    "IWM/SPY crosses above 200d",
    "^RUT record high",
    "^TNX below 4.0",
    "XLE drawdown 20%",
    "IWM/SPY beats by 3% month",
    "^RUT moves 5% month",
    "XLE rrg",
)
AVERAGE, RECORD, LEVEL, DRAWDOWN, PAIR_MONTH, MONTH, RRG = EXAMPLES


class ParseError(SignalsError, ValueError):
    """A rule text we cannot read; the message is for the person who typed it."""


def parse_rule(text: str) -> Rule:
    """Read one alert rule; see the module docstring for the phrases."""
    text = str(text)
    control = next((c for c in text if _is_control(c)), None)
    if control is not None:
        raise ParseError(
            Sentence(
                "That rule contains a control character ({code}), which no rule has. Type it as "
                "plain text, e.g. {example}",
                code=f"U+{ord(control):04X}",
                example=AVERAGE,
            )
        )
    raw = " ".join(_ascii_forms(text).split())
    if not raw:
        raise ParseError(
            Sentence("Write a rule after the command, e.g. {example}", example=AVERAGE)
        )
    if len(raw) > MAX_LENGTH:
        raise ParseError(
            Sentence(
                "That rule is too long ({n} characters, at most {most}). Example: {example}",
                n=len(raw),
                most=MAX_LENGTH,
                example=AVERAGE,
            )
        )
    cleaned = re.sub(r"(?<![\w^$])\$(?=[A-Za-z^])", "", raw)  # $IWM -> IWM
    m = SUBJECT.match(cleaned.upper())
    if not m or m.group("a").lower() in KEYWORDS:
        raise ParseError(
            Sentence(
                "Start with a ticker or a pair, then what to watch, e.g. {a} or {b}.",
                a=AVERAGE,
                b=LEVEL,
            )
        )
    if m.group("extra"):
        raise ParseError(
            Sentence(
                "A pair has two tickers, like IWM/SPY, not three or more. Example: {example}",
                example=AVERAGE,
            )
        )
    if m.group("b") and m.group("b").lower() in KEYWORDS:
        raise ParseError(
            Sentence(
                "The pair {a}/ is missing its second ticker. Example: {example}",
                a=m.group("a"),
                example=AVERAGE,
            )
        )
    subject = m.group("a") + (f"/{m.group('b')}" if m.group("b") else "")
    rest = m.group("rest").lower()
    if not rest:
        some, last = _suggest(subject)
        raise ParseError(
            Sentence(
                "Start with a ticker or a pair, then what to watch: for {subject}, e.g. {some} or "
                "{last}.",
                subject=subject,
                some=some,
                last=last,
            )
        )
    for reader, example in READERS:
        try:
            found = reader(subject, rest)
        except RuleError as e:
            said = message_of(e)  # a refusal ends with no full stop, then its example
            if "Example:" not in said:
                said = Sentence("{refusal}. Example: {example}", refusal=said, example=example)
            raise ParseError(_sentence(said)) from None
        if found is not None:
            _refuse_trailing(subject, rest, found)
            return found
    raise ParseError(
        Sentence(
            "I could not read {text} after {subject}. Try one of: {examples}.",
            text=repr(rest),
            subject=subject,
            examples="; ".join(EXAMPLES),
        )
    )


def _is_control(char: str) -> bool:
    """Control, format (zero-width ...), private-use or unassigned: never part of a rule.
    White space (tab, newline) is only white space."""
    return unicodedata.category(char).startswith("C") and not char.isspace()


FULL_WIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
ARABIC_SEPARATORS = {0x066B: ".", 0x066C: ","}  # the Arabic decimal and thousands marks


def _ascii_forms(text: str) -> str:
    """Full-width ASCII as ASCII, any script's decimal digits as 0-9 (see the docstring)."""
    text = text.translate(FULL_WIDTH).translate(ARABIC_SEPARATORS)
    return "".join(
        str(unicodedata.decimal(c)) if not c.isascii() and c.isdecimal() else c for c in text
    )


VOCABULARY = frozenset(
    (
        *("cross", "crosses", "crossed", "crossing", "above", "below", "over", "under"),
        *("its", "the", "d", "dma", "day", "days", "-day", "-days", "sma", "ma", "average"),
        *("moving", "band", "record", "high", "close", "new", "all-time", "all", "time"),
        *("ath", "quiet", "drawdown", "down", "off", "from", "bear", "market", "correction"),
        *("month", "monthly", "moves", "move", "beats", "beat", "by", "outperforms"),
        *("outperform", "percent", "points", "point", "pts", "pt", "pp", "rrg", "quadrant"),
        *("rotation", "is", "trades", "closes", "rises", "falls", "goes", "%", "<", ">"),
        *("<=", ">=", "in", "a", "an", "of"),  # "beats SPY by 3 points in a month"
        *("quadrants", "any", "every", "window", "momentum", "confirm"),  # "XLE rrg confirm 2"
    )
)
"""Every word the phrases read (see READERS); a rule holds nothing else."""
RIVALS = frozenset(("beats", "beat", "outperforms", "outperform"))
"""Words a second ticker may follow: "IWM beats SPY by 3% month"."""
_WORD = re.compile(
    r"(?P<num>\$?[-+]?\d+(?:,\d{3})*(?:[.,]\d+)?)|(?P<word>-?[a-z][a-z-]*)|[<>]=?|%"
    r"|(?P<ticker>\$?\^?[a-z0-9][a-z0-9.=-]*)|\S"
)


def _refuse_trailing(subject: str, rest: str, found: Rule) -> None:
    """Refuse a rule followed (or interrupted) by words that are not part of the language.

    The refusal shows the longest start of the text, before the first unknown word, that is
    a complete rule (what came after it is the junk); else examples for the subject."""
    tokens = list(_WORD.finditer(rest))
    first = next(
        (m for i, m in enumerate(tokens) if not _known(m, tokens[i - 1] if i else None, rest)),
        None,
    )
    if first is None:
        return
    ends = [m.end() for m in tokens if m.end() <= first.start() and m.group(0) not in OPERATORS]
    for cut in reversed(ends):
        example = f"{subject} {rest[:cut].strip()}"
        try:
            parse_rule(example)
        except ParseError:
            continue
        junk = rest[cut:].strip()
        raise ParseError(
            Sentence(
                "{rule} is a rule, but {junk} after it is not part of one. Write only the rule: "
                "{example}",
                rule=example,
                junk=repr(junk[:40]),
                example=example,
            )
        )
    junk = rest[first.start() :].strip()
    some, last = _suggest(subject)
    raise ParseError(
        Sentence(
            "I can't read {junk} after {subject}: write only the rule, e.g. {some} or {last}.",
            junk=repr(junk[:40]),
            subject=subject,
            some=some,
            last=last,
        )
    )


OPERATORS = frozenset(("<", ">", "<=", ">="))


def _known(m: re.Match[str], previous: re.Match[str] | None, rest: str) -> bool:
    """Whether a token is part of the language: a number, a word of the phrases, a second
    ticker after "beats", a full stop at the end."""
    token = m.group(0)
    return (
        m.group("num") is not None
        or token in VOCABULARY
        or (
            previous is not None
            and previous.group(0) in RIVALS
            and (m.group("word") or m.group("ticker")) is not None
        )
        or (token == "." and m.end() == len(rest))
    )


def _sentence(message: str) -> str:
    """``message`` ending with a full stop (a refusal of a reader has none)."""
    if message.endswith((".", "!", "?")):
        return message
    if isinstance(message, Sentence):
        return Sentence("{said}.", said=message)
    return message.strip() + "."


def _suggest(subject: str) -> tuple[str, str]:
    """Examples for ``subject``: the first ones, and the last (said as "A, B or C")."""
    if "/" in subject:
        return f"{subject} crosses above 200d, {subject} beats by 3% month", f"{subject} rrg"
    return f"{subject} below 4.0, {subject} record high", f"{subject} drawdown 20%"


def _hints(subject: str, rest: str) -> Rule | None:
    """No phrase matched, but a keyword says what was meant: say what is missing."""
    if re.search(r"\b(beats?|outperforms?|lags?|underperforms?)\b", rest):
        raise ParseError(
            Sentence(
                "A lead is measured over a calendar month: add 'month'. Example: {example}",
                example=PAIR_MONTH,
            )
        )
    if re.search(r"\b(drawdown|from (?:its )?high)\b", rest):
        raise ParseError(
            Sentence(
                "Say how deep a drawdown, in percent (or 'correction' for 10%, 'bear market' for "
                "20%). Example: {example}",
                example=DRAWDOWN,
            )
        )
    if re.search(r"\b(cross(?:es|ed|ing)?|above|below|over|under)\b", rest):
        raise ParseError(
            Sentence(
                "Say what it crosses: a moving average in days or a level. Examples: {a}; {b}",
                a=AVERAGE,
                b=LEVEL,
            )
        )
    return None


Reader = Callable[[str, str], Rule | None]
READERS: tuple[tuple[Reader, str], ...] = (
    (phrases.crosses_average, AVERAGE),
    (phrases.record_high, RECORD),
    (phrases.drawdown, DRAWDOWN),
    (phrases.monthly, PAIR_MONTH),
    (phrases.rrg, RRG),
    (phrases.level, LEVEL),
    (_hints, AVERAGE),
)
"""Each reader and the example shown when it recognises a phrase it cannot accept."""
