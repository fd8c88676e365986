"""Custom alert rules: each distinct rule stored once, linked to every chat that asked for it.

The ``rules`` table is keyed by :attr:`signals.rules.Rule.key`, so "IWM/SPY crosses above
200d" typed in a thousand chats is one row and one computation in the evening scan;
``chat_rules`` links chats to rules and keeps the text each chat typed. A chat sees its
rules numbered 1, 2, 3 ... in the order it added them; the numbers close up after a delete.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Iterable

import sqlite_utils

from signals.rules import ParamValue, Rule
from storage.db import transaction
from storage.errors import StorageError

__all__ = ["DuplicateRuleError", "NoSuchRuleError", "RuleLimitError", "RuleStore", "RuleStoreError"]


class RuleStoreError(StorageError):
    """A rule the store refuses: the message is for the person who asked."""


class RuleLimitError(RuleStoreError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"this chat already has {limit} alerts, the most it may keep")
        self.limit = limit


class DuplicateRuleError(RuleStoreError):
    def __init__(self, number: int) -> None:
        super().__init__(f"this chat already has that alert (#{number})")
        self.number = number


class NoSuchRuleError(RuleStoreError):
    def __init__(self, number: int, count: int) -> None:
        where = f"numbered 1 to {count}" if count else "none yet"
        super().__init__(f"there is no alert #{number} (this chat's alerts: {where})")
        self.number = number
        self.count = count


def _params_json(rule: Rule) -> str:
    return json.dumps(dict(rule.params), sort_keys=True)


def _rule(kind: str, subject: str, params: str) -> Rule:
    values: dict[str, ParamValue] = json.loads(params)
    return Rule(kind=kind, subject=subject, params=tuple(sorted(values.items())))


class RuleStore:
    def __init__(self, db: sqlite_utils.Database, limit: int = 50) -> None:
        self.db = db
        self.limit = limit

    def add(
        self,
        chat_id: int,
        rule: Rule,
        text: str,
        thread_id: int | None = None,
        thread_name: str | None = None,
    ) -> int:
        """Link ``rule`` to the chat (storing the rule once for everyone); returns its number.

        ``thread_id`` is the forum topic its alerts go to (None: General), ``thread_name`` that
        topic's name when Telegram said it. Raises :class:`DuplicateRuleError` if the chat has
        it already, :class:`RuleLimitError` when the chat is at its limit. The chat must exist
        (storage.chats.ChatStore.ensure).
        """
        with transaction(self.db):
            mine = self._rule_ids(chat_id)
            self.db.execute(
                "INSERT INTO rules (key, kind, subject, params) VALUES (?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                [rule.key, rule.kind, rule.subject, _params_json(rule)],
            )
            found = self.db.execute("SELECT id FROM rules WHERE key = ?", [rule.key]).fetchone()
            rule_id = found[0]
            if rule_id in mine:
                raise DuplicateRuleError(mine.index(rule_id) + 1)
            if len(mine) >= self.limit:
                raise RuleLimitError(self.limit)
            self.db.execute(
                "INSERT INTO chat_rules (chat_id, rule_id, text, thread_id, thread_name) "
                "VALUES (?, ?, ?, ?, ?)",
                [chat_id, rule_id, text, thread_id, thread_name],
            )
        return len(mine) + 1

    def topics(self, chat_id: int) -> dict[int, tuple[int, str | None]]:
        """The chat's alerts that go to a forum topic: number -> (thread id, its name or
        None). An alert not in the result goes to General."""
        rows = self.db.execute(
            "SELECT thread_id, thread_name FROM chat_rules WHERE chat_id = ? ORDER BY id",
            [chat_id],
        ).fetchall()
        return {n: (tid, name) for n, (tid, name) in enumerate(rows, start=1) if tid is not None}

    def move(
        self, chat_id: int, number: int, thread_id: int | None, thread_name: str | None
    ) -> None:
        """Send the chat's alert ``number`` to forum topic ``thread_id`` (None: General)."""
        with transaction(self.db):
            links = self._links(chat_id)
            if not 1 <= number <= len(links):
                raise NoSuchRuleError(number, len(links))
            self.db.execute(
                "UPDATE chat_rules SET thread_id = ?, thread_name = ? WHERE id = ?",
                [thread_id, thread_name, links[number - 1][0]],
            )

    def list(self, chat_id: int) -> list[tuple[int, str, Rule]]:
        """The chat's rules as (number, text as typed, rule), numbered from 1 in added order."""
        rows = self.db.execute(
            "SELECT cr.text, r.kind, r.subject, r.params FROM chat_rules cr "
            "JOIN rules r ON r.id = cr.rule_id WHERE cr.chat_id = ? ORDER BY cr.id",
            [chat_id],
        ).fetchall()
        return [(n, text, _rule(k, s, p)) for n, (text, k, s, p) in enumerate(rows, start=1)]

    def delete(self, chat_id: int, number: int) -> tuple[str, Rule]:
        """Remove the chat's rule ``number`` (as :meth:`list` numbers them); returns it.

        A rule no chat uses any more is removed from ``rules`` too.
        """
        with transaction(self.db):
            rows = self.db.execute(
                "SELECT cr.id, cr.rule_id, cr.text, r.kind, r.subject, r.params "
                "FROM chat_rules cr JOIN rules r ON r.id = cr.rule_id "
                "WHERE cr.chat_id = ? ORDER BY cr.id",
                [chat_id],
            ).fetchall()
            if not 1 <= number <= len(rows):
                raise NoSuchRuleError(number, len(rows))
            link_id, rule_id, text, kind, subject, params = rows[number - 1]
            self.db.execute("DELETE FROM chat_rules WHERE id = ?", [link_id])
            self._drop_orphans([rule_id])
        return text, _rule(kind, subject, params)

    def count(self, chat_id: int) -> int:
        return int(
            self.db.execute(
                "SELECT count(*) FROM chat_rules WHERE chat_id = ?", [chat_id]
            ).fetchone()[0]
        )

    def distinct_active(self) -> builtins.list[Rule]:
        """Every distinct rule an active chat needs computed, each once, in a stable order.

        That is the custom rules of active chats, plus the preset rules of the topics active
        chats subscribe to (through ``topic_rules``, which the bot syncs from the presets at
        start-up). A caller that also adds preset rules itself loses nothing: the engine
        deduplicates by key.
        """
        rows = self.db.execute(
            "SELECT DISTINCT r.key, r.kind, r.subject, r.params FROM rules r "
            "JOIN chat_rules cr ON cr.rule_id = r.id JOIN chats c ON c.id = cr.chat_id "
            "WHERE c.active = 1 ORDER BY r.key"
        ).fetchall()
        found: dict[str, Rule] = {key: _rule(k, s, p) for key, k, s, p in rows}
        topic_keys = [
            r[0]
            for r in self.db.execute(
                "SELECT DISTINCT tr.rule FROM topic_rules tr "
                "JOIN subscriptions s ON s.topic = tr.topic JOIN chats c ON c.id = s.chat_id "
                "WHERE c.active = 1 ORDER BY tr.rule"
            ).fetchall()
        ]
        if topic_keys:
            from signals.presets import all_preset_rules

            catalogue = {r.key: r for r in all_preset_rules()}
            for key in topic_keys:
                if key not in found and key in catalogue:
                    found[key] = catalogue[key]
        return [found[k] for k in sorted(found)]

    def _rule_ids(self, chat_id: int) -> builtins.list[int]:  # `list` here is the method
        return [rule_id for _, rule_id in self._links(chat_id)]

    def _links(self, chat_id: int) -> builtins.list[tuple[int, int]]:
        """The chat's (chat_rules id, rule id) pairs, numbered 1, 2 ... in this order."""
        rows = self.db.execute(
            "SELECT id, rule_id FROM chat_rules WHERE chat_id = ? ORDER BY id", [chat_id]
        ).fetchall()
        return rows

    def _drop_orphans(self, rule_ids: Iterable[int]) -> None:
        for rule_id in rule_ids:
            self.db.execute(
                "DELETE FROM rules WHERE id = ? AND NOT EXISTS "
                "(SELECT 1 FROM chat_rules WHERE rule_id = ?)",
                [rule_id, rule_id],
            )
