"""Shared fixtures. Every test runs in its own temporary folder with its own database and no X
credentials, so no test can touch a user's files or reach a real account."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
from click.testing import CliRunner, Result

from campaign.cli import cli
from campaign.store import open_db

# Fixture modules owned by each area (the X simulator, …), loaded for every test.
pytest_plugins = [
    "tests.fixtures.simulator",
    "tests.fixtures.hostile",
    "tests.fixtures.webhook",
    "tests.fixtures.timing_group",  # make test's two xdist workers: the timed slow tests on one
]

SCRUBBED = ("CAMPAIGN_DB", "CAMPAIGN_USER", "CAMPAIGN_WEB_PASSWORD")


def _sleep_on_the_monotonic_clock(seconds: float) -> None:
    threading.Event().wait(seconds)


# `make test-dates` runs tests under libfaketime with the monotonic clock left real (faking it
# makes every timed wait of Python's threads hang). libfaketime 0.9.10 then answers EINVAL to
# time.sleep (clock_nanosleep with an absolute monotonic deadline), so sleep the way a timed
# wait does. Never taken in `make test`.
if os.environ.get("FAKETIME") and os.environ.get("FAKETIME_DONT_FAKE_MONOTONIC") == "1":
    time.sleep = _sleep_on_the_monotonic_clock


def _popen_with_python_environment(
    init: Callable[..., None],
) -> Callable[..., None]:
    def popen_init(self: subprocess.Popen[Any], *args: Any, **kwargs: Any) -> None:
        if kwargs.get("env") is None:
            kwargs["env"] = dict(os.environ)
        init(self, *args, **kwargs)

    return popen_init


# libfaketime 0.9.10 calls getenv() inside every timed wait, and Python's threads hand the GIL
# over with a timed wait; glibc's setenv() may move the environment array while another thread
# reads it, so a monkeypatch.setenv() while a server thread runs crashed `make test-dates` with
# a segmentation fault (tests/test_faketime_environment.py shows it). Under libfaketime the
# C-level environment therefore stays as the run began: os.environ changes live in Python
# only, and every child process is given os.environ explicitly. Never taken in `make test`.
if os.environ.get("FAKETIME") and "faketime" in os.environ.get("LD_PRELOAD", ""):
    os.putenv = lambda key, value: None
    os.unsetenv = lambda key: None
    subprocess.Popen.__init__ = _popen_with_python_environment(  # type: ignore[method-assign]
        subprocess.Popen.__init__
    )


# The test files whose every test depends on the calendar (times, zones, "today", the next
# December 6, the event's date): `make test-dates` runs them (`-m dates`) under libfaketime on
# awkward days. A test elsewhere that depends on it is marked `@pytest.mark.dates` itself.
DATE_SENSITIVE = frozenset(
    {
        "test_calendar.py",
        "test_clock.py",
        "test_collect.py",
        "test_cost.py",
        "test_import_bundled_page.py",
        "test_import_page.py",
        "test_metadata_store.py",
        "test_metadata_validation.py",
        "test_plan_cli.py",
        "test_planner.py",
        "test_posts_cli.py",
        "test_queue_states.py",
        "test_readme.py",
        "test_report.py",
        "test_search.py",
        "test_status.py",
        "test_templates.py",
    }
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test of the DATE_SENSITIVE files `dates`."""
    for item in items:
        if item.path.name in DATE_SENSITIVE:
            item.add_marker(pytest.mark.dates)


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run each test in an empty folder with its own CAMPAIGN_DB and no X_* variables."""
    for key in list(os.environ):
        if key.startswith("X_") or key in SCRUBBED:
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("CAMPAIGN_DB", str(tmp_path / "campaign.db"))
    monkeypatch.setenv("CAMPAIGN_USER", "tester")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """The test's database file (the same one CAMPAIGN_DB names)."""
    return tmp_path / "campaign.db"


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database file made by open_db once per session (per worker under xdist), closed so
    it is whole without its -wal file. Applying every migration takes about 0.1 s (sqlite-utils
    splits each script statement by statement); copying this file takes milliseconds."""
    path = tmp_path_factory.mktemp("template") / "campaign.db"
    open_db(path).conn.close()
    assert not path.with_name("campaign.db-wal").exists()
    return path


@pytest.fixture
def migrated_db_file(db_path: Path, migrated_template: Path) -> Path:
    """The test's database file, migrated, as `campaign init` leaves it (owner-only), not open.
    It is a copy of the session's migrated template: tests of init and of the migrations
    themselves run them for real."""
    shutil.copyfile(migrated_template, db_path)
    os.chmod(db_path, 0o600)
    return db_path


@pytest.fixture
def db(migrated_db_file: Path) -> sqlite_utils.Database:
    """The test's database, opened and migrated (open_db on a copy of the migrated template,
    which finds nothing left to apply)."""
    return open_db(migrated_db_file)


@pytest.fixture
def sample_yaml() -> Path:
    """The bundled #PolicingInConflict campaign metadata."""
    return (
        Path(__file__).resolve().parent.parent / "campaign" / "data" / "policing-in-conflict.yaml"
    )


@pytest.fixture
def run() -> Callable[..., Result]:
    """Invoke the real CLI in-process: ``run("posts", "list", "--json")``."""
    runner = CliRunner()

    def invoke(*args: Any, input: str | None = None, env: dict[str, str] | None = None) -> Result:
        return runner.invoke(
            cli, [str(a) for a in args], input=input, env=env, catch_exceptions=False
        )

    return invoke
