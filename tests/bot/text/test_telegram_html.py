"""Telegram HTML within the limits: any input comes out as HTML Telegram accepts, never longer
than the limit, and splitting loses no text.

Validity is judged by bot/fake_api/wire.check_text, which refuses what Telegram refuses
("can't parse entities", too long).
"""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.fake_api.wire import Rejected, check_text
from bot.text.telegram_html import CAPTION_LIMIT, CUT_NOTE, TEXT_LIMIT, fit, split, units

TAG_NAMES = ["b", "i", "u", "s", "code", "pre", "tg-spoiler", "blockquote"]


def valid(text: str) -> bool:
    try:
        check_text(text, "HTML")
    except Rejected as e:
        assert "empty" in str(e), f"{e}: {text[:200]!r}"
        return False
    return True


def shown(text: str) -> str:
    """What a chat shows, white space dropped (a cut may fall on it)."""
    return re.sub(r"\s", "", html.unescape(re.sub(r"<[^<>]*>", "", text)))


@st.composite
def telegram_html(draw: st.DrawFn, depth: int = 0) -> str:
    """Valid Telegram HTML: escaped text (emoji and entities included) in nested tags."""
    parts = []
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["text", "text", "tag", "link", "line"]))
        if kind == "text":
            parts.append(html.escape(draw(st.text(max_size=300)), quote=False))
        elif kind == "line":
            parts.append("\n" * draw(st.integers(1, 2)))
        elif kind == "link":
            parts.append(f'<a href="https://example.com/{draw(st.integers(0, 9))}">link</a>')
        elif depth < 3:
            name = draw(st.sampled_from(TAG_NAMES))
            parts.append(f"<{name}>{draw(telegram_html(depth + 1))}</{name}>")
    return "".join(parts)


LIMITS = st.sampled_from([16, 40, 200, CAPTION_LIMIT, TEXT_LIMIT])


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=5000), limit=LIMITS)
def test_any_text_fits_as_valid_html(text: str, limit: int) -> None:
    out = fit(text, limit)
    assert units(out) <= limit
    valid(out)


@settings(max_examples=300, deadline=None)
@given(body=telegram_html(), limit=LIMITS, repeat=st.integers(1, 30))
def test_split_keeps_every_piece_valid_and_within_the_limit(
    body: str, limit: int, repeat: int
) -> None:
    source = body * repeat
    pieces = split(source, limit)
    assert all(units(p) <= limit and valid(p) for p in pieces)
    assert "".join(shown(p) for p in pieces) == shown(source)  # nothing lost
    if units(source) <= limit and shown(source):
        assert pieces == [source]


def test_chart_of_four_thousand_ampersands_is_cut_between_entities() -> None:
    reply = "❌ Can't chart <code>" + "&amp;" * 4000 + "</code>: not a ticker."
    out = fit(reply, TEXT_LIMIT)
    assert valid(out) and units(out) <= TEXT_LIMIT and out.endswith("</code>" + CUT_NOTE)


def test_a_cut_prefers_a_line_break_and_reopens_tags_in_the_next_piece() -> None:
    first, second = split("<b>" + "a" * 30 + "\n" + "b" * 20 + "</b>", 50)
    assert first == "<b>" + "a" * 30 + "\n</b>"
    assert second == "<b>" + "b" * 20 + "</b>"


def test_an_emoji_counts_as_two_units() -> None:
    assert units("📈") == 2
    assert fit("📈" * 20, 30, note="…") == "📈" * 14 + "…"


def test_what_is_not_telegram_html_is_escaped_or_dropped() -> None:
    assert fit("a < b & c > d") == "a &lt; b &amp; c &gt; d"
    assert fit("<br> <B>x</B> &#0; &nbsp;") == "&lt;br&gt; &lt;B&gt;x&lt;/B&gt; &amp;#0; &amp;nbsp;"
    assert fit("</i><b>open") == "<b>open</b>"
    assert fit('<a href="https://x.y/?a=1&amp;b=2">ok</a>') == (
        '<a href="https://x.y/?a=1&amp;b=2">ok</a>'
    )


def test_a_tag_too_long_for_any_piece_is_left_out_but_its_text_kept() -> None:
    pieces = split(f'<a href="https://x.y/{"p" * 100}">link</a> text', 40)
    assert pieces == ["link text"]


def test_a_limit_with_no_room_for_text_is_refused() -> None:
    with pytest.raises(ValueError, match="too small"):
        split("hello", 8)
    assert fit("x" * 20, 16) == "x" * 15 + "…"  # no room for the whole note
