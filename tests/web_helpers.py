"""Helpers shared by the web console tests: a loaded campaign, posts, collected posts, and a
client that sends what a browser sends (Host, Origin, the session's CSRF token)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlite_utils
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from campaign.clock import to_db
from campaign.mentions.store import Writer
from campaign.store import immediate

SAMPLE = Path(__file__).resolve().parent.parent / "campaign" / "data" / "policing-in-conflict.yaml"
ORIGIN = "http://127.0.0.1"
HOSTILE = "<script>alert(1)</script> <img src=x onerror=alert(2)> javascript:alert(3) {{7*7}}"


def load_campaign(db: sqlite_utils.Database) -> None:
    """Load the bundled #PolicingInConflict metadata (zone America/New_York)."""
    from campaign.metadata import parse_file, save

    save(db, parse_file(SAMPLE), str(SAMPLE))


def add_post(
    db: sqlite_utils.Database,
    text: str,
    at: datetime,
    status: str = "draft",
    *,
    last_error: str | None = None,
    tweet_id: str | None = None,
) -> int:
    """A post in ``status``, written straight into the queue (with an audit row)."""
    from posts.length import check

    stamp = to_db(at)
    with immediate(db):
        cur = db.execute(
            "INSERT INTO posts (kind, text, weighted_length, scheduled_at, status, last_error, "
            "tweet_id, created_at, updated_at) VALUES ('manual', ?, ?, ?, ?, ?, ?, ?, ?)",
            [text, check(text).weighted_length, stamp, status, last_error, tweet_id, stamp, stamp],
        )
        post_id = cur.lastrowid
        assert post_id is not None
        db.execute(
            "INSERT INTO post_audit (post_id, at, actor, to_status, detail) "
            "VALUES (?, ?, 'test', ?, 'made by the test')",
            [post_id, stamp, status],
        )
    return post_id


def add_mentions(db: sqlite_utils.Database, tweets: Iterable[dict[str, Any]]) -> None:
    """Store collected posts. Each dict: id, text, and optionally username, name, lang,
    created_at (aware datetime), urls (list), reply_to (tweet id)."""
    docs: list[dict[str, Any]] = []
    users: dict[str, dict[str, Any]] = {}
    for t in tweets:
        username = t.get("username", "someone")
        uid = str(t.get("author_id", 1000 + sum(map(ord, username))))
        users[uid] = {"id": uid, "username": username, "name": t.get("name", username.title())}
        doc: dict[str, Any] = {
            "id": str(t["id"]),
            "text": t["text"],
            "author_id": uid,
            "lang": t.get("lang", "en"),
            "public_metrics": {"like_count": 1, "retweet_count": 0, "reply_count": 0},
        }
        if "created_at" in t:
            doc["created_at"] = t["created_at"].strftime("%Y-%m-%dT%H:%M:%S.000Z")
        if t.get("urls"):
            doc["entities"] = {"urls": [{"expanded_url": u, "url": u} for u in t["urls"]]}
        if t.get("reply_to"):
            doc["referenced_tweets"] = [{"type": "replied_to", "id": str(t["reply_to"])}]
        docs.append(doc)
    with immediate(db):
        Writer(db, source="search").write(docs, users.values())


class Browserish:
    """A Flask test client that behaves like a browser on the console's own pages."""

    def __init__(self, app: Flask, origin: str = ORIGIN):
        self.client: FlaskClient = app.test_client()
        self.origin = origin
        self.host = origin.split("://", 1)[1]
        self._token: str | None = None

    def get(self, path: str, **kw: Any) -> TestResponse:
        return self.client.get(path, headers={"Host": self.host, **kw.pop("headers", {})}, **kw)

    def token(self) -> str:
        """The session's CSRF token, read from a page as a browser would."""
        if self._token is None:
            page = self.get("/queue").get_data(as_text=True)
            found = re.search(r'name="csrf-token" content="([^"]+)"', page)
            assert found is not None
            self._token = found.group(1)
        return self._token

    def post(
        self, path: str, data: dict[str, Any] | None = None, *, csrf: bool = True, **headers: str
    ) -> TestResponse:
        form = dict(data or {})
        if csrf:
            form.setdefault("csrf_token", self.token())
        sent = {"Host": self.host, "Origin": self.origin, **headers}
        return self.client.post(path, data=form, headers={k: v for k, v in sent.items() if v})


@contextmanager
def web_process(db_path: Path, *args: str) -> Iterator[str]:
    """``campaign web --port 0`` (and ``args``) on ``db_path`` as its own process: its URL,
    the process stopped afterwards."""
    campaign = str(Path(sys.executable).with_name("campaign"))
    proc = subprocess.Popen(
        [campaign, "--db", str(db_path), "web", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if "http://" not in line:
            proc.kill()
            raise AssertionError(f"campaign web did not start: {line}{proc.communicate()[1]}")
        yield line.split(" on ", 1)[1].split(" ", 1)[0].rstrip("/")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
