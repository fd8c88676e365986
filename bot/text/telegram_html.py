"""Telegram HTML within Telegram's limits: split or cut a message without breaking its markup.

Telegram refuses a message over 4,096 characters (a photo caption over 1,024), and one whose
HTML it cannot parse: a tag cut in half, an entity cut in half (``&am``), a tag left open.
:func:`split` cuts HTML into pieces that each fit, preferring a line break, never inside a
tag or an entity, closing the tags open at each cut and opening them again in the next piece;
:func:`fit` keeps the first piece and says that the rest was cut.

Lengths are counted on the HTML *source* in UTF-16 code units (what Telegram counts, and an
emoji is two of them). The text Telegram shows is never longer than its source, so a piece
that fits here fits there, whatever Telegram does with the tags.

Anything that is not Telegram HTML is made so on the way: a stray ``<``, ``>`` or ``&``
is escaped, a closing tag that closes nothing is dropped, and a tag Telegram does not know
is shown as text. So any input comes out as HTML Telegram accepts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape

__all__ = ["CAPTION_LIMIT", "CUT_NOTE", "MIN_LIMIT", "TAGS", "TEXT_LIMIT", "fit", "split", "units"]

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CUT_NOTE = "\n… (cut: too long for one message)"
MIN_LIMIT = 12
"""The smallest piece that holds any atom: the longest entity, ``&#x10FFFF;``, is 10."""

TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "code",
        "pre",
        "a",
        "tg-spoiler",
        "blockquote",
        "span",
    }
)
"""The tags Telegram's HTML parse mode understands."""

_TOKEN = re.compile(
    r"<(?P<close>/?)(?P<name>[a-z][a-z-]*)(?P<attrs>\s[^<>]*)?>"
    r"|&(?:lt|gt|amp|quot|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});"
    r"|[<>&]"
    r"|[^<>&]+"
)
_ESCAPE = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}


def units(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True, slots=True)
class _Atom:
    """The smallest piece a cut may fall between: a tag, an entity or one character."""

    text: str
    kind: str  # "open", "close" or "text"
    name: str = ""

    @property
    def closing(self) -> str:
        return f"</{self.name}>"


def _atoms(html: str) -> list[_Atom]:
    """``html`` as atoms that form valid Telegram HTML: strays escaped, tags balanced."""
    out: list[_Atom] = []
    stack: list[str] = []
    for m in _TOKEN.finditer(html):
        token = m.group(0)
        name = m.group("name") or ""
        if m.group("name") is None or name not in TAGS:
            if token.startswith("<") and len(token) > 1:  # an unknown tag: show it as text
                token = token.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                out += [_Atom(e, "text") for e in re.findall(r"&[a-z]+;|[^&]", token)]
            elif token in _ESCAPE:
                out.append(_Atom(_ESCAPE[token], "text"))
            elif token.startswith("&"):
                out += [_Atom(token if _valid_entity(token) else "&amp;", "text")]
                out += [] if _valid_entity(token) else [_Atom(c, "text") for c in token[1:]]
            else:
                out += [_Atom(c, "text") for c in token]
        elif m.group("close"):
            if stack and stack[-1] == name:  # anything else closes nothing: dropped
                stack.pop()
                out.append(_Atom(f"</{name}>", "close", name))
        else:
            stack.append(name)
            out.append(_Atom(token, "open", name))
    out += [_Atom(f"</{name}>", "close", name) for name in reversed(stack)]
    return out


def _valid_entity(entity: str) -> bool:
    """Named entities are the four Telegram knows; a numeric one must name a character."""
    if not entity.startswith("&#"):
        return True
    digits = entity[2:-1]
    code = int(digits[1:], 16) if digits[:1] in "xX" and digits else int(digits)
    return 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF


@dataclass
class _Piece:
    """A piece being filled: its atoms' text, size, and the tags open at its end."""

    parts: list[str]
    size: int
    open: list[_Atom]

    @property
    def closing_size(self) -> int:
        return sum(units(a.closing) for a in self.open)

    def closes(self, atom: _Atom) -> bool:
        """Whether ``atom`` closes this piece's innermost open tag (else it is dropped: its
        opening tag was left out of the piece)."""
        return bool(self.open) and self.open[-1].name == atom.name

    def fits(self, atom: _Atom, limit: int) -> bool:
        closing = self.closing_size
        if atom.kind == "open":
            closing += units(atom.closing)
        elif atom.kind == "close":
            return True  # closing a tag never makes a piece longer
        return self.size + units(atom.text) + closing <= limit

    def add(self, atom: _Atom) -> None:
        if atom.kind == "close" and not self.closes(atom):
            return
        self.parts.append(atom.text)
        self.size += units(atom.text)
        if atom.kind == "open":
            self.open.append(atom)
        elif atom.kind == "close":
            self.open.pop()

    def html(self) -> str:
        return "".join(self.parts) + "".join(a.closing for a in reversed(self.open))

    def snapshot(self) -> _Piece:
        return _Piece(list(self.parts), self.size, list(self.open))


def _visible(html: str) -> bool:
    """Whether a piece shows anything but white space (Telegram refuses an empty text)."""
    return bool(unescape(re.sub(r"<[^<>]*>", "", html)).strip())


def split(html: str, limit: int = TEXT_LIMIT) -> list[str]:
    """``html`` in pieces of at most ``limit`` UTF-16 units, each valid Telegram HTML.

    A piece ends at its last line break when there is one in its second half, else as late
    as it can; the tags open there are closed, and opened again at the next piece's start.
    Pieces that would show nothing are left out. ``limit`` must leave room for the longest
    entity (``MIN_LIMIT``).
    """
    if limit < MIN_LIMIT:
        raise ValueError(f"limit {limit} is too small for a message")
    atoms = _atoms(html)
    pieces: list[str] = []
    open_tags: list[_Atom] = []
    i = 0
    while i < len(atoms):
        piece = _Piece([a.text for a in open_tags], 0, list(open_tags))
        piece.size = sum(units(t) for t in piece.parts)
        if piece.size + piece.closing_size >= limit // 2:  # too deep to carry on: plain text
            piece = _Piece([], 0, [])
        start, at_break = i, None
        while i < len(atoms) and piece.fits(atoms[i], limit):
            piece.add(atoms[i])
            i += 1
            if atoms[i - 1].text == "\n" and piece.size > limit // 2:
                at_break = (i, piece.snapshot())
        if i == start:  # one atom larger than a whole piece (a huge tag): leave it out
            atoms = _drop_tag(atoms, i)
            open_tags = piece.open
            continue
        if i < len(atoms) and at_break is not None:
            i, piece = at_break
        pieces.append(piece.html())
        open_tags = piece.open
    return [p for p in pieces if _visible(p)]


def _drop_tag(atoms: list[_Atom], i: int) -> list[_Atom]:
    """Without atom ``i`` (and, for an opening tag, the closing tag that pairs with it)."""
    atom = atoms[i]
    rest = atoms[:i] + atoms[i + 1 :]
    if atom.kind != "open":
        return rest
    depth = 0
    for j in range(i, len(rest)):
        if rest[j].kind == "open":
            depth += 1
        elif rest[j].kind == "close":
            if depth == 0:
                return rest[:j] + rest[j + 1 :]
            depth -= 1
    return rest


def fit(html: str, limit: int = TEXT_LIMIT, note: str = CUT_NOTE) -> str:
    """``html`` as valid Telegram HTML of at most ``limit`` units: whole if it fits, else
    its first piece (see :func:`split`) followed by ``note`` (plain text) saying it was cut."""
    clean = "".join(a.text for a in _atoms(html))
    if units(clean) <= limit:
        return clean
    if limit - units(note) < MIN_LIMIT:  # no room for the note: a bare ellipsis
        note = "…"
    pieces = split(clean, limit - units(note))
    return (pieces[0] if pieces else "") + note
