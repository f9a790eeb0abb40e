"""The X API v2 endpoints the simulator answers, in X's JSON shapes and status codes."""

from __future__ import annotations

import base64
import binascii
import contextlib
import re
import socket
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote

from flask import Flask, Response, jsonify, request

from scheduler.simulator.query import QueryError, compile_query, index_tag
from scheduler.simulator.state import RequestRecord, SimState, Tweet, User

SEARCH_DAYS = 7
DUPLICATE = "You are not allowed to create a Tweet with duplicate content."
TOO_LONG = (
    "Your Tweet text is too long. For more information on how Twitter determines text length "
    "see https://github.com/twitter/twitter-text."
)
UNSUPPORTED_AUTH = (
    "Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.  Supported "
    "authentication types are [OAuth 1.0a User Context, OAuth 2.0 User Context]."
)
OAUTH_PARAM = re.compile(r'(\w+)="([^"]*)"')


class ApiError(Exception):
    """An answer other than success, already in X's shape."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body.get("detail", ""))
        self.status = status
        self.body = body


def problem(status: int, title: str, detail: str, kind: str = "about:blank") -> ApiError:
    """X's "problem" answer: ``{"title", "detail", "type", "status"}``."""
    return ApiError(status, {"title": title, "detail": detail, "type": kind, "status": status})


def invalid(param: str, value: str, message: str) -> ApiError:
    """X's 400 for a bad query parameter."""
    return ApiError(
        400,
        {
            "errors": [{"parameters": {param: [value]}, "message": message}],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": "https://api.twitter.com/2/problems/invalid-request",
        },
    )


def not_found(kind: str, value: str) -> dict[str, Any]:
    """One entry of ``errors`` in a 200 answer for a tweet or user that does not exist."""
    return {
        "value": value,
        "detail": f"Could not find {kind} with id: [{value}].",
        "title": "Not Found Error",
        "resource_type": kind,
        "parameter": "id",
        "resource_id": value,
        "type": "https://api.twitter.com/2/problems/resource-not-found",
    }


# -- authentication ---------------------------------------------------------------------------


class Caller:
    """Who is asking: the account (user context) or the app (bearer token)."""

    def __init__(self, kind: str, user: User | None) -> None:
        self.kind = kind
        self.user = user

    @property
    def key(self) -> str:
        """The rate-limit key: per user for user context, per app otherwise."""
        return f"user:{self.user.id}" if self.user is not None else "app"


def authenticate(state: SimState, header: str) -> Caller | None:
    """The caller named by an ``Authorization`` header, or None when it is missing or wrong."""
    creds = state.credentials
    scheme, _, rest = header.strip().partition(" ")
    if scheme == "Bearer":
        token = rest.strip()
        if token and token == creds.bearer_token:
            return Caller("app", None)
        if token and token == creds.user_bearer_token:
            return Caller("oauth2-user", state.account)
        return None
    if scheme == "OAuth":
        params = {k: unquote(v) for k, v in OAUTH_PARAM.findall(rest)}
        if (
            params.get("oauth_consumer_key") == creds.api_key
            and params.get("oauth_token") == creds.access_token
            and params.get("oauth_signature")
        ):
            return Caller("oauth1-user", state.account)
    return None


# -- parameters -------------------------------------------------------------------------------


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


# -- the endpoints ----------------------------------------------------------------------------

Handler = Callable[..., tuple[dict[str, Any], int]]


def register(
    app: Flask, state: SimState, wrap: Callable[[str, bool], Callable[[Handler], Any]]
) -> None:
    """Add X's endpoints to ``app``; ``wrap(group, user_only)`` adds auth, limits and faults."""

    @app.post("/2/tweets")
    @wrap("post", True)
    def create_tweet(caller: Caller) -> tuple[dict[str, Any], int]:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise ApiError(
                400,
                {
                    "errors": [{"message": "Request body must be a JSON object"}],
                    "title": "Invalid Request",
                    "detail": "One or more parameters to your request was invalid.",
                    "type": "https://api.twitter.com/2/problems/invalid-request",
                },
            )
        text = body.get("text", "")
        media = body.get("media") or {}
        media_ids = [str(m) for m in media.get("media_ids", [])] if isinstance(media, dict) else []
        if not isinstance(text, str) or (not text and not media_ids):
            raise ApiError(
                400,
                {
                    "errors": [{"message": "$.text: is missing but it is required"}],
                    "title": "Invalid Request",
                    "detail": "One or more parameters to your request was invalid.",
                    "type": "https://api.twitter.com/2/problems/invalid-request",
                },
            )
        from twitter_text import parse_tweet

        if text and not parse_tweet(text).valid:
            raise problem(403, "Forbidden", TOO_LONG)
        assert caller.user is not None
        reply = body.get("reply") or {}
        quote_id = body.get("quote_tweet_id")
        with state.lock:
            parent = None
            if isinstance(reply, dict) and reply.get("in_reply_to_tweet_id"):
                parent = state.tweets.get(str(reply["in_reply_to_tweet_id"]))
                if parent is None or parent.deleted:
                    raise problem(
                        403,
                        "Forbidden",
                        "You attempted to reply to a Tweet that is deleted or not visible to you.",
                    )
            quoted = None
            if quote_id:
                quoted = state.tweets.get(str(quote_id))
                if quoted is None or quoted.deleted:
                    raise problem(
                        403,
                        "Forbidden",
                        "You cannot quote a Tweet that is deleted or not visible to you.",
                    )
            if not state.accept_duplicates and state.is_duplicate(caller.user.id, text):
                raise problem(403, "Forbidden", DUPLICATE)
            tweet = state.make_tweet(
                caller.user, text, reply_to=parent, quote_of=quoted, media_ids=media_ids
            )
            drop = state.faults.drop_answer()
            mode, hang = state.faults.drop_mode, state.faults.hang_seconds
        if drop:
            if mode == "close":
                drop_connection()
            else:
                state.stopping.wait(hang)
        return {
            "data": {"id": tweet.id, "text": tweet.text, "edit_history_tweet_ids": [tweet.id]}
        }, 201

    @app.delete("/2/tweets/<tweet_id>")
    @wrap("delete", True)
    def delete_tweet(caller: Caller, tweet_id: str) -> tuple[dict[str, Any], int]:
        assert caller.user is not None
        with state.lock:
            tweet = state.tweets.get(tweet_id)
            if tweet is None or tweet.deleted:
                return {"data": {"deleted": False}, "errors": [not_found("tweet", tweet_id)]}, 200
            if tweet.author_id != caller.user.id:
                raise problem(403, "Forbidden", "You are not allowed to delete this Tweet.")
            state.delete(tweet)
        return {"data": {"deleted": True}}, 200

    @app.get("/2/users/me")
    @wrap("me", True)
    def users_me(caller: Caller) -> tuple[dict[str, Any], int]:
        assert caller.user is not None
        return {"data": caller.user.to_json(csv_param("user.fields"))}, 200

    @app.get("/2/users/<user_id>/tweets")
    @wrap("timeline", False)
    def user_tweets(caller: Caller, user_id: str) -> tuple[dict[str, Any], int]:
        max_results = int_param("max_results", 10, 5, 100)
        exclude = csv_param("exclude")
        with state.lock:
            if user_id not in state.users:
                return {"errors": [not_found("user", user_id)]}, 200

            def select(below: int | None) -> Iterator[Tweet]:
                for t in state.newest_first(user_id, below):
                    if "retweets" in exclude and t.is_type("retweeted"):
                        continue
                    if "replies" in exclude and t.is_type("replied_to"):
                        continue
                    yield t

            return page(state, select, max_results, "pagination_token"), 200

    @app.get("/2/tweets/<tweet_id>")
    @wrap("lookup", False)
    def tweet_lookup(caller: Caller, tweet_id: str) -> tuple[dict[str, Any], int]:
        with state.lock:
            tweet = state.tweets.get(tweet_id)
            if tweet is None or tweet.deleted:
                return {"errors": [not_found("tweet", tweet_id)]}, 200
            body: dict[str, Any] = {"data": tweet.to_json(csv_param("tweet.fields"))}
            includes = expand(state, [tweet])
            if includes:
                body["includes"] = includes
            return body, 200

    @app.get("/2/tweets")
    @wrap("lookup", False)
    def tweets_lookup(caller: Caller) -> tuple[dict[str, Any], int]:
        ids = [i for i in request.args.get("ids", "").split(",") if i]
        if not ids or len(ids) > 100:
            raise invalid(
                "ids",
                request.args.get("ids", ""),
                "The `ids` query parameter must name 1 to 100 ids",
            )
        with state.lock:
            found = [
                state.tweets[i] for i in ids if i in state.tweets and not state.tweets[i].deleted
            ]
            body: dict[str, Any] = {}
            if found:
                body["data"] = [t.to_json(csv_param("tweet.fields")) for t in found]
                includes = expand(state, found)
                if includes:
                    body["includes"] = includes
            missing = [i for i in ids if i not in {t.id for t in found}]
            if missing:
                body["errors"] = [not_found("tweet", i) for i in missing]
            return body, 200

    @app.get("/2/tweets/search/recent")
    @wrap("search", False)
    def search_recent(caller: Caller) -> tuple[dict[str, Any], int]:
        query = request.args.get("query")
        if query is None:
            raise invalid("query", "", "The `query` query parameter can not be empty")
        try:
            matches = compile_query(query)
            tag = index_tag(query)
        except QueryError as e:
            raise invalid("query", query, str(e)) from None
        max_results = int_param("max_results", 10, 10, 100)
        with state.lock:
            now = state.now()
            oldest = now - timedelta(days=SEARCH_DAYS)
            start = time_param("start_time")
            if start is not None and start < oldest:
                raw = request.args.get("start_time", "")
                raise invalid(
                    "start_time",
                    raw,
                    f"Invalid 'start_time':'{raw}'. 'start_time' must be on or after {oldest.strftime('%Y-%m-%dT%H:%MZ')}",
                )
            users = state.users

            def select(below: int | None) -> Iterator[Tweet]:
                for t in state.newest_first(None, below, tag):
                    if t.created_at < oldest:
                        return
                    if t.created_at <= now and matches(t, users):
                        yield t

            token = "next_token" if "next_token" in request.args else "pagination_token"
            return page(state, select, max_results, token), 200


def drop_connection() -> None:
    """Close the client's connection now, without an answer (the tweet is already made)."""
    sock = request.environ.get("werkzeug.socket")
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def make_response(body: dict[str, Any], status: int) -> Response:
    """A JSON answer; errors in X's problem shape go out as ``application/problem+json``."""
    resp = jsonify(body)
    resp.status_code = status
    if status >= 400 and "title" in body:
        resp.mimetype = "application/problem+json"
    return resp


def record(state: SimState, group: str, status: int, caller: Caller | None) -> None:
    state.record(
        RequestRecord(
            at=state.now(),
            method=request.method,
            path=request.full_path.rstrip("?"),
            group=group,
            status=status,
            auth=caller.kind if caller is not None else "none",
        )
    )
