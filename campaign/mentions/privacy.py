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

    def text(self, text: str) -> str:
        """``text`` with each @handle replaced by its pseudonym."""
        return _HANDLE.sub(lambda m: "@" + self.of(m.group(1)), text)


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
