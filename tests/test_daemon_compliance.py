"""The daemon's daily compliance job, as a real process against the simulator process."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import sqlite_utils

from campaign.models import CampaignSettings
from scheduler.collect import collect_once
from scheduler.xclient import Credentials, XClient
from tests.fixtures.simulator import FakeXProcess, campaign_command
from tests.publishing import wait_for
from tests.test_daemon import stop

pytestmark = pytest.mark.slow


def test_daemon_removes_a_post_deleted_on_x_soon_after_start(
    db: sqlite_utils.Database, db_path: Path, fake_x_process: FakeXProcess, tmp_path: Path
) -> None:
    """A collected post its author deleted is removed by the daemon's compliance job (due at
    start when none ran before), and the run is recorded as done."""
    fake_x_process.add_conversation(n=30, seed=4)
    client = XClient(Credentials.from_env(fake_x_process.env, need_bearer=True))
    collect_once(db, client, CampaignSettings(name="t"))
    client.close()
    victim = db.execute("SELECT id FROM mentions WHERE is_ours = 0 ORDER BY id LIMIT 1").fetchone()[
        0
    ]
    fake_x_process.delete(str(victim))
    # The job completes at its first status check: an in_progress answer would cost the daemon's
    # 15 s poll (polling until complete is tested in test_compliance.py).
    fake_x_process.compliance(polls=0)
    log = tmp_path / "daemon.log"
    env = {**os.environ, **fake_x_process.env, "CAMPAIGN_DB": str(db_path)}
    with log.open("ab") as out:
        daemon = subprocess.Popen(
            [*campaign_command(), "daemon", "--lease-ttl", "2", "--timeout", "1.5"],
            stderr=out,
            stdout=out,
            env=env,
        )
    try:
        assert wait_for(
            lambda: (
                db.execute("SELECT count(*) FROM compliance_runs WHERE status = 'done'").fetchone()[
                    0
                ]
                == 1
            ),
            timeout=30,
        ), log.read_text()
    finally:
        assert 0 == stop(daemon)
    assert ("", "deleted") == db.execute(
        "SELECT text, removed FROM mentions WHERE id = ?", [victim]
    ).fetchone()
    assert "compliance: status=done method=batch" in log.read_text()
