"""Publishing per account: one daemon publishes every campaign's posts, each with its own
account's keys (the simulator tells the two accounts apart by who authored the post), and what
X limits per account (rate-limit waits, refused keys, the lease) stays with that account."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlite_utils

from campaign.clock import now
from campaign.store import open_db
from posts import queue
from scheduler import lease
from scheduler.daemon import Daemon, DaemonConfig
from scheduler.health import check
from scheduler.incidents import conditions
from scheduler.publish import PublishConfig, stopped, waiting
from scheduler.publisher import Publisher, XPublisher
from scheduler.simulator import ACCOUNT_ID, EVENTS_ACCOUNT_ID
from scheduler.xclient import Credentials, XClient
from tests.fixtures.simulator import FakeX, FakeXProcess, campaign_command
from tests.publishing import wait_for
from tests.test_daemon import start_daemon, stop
from tests.test_web_pages import text_of
from tests.web_helpers import Browserish
from tests.workspace_helpers import event_yaml

FIRST, SECOND = "#PolicingInConflict", "#PeaceTech2027"
DEFAULT_SLUG, EVENTS_SLUG = "policinginconflict", "peacetech2027"
Run = Callable[..., Any]


def _two_accounts(run: Run, tmp_path: Path) -> None:
    """Two campaigns: #PolicingInConflict on the default account, #PeaceTech2027 on `events`."""
    day = (now() + timedelta(days=10)).date().isoformat()
    assert 0 == run("init").exit_code
    for path in (
        event_yaml(tmp_path, FIRST, day=day),
        event_yaml(tmp_path, SECOND, day=day, name="Peace Tech 2027", account="events"),
    ):
        result = run("load", path)
        assert 0 == result.exit_code, result.output


def _approve(run: Run, slug: str, text: str, seconds: float = 0.0) -> int:
    """An approved post of campaign ``slug`` due ``seconds`` from now; its id."""
    at = (now() + timedelta(seconds=seconds)).isoformat()
    added = run("posts", "add", "--campaign", slug, "--text", text, "--at", at, "--approve")
    assert 0 == added.exit_code, added.output
    return int(added.output.split()[0])


def _authors(fake: FakeX | FakeXProcess) -> dict[str, list[str]]:
    """The simulator's posts made through the API: text → author ids (one per time it was sent)."""
    found: dict[str, list[str]] = {}
    for t in fake.tweets(source="api"):
        found.setdefault(t["submitted_text"], []).append(t["author_id"])
    return found


def _publisher(environ: Mapping[str, str], account: str = "default") -> Publisher:
    creds = Credentials.from_env(environ, need_user=True, account=account)
    return XPublisher(XClient(creds, timeout=2))


@pytest.fixture
def daemons(db_path: Path) -> Iterator[Callable[..., Daemon]]:
    """In-process daemons over ``db_path`` with short timings, each stopped after the test."""
    started: list[Daemon] = []

    def make(environ: Mapping[str, str], *, default: bool = True) -> Daemon:
        def publishers(account: str) -> Publisher:
            return _publisher(environ, account)

        publish = PublishConfig(x_timeout=2.0, settle=0.1, backoff=0.05)
        config = DaemonConfig(publish=publish, lease_ttl=1.5, watch_interval=0.2, alerts_interval=0)
        daemon = Daemon(
            str(db_path),
            _publisher(environ) if default else None,
            config,
            publishers=publishers,
        )
        daemon.start()
        started.append(daemon)
        return daemon

    yield make
    for daemon in started:
        assert daemon.shutdown()


# -- the simulator -------------------------------------------------------------------------


def test_the_simulator_tells_two_accounts_apart(fake_x: FakeX) -> None:
    """A post made with the events tokens is authored by @PeaceTechEvents, one made with the
    default tokens by @PolicingConflict; a rate limit for one user leaves the other posting."""
    env = {**fake_x.env, **fake_x.account_env("events")}
    default = XClient(Credentials.from_env(env), timeout=2)
    events = XClient(Credentials.from_env(env, account="events"), timeout=2)
    assert ("PolicingConflict", "PeaceTechEvents") == (
        default.me()["username"],
        events.me()["username"],
    )
    default.create_post("From the institute")
    events.create_post("From the events team")
    assert {"From the institute": [ACCOUNT_ID], "From the events team": [EVENTS_ACCOUNT_ID]} == (
        _authors(fake_x)
    )
    fake_x.faults(rate_limit={"group": "post", "reset_in": 60, "user": ACCOUNT_ID})
    from scheduler.xerrors import RateLimited

    with pytest.raises(RateLimited):
        default.create_post("Held back")
    assert events.create_post("Still posting")
    refused = requests.post(
        fake_x.base_url + "/_sim/faults",
        json={"rate_limit": {"group": "post", "user": 7}},
        timeout=5,
    )
    assert 400 == refused.status_code and "rate_limit.user" in refused.text


# -- one daemon, two accounts --------------------------------------------------------------


@pytest.mark.slow
def test_one_daemon_publishes_each_account_once_under_its_own_keys(
    fake_x_process: FakeXProcess, run: Run, tmp_path: Path, db_path: Path
) -> None:
    """`campaign daemon` with both accounts' keys: each campaign's post goes out once, with its
    own hashtag, authored by its own account; each account's lease is held by the daemon."""
    _two_accounts(run, tmp_path)
    db = open_db(db_path)
    first = _approve(run, DEFAULT_SLUG, "Doors open", 2)
    second = _approve(run, EVENTS_SLUG, "Registration closes", 2)
    log = tmp_path / "daemon.log"
    env = fake_x_process.account_env("events")
    daemon = start_daemon(fake_x_process, db_path, log, env=env)
    try:
        assert wait_for(
            lambda: {queue.get(db, first).status, queue.get(db, second).status} == {"published"},
            timeout=20,
        ), log.read_text()
        holders = {name: lease.current(db, name) for name in ("publisher", "publisher:events")}
        assert all(info is not None and info.alive for info in holders.values())
        status = json.loads(run("status", "--json").output)
    finally:
        assert 0 == stop(daemon)
    assert {
        f"Doors open {FIRST}": [ACCOUNT_ID],
        f"Registration closes {SECOND}": [EVENTS_ACCOUNT_ID],
    } == _authors(fake_x_process)
    assert ["default", "events"] == [a["account"] for a in status["accounts"]]
    assert [None, None] == [a["publishing_stopped"] for a in status["accounts"]]
    assert "publishing for account events as @PeaceTechEvents" in log.read_text()
    assert [] == lease.publishing(db)  # both released on SIGTERM


def test_a_rate_limit_on_one_account_does_not_hold_the_others_posts(
    fake_x: FakeX, run: Run, tmp_path: Path, db_path: Path, daemons: Any
) -> None:
    """X rate-limits the default account: its post waits (its own wait, under the key status
    has always read), the events account's post goes out."""
    _two_accounts(run, tmp_path)
    db = open_db(db_path)
    fake_x.faults(rate_limit={"group": "post", "reset_in": 120, "user": ACCOUNT_ID})
    held = _approve(run, DEFAULT_SLUG, "Held by the limit")
    sent = _approve(run, EVENTS_SLUG, "Not held", 0.5)
    daemons({**fake_x.env, **fake_x.account_env("events")})
    assert wait_for(lambda: queue.get(db, sent).status == "published", timeout=10)
    assert wait_for(lambda: waiting(db) is not None, timeout=5)
    assert "approved" == queue.get(db, held).status
    assert "rate limited" in waiting(db)["reason"]  # type: ignore[index]
    assert waiting(db, "events") is None
    assert {f"Not held {SECOND}": [EVENTS_ACCOUNT_ID]} == _authors(fake_x)
    status = json.loads(run("status", "--json").output)
    assert status["waiting"] is not None  # the default account's, where it always was


def test_refused_keys_stop_only_their_account(
    fake_x: FakeX, run: Run, tmp_path: Path, db_path: Path, daemons: Any
) -> None:
    """X refuses the events account's keys: that account stops (status, health and an incident
    name it), the default account keeps publishing; `campaign resume --account events` clears
    only its stop."""
    _two_accounts(run, tmp_path)
    db = open_db(db_path)
    revoked = {**fake_x.account_env("events"), "X_EVENTS_ACCESS_TOKEN": "revoked-token"}
    waits = _approve(run, EVENTS_SLUG, "Never under refused keys")
    daemons({**fake_x.env, **revoked})
    assert wait_for(lambda: stopped(db, "events") is not None, timeout=10)
    goes = _approve(run, DEFAULT_SLUG, "Still going out", 0.3)
    assert wait_for(lambda: queue.get(db, goes).status == "published", timeout=10)
    assert "approved" == queue.get(db, waits).status
    assert stopped(db) is None
    assert {f"Still going out {FIRST}": [ACCOUNT_ID]} == _authors(fake_x)
    assert "publishing is stopped for account events" in check(db).line
    (incident,) = [c for c in conditions(db) if c.kind == "publishing_stopped"]
    assert ("events", True) == (incident.subject, "for account events" in incident.summary)
    assert "campaign resume --account events" in incident.advice
    shown = run("status")
    assert "Publishing STOPPED for account events" in shown.output
    resumed = run("resume", "--account", "events")
    assert 0 == resumed.exit_code, resumed.output
    assert stopped(db, "events") is None
    unknown = run("resume", "--account", "nobody")
    assert 2 == unknown.exit_code and "default, events" in unknown.output


def test_missing_keys_stop_their_account_and_name_its_variables(
    fake_x_process: FakeXProcess, run: Run, tmp_path: Path, db_path: Path
) -> None:
    """`campaign daemon` with the default keys only: the events account's approved post waits
    and its stop (log, status, incident) names the variables it needs, never a value; the
    default account publishes."""
    _two_accounts(run, tmp_path)
    db = open_db(db_path)
    waits = _approve(run, EVENTS_SLUG, "Waiting for keys")
    goes = _approve(run, DEFAULT_SLUG, "Published anyway", 1)
    log = tmp_path / "daemon.log"
    daemon = start_daemon(fake_x_process, db_path, log)
    try:
        assert wait_for(lambda: queue.get(db, goes).status == "published", timeout=20)
        assert wait_for(lambda: stopped(db, "events") is not None, timeout=10)
        status = json.loads(run("status", "--json").output)
    finally:
        assert 0 == stop(daemon)
    assert "approved" == queue.get(db, waits).status
    reason = stopped(db, "events")["reason"]  # type: ignore[index]
    for name in ("X_EVENTS_API_KEY", "X_EVENTS_ACCESS_TOKEN", "X_EVENTS_ACCESS_TOKEN_SECRET"):
        assert name in reason
    text = log.read_text()
    assert "publishing for account events STOPPED: account events:" in text
    assert "X_EVENTS_API_SECRET" in text
    for value in fake_x_process.env.values():
        if value.startswith("sim-"):
            assert value not in text and value not in reason
    assert stopped(db) is None and "events" == status["accounts"][1]["account"]
    assert status["accounts"][1]["publishing_stopped"]["missing_credentials"]
    assert {f"Published anyway {FIRST}": [ACCOUNT_ID]} == _authors(fake_x_process)
    (incident,) = [c for c in conditions(db) if c.kind == "publishing_stopped"]
    assert "events" == incident.subject and "X_EVENTS_API_KEY" in incident.summary


def test_an_account_without_approved_posts_is_not_stopped(
    fake_x: FakeX, run: Run, tmp_path: Path, db_path: Path, daemons: Any
) -> None:
    """Missing keys matter only once the account has something to send: an events campaign
    with drafts only raises nothing."""
    _two_accounts(run, tmp_path)
    db = open_db(db_path)
    goes = _approve(run, DEFAULT_SLUG, "Only the default account", 0.3)
    daemons(fake_x.env)
    assert wait_for(lambda: queue.get(db, goes).status == "published", timeout=10)
    assert stopped(db, "events") is None
    assert "publishing_stopped" not in [f.name for f in check(db).findings]


# -- the lease, per account ----------------------------------------------------------------


def test_the_lease_is_per_account_and_the_default_keeps_its_name(
    fake_x: FakeX, run: Run, tmp_path: Path, db_path: Path, daemons: Any
) -> None:
    """While another process (an older daemon) holds the lease `publisher`, a new daemon
    publishes the events account under `publisher:events` and leaves the default account's
    post alone; once that lease is released it takes `publisher` and sends it."""
    _two_accounts(run, tmp_path)
    db = open_db(db_path)
    older = lease.new_holder("daemon")
    assert lease.acquire(db, older, ttl=120)  # the name every release has used
    default_post = _approve(run, DEFAULT_SLUG, "After the older daemon")
    events_post = _approve(run, EVENTS_SLUG, "Under its own lease")
    daemon = daemons({**fake_x.env, **fake_x.account_env("events")})
    assert wait_for(lambda: queue.get(db, events_post).status == "published", timeout=10)
    info = lease.current(db, "publisher:events")
    assert info is not None and daemon.holder == info.holder
    assert "approved" == queue.get(db, default_post).status
    assert older == lease.current(db).holder  # type: ignore[union-attr]
    assert lease.release(db, older)
    assert wait_for(lambda: queue.get(db, default_post).status == "published", timeout=10)
    assert daemon.holder == lease.current(db).holder  # type: ignore[union-attr]
    assert {
        f"Under its own lease {SECOND}": [EVENTS_ACCOUNT_ID],
        f"After the older daemon {FIRST}": [ACCOUNT_ID],
    } == _authors(fake_x)


def _published_by(db: sqlite_utils.Database, post_id: int) -> str:
    (actor,) = [h["actor"] for h in queue.history(db, post_id) if h["to_status"] == "published"]
    return str(actor)


@pytest.mark.slow
def test_two_daemons_each_account_published_by_exactly_one(
    fake_x_process: FakeXProcess, run: Run, tmp_path: Path, db_path: Path
) -> None:
    """Two daemon processes, one with the default keys only, one with both accounts' keys:
    the first holds the default lease, the second the events lease (standing by for the
    default); each post goes out once, sent by the holder of its account's lease."""
    _two_accounts(run, tmp_path)
    db = open_db(db_path)
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    first = start_daemon(fake_x_process, db_path, first_log)
    second = None
    try:
        assert wait_for(lambda: lease.current(db) is not None, timeout=20), first_log.read_text()
        env = fake_x_process.account_env("events")
        second = start_daemon(fake_x_process, db_path, second_log, env=env)
        assert wait_for(lambda: lease.current(db, "publisher:events") is not None, timeout=20), (
            second_log.read_text()
        )
        holders = {i.name: i.holder for i in lease.publishing(db)}
        assert holders["publisher"] != holders["publisher:events"]
        posts = {_approve(run, DEFAULT_SLUG, f"Default {i}", 1): "publisher" for i in range(3)} | {
            _approve(run, EVENTS_SLUG, f"Events {i}", 1): "publisher:events" for i in range(3)
        }
        assert wait_for(
            lambda: all(queue.get(db, p).status == "published" for p in posts), timeout=20
        ), first_log.read_text() + second_log.read_text()
        assert {p: holders[name] for p, name in posts.items()} == {
            p: _published_by(db, p) for p in posts
        }
        assert "standing by" in second_log.read_text()
    finally:
        codes = [stop(p) for p in (first, second) if p is not None]
    assert all(0 == c for c in codes)
    authors = _authors(fake_x_process)
    assert {f"Default {i} {FIRST}": [ACCOUNT_ID] for i in range(3)} | {
        f"Events {i} {SECOND}": [EVENTS_ACCOUNT_ID] for i in range(3)
    } == authors


# -- campaign publish ----------------------------------------------------------------------


def test_campaign_publish_sends_each_account_with_its_keys(
    fake_x: FakeX, run: Run, tmp_path: Path, db_path: Path
) -> None:
    """`campaign publish` (cron) publishes both accounts' due posts, each under its own keys;
    without the events keys it publishes the default account's and exits 2 naming them."""
    _two_accounts(run, tmp_path)
    db = open_db(db_path)
    a = _approve(run, DEFAULT_SLUG, "Cron default")
    b = _approve(run, EVENTS_SLUG, "Cron events")
    result = run("publish", "--json", env={**fake_x.env, **fake_x.account_env("events")})
    assert 0 == result.exit_code, result.output
    assert {a: "published", b: "published"} == {
        o["post_id"]: o["status"] for o in json.loads(result.output)["outcomes"]
    }
    assert {
        f"Cron default {FIRST}": [ACCOUNT_ID],
        f"Cron events {SECOND}": [EVENTS_ACCOUNT_ID],
    } == _authors(fake_x)
    c = _approve(run, DEFAULT_SLUG, "Cron default again")
    d = _approve(run, EVENTS_SLUG, "Cron events again")
    missing = run("publish", env=fake_x.env)
    assert 2 == missing.exit_code
    assert f"post {c}: published" in missing.output
    assert "publishing for account events is stopped" in missing.output
    assert "X_EVENTS_ACCESS_TOKEN" in missing.output
    assert "approved" == queue.get(db, d).status
    again = run("publish", env={**fake_x.env, **fake_x.account_env("events")})
    assert 0 == again.exit_code, again.output  # its keys are back: its stop clears itself
    assert "published" == queue.get(db, d).status


def test_the_daemon_refuses_to_start_when_no_account_has_keys(
    run: Run, tmp_path: Path, db_path: Path
) -> None:
    """Without any account's keys the daemon exits 2 naming the default variables, as always."""
    _two_accounts(run, tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("X_")}
    result = subprocess.run(
        [*campaign_command(), "daemon"],
        env={**env, "CAMPAIGN_DB": str(db_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert 2 == result.returncode
    assert "X_API_KEY" in result.stderr and "Traceback" not in result.stderr


@pytest.fixture
def events_stopped(run: Run, tmp_path: Path, db_path: Path) -> Iterator[Browserish]:
    """The console of a workspace on two accounts, at 10:00 in New York on 1 December, whose
    events account was stopped for want of its keys."""
    import time_machine

    from campaign.web import create_app
    from scheduler.publish import stop

    with time_machine.travel(datetime(2026, 12, 1, 15, 0, tzinfo=UTC), tick=False):
        _two_accounts(run, tmp_path)
        stop(
            open_db(db_path),
            "events",
            "account events: X posting credentials are missing: set X_EVENTS_API_KEY",
        )
        yield Browserish(create_app(db_path))


def test_the_console_banner_names_the_stopped_account_and_resume_clears_it(
    events_stopped: Browserish, db_path: Path
) -> None:
    """Every page's banner says which account stopped; Resume publishing clears every stop."""
    page = events_stopped.get("/queue").get_data(as_text=True)
    banner = text_of(page.split('id="publishing-stopped">', 1)[1].split("</div>", 1)[0])
    assert banner.startswith("Publishing for account events stopped since 2026-12-01 10:00")
    assert "X_EVENTS_API_KEY" in banner
    events_stopped.post("/status/resume", {})
    assert stopped(open_db(db_path), "events") is None


def test_the_console_status_page_shows_each_account(events_stopped: Browserish) -> None:
    """With two accounts the status page has a row for each: its publishing and its daily cap."""
    page = events_stopped.get("/status").get_data(as_text=True)
    table = page.split('id="accounts">', 1)[1].split("</section>", 1)[0]
    rows = [text_of(r) for r in table.split("<tr>")[2:]]
    assert rows[0].startswith("default No daemon holds its lease 0 / 100 in the last 24 hours")
    assert rows[1].startswith("events Stopped since 2026-12-01 10:00")
