"""The X API v2 endpoints the simulator answers, in X's JSON shapes and status codes."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

from flask import Flask, request

from scheduler.simulator.answers import invalid, invalid_request, not_found, problem, unseen
from scheduler.simulator.auth import Caller
from scheduler.simulator.paging import csv_param, expand, int_param, page, time_param
from scheduler.simulator.query import QueryError, compile_query, index_tag
from scheduler.simulator.state import (
    NON_PUBLIC_DAYS,
    UPLOAD_SECONDS,
    RequestRecord,
    SimState,
    Tweet,
    Upload,
    grown_metrics,
)

SEARCH_DAYS = 7
REPLIES_LIMITED = (
    "Reply to this conversation is not allowed because you have not been mentioned or "
    "otherwise engaged by the author of the post you are replying to."
)
DUPLICATE = "You are not allowed to create a Tweet with duplicate content."
TOO_LONG = (
    "Your Tweet text is too long. For more information on how Twitter determines text length "
    "see https://github.com/twitter/twitter-text."
)

# The image types an upload may declare, and how their bytes begin (WebP: RIFF…WEBP).
IMAGE_TYPES = {
    "image/png": b"\x89PNG",
    "image/jpeg": b"\xff\xd8",
    "image/gif": b"GIF8",
    "image/webp": b"RIFF",
}

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
            raise invalid_request({"message": "Request body must be a JSON object"})
        text = body.get("text", "")
        media = body.get("media") or {}
        media_ids = [str(m) for m in media.get("media_ids", [])] if isinstance(media, dict) else []
        if not isinstance(text, str) or (not text and not media_ids):
            raise invalid_request({"message": "$.text: is missing but it is required"})
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
                if not may_reply(parent, caller.user.id, caller.user.username):
                    raise problem(403, "Forbidden", REPLIES_LIMITED)
            quoted = None
            if quote_id:
                quoted = state.tweets.get(str(quote_id))
                if quoted is None or quoted.deleted:
                    raise problem(
                        403,
                        "Forbidden",
                        "You cannot quote a Tweet that is deleted or not visible to you.",
                    )
            if len(media_ids) > 4:
                raise invalid_request({"message": "$.media.media_ids: must have at most 4 items"})
            alts: list[str] = []
            for media_id in media_ids:
                upload = state.uploads.get(media_id)
                if (
                    upload is None
                    or upload.expired(state.now())
                    or upload.owner_id != caller.user.id
                ):
                    raise invalid_request(
                        {"message": f"Your media IDs are invalid: media id {media_id} not found."}
                    )
                alts.append(upload.alt_text)
            if not state.accept_duplicates and state.is_duplicate(caller.user.id, text):
                raise problem(403, "Forbidden", DUPLICATE)
            tweet = state.make_tweet(
                caller.user, text, reply_to=parent, quote_of=quoted, media_ids=media_ids
            )
            tweet.media_alt = alts
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

    @app.post("/2/media/upload")
    @wrap("media", True)
    def upload_media(caller: Caller) -> tuple[dict[str, Any], int]:
        import base64
        import binascii

        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("media"), str):
            raise invalid_request({"message": "$.media: is missing but it is required"})
        try:
            data = base64.b64decode(body["media"], validate=True)
        except (binascii.Error, ValueError):
            raise invalid_request({"message": "$.media: is not valid base64"}) from None
        media_type = body.get("media_type")
        if media_type not in IMAGE_TYPES or not data.startswith(IMAGE_TYPES[media_type]):
            raise invalid_request({"message": "$.media_type: media type unrecognized."})
        if len(data) > 5 * 1024 * 1024:
            raise invalid_request({"message": "$.media: File size exceeds 5242880 bytes."})
        assert caller.user is not None
        with state.lock:
            at = state.now()
            media_id = state.new_id(at)
            state.uploads[media_id] = Upload(media_id, caller.user.id, media_type, len(data), at)
        return {
            "data": {
                "id": media_id,
                "media_key": f"3_{media_id}",
                "size": len(data),
                "expires_after_secs": UPLOAD_SECONDS,
                "image": {"image_type": media_type},
            }
        }, 200

    @app.post("/2/media/metadata")
    @wrap("media", True)
    def media_metadata(caller: Caller) -> tuple[dict[str, Any], int]:
        body = request.get_json(silent=True)
        media_id = body.get("id") if isinstance(body, dict) else None
        meta = body.get("metadata") if isinstance(body, dict) else None
        alt = meta.get("alt_text") if isinstance(meta, dict) else None
        text = alt.get("text") if isinstance(alt, dict) else None
        if not isinstance(media_id, str) or not isinstance(text, str):
            raise invalid_request({"message": "$.id and $.metadata.alt_text.text are required"})
        if len(text) > 1000:
            raise invalid_request({"message": "$.metadata.alt_text.text: at most 1000 characters"})
        with state.lock:
            upload = state.uploads.get(media_id)
            if (
                upload is None
                or upload.expired(state.now())
                or upload.owner_id != (caller.user.id if caller.user else None)
            ):
                raise invalid_request({"message": f"media id {media_id} not found"})
            upload.alt_text = text
        return {"data": {"id": media_id, "associated_metadata": {"alt_text": {"text": text}}}}, 200

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
            gone = state.gone_reason(tweet_id)
            if gone is not None:
                return {"errors": [unseen(gone, tweet_id)]}, 200
            tweet = state.tweets[tweet_id]
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
            gone = {i: r for i in ids if (r := state.gone_reason(i)) is not None}
            found = [state.tweets[i] for i in ids if i not in gone]
            body: dict[str, Any] = {}
            fields = csv_param("tweet.fields")
            refused: list[dict[str, Any]] = []
            if found:
                body["data"] = [t.to_json(fields) for t in found]
                for tweet, out in zip(found, body["data"], strict=True):
                    refused += _metrics(state, caller, tweet, out, fields)
                includes = expand(state, found)
                if includes:
                    body["includes"] = includes
            if gone or refused:
                body["errors"] = [unseen(r, i) for i, r in gone.items()] + refused
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


def may_reply(parent: Tweet, user_id: str, username: str) -> bool:
    """Whether the account may reply to ``parent`` under its author's reply settings (the
    simulator treats "following" as "mentioned": nobody follows the campaign account)."""
    if parent.reply_settings == "everyone" or parent.author_id == user_id:
        return True
    mentioned = {str(m.get("username", "")).lower() for m in parent.entities.get("mentions", [])}
    return username.lower() in mentioned


NON_PUBLIC_REFUSED = (
    "Sorry, you are not authorized to access 'non_public_metrics' on a Tweet when it is older "
    "than 30 days."
)


def _metrics(
    state: SimState, caller: Caller, tweet: Tweet, out: dict[str, Any], fields: set[str]
) -> list[dict[str, Any]]:
    """Fill ``out``'s metrics as X would at the simulator's time: the account's own posts' grow
    with their age; non-public ones only in user context, for the caller's own posts under 30
    days old (else a Field Authorization Error, the post still served). The refusals."""
    if tweet.source != "api":
        return []
    public, private = grown_metrics(tweet, state.now())
    if "public_metrics" in fields:
        out["public_metrics"] = public
    if "non_public_metrics" not in fields:
        return []
    own = caller.user is not None and caller.user.id == tweet.author_id
    young = state.now() - tweet.created_at < timedelta(days=NON_PUBLIC_DAYS)
    if own and young:
        out["non_public_metrics"] = private
        return []
    return [
        {
            "value": tweet.id,
            "detail": NON_PUBLIC_REFUSED
            if own
            else "Sorry, you are not authorized to access 'non_public_metrics' on this Tweet.",
            "title": "Field Authorization Error",
            "resource_type": "tweet",
            "parameter": "tweet.fields",
            "field": "non_public_metrics",
            "resource_id": tweet.id,
            "section": "data",
            "type": "https://api.twitter.com/2/problems/not-authorized-for-field",
        }
    ]
