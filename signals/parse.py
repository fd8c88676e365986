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

from signals.catalogue import rule
from signals.kind import RuleError
from signals.rules import Rule
from signals.sentence import Sentence, message_of

TICKER = r"\^?[A-Z0-9][A-Z0-9.=\-]{0,11}"
SUBJECT = re.compile(
    rf"^(?P<a>{TICKER})(?:\s*(?:/|\bVS\b\.?|\bVERSUS\b|\bAGAINST\b)\s*(?P<b>{TICKER}))?"
    rf"(?P<extra>\s*/\s*\S*)?\s*(?P<rest>.*)$"
)
NUMBER = r"\$?(?P<num>[-+]?\d+(?:,\d{3})*(?:[.,]\d+)?)"
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
MAX_WINDOW = 1000
"""Sessions: a moving average longer than four years is almost surely a typo."""
DEFAULT_WINDOW = 200
"""The average a ratio is watched against when only a band is given."""

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


class ParseError(ValueError):
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


def _number(text: str) -> float:
    """ "4.5", "4,5" (decimal comma) and "2,500" (thousands) as floats."""
    if re.fullmatch(r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?", text):
        return float(text.replace(",", ""))
    return float(text.replace(",", "."))


def _band(rest: str) -> float:
    m = re.search(r"band\s*" + NUMBER + r"\s*%?", rest)
    return _number(m.group("num")) if m else 0.0


DAYS = r"(?P<n>\d+)\s*(?:d\b|dma\b|-?\s*days?\b(?:\s+(?:sma|ma|average|moving average)\b)?)"


def _crosses_average(subject: str, rest: str) -> Rule | None:
    crossing = re.search(
        r"\bcross(?:es|ed|ing)?\s*(?P<dir>above|below|over|under)?\s*(?:its\s+|the\s+)?" + DAYS,
        rest,
    )
    # without "crosses", only at the start: "above 200d", "is below its 50-day average", "200d"
    m = crossing or re.match(
        r"(?:(?:is|trades|closes|rises|falls|moves|goes)\s+)?(?P<dir>above|below|over|under)?"
        r"\s*(?:its\s+|the\s+)?" + DAYS,
        rest,
    )
    if not m:
        if re.fullmatch(r"band\s*" + NUMBER + r"\s*%?", rest):  # "IWM/SPY band 1%": the 200d
            return rule("ratio_cross", subject, window=DEFAULT_WINDOW, band=_band(rest))
        return None
    window = int(m.group("n"))
    if not 2 <= window <= MAX_WINDOW:
        raise RuleError(
            Sentence(
                "a moving average window must be at least 2 days and at most {most}, not {n}",
                most=MAX_WINDOW,
                n=window,
            )
        )
    direction = {"over": "above", "under": "below"}.get(m.group("dir") or "", m.group("dir"))
    return rule(
        "ratio_cross", subject, window=window, band=_band(rest), direction=direction or "both"
    )


def _record_high(subject: str, rest: str) -> Rule | None:
    if not re.search(r"\b(record( high| close)?|new high|all[- ]time high|ath)\b", rest):
        return None
    m = re.search(r"quiet\s*" + NUMBER, rest)
    if not m:
        return rule("record_high", subject)
    quiet = _number(m.group("num"))
    if not 1 <= quiet <= MAX_WINDOW:
        raise RuleError(
            Sentence(
                "the quiet spell is 1 to {most} sessions, not {n}", most=MAX_WINDOW, n=f"{quiet:g}"
            )
        )
    return rule("record_high", subject, quiet=int(quiet))


def _drawdown(subject: str, rest: str) -> Rule | None:
    if re.search(r"\bbear( market)?\b", rest):
        return rule("drawdown", subject, threshold=20.0)
    if re.search(r"\bcorrection\b", rest):
        return rule("drawdown", subject, threshold=10.0)
    m = re.search(r"\b(?:drawdown|down|off|below high|from (?:its )?high)\D*?" + NUMBER, rest)
    if not m or not re.search(r"drawdown|from (?:its )?high|off (?:its )?high|below high", rest):
        return None
    threshold = abs(_number(m.group("num")))
    if not 0 < threshold < 100:
        raise RuleError(
            Sentence("a drawdown must be between 0% and 100%, not {n}%", n=f"{threshold:g}")
        )
    return rule("drawdown", subject, threshold=threshold)


def _monthly(subject: str, rest: str) -> Rule | None:
    if not re.search(r"\bmonth(ly)?\b", rest):
        return None
    m = re.search(NUMBER + r"\s*(?:%|percent|points?|pts?|pp)?", rest)
    if not m:
        raise RuleError(
            Sentence("say how big a monthly move, e.g. {example}", example="^RUT moves 5% month")
        )
    pct = abs(_number(m.group("num")))
    if not 0 < pct < 100:
        raise RuleError(
            Sentence("a monthly move must be between 0% and 100%, not {n}%", n=f"{pct:g}")
        )
    pair = re.search(rf"\b(?:beats?|outperforms?)\s+\$?(?P<other>{TICKER.lower()})\b", rest)
    if pair and "/" not in subject:
        other = pair.group("other").upper()
        if other not in ("BY",):
            subject = f"{subject}/{other}"
    return rule("monthly_move", subject, pct=pct)


def _rrg(subject: str, rest: str) -> Rule | None:
    if not re.search(r"\b(rrg|quadrants?|rotation)\b", rest):
        return None
    if "/" not in subject:
        subject = f"{subject}/SPY"
    params: dict[str, float | int | str] = {}
    if re.search(r"\b(all|any|every)\b", rest):
        params["into"] = "any"
    for name in ("window", "momentum", "confirm"):
        m = re.search(rf"\b{name}\s*" + NUMBER, rest)
        if m:
            params[name] = _number(m.group("num"))
    if re.search(r"\bband\b", rest):
        params["band"] = _band(rest)
    return rule("rrg_quadrant", subject, **params)


def _level(subject: str, rest: str) -> Rule | None:
    m = re.search(
        r"(?:\b(?:cross(?:es|ed)?\s*)?(?P<dir>above|below|over|under)|\bcross(?:es|ed)?"
        r"|(?P<op>[<>])=?)\s*" + NUMBER + r"\s*%?\s*$",
        rest,
    )
    if not m:
        return None
    if "/" in subject:
        raise RuleError(
            Sentence(
                "a level is for one ticker ({one}); for a pair, watch its average: {pair}",
                one=f"{subject.split('/')[0]} below 4.0",
                pair=f"{subject} crosses above 200d",
            )
        )
    word = m.group("dir") or {">": "above", "<": "below"}.get(m.group("op") or "", "")
    direction = {"over": "above", "under": "below"}.get(word, word)
    level = _number(m.group("num"))
    return rule("level_cross", subject, level=level, direction=direction or "both")


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
    (_crosses_average, AVERAGE),
    (_record_high, RECORD),
    (_drawdown, DRAWDOWN),
    (_monthly, PAIR_MONTH),
    (_rrg, RRG),
    (_level, LEVEL),
    (_hints, AVERAGE),
)
"""Each reader and the example shown when it recognises a phrase it cannot accept."""
