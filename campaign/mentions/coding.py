"""Coding the conversation: the campaign's coding scheme applied to collected posts.

The scheme (``coding:`` in the campaign's YAML, :class:`campaign.fields.CodeField`) names the
fields reviewers code with: single choice (stance), multiple choice (theme) or free text. Each
code is a row of ``mention_codes`` (post, field, value) with who set it and when; every set and
unset is also written to ``mention_code_audit``. A single-choice or text field holds one value
(setting another replaces it); a multiple-choice field holds any number.

A change to the scheme never loses codes: a value (or field) no longer in the scheme is kept on
the posts that have it and shown as *retired*; it can be unset, but not set again.
This module owns ``mention_codes`` and ``mention_code_audit``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from campaign.clock import from_db, now, to_db
from campaign.errors import CampaignError, NotFoundError
from campaign.fields import CodeField
from campaign.store import immediate

Scheme = Mapping[str, CodeField]
_CHUNK = 5_000
MAX_TEXT = 500


def scheme_of(db: sqlite_utils.Database) -> dict[str, CodeField]:
    """The coding scheme of the stored campaign (empty when none is loaded or it has none),
    read through :mod:`campaign.mentions.settings`."""
    from campaign.mentions.settings import coding_scheme

    return coding_scheme(db)


@dataclass(frozen=True)
class Assignment:
    """``field=value`` to set (or, with ``value`` None, every value of ``field`` to unset)."""

    field: str
    value: str | None


def parse(pairs: Iterable[str], *, unset: bool = False) -> list[Assignment]:
    """``k=v`` texts as assignments (``k`` alone only when unsetting: every value)."""
    out: list[Assignment] = []
    for pair in pairs:
        key, eq, value = pair.partition("=")
        key, value = key.strip().lower(), value.strip()
        if not key or (not eq and not unset) or (eq and not value):
            raise CampaignError(
                f"{pair!r} is not field=value: write e.g. --set stance=opposes"
                + (" (or --unset stance for every value)" if unset else "")
            )
        out.append(Assignment(key, value if eq else None))
    return out


def check(scheme: Scheme, sets: Sequence[Assignment]) -> None:
    """Refuse a field or value the scheme does not have, naming the ones it has."""
    if sets and not scheme:
        raise CampaignError(
            "the campaign has no coding scheme: add `coding:` under `campaign:` in its YAML "
            "(e.g. stance: [supports, opposes, neutral, unclear]) and load it again"
        )
    singles: dict[str, str] = {}
    for a in sets:
        f = scheme.get(a.field)
        if f is None:
            raise CampaignError(f"unknown coding field {a.field!r}: use one of {', '.join(scheme)}")
        assert a.value is not None
        if f.choice == "text":
            if len(a.value) > MAX_TEXT:
                raise CampaignError(f"the text for {a.field} is over {MAX_TEXT} characters")
        elif a.value not in f.values:
            match = next((v for v in f.values if v.lower() == a.value.lower()), None)
            if match is None:
                raise CampaignError(
                    f"{a.value!r} is not a value of {a.field}: use one of {', '.join(f.values)}"
                )
        if f.choice != "multiple":
            if a.field in singles and singles[a.field] != a.value:
                raise CampaignError(f"{a.field} takes one value: set it once")
            singles[a.field] = a.value


def _canonical(scheme: Scheme, a: Assignment) -> Assignment:
    f = scheme.get(a.field)
    if f is None or a.value is None or f.choice == "text":
        return a
    return Assignment(a.field, next((v for v in f.values if v.lower() == a.value.lower()), a.value))


def code(
    db: sqlite_utils.Database,
    ids: Iterable[int],
    *,
    sets: Sequence[Assignment] = (),
    unsets: Sequence[Assignment] = (),
    actor: str,
    scheme: Scheme | None = None,
) -> int:
    """Set and unset codes on the posts ``ids``; how many (post, field, value) codes changed.

    Unknown ids are refused before anything changes. Setting a value a post already has
    changes nothing (and writes no audit row).
    """
    scheme = scheme_of(db) if scheme is None else scheme
    check(scheme, sets)
    sets = [_canonical(scheme, a) for a in sets]
    wanted = list(dict.fromkeys(int(i) for i in ids))
    if not wanted:
        return 0
    stamp = to_db(now())
    changed = 0
    with immediate(db):
        conn = db.conn
        found: set[int] = set()
        for chunk in _chunks(wanted):
            found |= {
                int(r[0])
                for r in conn.execute(
                    "SELECT id FROM mentions WHERE id IN (SELECT value FROM json_each(?))",
                    [json.dumps(chunk)],
                )
            }
        missing = [i for i in wanted if i not in found]
        if missing:
            shown = ", ".join(str(i) for i in missing[:5]) + (" …" if len(missing) > 5 else "")
            raise NotFoundError(
                f"no collected post with id {shown}: see `campaign mentions list` for the ids"
            )
        # What goes: the unsets, and for one-value fields the old value a set replaces.
        drops: list[tuple[str, str | None, bool]] = [(a.field, a.value, False) for a in unsets]
        drops += [(a.field, a.value, True) for a in sets if scheme[a.field].choice != "multiple"]
        for field, value, keep_value in drops:
            for chunk in _chunks(wanted):
                param = json.dumps(chunk)
                if value is None or keep_value:
                    rows = conn.execute(
                        "DELETE FROM mention_codes WHERE field = ? AND value IS NOT ? "
                        "AND mention_id IN (SELECT value FROM json_each(?)) "
                        "RETURNING mention_id, value",
                        [field, value if keep_value else None, param],
                    ).fetchall()
                else:
                    rows = conn.execute(
                        "DELETE FROM mention_codes WHERE field = ? AND value = ? "
                        "AND mention_id IN (SELECT value FROM json_each(?)) "
                        "RETURNING mention_id, value",
                        [field, value, param],
                    ).fetchall()
                conn.executemany(
                    "INSERT INTO mention_code_audit (mention_id, field, value, action, actor, at) "
                    "VALUES (?, ?, ?, 'unset', ?, ?)",
                    [(mid, field, v, actor, stamp) for mid, v in rows],
                )
                changed += len(rows)
        for a in sets:
            for chunk in _chunks(wanted):
                rows = conn.execute(
                    "INSERT OR IGNORE INTO mention_codes (mention_id, field, value, actor, at) "
                    "SELECT value, ?, ?, ?, ? FROM json_each(?) RETURNING mention_id",
                    [a.field, a.value, actor, stamp, json.dumps(chunk)],
                ).fetchall()
                conn.executemany(
                    "INSERT INTO mention_code_audit (mention_id, field, value, action, actor, at) "
                    "VALUES (?, ?, ?, 'set', ?, ?)",
                    [(r[0], a.field, a.value, actor, stamp) for r in rows],
                )
                changed += len(rows)
    return changed


def code_matching(
    db: sqlite_utils.Database,
    f: Any,
    *,
    sets: Sequence[Assignment] = (),
    unsets: Sequence[Assignment] = (),
    actor: str,
) -> int:
    """Code every post a search matches (all pages of the filter ``f``)."""
    from campaign.mentions.search import ids

    scheme = scheme_of(db)
    check(scheme, sets)
    return code(db, ids(db, f), sets=sets, unsets=unsets, actor=actor, scheme=scheme)


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield list(ids[start : start + _CHUNK])


def coded_fields(db: sqlite_utils.Database) -> list[str]:
    """The scheme's fields, then any retired field still coded on a post (for exports)."""
    fields = list(scheme_of(db))
    used = [str(r[0]) for r in db.execute("SELECT DISTINCT field FROM mention_codes ORDER BY 1")]
    return fields + [f for f in used if f not in fields]


def is_retired(scheme: Scheme, field: str, value: str) -> bool:
    """Whether ``field=value`` is no longer in the scheme (kept on posts, shown as retired)."""
    f = scheme.get(field)
    return f is None or (f.choice != "text" and value not in f.values)


def codes_for(
    db: sqlite_utils.Database, ids: Sequence[int], scheme: Scheme | None = None
) -> dict[int, dict[str, list[dict[str, Any]]]]:
    """The codes of each of ``ids``: ``{id: {field: [{value, actor, at, retired}, …]}}``."""
    scheme = scheme_of(db) if scheme is None else scheme
    out: dict[int, dict[str, list[dict[str, Any]]]] = {}
    for chunk in _chunks(list(ids)):
        for mid, field, value, actor, at in db.execute(
            "SELECT mention_id, field, value, actor, at FROM mention_codes "
            "WHERE mention_id IN (SELECT value FROM json_each(?)) ORDER BY mention_id, field, value",
            [json.dumps(chunk)],
        ):
            out.setdefault(int(mid), {}).setdefault(field, []).append(
                {
                    "value": value,
                    "actor": actor,
                    "at": from_db(at).isoformat(),
                    "retired": is_retired(scheme, field, value),
                }
            )
    return out


def flat(codes: Mapping[str, list[dict[str, Any]]]) -> dict[str, list[str]]:
    """``{field: [value, …]}`` of one post's codes."""
    return {field: [c["value"] for c in items] for field, items in codes.items()}


def counts(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Posts per coded value, every scheme value included (zeros too), retired ones marked."""
    scheme = scheme_of(db)
    found: dict[tuple[str, str], int] = {
        (str(f), str(v)): int(n)
        for f, v, n in db.execute(
            "SELECT field, value, count(*) FROM mention_codes GROUP BY field, value"
        )
    }
    rows: list[dict[str, Any]] = []
    for name, f in scheme.items():
        if f.choice == "text":
            n = sum(c for (field, _), c in found.items() if field == name)
            rows.append({"field": name, "value": "(any text)", "posts": n, "retired": False})
            continue
        for v in f.values:
            rows.append(
                {"field": name, "value": v, "posts": found.get((name, v), 0), "retired": False}
            )
    for (field, value), n in sorted(found.items()):
        if is_retired(scheme, field, value) and not (
            field in scheme and scheme[field].choice == "text"
        ):
            rows.append({"field": field, "value": value, "posts": n, "retired": True})
    return rows


def history(db: sqlite_utils.Database, mention_id: int) -> list[dict[str, Any]]:
    """Every code set or unset on one post, oldest first."""
    return list(
        db.query(
            "SELECT at, actor, action, field, value FROM mention_code_audit WHERE mention_id = ? "
            "ORDER BY id",
            [mention_id],
        )
    )
