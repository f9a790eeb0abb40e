"""With X unreachable, tries back off exponentially up to a cap, and the identical failures are
one history row with a count (shown by `posts show` and the post page), not hundreds."""

from __future__ import annotations

import socket
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils
import time_machine
from click.testing import Result

from campaign.clock import from_db, now
from campaign.web import create_app
from posts import queue
from scheduler import health, lease
from scheduler.publish import PublishConfig, Publishing, waiting
from scheduler.publisher import XPublisher
from scheduler.xclient import Credentials, XClient
from tests.publishing import add_post
from tests.web_helpers import Browserish, load_campaign

NOW = datetime(2026, 12, 6, 15, 0, tzinfo=UTC)
SIM_KEYS = {
    "X_API_KEY": "sim-key",
    "X_API_SECRET": "sim-secret",
    "X_ACCESS_TOKEN": "sim-token",
    "X_ACCESS_TOKEN_SECRET": "sim-token-secret",
}


def _closed_port() -> int:
    """A 127.0.0.1 port nothing listens on (a connection to it is refused at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_tries_back_off_to_the_cap_and_fold_into_one_row(
    db: sqlite_utils.Database, db_path: Path, run: Callable[..., Result]
) -> None:
    """Twelve refused connections: waits of 1, 2, 4 … s capped at 60 s; two history rows with
    ×12; the status knows since when X is unreachable."""
    load_campaign(db)
    env = {**SIM_KEYS, "X_API_BASE_URL": f"http://127.0.0.1:{_closed_port()}"}
    client = XClient(Credentials.from_env(env), timeout=1.0)
    with time_machine.travel(NOW, tick=False) as clock:
        holder = lease.new_holder("test")
        assert lease.acquire(db, holder, ttl=86400)
        post_id = add_post(db, "Doors open at 9:30 #PolicingInConflict", now())
        publishing = Publishing(
            db, XPublisher(client), holder, PublishConfig(backoff=1.0, backoff_cap=60.0)
        )
        waits = []
        for _ in range(12):
            publishing.run_due()
            w = waiting(db)
            assert w is not None
            until = from_db(str(w["until"]))
            waits.append((until - now()).total_seconds())
            clock.move_to(until)
        history = queue.history(db, post_id)
        shown = run("posts", "show", post_id).output
        page = Browserish(create_app(db_path)).get(f"/posts/{post_id}").get_data(as_text=True)
    assert all(1 <= w <= 1.5 for w in waits[:1])
    assert all(2 <= w <= 3 for w in waits[1:2])
    assert all(w == 60 for w in waits[6:])
    assert 12 == queue.get(db, post_id).attempts
    assert [("approved", "publishing", 12), ("publishing", "approved", 12)] == [
        (h["from_status"], h["to_status"], h["repeats"]) for h in history
    ]
    assert "(×12, the last at 2026-12-06 10:" in shown
    assert "×12, the last at" in page
    assert NOW == health.unreachable_since(db)
