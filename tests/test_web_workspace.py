"""The console over a workspace of two campaigns: the switcher, the queue, inbox and calendar
filtered by campaign, the all-campaigns calendar, the composer's campaign and the comparison."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlite_utils
import time_machine

from campaign.metadata import parse_file, save
from campaign.web import create_app
from posts import editing, queue
from tests.web_helpers import SAMPLE, Browserish, add_mentions
from tests.workspace_helpers import event_yaml

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # Tuesday 1 December, 10:00 in New York
SOON = NOW + timedelta(days=1)  # Wednesday 2 December, same week


def two_campaigns(db: sqlite_utils.Database, folder: Path) -> tuple[int, int]:
    """The sample (#PolicingInConflict) and #PeaceTech2027, one post each on Wednesday."""
    first = save(db, parse_file(SAMPLE), str(SAMPLE)).id
    other = event_yaml(folder, "#PeaceTech2027", day="2026-12-20", name="Peace Tech 2027")
    second = save(db, parse_file(other), str(other)).id
    editing.add(db, "Policing post", SOON, actor="test", campaign_id=first)
    editing.add(db, "Peace tech post", SOON + timedelta(hours=1), actor="test", campaign_id=second)
    return first, second


@pytest.fixture
def web(db: sqlite_utils.Database, db_path: Path, tmp_path: Path) -> Iterator[Browserish]:
    """A console on a workspace of two campaigns, time frozen at NOW."""
    with time_machine.travel(NOW, tick=False):
        two_campaigns(db, tmp_path)
        yield Browserish(create_app(db_path))


def page(web: Browserish, path: str) -> str:
    response = web.get(path)
    assert 200 == response.status_code, path
    return response.get_data(as_text=True)


def chips(html: str) -> list[str]:
    return re.findall(r'data-campaign="([a-z0-9-]*)"', html.split('class="cal ', 1)[1])


def test_every_page_has_the_switcher_with_every_campaign(web: Browserish) -> None:
    """Calendar, queue, inbox, report, status and composer all carry the campaign switcher."""
    for path in ("/calendar", "/queue", "/inbox", "/report", "/status", "/posts/new"):
        html = page(web, path)
        assert 'id="campaign-switcher"' in html, path
        assert ["", "policinginconflict", "peacetech2027"] == re.findall(
            r'<option value="([a-z0-9-]*)"', html.split('id="campaign-switch"', 1)[1]
        )[:3], path


def test_all_campaigns_calendar_colours_each_campaign_and_shows_the_load(web: Browserish) -> None:
    """With no campaign chosen the calendar shows both, each in its colour, and each day's load
    per account against the cap."""
    html = page(web, "/calendar?view=week&date=2026-12-02")
    assert ["policinginconflict", "peacetech2027"] == chips(html)
    assert 'class="chip s-draft camp-1"' in html and 'class="chip s-draft camp-2"' in html
    assert re.search(r'data-account="default"[^>]*>default 2/100<', html)


def test_switching_filters_calendar_queue_and_composer(web: Browserish) -> None:
    """Choosing a campaign keeps the calendar and the queue to its posts, until switched back."""
    assert 302 == web.get("/campaign?slug=peacetech2027&next=/queue").status_code
    queue_page = page(web, "/queue")
    assert "Peace tech post" in queue_page and "Policing post" not in queue_page
    calendar = page(web, "/calendar?view=week&date=2026-12-02")
    assert "Peace tech post" in calendar and "Policing post" not in calendar
    assert '<option value="peacetech2027" selected>' in page(web, "/posts/new")
    web.get("/campaign?slug=")
    assert "Policing post" in page(web, "/queue")


def test_an_unknown_slug_shows_every_campaign(web: Browserish) -> None:
    """A slug that is no campaign's is all campaigns, not an error or another campaign."""
    web.get("/campaign?slug=nope")
    html = page(web, "/queue")
    assert "Peace tech post" in html and "Policing post" in html


def test_the_composer_adds_the_post_to_the_campaign_picked(
    web: Browserish, db: sqlite_utils.Database
) -> None:
    """The composer's campaign decides the post's campaign and hashtag; none picked is refused."""
    refused = web.post("/posts/new", {"text": "Doors open", "at": "2026-12-03T10:00"})
    assert 422 == refused.status_code
    assert "choose the campaign the post belongs to" in refused.get_data(as_text=True)
    saved = web.post(
        "/posts/new", {"text": "Doors open", "at": "2026-12-03T10:00", "campaign": "peacetech2027"}
    )
    assert 302 == saved.status_code
    added = [p for p in queue.list_posts(db) if p.text.startswith("Doors open")]
    assert [(2, "Doors open #PeaceTech2027")] == [(p.campaign_id, p.text) for p in added]


def test_the_inbox_keeps_to_the_chosen_campaigns_posts(
    web: Browserish, db: sqlite_utils.Database
) -> None:
    """The inbox of one campaign holds only the posts linked to it."""
    from campaign.mentions.store import link_campaigns

    add_mentions(
        db,
        [
            {"id": 9001, "text": "about #PolicingInConflict", "created_at": NOW},
            {"id": 9002, "text": "about #PeaceTech2027", "created_at": NOW},
        ],
    )
    link_campaigns(db, [9001, 9002], [(1, "policinginconflict"), (2, "peacetech2027")])
    web.get("/campaign?slug=peacetech2027")
    html = page(web, "/inbox")
    assert "about #PeaceTech2027" in html and "about #PolicingInConflict" not in html


def test_the_report_compares_the_campaigns(web: Browserish) -> None:
    """The report page has a line per campaign: posts to go and their cost on X."""
    html = page(web, "/report")
    rows = re.findall(r'<tr data-campaign="([a-z0-9-]+)">(.*?)</tr>', html, re.S)
    assert ["policinginconflict", "peacetech2027"] == [slug for slug, _ in rows]
    assert all('<td class="num">1</td>' in cells for _, cells in rows)
