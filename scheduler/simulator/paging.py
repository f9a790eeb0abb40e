"""Reading X's query parameters and shaping lists of tweets: fields, expansions, paging tokens,
``since_id``/``until_id``/``start_time``/``end_time`` and ``meta``."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

from flask import request

from scheduler.simulator.answers import invalid
from scheduler.simulator.state import SimState, Tweet, User


def csv_param(name: str) -> set[str]:
    raw = request.args.get(name, "")
    return {p.strip() for p in raw.split(",") if p.strip()}


def int_param(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid(
            name, raw, f"The `{name}` query parameter value [{raw}] is not a number"
        ) from None
    if not low <= value <= high:
        raise invalid(
            name, raw, f"The `{name}` query parameter value [{raw}] is not between {low} and {high}"
        )
    return value


def id_param(name: str) -> int | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    if not raw.isdigit():
        raise invalid(
            name, raw, f"The `{name}` query parameter value [{raw}] does not match ^[0-9]{{1,19}}$"
        )
    return int(raw)


def time_param(name: str) -> datetime | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    try:
        dt = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise invalid(
            name,
            raw,
            f"Invalid '{name}':'{raw}'. '{name}' must be an ISO 8601 time, e.g. 2026-12-06T14:00:00Z",
        ) from None
    if dt.tzinfo is None:
        raise invalid(name, raw, f"Invalid '{name}':'{raw}'. '{name}' needs a UTC offset or Z")
    return dt


def encode_token(boundary: int) -> str:
    """An opaque paging token meaning "older than ``boundary``"."""
    return base64.b32encode(f"sim:{boundary}".encode()).decode().rstrip("=").lower()


def decode_token(name: str) -> int | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    try:
        padded = raw.upper() + "=" * (-len(raw) % 8)
        text = base64.b32decode(padded).decode()
        if not text.startswith("sim:"):
            raise ValueError(text)
        return int(text[4:])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise invalid(
            name, raw, f"The `{name}` query parameter value [{raw}] is not valid"
        ) from None


# -- shaping answers --------------------------------------------------------------------------


def expand(state: SimState, tweets: list[Tweet]) -> dict[str, Any]:
    """The ``includes`` for ``tweets`` under the request's ``expansions``."""
    expansions = csv_param("expansions")
    tweet_fields = csv_param("tweet.fields")
    user_fields = csv_param("user.fields")
    includes: dict[str, Any] = {}
    users: dict[str, User] = {}
    ref_tweets: dict[str, Tweet] = {}

    def add_user(uid: str | None) -> None:
        if uid is not None and uid in state.users:
            users.setdefault(uid, state.users[uid])

    if "referenced_tweets.id" in expansions:
        for t in tweets:
            for ref in t.referenced_tweets:
                rt = state.tweets.get(ref["id"])
                if rt is not None and not rt.deleted:
                    ref_tweets.setdefault(rt.id, rt)
    for t in tweets:
        if "author_id" in expansions:
            add_user(t.author_id)
        if "in_reply_to_user_id" in expansions:
            add_user(t.in_reply_to_user_id)
        if "entities.mentions.username" in expansions:
            for m in t.entities.get("mentions", []):
                add_user(m.get("id"))
    if "referenced_tweets.id.author_id" in expansions:
        for rt in ref_tweets.values():
            add_user(rt.author_id)
    if users:
        includes["users"] = [u.to_json(user_fields) for u in users.values()]
    if ref_tweets:
        includes["tweets"] = [t.to_json(tweet_fields) for t in ref_tweets.values()]
    if "attachments.media_keys" in expansions:
        media = [{"media_key": f"3_{m}", "type": "photo"} for t in tweets for m in t.media_ids]
        if media:
            includes["media"] = media
    return includes


def page(
    state: SimState,
    select: Callable[[int | None], Iterable[Tweet]],
    max_results: int,
    token_name: str,
) -> dict[str, Any]:
    """A page of answers with ``meta`` and ``includes``. ``select(below)`` gives the matching
    tweets newest first with ids under ``below`` (from ``until_id`` and the paging token)."""
    bounds = [b for b in (decode_token(token_name), id_param("until_id")) if b is not None]
    chosen: list[Tweet] = []
    more = False
    for t in window_filter(select(min(bounds) if bounds else None)):
        if len(chosen) == max_results:
            more = True
            break
        chosen.append(t)
    body: dict[str, Any] = {}
    meta: dict[str, Any] = {"result_count": len(chosen)}
    if chosen:
        fields = csv_param("tweet.fields")
        body["data"] = [t.to_json(fields) for t in chosen]
        includes = expand(state, chosen)
        if includes:
            body["includes"] = includes
        meta = {"newest_id": chosen[0].id, "oldest_id": chosen[-1].id, "result_count": len(chosen)}
        if more:
            meta["next_token"] = encode_token(chosen[-1].num)
    body["meta"] = meta
    return body


def window_filter(tweets: Iterable[Tweet]) -> Iterator[Tweet]:
    """Apply ``since_id``, ``start_time`` and ``end_time`` to tweets given newest first (ids and
    times run together, so the walk stops at the first one too old)."""
    since_id = id_param("since_id")
    start = time_param("start_time")
    end = time_param("end_time")
    for t in tweets:
        if since_id is not None and t.num <= since_id:
            return
        if start is not None and t.created_at < start:
            return
        if end is not None and t.created_at >= end:
            continue
        yield t
