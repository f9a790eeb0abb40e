"""docs/daemon.md stays true: its rehearsal credentials are the simulator's, so pasting them works."""

from __future__ import annotations

import re
from pathlib import Path

from scheduler.simulator.state import Credentials

DAEMON_MD = (Path(__file__).resolve().parent.parent / "docs" / "daemon.md").read_text()


def test_rehearsal_credentials_are_the_simulators() -> None:
    """Every X_* value exported in the rehearsal section is what the simulator accepts."""
    section = DAEMON_MD.split("## Rehearsing against the simulator", 1)[1]
    exported = dict(re.findall(r"(X_[A-Z_]+)=(\S+)", section.split("```", 2)[1]))
    c = Credentials()
    expected = {
        "X_API_KEY": c.api_key,
        "X_API_SECRET": c.api_secret,
        "X_ACCESS_TOKEN": c.access_token,
        "X_ACCESS_TOKEN_SECRET": c.access_token_secret,
        "X_BEARER_TOKEN": c.bearer_token,
    }
    assert expected == {k: v for k, v in exported.items() if k != "X_API_BASE_URL"}
