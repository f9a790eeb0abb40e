"""Our answers to the collected conversation: which collected posts we replied to or quoted,
and where that answer is (issue 11).

The posts table stays :mod:`posts.queue`'s; this only shapes what it returns for the mentions'
CLI and console ("replied", with a link to our reply).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from posts import queue
from posts.queue import PostStatus


def x_url(tweet_id: str) -> str:
    """A post's address on X (``i`` stands for the account, as X accepts)."""
    return f"https://x.com/i/status/{tweet_id}"


@dataclass(frozen=True)
class Replied:
    """Our newest answer to one collected post."""

    post_id: int
    kind: str  # reply or quote
    status: PostStatus
    tweet_id: str | None
    count: int  # how many answers (not cancelled) we have to it

    @property
    def url(self) -> str | None:
        """Our answer on X, once published."""
        return x_url(self.tweet_id) if self.tweet_id else None

    @property
    def label(self) -> str:
        """``replied``/``quoted`` once out, else ``reply draft`` …: what the inbox shows."""
        done = "replied" if self.kind == "reply" else "quoted"
        if self.status == PostStatus.PUBLISHED:
            return done
        noun = "reply" if self.kind == "reply" else "quote"
        return f"{noun} {self.status}"

    def to_json(self) -> dict[str, Any]:
        return {
            "post_id": self.post_id,
            "kind": self.kind,
            "status": self.status,
            "tweet_id": self.tweet_id,
            "url": self.url,
            "label": self.label,
            "count": self.count,
        }


def replied(db: sqlite_utils.Database, mention_ids: Iterable[int | str]) -> dict[str, Replied]:
    """For each collected post we answered, our newest answer (a published one first)."""
    out: dict[str, Replied] = {}
    for target, answers in queue.answers_to(db, (str(i) for i in mention_ids)).items():
        out_first = [a for a in answers if a.status == PostStatus.PUBLISHED] or answers
        a = out_first[-1]
        out[target] = Replied(a.post_id, a.kind, a.status, a.tweet_id, len(answers))
    return out
