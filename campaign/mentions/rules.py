"""Rules and watch lists: saved searches that act on every matching post, old and new.

A rule is a search (the filters of ``campaign mentions list``) with what to do to each post it
matches: set a review status (only on posts still ``new``: a reviewer's mark is never
overridden), set codes of the coding scheme, and add a badge. Adding a rule applies it to the
whole store at once (:func:`apply_rule`); every post stored afterwards goes through
:func:`apply_to_new` as it arrives (the store's writer calls it inside its transaction).

A watch list is a named list of accounts (officials, journalists, partners): every post by one
of them carries the list's name as a badge, computed from the author, so adding an account
badges its past posts too. This module owns ``mention_rules``, ``watchlist_accounts`` and
``mention_badges``.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlite_utils

from campaign.clock import now, to_db
from campaign.errors import CampaignError, NotFoundError
from campaign.mentions.coding import Assignment, check, scheme_of
from campaign.mentions.search import MentionFilter, matching
from campaign.store import immediate

NAME_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_-"
_CHUNK = 5_000
_FILTER_KEYS = (
    "text",
    "status",
    "author",
    "lang",
    "since",
    "until",
    "has_link",
    "replies_to_ours",
    "codes",
    "badge",
)


@dataclass(frozen=True)
class Rule:
    """A saved search and what it does to each post it matches."""

    name: str
    filter: MentionFilter
    status: str | None = None
    codes: tuple[Assignment, ...] = ()
    badge: str | None = None
    id: int | None = None
    actor: str = ""

    @property
    def who(self) -> str:
        """The actor its marks and codes are recorded under."""
        return f"rule:{self.name}"


def check_name(name: str, what: str = "rule") -> str:
    """A rule, list or badge name in lower case, or an error saying what is allowed."""
    key = name.strip().lower().lstrip("@")
    if not key or any(c not in NAME_CHARS for c in key):
        raise CampaignError(f"{name!r} is not a usable {what} name: use letters, digits, _ -")
    return key


def _filter_json(f: MentionFilter) -> str:
    data: dict[str, Any] = {}
    for k in _FILTER_KEYS:
        v = getattr(f, k)
        if v is None or v == ():
            continue
        data[k] = to_db(v) if isinstance(v, datetime) else v
    return json.dumps(data, ensure_ascii=False)


def _filter_from(text: str) -> MentionFilter:
    from campaign.clock import from_db

    data = json.loads(text)
    for k in ("since", "until"):
        if data.get(k):
            data[k] = from_db(data[k])
    if "codes" in data:
        data["codes"] = tuple(tuple(c) for c in data["codes"])
    return MentionFilter(**data)


def add_rule(db: sqlite_utils.Database, rule: Rule, *, actor: str) -> tuple[Rule, int]:
    """Save ``rule`` and apply it to every stored post it matches; the rule and how many
    posts it changed."""
    from campaign.mentions.review import check_status

    name = check_name(rule.name)
    if not any(getattr(rule.filter, k) not in (None, ()) for k in _FILTER_KEYS):
        raise CampaignError(
            "a rule needs a search: give --search, --author, --lang … (a rule for every post "
            "is `campaign mentions mark` or `code` with --yes)"
        )
    if rule.status is None and not rule.codes and rule.badge is None:
        raise CampaignError("a rule must do something: give --status, --set FIELD=VALUE or --badge")
    status = check_status(rule.status) if rule.status else None
    check(scheme_of(db), rule.codes)
    badge = check_name(rule.badge, "badge") if rule.badge else None
    matching(rule.filter)  # a search that cannot run is refused before it is saved
    codes = json.dumps([[a.field, a.value] for a in rule.codes])
    try:
        with immediate(db):
            cur = db.conn.execute(
                "INSERT INTO mention_rules (name, filter, status, codes, badge, actor, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [name, _filter_json(rule.filter), status, codes, badge, actor, to_db(now())],
            )
    except sqlite3.IntegrityError as e:
        raise CampaignError(
            f"a rule named {name!r} exists: remove it first (`campaign mentions rules remove "
            f"{name}`) or choose another name"
        ) from e
    saved = dataclasses.replace(
        rule, name=name, status=status, badge=badge, id=int(cur.lastrowid or 0), actor=actor
    )
    return saved, apply_rule(db, saved)


def rules(db: sqlite_utils.Database) -> list[Rule]:
    """Every saved rule, oldest first."""
    out: list[Rule] = []
    for rid, name, filt, status, codes, badge, actor in db.execute(
        "SELECT id, name, filter, status, codes, badge, actor FROM mention_rules ORDER BY id"
    ):
        out.append(
            Rule(
                name=name,
                filter=_filter_from(filt),
                status=status,
                codes=tuple(Assignment(f, v) for f, v in json.loads(codes)),
                badge=badge,
                id=int(rid),
                actor=actor,
            )
        )
    return out


def remove_rule(db: sqlite_utils.Database, name: str) -> None:
    """Forget a rule (what it already did stays; its badges go)."""
    key = check_name(name)
    with immediate(db):
        row = db.conn.execute("SELECT id FROM mention_rules WHERE name = ?", [key]).fetchone()
        if row is None:
            raise NotFoundError(f"no rule named {key!r}: see `campaign mentions rules list`")
        db.conn.execute("DELETE FROM mention_badges WHERE rule_id = ?", [row[0]])
        db.conn.execute("DELETE FROM mention_rules WHERE id = ?", [row[0]])


def describe(rule: Rule) -> str:
    """What the rule matches and does, in words."""
    from campaign.mentions.readme import describe_filter

    does = []
    if rule.status:
        does.append(f"status {rule.status}")
    does += [f"{a.field}={a.value}" for a in rule.codes]
    if rule.badge:
        does.append(f"badge {rule.badge}")
    return f"{describe_filter(rule.filter)} → {', '.join(does)}"


def apply_rule(db: sqlite_utils.Database, rule: Rule) -> int:
    """Apply ``rule`` to every stored post it matches (one transaction); posts changed."""
    m = matching(dataclasses.replace(rule.filter, limit=1, offset=0))
    with immediate(db):
        ids = [int(r[0]) for r in db.conn.execute(m.sql("m.id"), list(m.params))]
        return _act(db.conn, rule, ids)


def apply_to_new(conn: sqlite3.Connection, ids: Sequence[int]) -> int:
    """Apply every rule to the newly stored posts ``ids``, inside the caller's transaction."""
    if not ids or conn.execute("SELECT 1 FROM mention_rules LIMIT 1").fetchone() is None:
        return 0
    db = sqlite_utils.Database(conn, execute_plugins=False)  # the caller's, as open_db made it
    changed = 0
    for rule in rules(db):
        m = matching(dataclasses.replace(rule.filter, limit=1, offset=0))
        for chunk in _chunks(ids):
            sql = m.sql("m.id", more=("m.id IN (SELECT value FROM json_each(?))",))
            hits = [int(r[0]) for r in conn.execute(sql, [*m.params, json.dumps(chunk)])]
            changed += _act(conn, rule, hits)
    return changed


def _act(conn: sqlite3.Connection, rule: Rule, ids: Sequence[int]) -> int:
    """Do what ``rule`` does to the posts ``ids`` (already matched); posts changed."""
    stamp = to_db(now())
    touched: set[int] = set()
    for chunk in _chunks(ids):
        param = json.dumps(chunk)
        if rule.status:
            rows = conn.execute(
                "UPDATE mentions SET review_status = ? WHERE review_status = 'new' AND "
                "removed IS NULL AND id IN (SELECT value FROM json_each(?)) RETURNING id",
                [rule.status, param],
            ).fetchall()
            conn.executemany(
                "INSERT INTO mention_audit (mention_id, at, actor, from_status, to_status, note) "
                "VALUES (?, ?, ?, 'new', ?, NULL)",
                [(r[0], stamp, rule.who, rule.status) for r in rows],
            )
            touched |= {int(r[0]) for r in rows}
        for a in rule.codes:
            rows = conn.execute(
                "INSERT OR IGNORE INTO mention_codes (mention_id, field, value, actor, at) "
                "SELECT value, ?, ?, ?, ? FROM json_each(?) RETURNING mention_id",
                [a.field, a.value, rule.who, stamp, param],
            ).fetchall()
            conn.executemany(
                "INSERT INTO mention_code_audit (mention_id, field, value, action, actor, at) "
                "VALUES (?, ?, ?, 'set', ?, ?)",
                [(r[0], a.field, a.value, rule.who, stamp) for r in rows],
            )
            touched |= {int(r[0]) for r in rows}
        if rule.badge:
            rows = conn.execute(
                "INSERT OR IGNORE INTO mention_badges (mention_id, badge, rule_id) "
                "SELECT value, ?, ? FROM json_each(?) RETURNING mention_id",
                [rule.badge, rule.id, param],
            ).fetchall()
            touched |= {int(r[0]) for r in rows}
    return len(touched)


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield list(ids[start : start + _CHUNK])


# -- watch lists ----------------------------------------------------------------------------


def watch(db: sqlite_utils.Database, name: str, usernames: Iterable[str]) -> int:
    """Add accounts (usernames, with or without @) to the watch list ``name``; how many new."""
    key = check_name(name, "watch list")
    users = [u.strip().lstrip("@") for u in usernames if u.strip().lstrip("@")]
    if not users:
        raise CampaignError("name at least one account, e.g. @un_police")
    with immediate(db):
        before = db.conn.total_changes
        db.conn.executemany(
            "INSERT OR IGNORE INTO watchlist_accounts (list, username) VALUES (?, ?)",
            [(key, u) for u in users],
        )
        return int(db.conn.total_changes - before)


def unwatch(db: sqlite_utils.Database, name: str, usernames: Iterable[str]) -> int:
    """Take accounts off the watch list ``name``; how many were on it."""
    key = check_name(name, "watch list")
    with immediate(db):
        return int(
            db.conn.executemany(
                "DELETE FROM watchlist_accounts WHERE list = ? AND username = ?",
                [(key, u.strip().lstrip("@")) for u in usernames],
            ).rowcount
        )


def watchlists(db: sqlite_utils.Database) -> dict[str, list[str]]:
    """Every watch list with its accounts."""
    out: dict[str, list[str]] = {}
    for name, user in db.execute(
        "SELECT list, username FROM watchlist_accounts ORDER BY list, username COLLATE NOCASE"
    ):
        out.setdefault(name, []).append(user)
    return out


BADGES_SQL = (
    "SELECT b.mention_id, b.badge FROM mention_badges b "
    "WHERE b.mention_id IN (SELECT value FROM json_each(?1)) "
    "UNION SELECT m.id, w.list FROM mentions m JOIN authors a ON a.id = m.author_id "
    "JOIN watchlist_accounts w ON w.username = a.username COLLATE NOCASE "
    "WHERE m.id IN (SELECT value FROM json_each(?1))"
)


def badges_for(db: sqlite_utils.Database, ids: Sequence[int]) -> dict[int, list[str]]:
    """The badges of each of ``ids`` (watch lists of its author, and rules' badges)."""
    out: dict[int, list[str]] = {}
    for chunk in _chunks(list(ids)):
        for mid, badge in db.execute(BADGES_SQL, [json.dumps(chunk)]):
            out.setdefault(int(mid), []).append(str(badge))
    return {k: sorted(set(v)) for k, v in out.items()}


def watch_report(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Per watch list and account: how many posts, the latest one's time (report section)."""
    rows = db.execute(
        "SELECT w.list, w.username, count(m.id), max(m.created_at) FROM watchlist_accounts w "
        "LEFT JOIN authors a ON a.username = w.username COLLATE NOCASE "
        "LEFT JOIN mentions m ON m.author_id = a.id "
        "GROUP BY w.list, w.username ORDER BY w.list, count(m.id) DESC, w.username"
    ).fetchall()
    return [{"list": r[0], "username": r[1], "posts": r[2], "latest": r[3]} for r in rows]
