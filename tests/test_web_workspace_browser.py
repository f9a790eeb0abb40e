"""The campaign switcher and the all-campaigns calendar in a real browser (headless Chromium,
as in test_web_browser.py), against ``campaign web`` as its own process."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from campaign.clock import local, now
from campaign.metadata import parse_file, save
from posts import editing
from tests.test_web_browser import browser, page  # noqa: F401 - the fixtures
from tests.web_helpers import SAMPLE, web_process
from tests.workspace_helpers import event_yaml

pytestmark = pytest.mark.slow


@pytest.fixture
def workspace_server(db: sqlite_utils.Database, db_path: Path, tmp_path: Path) -> Iterator[str]:
    """``campaign web`` on a workspace of two campaigns, one draft each two hours from now."""
    first = save(db, parse_file(SAMPLE), str(SAMPLE)).id
    day = (now() + timedelta(days=20)).date().isoformat()
    other = event_yaml(tmp_path, "#PeaceTech2027", day=day, name="Peace Tech 2027")
    second = save(db, parse_file(other), str(other)).id
    when = now() + timedelta(hours=2)
    editing.add(db, "Policing draft", when, actor="test", campaign_id=first)
    editing.add(
        db, "Peace tech draft", when + timedelta(minutes=30), actor="test", campaign_id=second
    )
    with web_process(db_path) as url:
        yield url


def _week(when_from_now: timedelta) -> str:
    return local(now() + when_from_now, "America/New_York").date().isoformat()


def test_the_switcher_keeps_every_page_to_one_campaign(
    page: Any,  # noqa: F811 - the fixture imported above
    workspace_server: str,
) -> None:
    """Choosing a campaign in the switcher filters the queue, and the choice follows to the
    calendar; All campaigns shows both again."""
    page.goto(f"{workspace_server}/queue")
    assert page.is_visible("text=Policing draft") and page.is_visible("text=Peace tech draft")
    page.select_option("#campaign-switch", "peacetech2027")
    page.click("#campaign-switch-go")
    page.wait_for_url("**/queue")
    assert "peacetech2027" == page.input_value("#campaign-switch")
    assert page.is_visible("text=Peace tech draft")
    assert 0 == page.locator("text=Policing draft").count()
    page.goto(f"{workspace_server}/calendar?view=week&date={_week(timedelta(hours=2))}")
    assert ["peacetech2027"] == [page.input_value("#campaign-switch")]
    assert 0 == page.locator("text=Policing draft").count()
    page.select_option("#campaign-switch", "")
    page.click("#campaign-switch-go")
    page.wait_for_selector("li.chip[data-campaign='policinginconflict']")
    assert [] == page.errors


def test_the_all_campaigns_calendar_colours_campaigns_and_counts_the_load(
    page: Any,  # noqa: F811 - the fixture imported above
    workspace_server: str,
) -> None:
    """The all-campaigns calendar shows both campaigns' drafts in different colours, the
    colour key, and the day's load for the account against its cap."""
    page.goto(f"{workspace_server}/calendar?view=week&date={_week(timedelta(hours=2))}")
    first = page.locator("li.chip[data-campaign='policinginconflict']")
    second = page.locator("li.chip[data-campaign='peacetech2027']")
    assert (1, 1) == (first.count(), second.count())
    colour = "getComputedStyle(el).borderLeftColor"
    assert first.evaluate(f"el => {colour}") != second.evaluate(f"el => {colour}")
    assert ["policinginconflict", "peacetech2027"] == page.locator(
        ".campaigns-legend li"
    ).evaluate_all("els => els.map(e => e.dataset.campaign)")
    loads = page.locator(".day-load[data-account='default']").all_inner_texts()
    assert sum(int(t.split()[1].split("/")[0]) for t in loads) == 2
    assert all(t.endswith("/100") for t in loads)
    assert [] == page.errors
