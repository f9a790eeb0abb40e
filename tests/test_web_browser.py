"""The web console in a real browser: headless Chromium (Debian's ``chromium``) driven by
Playwright against ``campaign web`` running as its own process on a free port.

These tests need ``/usr/bin/chromium``. Without it they fail, saying how to install it:
``apt-get update && apt-get install -y chromium``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from campaign.clock import local, now
from posts import queue
from tests.web_helpers import HOSTILE, add_mentions, add_post, load_campaign, web_process

pytestmark = pytest.mark.slow

CHROMIUM = os.environ.get("CAMPAIGN_TEST_CHROMIUM", "/usr/bin/chromium")
INSTALL = "apt-get update && apt-get install -y chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
CAMPAIGN = str(Path(sys.executable).with_name("campaign"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the module; a clear failure when it is not installed."""
    if not Path(CHROMIUM).is_file():
        pytest.fail(
            f"the browser tests need Chromium at {CHROMIUM}, which is missing. Install Debian's "
            f"chromium with `{INSTALL}` (as root), then run the tests again.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def server(db: sqlite_utils.Database, db_path: Path) -> Iterator[str]:
    """``campaign web --port 0`` on the test's database (sample campaign loaded): its URL."""
    load_campaign(db)
    with web_process(db_path) as url:
        yield url


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser tab (its own cookies), with any dialog or page error recorded."""
    context = browser.new_context(viewport={"width": 1366, "height": 800})
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    tab.dialogs = []
    tab.errors = []
    tab.on("dialog", lambda d: (tab.dialogs.append(d.message), d.dismiss()))
    tab.on("pageerror", lambda e: tab.errors.append(str(e)))
    yield tab
    context.close()


def test_approve_a_draft_from_the_calendar(
    page: Any, server: str, db: sqlite_utils.Database
) -> None:
    """Clicking Approve on a draft in the calendar approves it in the database."""
    when = now() + timedelta(hours=2)
    pid = add_post(db, "Draft seen on the calendar", when)
    day = local(when, "America/New_York").date().isoformat()
    page.goto(f"{server}/calendar?view=week&date={day}")
    page.get_by_role("button", name=f"Approve post {pid}").click()
    page.wait_for_selector(f'li.chip.s-approved[data-post-id="{pid}"]')
    assert "approved" == queue.get(db, pid).status
    assert "approved" == page.inner_text(f'[data-post-id="{pid}"] .chip-status').lower()
    assert [] == page.errors


def test_editing_past_280_shows_the_counter_and_the_refusal(
    page: Any, server: str, db: sqlite_utils.Database
) -> None:
    """Typing past 280 turns the live counter red with X's count; saving is refused."""
    pid = add_post(db, "Short text #PolicingInConflict", now() + timedelta(days=1))
    page.goto(f"{server}/posts/{pid}")
    text = "policing " * 33  # 297 characters, 317 with the hashtag
    page.fill("#text", text)
    page.wait_for_selector("#counter.over")
    from posts.length import check

    expected = check(text.strip() + " #PolicingInConflict").weighted_length
    assert str(expected) == page.inner_text("#counter-value")
    assert "shorten the text" in page.inner_text("#preview-error")
    page.click("#save")
    page.wait_for_selector("#save-error")
    assert "Not saved" in page.inner_text("#save-error")
    assert "Short text #PolicingInConflict" == queue.get(db, pid).text
    assert [] == page.errors


def test_search_the_inbox_and_flag_three_with_the_keyboard(
    page: Any, server: str, db: sqlite_utils.Database, db_path: Path
) -> None:
    """Search, then j/x three times and f: the three newest matches are flagged for the CLI too."""
    add_mentions(
        db,
        [
            {"id": 100 + i, "text": f"policing reform point {i} #PolicingInConflict"}
            for i in range(5)
        ]
        + [{"id": 200 + i, "text": f"something else {i}"} for i in range(3)],
    )
    page.goto(f"{server}/inbox")
    page.fill("#search", "policing")
    page.press("#search", "Enter")
    page.wait_for_url("**/inbox?q=policing*")
    assert 5 == page.locator("li.mention").count()
    for key in ("j", "x", "j", "x", "j", "x"):
        page.keyboard.press(key)
    assert 3 == page.locator("li.mention.selected").count()
    with page.expect_navigation():
        page.keyboard.press("f")
    listed = subprocess.run(
        [CAMPAIGN, "--db", str(db_path), "mentions", "list", "--json", "--limit", "50"],
        capture_output=True,
        text=True,
        check=True,
    )
    flagged = sorted(m["id"] for m in json.loads(listed.stdout) if m["review_status"] == "flagged")
    assert ["102", "103", "104"] == flagged
    assert "Marked 3 post(s) flagged." in page.inner_text(".flashes")


def test_a_hostile_post_renders_as_text(page: Any, server: str, db: sqlite_utils.Database) -> None:
    """Markup, event handlers, javascript: links and template syntax in a collected post and in
    a queued post show as text: no script runs, no element is made from them."""
    add_mentions(db, [{"id": 666, "text": HOSTILE, "name": "<img src=y onerror=alert(9)>"}])
    pid = add_post(db, HOSTILE, now() + timedelta(hours=1))
    page.goto(f"{server}/inbox")
    shown = page.inner_text('li.mention[data-id="666"] .mention-text')
    assert HOSTILE == shown
    assert 0 == page.locator(".mention script, .mention img").count()
    page.goto(f"{server}/posts/{pid}")
    assert HOSTILE == page.input_value("#text")
    assert 0 == page.locator("main script, main img").count()
    assert [] == page.dialogs
    assert [] == page.errors


def test_reply_from_the_inbox_with_the_keyboard(
    page: Any, server: str, db: sqlite_utils.Database
) -> None:
    """j to the post, R opens the reply box with its live counter, the reply is queued for that
    post (no hashtag added), and the page comes back to the same search."""
    add_mentions(
        db,
        [
            {"id": 300 + i, "text": f"question {i} about the panel #PolicingInConflict"}
            for i in range(3)
        ],
    )
    page.goto(f"{server}/inbox?q=question")
    assert page.locator("#reply-form").is_hidden()
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("R")
    page.wait_for_selector("#reply-form:not([hidden])")
    assert "301" == page.input_value("#reply-to")
    page.keyboard.type("The recording is online")
    page.wait_for_selector('#counter-value:text-is("23")')
    assert "The recording is online" == page.inner_text("#preview-text")
    with page.expect_navigation():
        page.click("#reply-form button[type=submit]")
    assert page.url.endswith("/inbox?page=1&q=question")
    [post] = queue.list_posts(db)
    assert ("reply", "301", "The recording is online") == (
        post.kind,
        post.reply_to_tweet_id,
        post.text,
    )
    assert f"Reply queued as post {post.id} (draft)." in page.inner_text(".flashes")
    assert [] == page.errors


def test_a_series_composed_in_the_console(
    page: Any, server: str, db: sqlite_utils.Database
) -> None:
    """From the queue's New series: five variants, one more box with Add a variant (what was
    typed is kept), weekly from noon the day after tomorrow for four weeks; saved, the first
    post's page names the series and offers to approve it whole."""
    first = local(now() + timedelta(days=2), "America/New_York").replace(hour=12, minute=0)
    page.goto(f"{server}/queue")
    page.click("#new-series-link")
    texts = [f"Read our report on policing, part {i}" for i in range(1, 7)]
    for i, text in enumerate(texts[:5], start=1):
        page.fill(f"#text_{i}", text)
    with page.expect_navigation():
        page.click("#more-variants")
    assert texts[0] == page.input_value("#text_1")
    page.fill("#text_6", texts[5])
    page.fill("#at", first.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#every", "7")
    page.fill("#until", (first + timedelta(days=28)).date().isoformat())
    with page.expect_navigation():
        page.click("#save-series")
    assert "Evergreen series 1: post 1 of 5." in page.inner_text("#thread")
    assert page.locator("#approve-series").is_visible()
    posts = queue.list_posts(db)
    assert [f"{t} #PolicingInConflict" for t in texts[:5]] == [p.text for p in posts]
    assert {("evergreen", "draft")} == {(p.kind, p.status) for p in posts}
    assert [] == page.errors
