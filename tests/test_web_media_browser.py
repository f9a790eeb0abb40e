"""The issue-14 work in a real browser (headless Chromium, as tests/test_web_browser.py): an image
with its alt text from the composer to the X simulator, and a CSV import with a bad row refused,
then fixed and imported."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
from PIL import Image

from campaign.clock import local, now
from posts import media, queue
from scheduler import lease
from scheduler.publish import PublishConfig, Publishing
from scheduler.publisher import XPublisher
from scheduler.xclient import Credentials, XClient
from tests import test_web_browser as shared
from tests.fixtures.simulator import FakeX

# The browser fixtures of tests/test_web_browser.py: one Chromium, a tab, `campaign web`.
browser = shared.browser
page = shared.page
server = shared.server

pytestmark = pytest.mark.slow
ZONE = "America/New_York"  # the sample campaign's


def test_an_image_with_alt_text_goes_from_the_composer_to_x(
    page: Any,
    server: str,
    db: sqlite_utils.Database,
    fake_x: FakeX,
    tmp_path: Path,
) -> None:
    """Composed with a file and its alt text, approved, published: the simulator has the
    image with that alt text."""
    picture = tmp_path / "room.png"
    Image.new("RGB", (64, 48), (20, 90, 160)).save(picture)
    page.goto(f"{server}/posts/new")
    page.fill("#text", "The panel room is ready")
    page.fill("#at", local(now(), ZONE).strftime("%Y-%m-%dT%H:%M"))
    page.set_input_files("#image_1", str(picture))
    page.fill("#alt_1", "Four empty chairs facing rows of seats")
    page.check("input[name=approve]")
    page.click("#save")
    page.wait_for_selector("img[alt='Four empty chairs facing rows of seats']")
    assert [] == page.errors
    (post,) = [p for p in queue.list_posts(db) if p.text.startswith("The panel room")]
    assert queue.PostStatus.APPROVED == post.status
    holder = lease.new_holder("test")
    assert lease.acquire(db, holder, ttl=120)
    client = XClient(Credentials.from_env(fake_x.env), timeout=2)
    run = Publishing(db, XPublisher(client), holder, PublishConfig(x_timeout=2.0, settle=0.1))
    assert [(post.id, "published")] == [(o.post_id, o.status) for o in run.run_due()]
    (tweet,) = fake_x.tweets(source="api")
    assert ["Four empty chairs facing rows of seats"] == tweet["media_alt"]
    assert [a.media_id for a in media.of_post(db, post.id)] == tweet["media_ids"]


def test_a_csv_with_a_bad_row_is_refused_then_fixed_and_imported(
    page: Any, server: str, db: sqlite_utils.Database, tmp_path: Path
) -> None:
    """The import lists the bad row and imports nothing; the fixed file is previewed, then
    imported as drafts."""
    from datetime import timedelta

    day = local(now() + timedelta(days=3), ZONE).strftime("%Y-%m-%d")
    past = local(now() - timedelta(days=3), ZONE).strftime("%Y-%m-%d")
    bad = tmp_path / "bad.csv"
    bad.write_text(f"text,at\nOn time,{day} 10:00\nToo late,{past} 10:00\n", encoding="utf-8")
    good = tmp_path / "good.csv"
    good.write_text(f"text,at\nOn time,{day} 10:00\nIn time now,{day} 11:00\n", encoding="utf-8")
    before = len(queue.list_posts(db))
    page.goto(f"{server}/posts/import")
    page.set_input_files("#csv", str(bad))
    page.click("#import-preview-button")
    page.wait_for_selector("#import-problems")
    assert "row 3: the time" in page.inner_text("#import-problems")
    assert before == len(queue.list_posts(db))
    page.set_input_files("#csv", str(good))
    page.click("#import-preview-button")
    page.wait_for_selector("#import-preview")
    assert 2 == page.locator("#import-preview tbody tr").count()
    assert before == len(queue.list_posts(db))
    page.click("#import-confirm")
    page.wait_for_url(f"{server}/queue")
    texts = [p.text for p in queue.list_posts(db)[before:]]
    assert ["On time #PolicingInConflict", "In time now #PolicingInConflict"] == texts
    assert [] == page.errors


def test_a_thread_composed_in_the_console(
    page: Any, server: str, db: sqlite_utils.Database
) -> None:
    """From a post's page, "Write a reply" opens the composer with the parent chosen; the
    reply is stored as its reply and its page says so."""
    from datetime import timedelta

    when = local(now() + timedelta(days=2), ZONE)
    page.goto(f"{server}/posts/new")
    page.fill("#text", "A thread on policing, 1/2")
    page.fill("#at", when.strftime("%Y-%m-%dT%H:%M"))
    page.click("#save")
    page.wait_for_selector("#reply-link")
    (parent,) = [p for p in queue.list_posts(db) if p.text.startswith("A thread on policing, 1/2")]
    page.click("#reply-link")
    page.wait_for_selector("#reply_to")
    assert str(parent.id) == page.input_value("#reply_to")
    page.fill("#text", "A thread on policing, 2/2")
    page.fill("#at", (when + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"))
    page.click("#save")
    page.wait_for_selector("#thread")
    assert f"Reply to post {parent.id}." in page.inner_text("#thread")
    (reply,) = [p for p in queue.list_posts(db) if p.text.startswith("A thread on policing, 2/2")]
    assert parent.id == reply.reply_to_post_id
    assert [] == page.errors
