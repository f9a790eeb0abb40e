"""The console with a team, through Flask's test client: signing in, the session cookie, idle
expiry and logout, the single-sign-on header, a role check on every POST, and four eyes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlite_utils
import time_machine
from werkzeug.test import TestResponse

from campaign import people
from campaign.errors import CampaignError
from campaign.web import create_app
from posts import editing, queue
from tests.web_helpers import Browserish, add_mentions, load_campaign

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
PASSWORD = "correct horse battery staple"
ROLES = {"vic": "viewer", "rita": "reviewer", "dana": "editor", "ed": "approver", "ann": "admin"}


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id at its lowest cost, so a test's dozen hashes take milliseconds, not seconds
    (the real cost is pinned once, in test_people.py)."""
    from argon2 import PasswordHasher

    monkeypatch.setattr(
        people, "_hasher", lambda: PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


@pytest.fixture
def traveller() -> Iterator[time_machine.Coordinates]:
    """Time frozen at NOW (moved on by tests that need it)."""
    with time_machine.travel(NOW, tick=False) as t:
        yield t


@pytest.fixture
def app_(db: sqlite_utils.Database, db_path: Path, traveller: object) -> object:
    """A console on a workspace with one person of each role and the sample campaign."""
    load_campaign(db)
    for name, role in ROLES.items():
        people.add(db, name, role, PASSWORD)
    return create_app(db_path)


def signed_in(app: object, name: str) -> Browserish:
    """A browser-like client signed in as ``name``."""
    web = Browserish(app)  # type: ignore[arg-type]
    response = sign_in(web, name, PASSWORD)
    assert 302 == response.status_code
    return web


def sign_in(web: Browserish, name: str, password: str) -> TestResponse:
    """Post the /login form as a browser would, with the token the form carries."""
    page = web.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    response = web.post(
        "/login",
        {"username": name, "password": password, "csrf_token": token.group(1)},
        csrf=False,
    )
    web._token = None  # signing in starts a new session, with a new token
    return response


def draft(db: sqlite_utils.Database, by: str, text: str = "Doors open at 9:30") -> int:
    return editing.add(db, text, NOW + timedelta(days=2), actor=f"web:{by}", by=by).id


def test_every_page_but_login_needs_a_session(app_: object) -> None:
    """Once people exist, a page without a session redirects to /login, which answers."""
    web = Browserish(app_)  # type: ignore[arg-type]
    response = web.get("/queue")
    assert 302 == response.status_code
    assert "/login?next=/queue" == response.headers["Location"]
    assert 200 == web.get("/login").status_code


def test_unknown_name_and_wrong_password_get_the_same_page(app_: object) -> None:
    """A wrong password and an unknown name both get 401 with the same words."""
    web = Browserish(app_)  # type: ignore[arg-type]
    wrong = sign_in(web, "dana", "not the password at all")
    unknown = sign_in(web, "nobody", PASSWORD)
    assert (401, 401) == (wrong.status_code, unknown.status_code)
    assert "Wrong name or password." in wrong.get_data(as_text=True)
    assert "Wrong name or password." in unknown.get_data(as_text=True)


def test_the_session_cookie_is_signed_http_only_lax_and_secure_over_https(app_: object) -> None:
    """Signing in sets an HttpOnly, SameSite=Lax cookie, marked Secure when HTTPS was used."""
    web = Browserish(app_, origin="https://127.0.0.1")  # type: ignore[arg-type]
    page = web.client.get("/login", base_url="https://127.0.0.1").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    response = web.client.post(
        "/login",
        data={"username": "dana", "password": PASSWORD, "csrf_token": token.group(1)},
        headers={"Origin": "https://127.0.0.1"},
        base_url="https://127.0.0.1",
    )
    cookie = response.headers["Set-Cookie"]
    assert ["HttpOnly", "SameSite=Lax", "Secure"] == [
        flag for flag in ("HttpOnly", "SameSite=Lax", "Secure") if flag in cookie
    ]
    plain = signed_in(app_, "dana").get("/calendar").headers.get("Set-Cookie", "")
    assert "Secure" not in plain


def test_a_session_ends_after_8_hours_idle(
    app_: object, traveller: time_machine.Coordinates
) -> None:
    """Seven hours between requests keep the session; over eight end it."""
    web = signed_in(app_, "dana")
    traveller.shift(timedelta(hours=7))
    assert 200 == web.get("/queue").status_code
    traveller.shift(timedelta(hours=8, seconds=1))
    response = web.get("/queue")
    assert 302 == response.status_code
    assert response.headers["Location"].startswith("/login")


def test_logout_ends_the_session(app_: object) -> None:
    """After Sign out the next page asks to sign in again."""
    web = signed_in(app_, "dana")
    assert 302 == web.post("/logout").status_code
    assert 302 == web.get("/queue").status_code


def test_disabling_or_a_new_password_ends_open_sessions(
    app_: object, db: sqlite_utils.Database, traveller: time_machine.Coordinates
) -> None:
    """A person disabled, or given a new password, is signed out at their next request."""
    dana, ed = signed_in(app_, "dana"), signed_in(app_, "ed")
    traveller.shift(timedelta(seconds=5))
    people.disable(db, "dana")
    people.set_password(db, "ed", "another long passphrase")
    assert (302, 302) == (dana.get("/queue").status_code, ed.get("/queue").status_code)


@pytest.mark.parametrize(
    ("name", "path", "form", "needed"),
    [
        ("dana", "/posts/{pid}/approve", {}, "approver"),
        ("dana", "/queue/bulk", {"action": "approve", "ids": "{pid}"}, "approver"),
        ("dana", "/calendar/approve-day", {"day": "2026-12-03"}, "approver"),
        ("rita", "/posts/{pid}/edit", {"text": "changed"}, "editor"),
        ("rita", "/posts/{pid}/cancel", {}, "editor"),
        ("rita", "/posts/new", {"text": "new", "at": "2026-12-05T10:00"}, "editor"),
        ("vic", "/inbox/mark", {"ids": "1", "status": "flagged"}, "reviewer"),
    ],
)
def test_every_post_checks_the_role(
    app_: object,
    db: sqlite_utils.Database,
    name: str,
    path: str,
    form: dict[str, str],
    needed: str,
) -> None:
    """A POST the person's role does not allow is 403 naming the role needed; nothing changes."""
    pid = draft(db, "ann")
    before = queue.get(db, pid)
    web = signed_in(app_, name)
    data = {k: v.format(pid=pid) for k, v in form.items()}
    response = web.post(path.format(pid=pid), data)
    assert 403 == response.status_code
    assert f"needs the {needed} role (or higher); {name} is {ROLES[name]}" in response.get_data(
        as_text=True
    )
    assert before == queue.get(db, pid)


def test_pages_do_not_offer_what_the_person_may_not_do(
    app_: object, db: sqlite_utils.Database
) -> None:
    """A viewer sees no approve, edit, cancel or mark controls; an approver sees them."""
    pid = draft(db, "dana")
    add_mentions(db, [{"id": 7, "text": "hello #PolicingInConflict"}])
    viewer, approver = signed_in(app_, "vic"), signed_in(app_, "ed")
    post_v = viewer.get(f"/posts/{pid}").get_data(as_text=True)
    post_a = approver.get(f"/posts/{pid}").get_data(as_text=True)
    assert [False, False, False] == [
        marker in post_v for marker in ('id="approve"', 'id="save"', "Cancel post")
    ]
    assert [True, True, True] == [
        marker in post_a for marker in ('id="approve"', 'id="save"', "Cancel post")
    ]
    assert 'name="status" value="flagged"' not in viewer.get("/inbox").get_data(as_text=True)
    assert "Approve the day" not in viewer.get("/queue").get_data(as_text=True)
    assert 403 == viewer.get("/posts/new").status_code


def test_the_author_is_offered_no_approve_and_a_forged_one_is_refused(
    app_: object, db: sqlite_utils.Database
) -> None:
    """The approver who wrote a post has no Approve button; posting it anyway is 403."""
    pid = draft(db, "ed")
    web = signed_in(app_, "ed")
    page = web.get(f"/posts/{pid}").get_data(as_text=True)
    assert 'id="approve"' not in page
    assert 'id="four-eyes"' in page
    response = web.post(f"/posts/{pid}/approve")
    assert 403 == response.status_code
    assert "another approver must approve it (four eyes)" in response.get_data(as_text=True)
    assert "draft" == queue.get(db, pid).status


def test_approve_the_day_skips_own_drafts_and_says_how_many(
    app_: object, db: sqlite_utils.Database
) -> None:
    """Approving a day approves the others' drafts and says how many were left for others."""
    mine, theirs = draft(db, "ed", "First"), draft(db, "dana", "Second")
    web = signed_in(app_, "ed")
    day = queue.get(db, mine).scheduled_at.astimezone(UTC).date().isoformat()
    web.post("/calendar/approve-day", {"day": day})
    flashed = web.get("/queue").get_data(as_text=True)
    assert (
        "Approved 1 draft(s) for 2026-12-03. Skipped 1 you wrote or last edited: another "
        "approver must approve them (four eyes)."
    ) in flashed
    assert ("draft", "approved") == (queue.get(db, mine).status, queue.get(db, theirs).status)


def test_the_history_names_the_signed_in_person(app_: object, db: sqlite_utils.Database) -> None:
    """A change made in the console is written to the history as web:<person>."""
    pid = draft(db, "dana")
    signed_in(app_, "ed").post(f"/posts/{pid}/approve")
    assert "web:ed" == queue.history(db, pid)[-1]["actor"]


def test_the_trusted_header_names_existing_people_only(
    db: sqlite_utils.Database, db_path: Path, traveller: object
) -> None:
    """With --trusted-user-header a known person acts without signing in; a stranger gets 403."""
    load_campaign(db)
    people.add(db, "dana", "editor", PASSWORD)
    web = Browserish(create_app(db_path, trusted_user_header="X-Forwarded-User"))
    known = web.get("/queue", headers={"X-Forwarded-User": "dana"})
    assert 200 == known.status_code
    assert "dana" in known.get_data(as_text=True)
    stranger = web.get("/queue", headers={"X-Forwarded-User": "mallory"})
    assert 403 == stranger.status_code
    assert "mallory (named by the sign-on proxy) is not an active person" in stranger.get_data(
        as_text=True
    )


def test_the_trusted_header_needs_a_loopback_bind(db_path: Path) -> None:
    """`--trusted-user-header` with a non-loopback --host is refused before listening."""
    from campaign.web.server import create_server

    with pytest.raises(CampaignError, match="needs the console to listen only on this machine"):
        create_server(
            db_path,
            "0.0.0.0",  # noqa: S104 - refused before anything listens
            0,
            environ={"CAMPAIGN_WEB_PASSWORD": "a long enough passphrase"},
            trusted_user_header="X-Forwarded-User",
        )


def test_no_people_keeps_the_shared_password(
    db: sqlite_utils.Database, db_path: Path, traveller: object
) -> None:
    """A workspace with no people keeps CAMPAIGN_WEB_PASSWORD (HTTP Basic), no sign-in form."""
    load_campaign(db)
    web = Browserish(create_app(db_path, password="a long enough passphrase"))
    assert 401 == web.get("/queue").status_code
    import base64

    basic = "Basic " + base64.b64encode(b"dana:a long enough passphrase").decode()
    assert 200 == web.get("/queue", headers={"Authorization": basic}).status_code


def test_the_start_up_warm_up_passes_the_sign_in(app_: object) -> None:
    """The server's own warm-up reads make the report and inbox answers even with a team,
    while a request from outside without a session is still sent to /login."""
    from campaign.web.server import warm_up

    warm_up(app_)  # type: ignore[arg-type]
    kept = app_.extensions["campaign_cache"]._entries  # type: ignore[attr-defined]
    assert "review-counts" in kept
    assert 302 == Browserish(app_).get("/inbox").status_code  # type: ignore[arg-type]


def _failures(web: Browserish, name: str, n: int) -> list[int]:
    return [sign_in(web, name, f"wrong guess {i}").status_code for i in range(n)]


def test_the_sixth_wrong_password_for_a_name_is_throttled_from_any_address(app_: object) -> None:
    """Five wrong passwords for one name lock that name for 15 minutes, even from another
    address and with the right password; other names sign in as before."""
    first = Browserish(app_)  # type: ignore[arg-type]
    assert [401] * 5 == _failures(first, "dana", 5)
    elsewhere = Browserish(app_)  # type: ignore[arg-type]
    elsewhere.client.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    locked = sign_in(elsewhere, "dana", PASSWORD)
    assert (429, "900") == (locked.status_code, locked.headers["Retry-After"])
    assert ("text/html", True) == (
        locked.mimetype,
        "Too many failed sign-ins" in locked.get_data(as_text=True),
    )
    assert 302 == sign_in(elsewhere, "ed", PASSWORD).status_code


def test_guessing_names_from_one_address_is_throttled_too(app_: object) -> None:
    """Five failures from one address, each for another (even unknown) name, lock the address."""
    web = Browserish(app_)  # type: ignore[arg-type]
    answers = [sign_in(web, name, "wrong").status_code for name in ("a", "b", "dana", "c", "d")]
    assert [401] * 5 == answers
    assert 429 == sign_in(web, "ed", PASSWORD).status_code


def test_the_lock_ends_fifteen_minutes_after_the_last_failure(
    app_: object, traveller: time_machine.Coordinates
) -> None:
    """A locked name signs in again once 15 minutes have passed since its last failure."""
    web = Browserish(app_)  # type: ignore[arg-type]
    _failures(web, "dana", 5)
    traveller.shift(timedelta(minutes=14, seconds=59))
    assert 429 == sign_in(web, "dana", PASSWORD).status_code
    traveller.shift(timedelta(seconds=2))
    assert 302 == sign_in(web, "dana", PASSWORD).status_code
