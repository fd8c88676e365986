"""The Bot API's shapes, as the fake Bot API answers them and reads them.

What a chat row becomes in a getChat answer and a member row in a getChatMember answer — with
every field python-telegram-bot 22.8 requires, so ``de_json`` builds them — what Telegram
refuses in a text, the error body, and the reading of request parameters (form fields arrive
as text: JSON objects, numbers). One copy, used by the in-process transport, the HTTP server
and the npm emulator's compat layer alike.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from typing import Any

from bot.errors import BotError

__all__ = [
    "INLINE_ID_BYTES",
    "INLINE_RESULTS_LIMIT",
    "Rejected",
    "Upload",
    "chat_full_info",
    "chat_key",
    "chat_member",
    "check_inline_answer",
    "check_text",
    "decode",
    "error_body",
    "ok_body",
]


@dataclass(slots=True)
class Upload:
    """A file the bot uploaded (multipart)."""

    filename: str | None
    content_type: str | None
    data: bytes


class Rejected(BotError):
    """Raised by an answer to reply with a Bot API error instead of a result."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


def error_body(code: int, description: str, parameters: dict[str, Any] | None = None) -> bytes:
    payload: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        payload["parameters"] = parameters
    return json.dumps(payload).encode()


def ok_body(result: Any) -> bytes:
    return json.dumps({"ok": True, "result": result}).encode()


# -- reading parameters -----------------------------------------------------------------------
# Form fields PTB sends JSON-encoded (objects, arrays, booleans); any other text stays text.
_JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "link_preview_options",
        "reply_parameters",
        "commands",
        "scope",
        "media",
        "allowed_updates",
        "disable_notification",
        "protect_content",
        "show_alert",
        "drop_pending_updates",
        "show_caption_above_media",
        "has_spoiler",
        "allow_paid_broadcast",
        "results",
        "button",
        "is_personal",
    }
)
_INT_FIELDS = frozenset(
    {"chat_id", "user_id", "message_id", "offset", "limit", "message_thread_id", "cache_time"}
)


def decode(key: str, value: Any) -> Any:
    """A parameter as the answers read it: JSON fields decoded, ids and counts as numbers
    (a chat id ``@name`` stays text), a timeout as a float; anything else as is."""
    if not isinstance(value, str):
        return value
    if key in _INT_FIELDS:
        try:
            return int(value)
        except ValueError:
            return value
    if key == "timeout":
        return float(value)
    if key in _JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def chat_key(chat_id: Any) -> int | str:
    """A chat id as sent in a form (text): the number, or an ``@username`` as is."""
    try:
        return int(chat_id)
    except (TypeError, ValueError):
        return str(chat_id)


# -- what PTB 22.8 requires in an answer ------------------------------------------------------
_GIFT_TYPES = (
    "unlimited_gifts",
    "limited_gifts",
    "unique_gifts",
    "premium_subscription",
    "gifts_from_channels",
)
_ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_pin_messages",
    "can_manage_topics",
)
_MEMBER_RIGHTS = (
    "can_send_messages",
    "can_send_audios",
    "can_send_documents",
    "can_send_photos",
    "can_send_videos",
    "can_send_video_notes",
    "can_send_voice_notes",
    "can_send_polls",
    "can_send_other_messages",
    "can_add_web_page_previews",
    "can_change_info",
    "can_invite_users",
    "can_pin_messages",
    "can_manage_topics",
    "can_edit_tag",
    "can_react_to_messages",
)


def chat_full_info(chat: dict[str, Any]) -> dict[str, Any]:
    """getChat's answer: ``chat`` plus the ChatFullInfo fields PTB 22.8 requires."""
    return {
        **chat,
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": dict.fromkeys(_GIFT_TYPES, False),
    }


def chat_member(entry: str | dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
    """getChatMember's answer: a ChatMember with every field PTB 22.8 requires for its status.

    ``entry`` is a status ("administrator", "member", "creator", "left", "kicked",
    "restricted") or a dict of ChatMember fields merged over that status's defaults.
    """
    overrides = entry if isinstance(entry, dict) else {"status": entry}
    status = overrides.get("status", "member")
    member: dict[str, Any] = {"status": status, "user": user}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member.update(dict.fromkeys(_ADMIN_RIGHTS, True), can_be_edited=False, is_anonymous=False)
    elif status == "restricted":
        member.update(dict.fromkeys(_MEMBER_RIGHTS, False), is_member=True, until_date=0)
    elif status == "kicked":
        member["until_date"] = 0
    return {**member, **overrides}


# -- what Telegram refuses in a text ----------------------------------------------------------
_TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "code", "pre", "a"}
    | {"tg-spoiler", "tg-emoji", "blockquote", "span"}
)
_TAG = re.compile(r"<(/?)([a-z-]+)(?:\s[^<>]*)?>")
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")


def check_text(text: str, parse_mode: str | None, *, caption: bool = False) -> None:
    """Refuse what Telegram refuses: HTML it cannot parse, an empty text, a text too long."""
    if parse_mode == "HTML":
        stack: list[str] = []
        for m in _TAG.finditer(text):
            closing, name = m.group(1), m.group(2)
            if name not in _TAGS:
                raise _unparsable(f"unsupported start tag {name!r}")
            if not closing:
                stack.append(name)
            elif not stack or stack.pop() != name:
                raise _unparsable(f"can't find end tag for {name!r}")
        if stack:
            raise _unparsable(f"unclosed {stack[-1]!r}")
        if re.search("[<>&]", _ENTITY.sub("x", _TAG.sub("", text))):
            raise _unparsable("unescaped <, > or &")
        text = html.unescape(_TAG.sub("", text))
    if not caption and not text.strip():
        raise Rejected(400, "Bad Request: message text is empty")
    if len(text.encode("utf-16-le")) // 2 > (1024 if caption else 4096):
        raise Rejected(400, f"Bad Request: message {'caption ' if caption else ''}is too long")


def _unparsable(why: str) -> Rejected:
    return Rejected(400, f"Bad Request: can't parse entities: {why}")


# -- answerInlineQuery ------------------------------------------------------------------------
INLINE_RESULTS_LIMIT = 50
INLINE_ID_BYTES = 64
_START_PARAMETER = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_NEEDS = {  # each result type this fake accepts, and the fields Telegram requires of it
    "article": ("title", "input_message_content"),
    "photo": ("photo_file_id",),  # a cached photo (InlineQueryResultCachedPhoto)
}


def check_inline_answer(params: dict[str, Any]) -> None:
    """Refuse an answerInlineQuery Telegram would refuse: too many results, an id that is
    empty, repeated or past 64 bytes, a type or field missing, a text or caption it cannot
    parse, a negative cache_time, a button without its start parameter."""
    results = params.get("results")
    if not isinstance(results, list):
        raise Rejected(400, "Bad Request: can't parse inline query results JSON object")
    if len(results) > INLINE_RESULTS_LIMIT:
        raise Rejected(400, "Bad Request: RESULTS_TOO_MUCH")
    seen: set[str] = set()
    for n, result in enumerate(results):
        rid = result.get("id") if isinstance(result, dict) else None
        if not isinstance(rid, str) or not 0 < len(rid.encode()) <= INLINE_ID_BYTES:
            raise Rejected(400, f"Bad Request: RESULT_ID_INVALID (result {n})")
        if rid in seen:
            raise Rejected(400, "Bad Request: RESULT_ID_DUPLICATE")
        seen.add(rid)
        needs = _NEEDS.get(result.get("type", ""))
        if needs is None:
            raise Rejected(400, f"Bad Request: result type {result.get('type')!r} not supported")
        for key in needs:
            if not result.get(key):
                raise Rejected(400, f"Bad Request: field {key!r} of result {n} must be non-empty")
        content = result.get("input_message_content")
        if content is not None:
            check_text(str(content.get("message_text", "")), content.get("parse_mode"))
        if "caption" in result:
            check_text(str(result["caption"]), result.get("parse_mode"), caption=True)
    cache_time = params.get("cache_time", 300)
    if not isinstance(cache_time, int) or cache_time < 0:
        raise Rejected(400, "Bad Request: cache_time must be a non-negative integer")
    button = params.get("button")
    if button is not None:
        if not button.get("text"):
            raise Rejected(400, "Bad Request: inline query results button text is empty")
        if "web_app" not in button and not _START_PARAMETER.match(
            str(button.get("start_parameter", ""))
        ):
            raise Rejected(400, "Bad Request: START_PARAM_INVALID")
