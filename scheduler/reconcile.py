"""Settling a post whose fate is unknown, from the account's own timeline.

X has no idempotency key, so after a timeout, a dropped answer, a crash, a 5xx or a
"duplicate content" refusal, the only way to know whether a post went out is to look. The
timeline since the post's first claim is read once for all the posts being settled, and each
post is matched by its text with links masked: X rewrites every link to a t.co link, so both
sides have each link replaced by the same placeholder, HTML entities undone (X sends ``&amp;``),
Unicode normalised and whitespace collapsed. A match already recorded for another post is not
used twice; for a reply, a match replying to the parent's post is preferred.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from campaign.clock import from_db
from posts import queue
from posts.queue import Post

# Links as X (and twitter-text) recognise them: with a scheme, starting www., or a bare
# domain with a path or a common top-level domain. Matched greedily up to white space on both
# sides, so punctuation glued to a link is masked the same way on each.
URL_RE = re.compile(
    r"(?:https?://|www\.)\S+"
    r"|\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|edu|gov|int|info|io|co|uk|eu|ngo|news)\b\S*",
    re.IGNORECASE,
)
URL_MARK = "\x00URL\x00"

DEFAULT_SLACK = timedelta(seconds=60)  # clock difference between us and X that we tolerate


def masked(text: str) -> str:
    """``text`` as compared: entities undone, NFC, every link a placeholder, spaces collapsed."""
    text = unicodedata.normalize("NFC", html.unescape(text))
    text = URL_RE.sub(URL_MARK, text)
    return " ".join(text.split())


@dataclass(frozen=True)
class Match:
    """The timeline post found for a queue post (``tweet_id`` None: not on the timeline)."""

    post_id: int
    tweet_id: str | None
    created_at: datetime | None = None
    also: tuple[str, ...] = ()  # further matching ids: the text went out more than once


def _created(t: dict[str, Any]) -> datetime | None:
    raw = t.get("created_at")
    if not raw:
        return None
    try:
        return from_db(str(raw).replace("Z", "+00:00"))
    except ValueError:
        return None


def _replied_to(t: dict[str, Any]) -> str | None:
    for ref in t.get("referenced_tweets") or []:
        if isinstance(ref, dict) and ref.get("type") == "replied_to":
            return str(ref.get("id"))
    return None


def match_posts(
    posts: Sequence[Post],
    timeline: Iterable[dict[str, Any]],
    *,
    taken: set[str] | frozenset[str] = frozenset(),
    parents: dict[int, str | None] | None = None,
) -> list[Match]:
    """Pair each post with its timeline post, if any (pure: no database, no network).

    ``taken`` holds tweet ids already recorded for other posts; ``parents`` maps a reply's
    post id to its parent's tweet id.
    """
    by_text: dict[str, list[dict[str, Any]]] = {}
    for t in timeline:
        if "id" in t and "text" in t:
            by_text.setdefault(masked(str(t["text"])), []).append(t)
    for group in by_text.values():
        group.sort(key=lambda t: int(str(t["id"])) if str(t["id"]).isdigit() else 0)
    used = set(taken)
    out: list[Match] = []
    for post in sorted(posts, key=lambda p: (p.claimed_at or p.scheduled_at, p.id)):
        candidates = [t for t in by_text.get(masked(post.text), []) if str(t["id"]) not in used]
        parent = (parents or {}).get(post.id)
        if parent:
            replies = [t for t in candidates if _replied_to(t) == parent]
            candidates = replies or candidates
        if not candidates:
            out.append(Match(post.id, None))
            continue
        first = candidates[0]
        ids = [str(t["id"]) for t in candidates]
        used.add(ids[0])
        out.append(Match(post.id, ids[0], _created(first), tuple(ids[1:])))
    return out


# The audit-trail and tweet-id queries belong to the queue (posts/ owns the posts table).
first_claim = queue.first_claim
taken_ids = queue.tweet_ids
