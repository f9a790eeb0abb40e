"""What an answer from X must look like before the tool uses any of it.

X's v2 JSON is read through these functions only, so a broken or hostile server (wrong types,
ids of forty digits, a reset time in the year 3000, ten thousand posts on a page of 100) can
never reach the database or end in a traceback. A page whose frame is wrong (``data`` not a
list, ``meta`` not an object, a ``next_token`` that is not a short string, more posts than asked
for) is :class:`MalformedAnswer`, a :class:`~scheduler.xerrors.NoAnswer`: for a post, an
unclear outcome that is checked against the timeline. One bad item in a good page is dropped
and counted; every good item is kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from campaign.clock import UTC, now
from scheduler.xerrors import NoAnswer

MAX_ID = 2**63 - 1  # X's ids are 64-bit snowflakes below 2**63; SQLite's INTEGER holds no more
MAX_COUNT = 2**53  # public metrics: a count no larger than a float holds exactly
MAX_TOKEN_LEN = 512  # X's next_token is a few dozen characters
MAX_TEXT_LEN = 100_000  # a long post is 25,000 characters; anything longer is not a post
MAX_RATE_WAIT = timedelta(hours=24)  # X's longest rate-limit window (posts per 24 hours)
_TOKEN = re.compile(r"[A-Za-z0-9_\-.=+/:]+")
_ID_FIELDS = ("author_id", "conversation_id", "in_reply_to_user_id")
_TEXT_FIELDS = ("created_at", "lang", "username", "name", "description", "location")


class MalformedAnswer(NoAnswer):
    """X's answer was not the shape X's API documents: nothing in it can be trusted."""

    def __init__(self, what: str, why: str) -> None:
        super().__init__(f"X's answer when trying to {what} was malformed: {why}")


def x_id(value: Any) -> str | None:
    """``value`` as X's id string if it is one (digits, or a whole number, below 2**63)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value) if 0 < value <= MAX_ID else None
    if isinstance(value, str) and 0 < len(value) <= 19 and value.isascii() and value.isdigit():
        number = int(value)
        return str(number) if 0 < number <= MAX_ID else None
    return None


def _count(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 <= value <= MAX_COUNT else None


def _metrics(value: Any) -> dict[str, int] | None:
    if not isinstance(value, dict):
        return None
    counts = {str(k): _count(v) for k, v in value.items() if isinstance(k, str)}
    return {k: v for k, v in counts.items() if v is not None}


def _short_text(value: Any, limit: int = 1_000) -> str | None:
    return value if isinstance(value, str) and len(value) <= limit else None


MAX_DEPTH = 32  # how deep a post's JSON may nest (X's is 4 or 5 levels)


class _TooDeep(Exception):
    "nested deeper than MAX_DEPTH"


def _text(value: str) -> str:
    """``value`` with each lone surrogate (which UTF-8 and SQLite cannot hold) as U+FFFD."""
    if value.isascii():
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return value


def _sound(value: Any, depth: int = 0) -> Any:
    """A copy of JSON ``value`` whose strings are valid Unicode (:func:`_text`);
    :class:`_TooDeep` past :data:`MAX_DEPTH`."""
    kind = type(value)
    if kind is str:
        return _text(value)
    if kind is dict:
        if depth >= MAX_DEPTH:
            raise _TooDeep
        return {_text(k): _sound(v, depth + 1) for k, v in value.items()}
    if kind is list:
        if depth >= MAX_DEPTH:
            raise _TooDeep
        return [_sound(v, depth + 1) for v in value]
    return value  # None, bool, int, float: JSON's scalars


def _clean_common(item: dict[str, Any]) -> dict[str, Any]:
    """The fields the tool reads, each of the right type or left out (the rest kept as sent)."""
    out = dict(item)
    for key in _ID_FIELDS:
        if key in out and x_id(out[key]) is None:
            del out[key]
        elif key in out:
            out[key] = x_id(out[key])
    for key in _TEXT_FIELDS:
        if key in out and _short_text(out[key]) is None:
            del out[key]
    for key in ("public_metrics", "non_public_metrics"):
        if key in out:
            metrics = _metrics(out[key])
            if metrics is None:
                del out[key]
            else:
                out[key] = metrics
    return out


def clean_tweet(item: Any) -> dict[str, Any] | None:
    """One v2 post with a valid id and text, its other fields checked; None if it is not one."""
    if not isinstance(item, dict):
        return None
    try:
        item = _sound(item)
    except _TooDeep:
        return None
    tid = x_id(item.get("id"))
    text = item.get("text")
    if tid is None or not isinstance(text, str) or len(text) > MAX_TEXT_LEN:
        return None
    out = _clean_common(item)
    out["id"] = tid
    refs = out.get("referenced_tweets")
    if refs is not None:
        good = (
            [
                {"type": r["type"], "id": x_id(r.get("id"))}
                for r in refs
                if isinstance(r, dict) and isinstance(r.get("type"), str) and x_id(r.get("id"))
            ]
            if isinstance(refs, list)
            else []
        )
        if good:
            out["referenced_tweets"] = good
        else:
            del out["referenced_tweets"]
    if "entities" in out and not isinstance(out["entities"], dict):
        del out["entities"]
    return out


def clean_user(item: Any) -> dict[str, Any] | None:
    """One v2 user with a valid id, its other fields checked; None if it is not one."""
    if not isinstance(item, dict):
        return None
    try:
        item = _sound(item)
    except _TooDeep:
        return None
    uid = x_id(item.get("id"))
    if uid is None:
        return None
    out = _clean_common(item)
    out["id"] = uid
    return out


@dataclass(frozen=True)
class Page:
    """The checked parts of one page of posts (search or timeline)."""

    tweets: list[dict[str, Any]]
    users: dict[str, dict[str, Any]]
    included_tweets: dict[str, dict[str, Any]]
    errors: list[dict[str, Any]]
    meta: dict[str, Any]
    next_token: str | None
    newest_id: str | None
    skipped: int  # items dropped because they were not valid posts or users


def _list(body: dict[str, Any], key: str, what: str) -> list[Any]:
    value = body.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise MalformedAnswer(what, f"{key!r} is not a list")
    return value


def parse_page(body: Any, what: str, *, max_items: int) -> Page:
    """A page of posts from X's JSON ``body``; :class:`MalformedAnswer` if its frame is wrong."""
    if not isinstance(body, dict):
        raise MalformedAnswer(what, "not a JSON object")
    data = _list(body, "data", what)
    if len(data) > max_items:
        raise MalformedAnswer(what, f"{len(data)} posts on a page of at most {max_items}")
    includes = body.get("includes") or {}
    if not isinstance(includes, dict):
        raise MalformedAnswer(what, "'includes' is not an object")
    meta = body.get("meta") or {}
    if not isinstance(meta, dict):
        raise MalformedAnswer(what, "'meta' is not an object")
    token = meta.get("next_token")
    if token is not None and not (
        isinstance(token, str) and len(token) <= MAX_TOKEN_LEN and _TOKEN.fullmatch(token)
    ):
        raise MalformedAnswer(what, "its next_token is not a short token")
    newest = meta.get("newest_id")
    if newest is not None and x_id(newest) is None:
        raise MalformedAnswer(what, "its newest_id is not a post id")
    raw_users = includes.get("users") or []
    raw_included = includes.get("tweets") or []
    if not isinstance(raw_users, list) or not isinstance(raw_included, list):
        raise MalformedAnswer(what, "its 'includes' are not lists")
    if len(raw_users) > 10 * max_items or len(raw_included) > 10 * max_items:
        raise MalformedAnswer(what, "more expanded users or posts than a page can refer to")
    tweets = [t for t in (clean_tweet(x) for x in data) if t is not None]
    users = [u for u in (clean_user(x) for x in raw_users) if u is not None]
    included = [t for t in (clean_tweet(x) for x in raw_included) if t is not None]
    errors = [e for e in _list(body, "errors", what)[: 10 * max_items] if isinstance(e, dict)]
    skipped = (len(data) - len(tweets)) + (len(raw_users) - len(users))
    skipped += len(raw_included) - len(included)
    return Page(
        tweets=tweets,
        users={u["id"]: u for u in users},
        included_tweets={t["id"]: t for t in included},
        errors=errors,
        meta={
            k: v
            for k, v in meta.items()
            if k in ("result_count", "newest_id", "oldest_id", "next_token")
        },
        next_token=token or None,
        newest_id=x_id(newest),
        skipped=skipped,
    )


def reset_time(value: Any, at: datetime | None = None) -> datetime | None:
    """``x-rate-limit-reset`` (epoch seconds) as a time no later than :data:`MAX_RATE_WAIT`
    from ``at`` (default now); None if it is not a whole number."""
    if isinstance(value, str):
        value = value.strip()
        if not (value.isascii() and value.isdigit() and len(value) <= 20):
            return None
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    at = at or now()
    latest = at + MAX_RATE_WAIT
    if value >= int(latest.timestamp()):
        return latest
    return datetime.fromtimestamp(max(0, value), UTC)


def header_count(value: Any) -> int | None:
    """An ``x-rate-limit-limit``/``-remaining`` header as a count, None if it is not one."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not (value.isascii() and value.isdigit() and len(value) <= 15):
        return None
    return int(value)
