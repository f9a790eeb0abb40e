"""What issue 16 adds to a listed post, in one call for the CLI and the web console: its codes,
badges (watch lists, rules) and coordination signals, and for one post in full its removal and
coding history. Each part is read from its owning module."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from campaign.mentions import coding, compliance, rules, signals


def annotate(db: sqlite_utils.Database, posts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``posts`` (search results) with ``codes`` ({field: [values]}), ``retired`` ({field:
    [retired values]}), ``badges`` and ``signals`` added, in three queries for the page."""
    ids = [int(p["id"]) for p in posts]
    scheme = coding.scheme_of(db) if ids else {}
    codes = coding.codes_for(db, ids, scheme) if ids else {}
    badges = rules.badges_for(db, ids) if ids else {}
    found = signals.signals_for(db, ids) if ids else {}
    for p in posts:
        mine = codes.get(int(p["id"]), {})
        p["codes"] = coding.flat(mine)
        p["retired"] = {
            f: [c["value"] for c in items if c["retired"]]
            for f, items in mine.items()
            if any(c["retired"] for c in items)
        }
        p["badges"] = badges.get(int(p["id"]), [])
        p["signals"] = found.get(int(p["id"]), [])
    return posts


def detail(db: sqlite_utils.Database, mention_id: int) -> dict[str, Any]:
    """Everything issue 16 knows about one post: removal, codes in full, their history,
    badges and signals."""
    return {
        "removal": compliance.removal(db, mention_id),
        "codes": coding.codes_for(db, [mention_id]).get(mention_id, {}),
        "code_history": coding.history(db, mention_id),
        "badges": rules.badges_for(db, [mention_id]).get(mention_id, []),
        "signals": signals.signals_for(db, [mention_id]).get(mention_id, []),
    }
