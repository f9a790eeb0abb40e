"""Privacy: pseudonymised exports and a retention period for post text.

- :class:`Pseudonyms`: a keyed hash (HMAC-SHA256) of each account, with a fresh random key per
  export that is never stored or shown. Within one export an account is always the same
  pseudonym (so the network and counts still hold); across exports the pseudonyms differ, so
  two files cannot be joined on them.
- :func:`redact_expired`: a set number of days after the campaign ends, post text (and the
  raw JSON, links and hashtags) is redacted; counts, times, our review, notes and codes stay.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from campaign.mentions.compliance import Removal, apply_removals

_HANDLE = re.compile(r"(?<![\w@])@(\w{1,15})")


class Pseudonyms:
    """Stable pseudonyms for one export: ``user-`` and 12 hex digits of a keyed hash."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key or secrets.token_bytes(32)

    def __repr__(self) -> str:
        return "Pseudonyms(key=hidden)"

    def of(self, account: str | int | None) -> str:
        """The pseudonym of an account id or username (case-insensitive); '' for none."""
        if account is None or account == "":
            return ""
        digest = hmac.new(self._key, str(account).lower().encode(), hashlib.sha256).hexdigest()
        return f"user-{digest[:12]}"

    def account(self, user_id: Any, username: str | None) -> str:
        """An account's pseudonym: by username when known (so it matches the @handles in
        texts), else by id."""
        return self.of(username.lstrip("@") if username else user_id)

    def text(self, text: str) -> str:
        """``text`` with each @handle replaced by its pseudonym."""
        return _HANDLE.sub(lambda m: "@" + self.of(m.group(1)), text)

    def post(self, d: dict[str, Any]) -> dict[str, Any]:
        """The author fields of a listed post (``row_to_dict``) as pseudonyms."""
        from campaign.mentions.search import url_for

        who = self.account(d.get("author_id"), d.get("author_username"))
        return {
            "author_id": who,
            "author_username": who,
            "author_name": "",
            "text": self.text(str(d.get("text") or "")),
            "url": url_for(None, d["id"]),
        }

    def tweet(self, raw: dict[str, Any], username: str | None = None) -> dict[str, Any]:
        """X's tweet reduced to what carries no identity: text with pseudonymous @handles,
        times, language, references, metrics, hashtags and links; the author as a pseudonym."""
        found = raw.get("entities")
        entities: dict[str, Any] = found if isinstance(found, dict) else {}
        out: dict[str, Any] = {
            k: raw[k]
            for k in ("id", "created_at", "lang", "conversation_id", "referenced_tweets",
                      "public_metrics")
            if k in raw
        }  # fmt: skip
        out["text"] = self.text(str(raw.get("text") or ""))
        out["author_id"] = self.account(raw.get("author_id"), username)
        if raw.get("in_reply_to_user_id"):
            out["in_reply_to_user_id"] = self.of(raw["in_reply_to_user_id"])
        kept = {k: entities[k] for k in ("hashtags", "urls") if k in entities}
        if kept:
            out["entities"] = kept
        return out


def retention_due(ends_at: datetime, days: int | None, at: datetime) -> bool:
    """Whether text kept ``days`` after ``ends_at`` must be redacted at ``at``."""
    return days is not None and at >= ends_at + timedelta(days=days)


def redact_if_due(db: sqlite_utils.Database, at: datetime) -> int | None:
    """Redact post text when the campaign's retention period is over at ``at``; how many
    posts were redacted, or None when it is not due (or no retention is set)."""
    from campaign.mentions.settings import retention

    days, ends_at = retention(db)
    if ends_at is None or not retention_due(ends_at, days, at):
        return None
    return redact_expired(db)


def redact_expired(db: sqlite_utils.Database) -> int:
    """Redact every post's text still kept (reason ``retention``); how many were redacted."""
    ids = [int(r[0]) for r in db.execute("SELECT id FROM mentions WHERE removed IS NULL")]
    result = apply_removals(db, [Removal(i, "retention") for i in ids])
    return result.removed
