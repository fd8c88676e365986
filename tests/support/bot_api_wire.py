"""What the three fake Bot APIs share on the wire.

tests/support/fake_request.py (in-process), tests/support/fake_bot_answers.py (over HTTP) and
tests/support/emulator_compat.py (beside the npm emulator) each keep their own tables of chats
and members; what a row becomes in a getChat or getChatMember answer — the fields PTB 22.8
requires — is built here, and so is the reading of form fields: JSON text, chat ids.
"""

from __future__ import annotations

import json
from typing import Any

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


def maybe_json(value: Any) -> Any:
    """A form field PTB sent as JSON text (an object or a list) decoded; anything else as is."""
    if isinstance(value, str) and value[:1] in ("{", "["):
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
