"""The control API under ``/_sim/``: how tests, the demo and rehearsals tell the simulator what
to do. No authentication (it listens on the loopback interface only). See
:mod:`scheduler.simulator` for every control."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, request

from scheduler.simulator.faults import FaultSpecError
from scheduler.simulator.state import SimState, iso

Answer = tuple[dict[str, Any] | list[Any], int]


def bad(message: str) -> Answer:
    return {"error": message}, 400


def body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


def register(app: Flask, state: SimState) -> None:
    """Add the ``/_sim/`` routes to ``app``."""

    @app.get("/_sim/health")
    def health() -> Answer:
        return {"ok": True, "account": state.account.to_json({"public_metrics"})}, 200

    @app.get("/_sim/tweets")
    def tweets() -> Answer:
        source = request.args.get("source")
        author = request.args.get("author_id")
        with state.lock:
            out = [
                t.to_control_json()
                for num in state.order
                if (t := state.tweets[str(num)])
                and (source is None or t.source == source)
                and (author is None or t.author_id == author)
            ]
        return out, 200

    @app.post("/_sim/tweets/<tweet_id>/delete")
    def delete_as_author(tweet_id: str) -> Answer:
        """Delete a post as its author would in the X app (any author)."""
        with state.lock:
            tweet = state.tweets.get(tweet_id)
            if tweet is None:
                return bad(f"no tweet {tweet_id}")
            state.delete(tweet)
        return {"ok": True}, 200

    @app.post("/_sim/users/<user_id>")
    def change_user(user_id: str) -> Answer:
        """Set an account's ``protected``, ``suspended`` or ``locked`` flag. The simulated
        campaign account locked or suspended has every request made as it refused (403)."""
        spec = body()
        with state.lock:
            user = state.users.get(user_id)
            if user is None:
                return bad(f"no user {user_id}")
            for key in ("protected", "suspended", "locked"):
                if key in spec:
                    setattr(user, key, bool(spec[key]))
            return user.to_json({"protected"}) | {
                "suspended": user.suspended,
                "locked": user.locked,
            }, 200

    @app.post("/_sim/compliance")
    def compliance_settings() -> Answer:
        """``{"polls": N}``: a job answers in_progress N times before it completes."""
        spec = body()
        with state.lock:
            try:
                state.compliance_polls = max(0, int(spec.get("polls", state.compliance_polls)))
            except (TypeError, ValueError):
                return bad("'polls' must be a whole number")
            return {"polls": state.compliance_polls}, 200

    @app.post("/_sim/tweets/<tweet_id>")
    def change_tweet(tweet_id: str) -> Answer:
        """Change a stored tweet as its author would: ``{"deleted": true}``, or
        ``{"reply_settings": "mentionedUsers"}`` (who may reply)."""
        spec = body()
        with state.lock:
            tweet = state.tweets.get(tweet_id)
            if tweet is None:
                return bad(f"no tweet {tweet_id}")
            settings = spec.get("reply_settings")
            if settings is not None:
                if settings not in ("everyone", "mentionedUsers", "following"):
                    return bad("reply_settings: everyone, mentionedUsers or following")
                tweet.reply_settings = str(settings)
            if spec.get("deleted"):
                state.delete(tweet)
            return tweet.to_control_json(), 200

    @app.get("/_sim/users")
    def users() -> Answer:
        fields = {"public_metrics", "created_at", "description", "verified"}
        with state.lock:
            return [u.to_json(fields) for u in state.users.values()], 200

    @app.get("/_sim/requests")
    def requests_log() -> Answer:
        with state.lock:
            return [r.to_json() for r in state.requests], 200

    @app.delete("/_sim/requests")
    def clear_requests() -> Answer:
        with state.lock:
            state.requests.clear()
        return {"ok": True}, 200

    @app.get("/_sim/faults")
    def get_faults() -> Answer:
        with state.lock:
            out = state.faults.to_json()
            out["accept_duplicates"] = state.accept_duplicates
            out["latency"] = state.latency
        return out, 200

    @app.post("/_sim/faults")
    def set_faults() -> Answer:
        spec = body()
        with state.lock:
            trial = copy.deepcopy(state.faults)  # all or nothing: a bad key changes nothing
            try:
                trial.update(spec, state.now())
                latency = float(spec.get("latency", state.latency))
                if latency < 0:
                    raise ValueError(latency)
            except FaultSpecError as e:
                return bad(str(e))
            except (TypeError, ValueError):
                return bad("'latency' must be a number of seconds, 0 or more")
            state.faults = trial
            state.latency = latency
            if "accept_duplicates" in spec:
                state.accept_duplicates = bool(spec["accept_duplicates"])
            elif spec.get("clear"):
                state.accept_duplicates = state.started_with[0]
        return get_faults()

    @app.delete("/_sim/faults")
    def clear_faults() -> Answer:
        with state.lock:
            state.faults.update({"clear": True}, state.now())
            state.accept_duplicates, state.latency = state.started_with
        return get_faults()

    @app.get("/_sim/limits")
    def get_limits() -> Answer:
        with state.lock:
            return {g: {"limit": lim, "window": win} for g, (lim, win) in state.limits.items()}, 200

    @app.post("/_sim/limits")
    def set_limits() -> Answer:
        spec = body()
        usage = f"limits are set per group ({', '.join(state.limits)}) as {{'limit': N, 'window': seconds}}"
        with state.lock:
            changed: dict[str, tuple[int, int]] = {}  # all or nothing: a bad group changes none
            for group, value in spec.items():
                if group not in state.limits or not isinstance(value, dict):
                    return bad(usage)
                limit, window = state.limits[group]
                try:
                    changed[group] = (
                        int(value.get("limit", limit)),
                        int(value.get("window", window)),
                    )
                except (TypeError, ValueError):
                    return bad(usage)
            state.limits.update(changed)
            state.windows = {k: w for k, w in state.windows.items() if k[0] not in changed}
        return get_limits()

    @app.get("/_sim/clock")
    def get_clock() -> Answer:
        with state.lock:
            return {
                "now": iso(state.now()),
                "offset_seconds": state.clock_offset.total_seconds(),
            }, 200

    @app.post("/_sim/clock")
    def set_clock() -> Answer:
        spec = body()
        with state.lock:
            try:
                if "now" in spec:
                    target = datetime.fromisoformat(str(spec["now"]).replace("Z", "+00:00"))
                    if target.tzinfo is None:
                        return bad("'now' needs a UTC offset, e.g. 2026-12-06T14:00:00Z")
                    state.clock_offset = target - (state.now() - state.clock_offset)
                if "offset_seconds" in spec:
                    state.clock_offset = timedelta(seconds=float(spec["offset_seconds"]))
                if "advance_seconds" in spec:
                    state.clock_offset += timedelta(seconds=float(spec["advance_seconds"]))
            except (TypeError, ValueError) as e:
                return bad(f"cannot read the clock setting: {e}")
        return get_clock()

    @app.post("/_sim/conversation")
    def conversation() -> Answer:
        from scheduler.simulator.conversation import add_now, generate

        spec = body()
        try:
            if "now" in spec:
                made = add_now(state, int(spec["now"]))
            else:
                made = generate(
                    state,
                    n=int(spec.get("n", 300)),
                    seed=int(spec.get("seed", state.seed)),
                    days=float(spec.get("days", 3)),
                    hashtag=str(spec.get("hashtag", "PolicingInConflict")),
                )
        except (TypeError, ValueError) as e:
            return bad(f"cannot generate that conversation: {e}")
        return {"created": len(made), "ids": [t.id for t in made]}, 200

    @app.post("/_sim/reset")
    def reset() -> Answer:
        state.reset()
        return {"ok": True}, 200
