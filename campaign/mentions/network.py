"""The reply / quote / mention network of the conversation, and its threads.

Nodes are accounts; an edge goes from a post's author to the account it replies to, quotes or
@mentions, weighted by how many posts do so. Removed posts (compliance, retention) give no
edge. :func:`edges` reads it in one pass over the store; :func:`top_in_degree` ranks accounts
by how many others address them; :func:`write_gexf` (networkx, for Gephi) and
:func:`write_csv` export it, optionally with pseudonymised accounts (:mod:`campaign.mentions.privacy`).
:func:`thread` reads one conversation (``conversation_id``) as an indented thread.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any

import sqlite_utils

from campaign.clock import from_db

# One row per (source account, target account, kind) with the number of posts. Replies name
# their target in in_reply_to_user_id; quotes through the quoted post's author (when stored);
# mentions through the post's entities.
REPLY_SQL = (
    "SELECT author_id, in_reply_to_user_id, count(*) FROM mentions "
    "WHERE reply_to_id IS NOT NULL AND in_reply_to_user_id IS NOT NULL AND author_id IS NOT NULL "
    "AND in_reply_to_user_id != author_id AND removed IS NULL GROUP BY 1, 2"
)
QUOTE_SQL = (
    "SELECT m.author_id, q.author_id, count(*) FROM mentions m JOIN mentions q "
    "ON q.id = m.quote_of_id WHERE m.quote_of_id IS NOT NULL AND m.author_id IS NOT NULL "
    "AND q.author_id IS NOT NULL AND q.author_id != m.author_id AND m.removed IS NULL "
    "GROUP BY 1, 2"
)
MENTION_SQL = (
    "SELECT m.author_id, CAST(json_extract(e.value, '$.id') AS INTEGER), "
    "lower(json_extract(e.value, '$.username')), count(*) "
    "FROM mentions m, json_each(m.raw, '$.entities.mentions') e "
    "WHERE m.author_id IS NOT NULL AND m.removed IS NULL AND m.raw LIKE '%\"mentions\"%' "
    "GROUP BY 1, 2, 3"
)


@dataclass(frozen=True)
class Edge:
    """``posts`` posts by ``source`` that reply to / quote / mention ``target`` (user ids)."""

    source: int
    target: int
    kind: str  # reply, quote, mention
    posts: int


def edges(db: sqlite_utils.Database) -> list[Edge]:
    """Every edge of the network (mentions of an account never seen posting are by username)."""
    out = [Edge(int(s), int(t), "reply", int(n)) for s, t, n in db.execute(REPLY_SQL)]
    out += [Edge(int(s), int(t), "quote", int(n)) for s, t, n in db.execute(QUOTE_SQL)]
    by_name = {
        str(u).lower(): int(i)
        for i, u in db.execute("SELECT id, username FROM authors WHERE username IS NOT NULL")
    }
    for source, target, username, n in db.execute(MENTION_SQL):
        tid = target if target is not None else by_name.get(str(username or ""))
        if tid is not None and int(tid) != int(source):
            out.append(Edge(int(source), int(tid), "mention", int(n)))
    return out


def labels(db: sqlite_utils.Database, ids: set[int]) -> dict[int, str]:
    """``@username`` of each account id known (others keep their id)."""
    import json

    found = {
        int(i): f"@{u}"
        for i, u in db.execute(
            "SELECT id, username FROM authors WHERE id IN (SELECT value FROM json_each(?)) "
            "AND username IS NOT NULL",
            [json.dumps(sorted(ids))],
        )
    }
    return {i: found.get(i, str(i)) for i in ids}


def top_in_degree(db: sqlite_utils.Database, top: int = 10) -> list[dict[str, Any]]:
    """Accounts most addressed by others: distinct accounts replying to, quoting or
    mentioning them (in-degree), and the posts that do."""
    sources: dict[int, set[int]] = {}
    posts: Counter[int] = Counter()
    for e in edges(db):
        sources.setdefault(e.target, set()).add(e.source)
        posts[e.target] += e.posts
    ranked = sorted(sources, key=lambda t: (-len(sources[t]), -posts[t], t))[:top]
    names = labels(db, set(ranked))
    return [
        {"account": names[t], "id": str(t), "in_degree": len(sources[t]), "posts": posts[t]}
        for t in ranked
    ]


def write_gexf(
    db: sqlite_utils.Database, out: IO[bytes], *, name: Callable[[int, str], str] | None = None
) -> tuple[int, int]:
    """The network as GEXF (Gephi), one weighted edge per (source, target, kind); nodes
    labelled ``@username`` (or ``name(id, label)``). Returns (nodes, edges)."""
    import networkx as nx

    found = edges(db)
    ids = {e.source for e in found} | {e.target for e in found}
    names = labels(db, ids)
    graph = nx.MultiDiGraph()
    for i in ids:
        label = name(i, names[i]) if name else names[i]
        graph.add_node(label if name else str(i), label=label)
    for e in found:
        s = name(e.source, names[e.source]) if name else str(e.source)
        t = name(e.target, names[e.target]) if name else str(e.target)
        graph.add_edge(s, t, key=e.kind, kind=e.kind, weight=e.posts)
    nx.write_gexf(graph, out)
    return graph.number_of_nodes(), graph.number_of_edges()


def write_csv(
    db: sqlite_utils.Database, out: IO[str], *, name: Callable[[int, str], str] | None = None
) -> int:
    """The edges as CSV (source, target, kind, posts), accounts as ``@username`` (or
    ``name(id, label)``). Returns the number of edges."""
    found = edges(db)
    names = labels(db, {e.source for e in found} | {e.target for e in found})
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(("source", "target", "kind", "posts"))
    for e in found:
        s, t = names[e.source], names[e.target]
        if name:
            s, t = name(e.source, s), name(e.target, t)
        w.writerow((s, t, e.kind, e.posts))
    return len(found)


def thread(db: sqlite_utils.Database, conversation_id: int) -> list[dict[str, Any]]:
    """The stored posts of one conversation, in reading order (each reply under the post it
    answers, oldest first), with ``depth``. Removed posts keep their place, without text."""
    rows = db.execute(
        "SELECT m.id, m.reply_to_id, m.created_at, m.text, a.username, m.removed, "
        "m.review_status FROM mentions m LEFT JOIN authors a ON a.id = m.author_id "
        "WHERE m.conversation_id = ? OR m.id = ? ORDER BY m.id",
        [conversation_id, conversation_id],
    ).fetchall()
    ids = {r[0] for r in rows}
    children: dict[int | None, list[tuple[Any, ...]]] = {}
    for r in rows:
        parent = r[1] if r[1] in ids else None
        children.setdefault(parent, []).append(r)
    out: list[dict[str, Any]] = []

    def walk(parent: int | None, depth: int) -> Iterator[None]:
        for r in children.get(parent, []):
            out.append(
                {
                    "id": str(r[0]),
                    "reply_to": str(r[1]) if r[1] is not None else None,
                    "created_at": from_db(r[2]).isoformat(),
                    "text": r[3],
                    "author_username": r[4],
                    "removed": r[5],
                    "review_status": r[6],
                    "depth": depth,
                }
            )
            yield from walk(r[0], depth + 1)
        yield from ()

    for _ in walk(None, 0):
        pass
    return out


def conversation_of(db: sqlite_utils.Database, mention_id: int) -> int | None:
    """The conversation a stored post belongs to (its own id when it starts one)."""
    row = db.execute(
        "SELECT coalesce(conversation_id, id) FROM mentions WHERE id = ?", [mention_id]
    ).fetchone()
    return int(row[0]) if row else None
