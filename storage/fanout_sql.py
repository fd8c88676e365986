"""The SQL of the fan-out (storage/fanout.py), and the few fragments where SQLite and
PostgreSQL differ (issue 24).

The statements are written once; :class:`Dialect` holds what each engine spells its own way:

* SQLite's ``CROSS JOIN ... ON`` fixes its join order (it has no statistics for the temp
  tables); PostgreSQL has no such syntax (``JOIN``) and plans from statistics;
* a group's item positions as text, in fan-out order: ``group_concat`` over an ordered
  subquery on SQLite, ``string_agg(... ORDER BY ord)`` on PostgreSQL;
* a JSON list parameter as a table: ``json_each`` / ``json_array_elements_text``;
* the temp tables' DDL: on PostgreSQL INTEGER is 32-bit (chat ids need BIGINT) and there is
  no ``WITHOUT ROWID``; and how they are emptied: ``TRUNCATE`` there, since autovacuum never
  visits a session's temp tables and the dead rows of each evening's ``DELETE`` would pile up
  for as long as the connection lives;
* one row per chat and event from a path that reaches a chat more than once (a chat
  subscribed to two topics that hold one rule): SQLite's upsert takes the rows one by one
  (the first topic's forum thread stays, a notified one makes the message notified: LOUDER);
  PostgreSQL refuses to touch a row twice in one statement, so :meth:`Dialect.select` keeps
  the same one row there (the first topic in SQLite's order, ``COLLATE "C"``, and the
  least ``silent``) before the insert.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "BODY",
    "CHART",
    "LISTENING",
    "LOUDER",
    "MERGE_TEMP",
    "PATHS",
    "POSTGRES",
    "QUIET",
    "SQLITE",
    "TEMP",
    "Dialect",
    "Path",
]


@dataclass(frozen=True, slots=True)
class Path:
    """One way a chat gets an event, as SQL: the joins from ``e`` (temp.fan_events) to the
    chat ``c``, what the path says about the message (silent? which forum topic?), whether a
    cooldown holds it back, and (``topic``) what orders a chat's several ways along it ("":
    one way at most)."""

    joins: str
    silent: str
    thread: str
    allowed: str
    topic: str = ""


# Who gets an event: chats subscribed to a topic containing its rule, and chats with the
# rule as a custom alert. Two paths, two statements; ON CONFLICT makes their overlap (and a chat
# reaching one rule through two topics) one message, silent only when every way the chat gets
# it is (LOUDER). CROSS JOIN fixes SQLite's join order (it has no statistics for the
# temp tables and would otherwise scan every chat per event): event -> the rule's topics ->
# their subscribers (index) -> the chat (primary key); the events table is the outer loop, so
# rows come out in event order with no sort.
PATHS = (
    Path(
        "CROSS JOIN topic_rules tr ON tr.rule = e.rule "
        "CROSS JOIN subscriptions s ON s.topic = tr.topic CROSS JOIN chats c ON c.id = s.chat_id",
        "CASE WHEN s.mode = 'silent' THEN 1 ELSE 0 END",  # an integer on both engines
        "s.thread_id",
        # A cooldown of N sessions: nothing if this rule alerted the chat on or after the
        # N-th session before this one (temp.fan_sessions numbers them 1, 2 ... back).
        "(s.cooldown = 0 OR NOT EXISTS (SELECT 1 FROM rule_sent h "
        "WHERE h.chat_id = c.id AND h.rule = e.rule AND h.session >= coalesce("
        "(SELECT day FROM temp.fan_sessions WHERE n = s.cooldown), "
        "(SELECT min(day) FROM temp.fan_sessions), :session)))",
        "tr.topic",  # topic_rules' key (rule, topic): SQLite meets the topics in this order
    ),
    Path(  # UNIQUE (chat_id, rule_id): one way per chat
        "CROSS JOIN rules r ON r.key = e.rule "
        "CROSS JOIN chat_rules cr ON cr.rule_id = r.id CROSS JOIN chats c ON c.id = cr.chat_id",
        "0",
        "cr.thread_id",
        "true",
    ),
)
LOUDER = "UPDATE SET silent = 0 WHERE excluded.silent = 0 AND t.silent = 1"
"""On a second way to the same message: a notified path makes a silent message notified
(the target is aliased ``t``: PostgreSQL calls a bare ``silent`` ambiguous)."""
QUIET = "LEFT JOIN temp.fan_quiet q ON q.tz = c.tz AND q.qs = c.quiet_start AND q.qe = c.quiet_end"
LISTENING = (  # "+c.active": not the chats_active index, the chat is found by its id
    "+c.active = 1 AND (c.muted_until IS NULL OR julianday(c.muted_until) <= julianday(:now))"
)
TEMP = (
    "CREATE TEMP TABLE IF NOT EXISTS fan_events "
    "(ord INTEGER PRIMARY KEY, key TEXT, rule TEXT, body TEXT, chart TEXT, "
    "move TEXT, shared INTEGER)",
    "CREATE TEMP TABLE IF NOT EXISTS fan_quiet "
    "(tz TEXT, qs TEXT, qe TEXT, not_before TEXT, PRIMARY KEY (tz, qs, qe))",
    "CREATE TEMP TABLE IF NOT EXISTS fan_digest (chat_id INTEGER, ord INTEGER, "
    "thread INTEGER, silent INTEGER, PRIMARY KEY (chat_id, ord)) WITHOUT ROWID",
    # UNIQUE, not PRIMARY KEY: thread is NULL outside forum topics (PostgreSQL's keys are
    # NOT NULL; SQLite's of a rowid table are a unique index, as this is)
    "CREATE TEMP TABLE IF NOT EXISTS fan_sets (chat_id INTEGER, thread INTEGER, "
    "members TEXT, silent INTEGER, lang TEXT, UNIQUE (chat_id, thread))",
    "CREATE TEMP TABLE IF NOT EXISTS fan_bodies "
    "(members TEXT, lang TEXT, body TEXT, PRIMARY KEY (members, lang))",
    "CREATE TEMP TABLE IF NOT EXISTS fan_tr "
    "(ord INTEGER, lang TEXT, body TEXT, chart TEXT, PRIMARY KEY (ord, lang)) WITHOUT ROWID",
    "CREATE TEMP TABLE IF NOT EXISTS fan_sessions (n INTEGER PRIMARY KEY, day TEXT)",
)
MERGE_TEMP = (  # made and emptied only on an evening with a shared move
    "CREATE TEMP TABLE IF NOT EXISTS fan_merge (chat_id INTEGER, ord INTEGER, move TEXT, "
    "thread INTEGER, silent INTEGER, PRIMARY KEY (chat_id, move, ord)) WITHOUT ROWID",
    "CREATE TEMP TABLE IF NOT EXISTS fan_msets (chat_id INTEGER, lead INTEGER, "
    "members TEXT, thread INTEGER, silent INTEGER, lang TEXT)",
    "CREATE TEMP TABLE IF NOT EXISTS fan_mbodies "
    "(members TEXT, lang TEXT, body TEXT, PRIMARY KEY (members, lang))",
)
# The chat's language's body, else the item's own (one primary-key probe per message).
BODY = (
    "coalesce((SELECT l.body FROM temp.fan_tr l WHERE l.ord = e.ord AND l.lang = c.lang), e.body)"
)
# The chat's language's chart ('' in fan_tr: none in that language), else the item's own.
CHART = (
    "nullif(coalesce((SELECT l.chart FROM temp.fan_tr l "
    "WHERE l.ord = e.ord AND l.lang = c.lang), e.chart), '')"
)


@dataclass(frozen=True, slots=True)
class Dialect:
    """The fragments of the fan-out's SQL that differ between the engines."""

    paths: tuple[Path, ...]
    join: str  # a join whose order is fixed on SQLite
    members: str  # a group's item positions as "0,3,7", in fan-out order
    langs: str  # the languages of a JSON list parameter, as a table with a column ``value``
    empty: str  # the statement that empties a temp table, before its name
    postgres: bool

    def ddl(self, statement: str) -> str:
        """A temp table as this engine makes it."""
        if not self.postgres:
            return statement
        return re.sub(r"\bINTEGER\b", "BIGINT", statement).replace(" WITHOUT ROWID", "")

    def select(
        self,
        path: Path,
        columns: Sequence[tuple[str, str]],
        where: str,
        *,
        ordered: bool = False,
        quiet: bool = False,
    ) -> str:
        """``SELECT`` the ``columns`` (name, expression; one named ``silent``) of each chat
        ``path`` reaches with an event, from ``temp.fan_events e``, in event order if
        ``ordered``, with the chat's quiet hours ``q`` if ``quiet``: one row per chat and event on
        PostgreSQL (see the module's docstring)."""
        joins = f"FROM temp.fan_events e {path.joins}" + (f" {QUIET}" if quiet else "")
        if not (self.postgres and path.topic):
            exprs = ", ".join(expr for _, expr in columns)
            return f"SELECT {exprs} {joins} WHERE {where}" + (" ORDER BY e.ord" if ordered else "")
        named = ", ".join(f"{expr} AS {name}" for name, expr in columns)
        outer = ", ".join("w.loudest" if name == "silent" else f"w.{name}" for name, _ in columns)
        return (
            f"SELECT {outer} FROM (SELECT i.*, row_number() OVER ways AS way, "
            "min(i.silent) OVER (PARTITION BY i.fan_ord, i.fan_chat) AS loudest "
            f"FROM (SELECT {named}, c.id AS fan_chat, e.ord AS fan_ord, "
            f'{path.topic} COLLATE "C" AS fan_topic {joins} WHERE {where}) i '
            "WINDOW ways AS (PARTITION BY i.fan_ord, i.fan_chat ORDER BY i.fan_topic)) w "
            # event first: the windows' one sort is already the event order asked for
            "WHERE w.way = 1" + (" ORDER BY w.fan_ord" if ordered else "")
        )


SQLITE = Dialect(
    PATHS, "CROSS JOIN", "group_concat(ord)", "json_each(?)", "DELETE FROM", postgres=False
)
POSTGRES = Dialect(
    tuple(
        Path(p.joins.replace("CROSS JOIN", "JOIN"), p.silent, p.thread, p.allowed, p.topic)
        for p in PATHS
    ),
    "JOIN",
    # SQLite concatenates in the order of the (ordered) subquery; PostgreSQL must be told.
    "string_agg(ord::text, ',' ORDER BY ord)",
    "json_array_elements_text(?::json) AS j(value)",
    "TRUNCATE",
    postgres=True,
)
