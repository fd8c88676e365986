"""Inline mode in the fake Bot API: a user's ``@bot query`` as an update, and its answer.

Telegram sends an ``inline_query`` update (an id, the sender, the text after the bot's name,
an offset, the kind of chat it was typed in) and takes one ``answerInlineQuery`` per query id,
within its time limit; the chosen result is then posted by the user's client, not the bot.
:class:`InlineQueries` is that for :class:`bot.fake_api.answers.BotApi`: queue or build a
query (:meth:`~InlineQueries.add_inline_query`, :meth:`~InlineQueries.new_inline_query`) and
answer answerInlineQuery as Telegram would — refused for an id it never issued or already
answered, and for results Telegram refuses (:func:`bot.fake_api.wire.check_inline_answer`);
each accepted answer is kept in ``inline_answers``. The bot reports ``supports_inline_queries``
in getMe, as after BotFather's ``/setinline``.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from typing import Any

from bot.fake_api.wire import Rejected, check_inline_answer

__all__ = ["TOO_OLD", "InlineQueries"]

TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"


class InlineQueries:
    """Mixed into BotApi after its answers table is built (see its ``__init__``)."""

    bot_user: dict[str, Any]
    _answers: dict[str, Callable[[dict[str, Any]], Awaitable[Any]]]

    def __init__(self) -> None:
        self.inline_answers: list[dict[str, Any]] = []
        self._inline_open: set[str] = set()
        self._inline_ids = itertools.count(1)
        self.bot_user["supports_inline_queries"] = True
        self._answers["answerInlineQuery"] = self._answer_inline_query

    def add_update(self, update: dict[str, Any]) -> dict[str, Any]:  # BotApi's
        raise NotImplementedError

    def new_inline_query(
        self,
        user_id: int,
        query: str,
        *,
        chat_type: str = "sender",
        offset: str = "",
        language_code: str | None = None,
    ) -> dict[str, Any]:
        """The ``inline_query`` of an update, its id open for one answer (feed it yourself);
        ``language_code``: the sender's Telegram app language."""
        query_id = f"{user_id}{next(self._inline_ids):06d}"  # Telegram's ids are digits too
        self._inline_open.add(query_id)
        sender = {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}
        if language_code:
            sender["language_code"] = language_code
        return {
            "id": query_id,
            "from": sender,
            "query": query,
            "offset": offset,
            "chat_type": chat_type,
        }

    def add_inline_query(self, user_id: int, query: str, **options: Any) -> dict[str, Any]:
        """Queue a user's inline query for getUpdates."""
        return self.add_update({"inline_query": self.new_inline_query(user_id, query, **options)})

    def inline_answer(self, query_id: str) -> dict[str, Any]:
        """The answer given to ``query_id`` (AssertionError if none was)."""
        for answer in self.inline_answers:
            if str(answer.get("inline_query_id")) == query_id:
                return answer
        raise AssertionError(f"inline query {query_id} was not answered")

    async def _answer_inline_query(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("inline_query_id", ""))
        if query_id not in self._inline_open:
            raise Rejected(400, TOO_OLD)
        check_inline_answer(params)
        self._inline_open.discard(query_id)
        self.inline_answers.append(params)
        return True
