"""The web console's defences: host check, headers, CSRF and same-origin on every POST,
autoescaping of collected text, the password rule, and no secret on any page."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlite_utils
import time_machine
from click.testing import Result

from campaign.web import create_app
from campaign.web.security import PasswordRequiredError, password_for
from posts import queue
from tests.web_helpers import HOSTILE, Browserish, add_mentions, add_post, load_campaign

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
EVERY_ADDRESS = "0.0.0.0"  # noqa: S104 - what the tests ask the console to refuse
SECRETS = {
    "X_API_KEY": "apikey-SECRET-1111",
    "X_API_SECRET": "apisecret-SECRET-2222",
    "X_ACCESS_TOKEN": "access-SECRET-3333",
    "X_ACCESS_TOKEN_SECRET": "accesssecret-SECRET-4444",
    "X_BEARER_TOKEN": "bearer-SECRET-5555",
}


@pytest.fixture
def web(db: sqlite_utils.Database, db_path: Path) -> Iterator[Browserish]:
    """A console on the sample campaign, time frozen."""
    load_campaign(db)
    with time_machine.travel(NOW, tick=False):
        yield Browserish(create_app(db_path))


@pytest.fixture
def draft(db: sqlite_utils.Database) -> int:
    """A draft post for a day ahead."""
    return add_post(db, "A draft", NOW + timedelta(days=1))


def test_a_foreign_host_header_is_refused(web: Browserish) -> None:
    """A request naming another host (DNS rebinding) gets 400, whatever the path."""
    for path in ("/calendar", "/static/app.css"):
        assert 400 == web.client.get(path, headers={"Host": "attacker.example"}).status_code


def test_a_host_header_no_url_can_hold_is_refused(web: Browserish) -> None:
    """A Host with a lone bracket is a 400, not a server error."""
    for host in ("[::1", "127.0.0.1]", "[bad]:x"):
        assert 400 == web.client.get("/calendar", headers={"Host": host}).status_code


def test_localhost_names_are_accepted(web: Browserish) -> None:
    """127.0.0.1, localhost and [::1], with any port, are this machine."""
    codes = [
        web.client.get("/calendar", headers={"Host": h}).status_code
        for h in ("127.0.0.1:8000", "localhost:5000", "[::1]:8000")
    ]
    assert [200, 200, 200] == codes


def test_every_answer_carries_the_security_headers(web: Browserish) -> None:
    """Pages, JSON, static files and errors all carry CSP, nosniff, referrer and framing rules."""
    answers = [
        web.get("/calendar"),
        web.get("/static/app.js"),
        web.get("/posts/999"),
        web.post("/api/length", {"text": "hi"}),
    ]
    for response in answers:
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "nosniff" == response.headers["X-Content-Type-Options"]
        assert "same-origin" == response.headers["Referrer-Policy"]


def test_pages_have_no_inline_script_or_style(web: Browserish, draft: int) -> None:
    """No page relies on inline script or styles, which the CSP would block."""
    for path in ("/calendar", "/calendar?view=month", "/queue", f"/posts/{draft}", "/inbox"):
        page = web.get(path).get_data(as_text=True)
        assert [] == re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page), path
        assert [] == re.findall(r"\s(?:style|on[a-z]+)=", page), path


def test_post_without_csrf_token_is_refused(
    web: Browserish, db: sqlite_utils.Database, draft: int
) -> None:
    """A state-changing POST without the session's token is 403 and changes nothing."""
    response = web.post(f"/posts/{draft}/approve", csrf=False)
    assert 403 == response.status_code
    assert "draft" == queue.get(db, draft).status


def test_post_with_a_wrong_csrf_token_is_refused(
    web: Browserish, db: sqlite_utils.Database, draft: int
) -> None:
    """A token from another session does not work."""
    response = web.post(f"/posts/{draft}/approve", {"csrf_token": "not-the-token"})
    assert 403 == response.status_code
    assert "draft" == queue.get(db, draft).status


def test_post_from_another_origin_is_refused(
    web: Browserish, db: sqlite_utils.Database, draft: int
) -> None:
    """A POST whose Origin is another site is 403 even with a valid token."""
    response = web.post(f"/posts/{draft}/approve", Origin="http://attacker.example")
    assert 403 == response.status_code
    assert "draft" == queue.get(db, draft).status


def test_post_with_neither_origin_nor_referer_is_refused(
    web: Browserish, db: sqlite_utils.Database, draft: int
) -> None:
    """Without Origin or Referer the request cannot prove where it came from: 403."""
    response = web.post(f"/posts/{draft}/approve", Origin="")
    assert 403 == response.status_code
    assert "draft" == queue.get(db, draft).status


def test_post_with_a_same_origin_referer_is_accepted(
    web: Browserish, db: sqlite_utils.Database, draft: int
) -> None:
    """A browser that sends only a Referer from this console is accepted."""
    response = web.post(f"/posts/{draft}/approve", Origin="", Referer="http://127.0.0.1/calendar")
    assert 302 == response.status_code
    assert "approved" == queue.get(db, draft).status


def test_state_never_changes_on_get(web: Browserish, db: sqlite_utils.Database, draft: int) -> None:
    """Changing URLs answer GET with 405 Method Not Allowed."""
    codes = [
        web.get(path).status_code
        for path in (f"/posts/{draft}/approve", f"/posts/{draft}/cancel", "/inbox/mark")
    ]
    assert [405, 405, 405] == codes
    assert "draft" == queue.get(db, draft).status


def test_redirect_after_a_post_stays_on_this_console(
    web: Browserish, db: sqlite_utils.Database, draft: int
) -> None:
    """A ``next`` pointing to another site is refused before anything changes (no open
    redirect)."""
    response = web.post(f"/posts/{draft}/approve", {"next": "//attacker.example/x"})
    assert (400, "draft") == (response.status_code, queue.get(db, draft).status)


@pytest.mark.parametrize(
    ("path", "form", "fallback"),
    [
        ("/posts/{draft}/approve", {}, "/posts/{draft}"),
        ("/queue/bulk", {"ids": "{draft}", "action": "approve"}, "/queue"),
        ("/calendar/approve-day", {"day": "2026-12-04"}, "/calendar"),
        ("/inbox/mark", {"status": "reviewed"}, "/inbox"),
    ],
)
def test_no_form_redirects_to_a_backslash_address(
    web: Browserish, draft: int, path: str, form: dict[str, str], fallback: str
) -> None:
    """Every form refuses a ``next`` with a backslash (browsers read ``/\\host`` as ``//host``)
    and goes on to its own page without one."""
    data = {k: v.format(draft=draft) for k, v in form.items()}
    refused = web.post(path.format(draft=draft), {**data, "next": "/\\attacker.example/x"})
    response = web.post(path.format(draft=draft), data)
    assert (400, fallback.format(draft=draft)) == (
        refused.status_code,
        response.headers["Location"],
    )


def test_session_cookie_is_http_only_and_same_site_lax(web: Browserish) -> None:
    """The session cookie (which holds the CSRF token) is out of reach of scripts, and other
    sites' forms cannot send it (Lax: a link followed from elsewhere keeps a person signed in)."""
    cookie = web.get("/calendar").headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_hostile_collected_post_renders_as_text(web: Browserish, db: sqlite_utils.Database) -> None:
    """Script, event handlers, javascript: and template syntax in a collected post stay text."""
    add_mentions(
        db,
        [
            {
                "id": 777,
                "text": HOSTILE,
                "username": 'x"><script>alert(4)</script>',
                "name": "<b onmouseover=alert(5)>Name</b>",
                "created_at": NOW,
            }
        ],
    )
    db.execute("UPDATE mentions SET note = ? WHERE id = 777", ["<script>alert(6)</script>"])
    for path in ("/inbox", "/inbox?q=script", "/inbox/777", "/report"):
        page = web.get(path).get_data(as_text=True)
        assert "<script>alert" not in page, path
        assert "<img src=x" not in page, path
        assert "<b onmouseover" not in page, path
        assert 'href="javascript:' not in page, path
        if path != "/report":
            assert "{{7*7}}" in page, path  # shown as typed, never evaluated
    inbox = web.get("/inbox").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in inbox
    assert "{{7*7}}" in inbox


def test_hostile_post_text_renders_as_text(web: Browserish, db: sqlite_utils.Database) -> None:
    """A post in the queue with markup and template syntax shows as text everywhere."""
    pid = add_post(db, HOSTILE, NOW + timedelta(hours=3))
    for path in ("/calendar", "/calendar?view=month", "/queue", f"/posts/{pid}", "/status"):
        page = web.get(path).get_data(as_text=True)
        assert "<script>alert" not in page, path
        assert "<img src=x" not in page, path
    assert "{{7*7}}" in web.get(f"/posts/{pid}").get_data(as_text=True)


def test_loopback_needs_no_password_but_other_addresses_do() -> None:
    """Binding beyond this machine without CAMPAIGN_WEB_PASSWORD is refused with the fix."""
    assert None is password_for("127.0.0.1", {})
    assert None is password_for("localhost", {})
    long_enough = "correct horse battery"
    assert long_enough == password_for(EVERY_ADDRESS, {"CAMPAIGN_WEB_PASSWORD": long_enough})
    with pytest.raises(PasswordRequiredError, match="CAMPAIGN_WEB_PASSWORD") as refused:
        password_for(EVERY_ADDRESS, {})
    assert "set a password" in str(refused.value)


@pytest.mark.parametrize("weak", [" ", "a", "pw", "   eleven   ", "elevenchars"])
def test_a_short_password_is_refused_off_this_machine(weak: str) -> None:
    """A password under 12 characters (spaces not counted at the ends) cannot guard 0.0.0.0."""
    with pytest.raises(PasswordRequiredError, match="at least 12 characters"):
        password_for(EVERY_ADDRESS, {"CAMPAIGN_WEB_PASSWORD": weak})


def test_cli_refuses_to_listen_on_all_addresses_without_a_password(
    run: Callable[..., Result],
) -> None:
    """`campaign web --host 0.0.0.0` without a password exits 2 with a one-line message."""
    assert 0 == run("init").exit_code
    result = run("web", "--host", EVERY_ADDRESS, "--port", "0")
    assert 2 == result.exit_code
    assert result.output.startswith("Error: listening on 0.0.0.0")
    assert "CAMPAIGN_WEB_PASSWORD" in result.output
    assert "Traceback" not in result.output


def test_password_protects_every_page(db: sqlite_utils.Database, db_path: Path) -> None:
    """With a password set, no page answers without it and the right one lets you in."""
    load_campaign(db)
    client = create_app(db_path, password="correct horse").test_client()

    def auth(password: str) -> dict[str, str]:
        token = base64.b64encode(f"alice:{password}".encode()).decode()
        return {"Host": "127.0.0.1", "Authorization": f"Basic {token}"}

    assert 401 == client.get("/calendar", headers={"Host": "127.0.0.1"}).status_code
    assert 401 == client.get("/static/app.css", headers={"Host": "127.0.0.1"}).status_code
    assert 401 == client.get("/calendar", headers=auth("wrong")).status_code
    assert 200 == client.get("/calendar", headers=auth("correct horse")).status_code


def test_signed_in_name_goes_in_the_audit_trail(db: sqlite_utils.Database, db_path: Path) -> None:
    """With a password, the name people sign in with is the actor of their changes."""
    load_campaign(db)
    pid = add_post(db, "A draft", datetime(2030, 1, 1, tzinfo=UTC))
    token = base64.b64encode(b"alice:pw").decode()
    web = Browserish(create_app(db_path, password="pw"))
    web.client.environ_base["HTTP_AUTHORIZATION"] = f"Basic {token}"
    web.post(f"/posts/{pid}/approve")
    assert "web:alice" == queue.history(db, pid)[-1]["actor"]


def test_secrets_never_appear_on_any_page(
    web: Browserish, db: sqlite_utils.Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With X credentials in the environment, crawling every page finds none of them."""
    for key, value in SECRETS.items():
        monkeypatch.setenv(key, value)
    pid = add_post(db, "Failed one", NOW - timedelta(hours=1), "failed", last_error="401 from X")
    add_mentions(db, [{"id": 901, "text": "hello #PolicingInConflict", "created_at": NOW}])
    seen: set[str] = set()
    todo = ["/", "/calendar?view=month", f"/posts/{pid}", "/inbox/901", "/posts/new"]
    while todo:
        path = todo.pop()
        if path in seen or "date=" in path or "page=" in path:
            continue  # other weeks and pages are the same templates
        seen.add(path)
        response = web.get(path, follow_redirects=True)
        body = response.get_data(as_text=True) if response.mimetype != "image/png" else ""
        for value in SECRETS.values():
            assert value not in body, path
            assert value not in str(response.headers), path
        for link in re.findall(r'(?:href|src)="(/[^"]*)"', body):
            todo.append(link.replace("&amp;", "&"))
    assert {"/status", "/report", "/inbox", "/queue", "/report/chart.png"} <= seen
