"""Asking X which stored posts must go: batch compliance jobs, with the tweet lookup as fallback.

A batch job (app-only: X_BEARER_TOKEN) checks every stored id in a handful of requests: create
the job, upload the ids (one a line) to its upload address, poll its status until ``complete``,
download the result (JSON lines of ``id``, ``reason``, ``redacted_at``). When jobs are not
available (no app token, or X refuses them on this plan) ``GET /2/tweets?ids=`` checks 100 ids a
request instead: an id in ``errors`` is gone (not found: deleted; ``suspended``; not authorised:
protected). What was learnt goes to :func:`campaign.mentions.compliance.apply_removals`.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlite_utils

from campaign.clock import now
from campaign.errors import CredentialsError
from campaign.mentions.compliance import (
    ApplyResult,
    Removal,
    apply_removals,
    finish_run,
    ids_to_check,
    reason_of,
    start_run,
)
from scheduler.xclient import XClient
from scheduler.xerrors import AuthFailed, RateLimited, Refused, XError

log = logging.getLogger(__name__)

LOOKUP_BATCH = 100
POLL_SECONDS = 15.0
MAX_WAIT_SECONDS = 4 * 3600.0  # X finishes large jobs in minutes; give up after hours


class JobFailed(XError):
    "X's compliance job failed or expired"


@dataclass
class ComplianceResult:
    """What one run did."""

    method: str = "batch"  # batch or lookup
    checked: int = 0
    requests: int = 0
    applied: ApplyResult = field(default_factory=ApplyResult)
    status: str = "done"  # done, rate-limited, stopped, failed
    error: str | None = None
    fallback_why: str | None = None  # why the lookup was used instead of a batch job
    rate_reset_at: datetime | None = None


def run_compliance(
    db: sqlite_utils.Database,
    client: XClient,
    *,
    poll_seconds: float = POLL_SECONDS,
    max_wait: float = MAX_WAIT_SECONDS,
    stop: threading.Event | None = None,
    method: str = "auto",
    progress: Callable[[str], None] | None = None,
) -> ComplianceResult:
    """Check every stored post (and our own published posts) with X; remove what X no longer
    shows. ``method``: ``auto`` (a batch job, else the lookup), ``batch`` or ``lookup``."""
    stop = stop or threading.Event()
    say = progress or (lambda _msg: None)
    ids = ids_to_check(db)
    result = ComplianceResult(checked=len(ids))
    run_id = start_run(db, "batch" if method != "lookup" else "lookup")
    removals: list[Removal] = []
    job_id: str | None = None
    try:
        if not ids:
            pass
        elif method != "lookup":
            try:
                job_id, removals = _batch(client, ids, result, poll_seconds, max_wait, stop, say)
            except (CredentialsError, AuthFailed, Refused, JobFailed) as e:
                if method == "batch":
                    raise
                result.fallback_why = str(e)
                log.warning("compliance: batch job not available (%s); using the lookup", e)
                say(f"batch compliance job not available ({e}); checking with the lookup")
                result.method = "lookup"
                _lookup(client, ids, result, stop, say, removals)
        else:
            result.method = "lookup"
            _lookup(client, ids, result, stop, say, removals)
    except RateLimited as e:
        result.status, result.error, result.rate_reset_at = "rate-limited", str(e), e.reset_at
    except (XError, CredentialsError) as e:
        result.status, result.error = "failed", str(e)
    if stop.is_set() and result.status == "done":
        result.status = "stopped"
    # What was learnt is applied even when the run stopped early: removing is never wrong.
    result.applied = apply_removals(db, removals, run_id=run_id)
    finish_run(
        db,
        run_id,
        method=result.method,
        checked=result.checked,
        removed=result.applied.removed + result.applied.cascaded + result.applied.ours,
        status=result.status,
        job_id=job_id,
        error=result.error,
    )
    return result


def _batch(
    client: XClient,
    ids: list[int],
    result: ComplianceResult,
    poll_seconds: float,
    max_wait: float,
    stop: threading.Event,
    say: Callable[[str], None],
) -> tuple[str, list[Removal]]:
    job = client.create_compliance_job(f"campaign {now().strftime('%Y-%m-%d %H:%M')}")
    result.requests += 1
    job_id = str(job["id"])
    say(f"compliance job {job_id}: uploading {len(ids):,} ids")
    client.transfer("PUT", str(job["upload_url"]), "\n".join(map(str, ids)).encode())
    waited = 0.0
    while True:
        job = client.compliance_job(job_id)
        result.requests += 1
        status = str(job.get("status"))
        if status == "complete":
            break
        if status in ("failed", "expired"):
            raise JobFailed(f"X's compliance job {job_id} {status}")
        if stop.is_set():
            return job_id, []
        if waited >= max_wait:
            raise JobFailed(f"X's compliance job {job_id} did not finish in {max_wait:g} s")
        say(f"compliance job {job_id}: {status}")
        stop.wait(poll_seconds)
        waited += poll_seconds
    body = client.transfer("GET", str(job["download_url"]))
    removals: list[Removal] = []
    for line in body.decode("utf-8", errors="replace").splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if not isinstance(item, dict) or not str(item.get("id", "")).isdigit():
            continue
        removals.append(
            Removal(int(item["id"]), reason_of(item.get("reason")), _when(item.get("redacted_at")))
        )
    return job_id, removals


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def lookup_reason(error: dict[str, Any]) -> str | None:
    """Our reason for one ``errors`` entry of a lookup, or None when it says nothing about a
    post being gone (a malformed id, a server hiccup)."""
    title = str(error.get("title", "")).lower()
    detail = str(error.get("detail", "")).lower()
    if "suspended" in detail:
        return "suspended"
    if "not authorized" in detail or title == "authorization error":
        return "protected"
    if title == "not found error" or "could not find" in detail:
        return "deleted"
    return None


def _lookup(
    client: XClient,
    ids: list[int],
    result: ComplianceResult,
    stop: threading.Event,
    say: Callable[[str], None],
    removals: list[Removal],
) -> None:
    """Check ``ids`` 100 a request, adding what is gone to ``removals`` as it is learnt (so a
    rate limit or a lost answer part-way keeps what came before)."""
    for start in range(0, len(ids), LOOKUP_BATCH):
        if stop.is_set():
            return
        chunk = [str(i) for i in ids[start : start + LOOKUP_BATCH]]
        _, errors = client.lookup_posts(chunk)
        result.requests += 1
        wanted = set(chunk)
        for e in errors:
            value = str(e.get("value") or e.get("resource_id") or "")
            reason = lookup_reason(e)
            if value in wanted and reason is not None:
                removals.append(Removal(int(value), reason))
        if start and start % 10_000 == 0:
            say(f"checked {start:,} of {len(ids):,}")
