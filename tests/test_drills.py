"""Fault drills, with the alerts going to a real webhook on 127.0.0.1:

- the disk full under a real `campaign daemon` process (its file-size limit lowered to nothing
  with prlimit, as a full disk refuses writes): publishing stops cleanly, the post stays
  approved, one alert goes out, and when space returns it is published once and "resolved"
  is told;
- the network to X cut for three minutes mid-campaign (the simulator stops listening, the clock
  is moved on rather than waited for): one alert, one "resolved", every post out once
  afterwards, retries backed off, the history compact.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlite_utils
import time_machine

from campaign.clock import now
from posts import queue
from scheduler import lease
from scheduler.daemon import Daemon, DaemonConfig
from scheduler.publish import PublishConfig
from scheduler.publisher import XPublisher
from scheduler.simulator import SimulatorServer
from scheduler.xclient import Credentials, XClient
from tests.fixtures.simulator import FakeX, FakeXProcess, campaign_command
from tests.fixtures.webhook import Webhook
from tests.publishing import add_post, wait_for
from tests.web_helpers import load_campaign

CAMPAIGN = "Policing in Conflict-Affected Settings"
NOW = datetime(2026, 12, 6, 15, 0, tzinfo=UTC)


class Piped:
    """A daemon process whose log goes through a pipe (a lowered file-size limit must not stop
    it from logging), collected by a thread."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def log(self) -> str:
        return "".join(self.lines)

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError("the daemon did not stop within 20 s of SIGTERM") from None


def _limit_files(pid: int, size: int) -> None:
    """Set the largest file offset process ``pid`` may write (as a full disk would refuse)."""
    resource.prlimit(pid, resource.RLIMIT_FSIZE, (size, resource.RLIM_INFINITY))


@pytest.mark.slow
def test_disk_full_under_the_daemon(
    db: sqlite_utils.Database,
    db_path: Path,
    fake_x_process: FakeXProcess,
    webhook: Webhook,
    tmp_path: Path,
) -> None:
    """A full disk stops publishing cleanly (the post stays approved, nothing is sent), one alert
    goes out at once; when space returns the post goes out once and "resolved" is told."""
    load_campaign(db)
    env = {
        **os.environ,
        **fake_x_process.env,
        "CAMPAIGN_DB": str(db_path),
        "CAMPAIGN_NOTIFY": webhook.url,
        "CAMPAIGN_ALERTS_INTERVAL": "0.2",
    }
    args = [
        *campaign_command(),
        "daemon",
        "--no-collect",
        "--no-backups",
        "--lease-ttl",
        "2",
        "--timeout",
        "1.5",
        "--settle",
        "0.3",
    ]
    daemon = Piped(args, env)
    try:
        assert wait_for(lambda: lease.current(db) is not None, timeout=20), daemon.log()
        _limit_files(daemon.process.pid, 1)
        post_id = add_post(db, "Doors open at 9:30 #PolicingInConflict", now())
        assert webhook.wait(1, timeout=20), daemon.log()
        assert [f"{CAMPAIGN}: The database cannot be written"] == webhook.titles()
        assert "approved" == queue.get(db, post_id).status
        time.sleep(1.0)  # rounds keep failing meanwhile: still one alert, nothing sent
        assert 1 == len(webhook.messages)
        assert [] == fake_x_process.tweets(source="api")
        _limit_files(daemon.process.pid, resource.RLIM_INFINITY)
        assert wait_for(lambda: "published" == queue.get(db, post_id).status, timeout=20), (
            daemon.log()
        )
        assert webhook.wait(2, timeout=20), daemon.log()
    finally:
        code = daemon.stop()
    assert 0 == code
    assert [
        f"{CAMPAIGN}: The database cannot be written",
        f"Resolved — {CAMPAIGN}: The database cannot be written",
    ] == webhook.titles()
    assert "free disk space" in webhook.messages[0]["message"]
    assert ["Doors open at 9:30 #PolicingInConflict"] == [
        t["submitted_text"] for t in fake_x_process.tweets(source="api")
    ]


@pytest.fixture
def cuttable_x() -> Iterator[tuple[FakeX, Callable_]]:
    """The simulator in a thread, and a switch that cuts the network to it (it stops listening:
    connection refused) and restores it on the same port with the same state."""
    server = SimulatorServer().start()
    handle = FakeX(server.base_url, server.state.credentials)
    handle.state = server.state
    current = {"server": server}

    def switch(up: bool) -> None:
        if not up:
            current["server"].stop()
            return
        server.state.stopping.clear()
        current["server"] = SimulatorServer(state=server.state, port=server.port).start()

    try:
        yield handle, switch
    finally:
        current["server"].stop()


Callable_ = object  # the switch: switch(up: bool)


@pytest.mark.slow
def test_network_cut_for_three_minutes_mid_campaign(
    db: sqlite_utils.Database,
    db_path: Path,
    cuttable_x: tuple[FakeX, object],
    webhook: Webhook,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """X unreachable for three minutes: one alert after two, one "resolved" when it answers
    again, every post out once in order, tries backed off, and the history a few rows."""
    fake, switch = cuttable_x
    assert callable(switch)
    monkeypatch.setenv("CAMPAIGN_NOTIFY", webhook.url)
    load_campaign(db)
    texts = [f"Live from the panel, part {i} #PolicingInConflict" for i in range(5)]
    with time_machine.travel(NOW, tick=True) as clock:
        ids = [add_post(db, t, now() + timedelta(seconds=3 + 2 * i)) for i, t in enumerate(texts)]
        client = XClient(Credentials.from_env(fake.env), timeout=1.0)
        config = DaemonConfig(
            publish=PublishConfig(x_timeout=1.0, settle=0.1, backoff=1.0, backoff_cap=60.0),
            lease_ttl=900,
            watch_interval=0.2,
            alerts_interval=0.2,
        )
        daemon = Daemon(str(db_path), XPublisher(client), config)
        daemon.start()
        try:
            assert wait_for(lambda: daemon.active, timeout=10)
            switch(False)
            assert wait_for(lambda: queue.get(db, ids[0]).attempts >= 2, timeout=15)
            for _ in range(6):  # three minutes, thirty seconds at a time
                clock.shift(timedelta(seconds=30))
                time.sleep(0.6)
            assert webhook.wait(1, timeout=10)
            assert [f"{CAMPAIGN}: X cannot be reached"] == webhook.titles()
            assert all("approved" == queue.get(db, i).status for i in ids)
            switch(True)
            clock.shift(timedelta(seconds=61))  # past the longest backoff
            assert wait_for(
                lambda: all("published" == queue.get(db, i).status for i in ids), timeout=20
            )
            assert webhook.wait(2, timeout=10)
        finally:
            daemon.shutdown()
    assert [
        f"{CAMPAIGN}: X cannot be reached",
        f"Resolved — {CAMPAIGN}: X cannot be reached",
    ] == webhook.titles()
    assert "Check that this machine is online" in webhook.messages[0]["message"]
    assert texts == [t["submitted_text"] for t in fake.tweets(source="api")]
    first = queue.get(db, ids[0])
    assert first.attempts <= 15  # backed off to once a minute: about 10 tries, not 150
    history = queue.history(db, ids[0])
    assert len(history) <= 6
    assert max(row["repeats"] for row in history) >= 3


@pytest.mark.slow
def test_a_slow_notifier_never_delays_publishing(
    db: sqlite_utils.Database,
    db_path: Path,
    fake_x: FakeX,
    webhook: Webhook,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """While the notifier takes 3 s over each alert (a missed post is being told), the next post
    still goes out within a second of its time."""
    monkeypatch.setenv("CAMPAIGN_NOTIFY", webhook.url)
    load_campaign(db)
    webhook.delay = 3.0
    add_post(db, "Far too late #PolicingInConflict", now() - timedelta(hours=3))
    on_time = add_post(db, "Right on time #PolicingInConflict", now() + timedelta(seconds=2))
    client = XClient(Credentials.from_env(fake_x.env), timeout=2.0)
    config = DaemonConfig(
        publish=PublishConfig(x_timeout=2.0, settle=0.1, backoff=0.05),
        lease_ttl=30,
        watch_interval=0.2,
        alerts_interval=0.1,
    )
    daemon = Daemon(str(db_path), XPublisher(client), config)
    daemon.start()
    try:
        assert wait_for(lambda: "published" == queue.get(db, on_time).status, timeout=10)
        told_before = len(webhook.titles())  # the alert is still hanging: it went out meanwhile
        assert webhook.wait(1, timeout=10)
    finally:
        daemon.shutdown()
    post = queue.get(db, on_time)
    assert post.published_at is not None
    assert (post.published_at - post.scheduled_at).total_seconds() < 1.0
    assert 0 == told_before
    assert [f"{CAMPAIGN}: A post was missed"] == webhook.titles()
