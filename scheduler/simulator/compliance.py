"""X's batch compliance jobs, as the simulator answers them.

The flow on X: ``POST /2/compliance/jobs`` (app-only bearer token) with ``{"type": "tweets"}``
answers a job with an ``upload_url`` and a ``download_url`` (signed storage addresses, no
``Authorization``); the client ``PUT``s the ids there, one a line; ``GET
/2/compliance/jobs/:id`` says ``created``, ``in_progress``, then ``complete``; the download is
JSON lines, one per post that must go: ``{"id", "action": "delete", "created_at",
"redacted_at", "reason"}`` with ``reason`` ``deleted``, ``suspended``, ``protected`` or
``deactivated``.

Here the storage addresses are on the simulator itself (``/_storage/compliance/<job>/…``). A job
answers ``in_progress`` ``state.compliance_polls`` times after its upload, then ``complete``; the
result is computed when it completes, from the posts as they are then.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Flask, Response, request

from scheduler.simulator.answers import invalid_request, problem
from scheduler.simulator.auth import Caller
from scheduler.simulator.state import SimState, iso

MAX_IDS = 100_000_000  # X's limit of ids per job file
UNSUPPORTED = (
    "Authenticating with OAuth 1.0a User Context is forbidden for this endpoint.  Supported "
    "authentication types are [OAuth 2.0 Application-Only]."
)


def register(app: Flask, state: SimState, wrap: Callable[[str, bool], Callable[..., Any]]) -> None:
    """Add the compliance endpoints (group ``compliance``) and the job storage to ``app``."""

    def app_only(caller: Caller) -> None:
        if caller.user is not None:
            raise problem(
                403,
                "Unsupported Authentication",
                UNSUPPORTED,
                "https://api.twitter.com/2/problems/unsupported-authentication",
            )

    def job_json(job: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in job.items() if not k.startswith("_")}

    @app.post("/2/compliance/jobs")
    @wrap("compliance", False)
    def create_job(caller: Caller) -> tuple[dict[str, Any], int]:
        app_only(caller)
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or body.get("type") not in ("tweets", "users"):
            raise invalid_request({"message": "$.type: must be one of [tweets, users]"})
        with state.lock:
            now = state.now()
            job_id = str(1_500_000_000_000_000_000 + len(state.compliance_jobs) + 1)
            base = request.host_url.rstrip("/") + f"/_storage/compliance/{job_id}"
            job: dict[str, Any] = {
                "id": job_id,
                "type": body["type"],
                "name": str(body.get("name") or ""),
                "resumable": bool(body.get("resumable", False)),
                "created_at": iso(now),
                "upload_url": base + "/upload?signature=sim",
                "upload_expires_at": iso(now + timedelta(minutes=15)),
                "download_url": base + "/download?signature=sim",
                "download_expires_at": iso(now + timedelta(days=7)),
                "status": "created",
                "_ids": None,
                "_polls": 0,
                "_result": None,
            }
            state.compliance_jobs[job_id] = job
            return {"data": job_json(job)}, 200

    @app.get("/2/compliance/jobs/<job_id>")
    @wrap("compliance", False)
    def get_job(caller: Caller, job_id: str) -> tuple[dict[str, Any], int]:
        app_only(caller)
        with state.lock:
            job = state.compliance_jobs.get(job_id)
            if job is None:
                raise problem(
                    404,
                    "Not Found Error",
                    f"Could not find compliance job with id: [{job_id}].",
                    "https://api.twitter.com/2/problems/resource-not-found",
                )
            if job["status"] == "in_progress":
                job["_polls"] += 1
                if job["_polls"] > state.compliance_polls:
                    job["_result"] = _result(state, job["_ids"] or [])
                    job["status"] = "complete"
            return {"data": job_json(job)}, 200

    @app.put("/_storage/compliance/<job_id>/upload")
    def upload(job_id: str) -> Response:
        text = request.get_data(as_text=True)
        ids = [line.strip() for line in text.splitlines() if line.strip()]
        with state.lock:
            job = state.compliance_jobs.get(job_id)
            if job is None or job["status"] != "created":
                return Response("<Error><Code>AccessDenied</Code></Error>", 403)
            if len(ids) > MAX_IDS or not all(i.isdigit() for i in ids):
                return Response("<Error><Code>InvalidArgument</Code></Error>", 400)
            job["_ids"] = ids
            job["status"] = "in_progress"
        return Response("", 200)

    @app.get("/_storage/compliance/<job_id>/download")
    def download(job_id: str) -> Response:
        with state.lock:
            job = state.compliance_jobs.get(job_id)
            if job is None or job["status"] != "complete":
                return Response("<Error><Code>NoSuchKey</Code></Error>", 404)
            lines = job["_result"] or []
        return Response("".join(json.dumps(r) + "\n" for r in lines), 200, mimetype="text/plain")


def _result(state: SimState, ids: list[str]) -> list[dict[str, Any]]:
    """One line per uploaded id that is no longer visible on X (call with the lock held)."""
    now = iso(state.now())
    out: list[dict[str, Any]] = []
    for tweet_id in dict.fromkeys(ids):
        reason = state.gone_reason(tweet_id)
        if reason is None:
            continue
        tweet = state.tweets.get(tweet_id)
        out.append(
            {
                "id": tweet_id,
                "action": "delete",
                "created_at": iso(tweet.created_at) if tweet is not None else now,
                "redacted_at": now,
                "reason": reason,
            }
        )
    return out
