"""A team in a real browser: headless Chromium against ``campaign web`` as its own process, on a
workspace with people, each signing in at /login with their own name and password."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from campaign import people
from campaign.clock import now
from campaign.mentions.review import counts_by_status
from posts import editing, queue
from tests import test_web_browser as shared
from tests.web_helpers import add_mentions, load_campaign, web_process

pytestmark = pytest.mark.slow

# The one headless Chromium and the fresh tab per test, as the console's other browser tests.
browser = shared.browser
page = shared.page
CAMPAIGN = shared.CAMPAIGN
PASSWORD = "correct horse battery staple"
TEAM = {"vic": "viewer", "dana": "editor", "ed": "approver", "ann": "approver"}


@pytest.fixture
def server(db: sqlite_utils.Database, db_path: Path) -> Iterator[str]:
    """``campaign web --port 0`` on a workspace with a viewer, an editor and two approvers."""
    load_campaign(db)
    for name, role in TEAM.items():
        people.add(db, name, role, PASSWORD)
    with web_process(db_path) as url:
        yield url


def sign_in(page: Any, server: str, name: str) -> None:
    """Sign in at /login as ``name``, as a person would."""
    page.goto(f"{server}/login")
    page.fill("#username", name)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("#sign-in")
    assert f"{name} ({TEAM[name]})" == page.inner_text("#signed-in-as")


def forge(page: Any, server: str, path: str, form: dict[str, str]) -> Any:
    """POST ``form`` to ``path`` from the signed-in tab, with its session and CSRF token, as a
    script on the page would: the server alone decides."""
    token = page.get_attribute('meta[name="csrf-token"]', "content")
    return page.request.post(
        f"{server}{path}", form={**form, "csrf_token": token}, headers={"Origin": server}
    )


def draft_by(db: sqlite_utils.Database, name: str, text: str) -> int:
    return editing.add(db, text, now() + timedelta(days=2), actor=f"web:{name}", by=name).id


def test_an_editor_composes_and_cannot_approve(
    page: Any, server: str, db: sqlite_utils.Database
) -> None:
    """An editor writes a post; no Approve is offered, and a forged approval is refused (403)."""
    sign_in(page, server, "dana")
    page.goto(f"{server}/posts/new")
    assert 0 == page.locator('input[name="approve"]').count()
    page.fill("#text", "Doors open at 9:30 for the panel")
    page.fill("#at", (now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"))
    with page.expect_navigation():
        page.click("#save")
    pid = int(page.url.rsplit("/", 1)[1])
    assert "draft" == queue.get(db, pid).status
    assert 0 == page.locator("#approve").count()
    refused = forge(page, server, f"/posts/{pid}/approve", {})
    assert 403 == refused.status
    assert "needs the approver role" in refused.text()
    assert "draft" == queue.get(db, pid).status
    assert [] == page.errors


def test_an_approver_approves(page: Any, server: str, db: sqlite_utils.Database) -> None:
    """An approver opens an editor's draft and approves it; the history names them."""
    pid = draft_by(db, "dana", "Speaker spotlight coming up")
    sign_in(page, server, "ed")
    page.goto(f"{server}/posts/{pid}")
    with page.expect_navigation():
        page.click("#approve")
    assert "approved" == queue.get(db, pid).status
    assert "web:ed" == queue.history(db, pid)[-1]["actor"]
    assert [] == page.errors


def test_the_author_cannot_approve_their_own_post(
    page: Any, server: str, db: sqlite_utils.Database
) -> None:
    """An approver who wrote a post sees no Approve, is told why, and a forged one is refused."""
    pid = draft_by(db, "ed", "Written and wanted approved by ed")
    sign_in(page, server, "ed")
    page.goto(f"{server}/posts/{pid}")
    assert 0 == page.locator("#approve").count()
    assert "another approver must approve it" in page.inner_text("#four-eyes")
    refused = forge(page, server, f"/posts/{pid}/approve", {})
    assert 403 == refused.status
    assert "draft" == queue.get(db, pid).status


def test_editing_an_approved_post_returns_it_to_draft(
    page: Any, server: str, db: sqlite_utils.Database
) -> None:
    """An editor's change to an approved post makes it a draft again, with who and why."""
    pid = draft_by(db, "dana", "The panel starts at ten")
    editing.approve(db, [pid], actor="web:ann", by="ann")
    sign_in(page, server, "dana")
    page.goto(f"{server}/posts/{pid}")
    page.fill("#text", "Policing is a joke in these places lol")
    with page.expect_navigation():
        page.click("#save")
    assert "draft" == queue.get(db, pid).status
    last = queue.history(db, pid)[-1]
    assert ("web:dana", "approved", "draft") == (
        last["actor"],
        last["from_status"],
        last["to_status"],
    )
    assert "back to draft: dana changed it after it was approved" in last["detail"]
    assert "back to draft: dana changed it after it was approved" in page.inner_text("ol.audit")


def test_a_viewer_cannot_mark_the_inbox(page: Any, server: str, db: sqlite_utils.Database) -> None:
    """A viewer gets no mark buttons, the keys do nothing, and a forged mark is refused."""
    add_mentions(db, [{"id": 100 + i, "text": f"point {i} #PolicingInConflict"} for i in range(3)])
    sign_in(page, server, "vic")
    page.goto(f"{server}/inbox")
    assert 0 == page.locator('button[name="status"]').count()
    for key in ("j", "x", "f"):
        page.keyboard.press(key)
    page.wait_for_timeout(300)  # time for a navigation that must not happen
    assert page.url.endswith("/inbox")
    mention_id = page.get_attribute("li.mention", "data-id")
    refused = forge(page, server, "/inbox/mark", {"ids": str(mention_id), "status": "flagged"})
    assert 403 == refused.status
    assert "needs the reviewer role" in refused.text()
    assert 3 == counts_by_status(db)["new"]
    assert [] == page.errors


def test_the_sixth_wrong_password_is_throttled(page: Any, server: str) -> None:
    """Five wrong passwords at the sign-in form, then the sixth try (even the right password)
    is answered 429 with a wait, in words, on the form."""
    page.goto(f"{server}/login")
    for i in range(5):
        page.fill("#username", "dana")
        page.fill("#password", f"not the password {i}")
        with page.expect_navigation():
            page.click("#sign-in")
        assert "/login" in page.url
    page.fill("#username", "dana")
    page.fill("#password", PASSWORD)
    with page.expect_navigation() as answer:
        page.click("#sign-in")
    assert 429 == answer.value.status
    assert "Too many failed sign-ins" in page.inner_text("#login-error")
    assert 0 == page.locator("#signed-in-as").count()
