"""The console's "New series" page (issue 14's evergreen posts): the form queues a series with
the same checks as `campaign posts series add` (posts.series), in the campaign picked; refusals
name the form's fields and keep what was typed; CSRF like every form; editors and above only,
approving at once needs an approver and four eyes holds."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from html import unescape
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
import time_machine

from campaign import people
from campaign.metadata import parse_file, save
from campaign.web import create_app
from posts import queue, series
from tests.test_web_team import PASSWORD, ROLES, signed_in
from tests.web_helpers import Browserish, load_campaign
from tests.workspace_helpers import event_yaml

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # Tuesday 1 December, 10:00 in New York
TAG = "#PolicingInConflict"
TEXTS = [f"Read our report on policing, part {i}" for i in range(1, 6)]


@pytest.fixture
def frozen() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(NOW, tick=False) as t:
        yield t


@pytest.fixture
def web(db: sqlite_utils.Database, db_path: Path, frozen: object) -> Browserish:
    """The console of the one-person setup with the sample campaign (zone America/New_York)."""
    load_campaign(db)
    return Browserish(create_app(db_path))


def weekly(texts: list[str] = TEXTS, **more: Any) -> dict[str, Any]:
    """The form for a weekly series from Monday 7 December 10:00 New York time for 5 weeks."""
    return {"texts": texts, "at": "2026-12-07T10:00", "every": "7", "until": "2027-01-04", **more}


def text_of(response: Any) -> str:
    return " ".join(unescape(response.get_data(as_text=True)).split())


def test_the_form_queues_a_series_of_drafts(web: Browserish, db: sqlite_utils.Database) -> None:
    """Five variants weekly: five drafts a week apart in the campaign, each text once, in turn;
    the first post's page says it belongs to the series and offers to approve it whole."""
    form = web.get("/series/new")
    assert 200 == form.status_code
    html = form.get_data(as_text=True)
    for field in ('name="texts"', 'name="at"', 'name="every"', 'name="until"', 'id="approve"'):
        assert field in html
    saved = web.post("/series/new", weekly())
    assert 302 == saved.status_code
    posts = queue.list_posts(db)
    assert f"/posts/{posts[0].id}" == saved.headers["Location"]
    assert [f"{t} {TAG}" for t in TEXTS] == [p.text for p in posts]
    assert [7, 14, 21, 28, 4] == [p.scheduled_at.day for p in posts]
    assert {15} == {p.scheduled_at.hour for p in posts}  # 10:00 in New York is 15:00 UTC
    assert {("evergreen", "draft", 1)} == {(p.kind, p.status, p.campaign_id) for p in posts}
    assert (1, 3, 5) == series.of_post(db, posts[2].id)
    page = text_of(web.get(saved.headers["Location"]))
    assert (
        "Series 1: 5 posts (drafts), every 7 days from 2026-12-07 10:00 until 2027-01-04." in page
    )
    assert "Evergreen series 1: post 1 of 5." in page
    assert 'id="approve-series"' in page


def test_approving_at_once_approves_the_whole_series(
    web: Browserish, db: sqlite_utils.Database
) -> None:
    """Ticked "Approve the whole series now" (no team, so no four eyes): every post approved."""
    assert 302 == web.post("/series/new", weekly(approve="1")).status_code
    assert ["approved"] * 5 == [p.status for p in queue.list_posts(db)]


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (
            {"texts": ["A", "B"], "every": "3", "until": "2026-12-31"},
            "give at least 10 variants (one text box each), or post less often",
        ),
        ({"at": "2026-11-30T10:00"}, "already passed: choose a later first post"),
        ({"until": "2026-12-06"}, "ends before its first post: choose a later last day"),
        ({"every": "0"}, "“Every” must be a whole number of days from 1 to 365, not '0'"),
        ({"texts": ["", " "]}, "a series needs a text: write it in the first text box"),
        ({"texts": ["Same words", "Same words", *TEXTS[2:]]}, "two variants say the same thing"),
        ({"texts": ["x" * 300, *TEXTS[1:]]}, "variant 1: "),
        ({"at": "2027-03-14T02:30"}, "2027-03-14T02:30"),  # a time the clocks skip (DST)
    ],
)
def test_refusals_name_the_field_and_keep_the_form(
    web: Browserish, db: sqlite_utils.Database, change: dict[str, Any], said: str
) -> None:
    """Each refusal of posts.series (or of the form's own fields) is a 422 that says what to
    change in the form's words, keeps what was typed, and queues nothing."""
    refused = web.post("/series/new", weekly(**change))
    assert 422 == refused.status_code
    page = text_of(refused)
    assert "Not saved: " in page
    assert said in page
    assert "--text" not in page and "--at" not in page and "--until" not in page
    kept = [t for t in change.get("texts", TEXTS) if t.strip()]
    assert all(f">{t}</textarea>" in unescape(refused.get_data(as_text=True)) for t in kept)
    assert [] == queue.list_posts(db)


def test_add_a_variant_shows_one_more_box_and_saves_nothing(
    web: Browserish, db: sqlite_utils.Database
) -> None:
    """ "Add a variant" sends the form back with what was typed and one more empty text box."""
    shown = web.post("/series/new", weekly(action="more"))
    assert 200 == shown.status_code
    html = shown.get_data(as_text=True)
    assert 6 == html.count('name="texts"')
    assert 'id="text_6"' in html and f">{TEXTS[4]}</textarea>" in html
    assert [] == queue.list_posts(db)
    assert 5 == web.get("/series/new").get_data(as_text=True).count('name="texts"')


def test_the_form_needs_its_csrf_token(web: Browserish, db: sqlite_utils.Database) -> None:
    """A POST without the page's token (another site's form) is refused and queues nothing."""
    assert 403 == web.post("/series/new", weekly(), csrf=False).status_code
    assert [] == queue.list_posts(db)


def test_the_queue_and_the_composer_link_to_it(web: Browserish) -> None:
    for path in ("/queue", "/posts/new"):
        assert 'id="new-series-link"' in web.get(path).get_data(as_text=True)


def test_the_campaign_picked_gets_the_series(
    db: sqlite_utils.Database, db_path: Path, tmp_path: Path, frozen: object
) -> None:
    """With two campaigns the form asks which; the series takes that campaign and hashtag."""
    load_campaign(db)
    other = event_yaml(tmp_path, "#PeaceTech2027", day="2026-12-20", name="Peace Tech 2027")
    second = save(db, parse_file(other), str(other)).id
    web = Browserish(create_app(db_path))
    assert 'id="campaign"' in web.get("/series/new").get_data(as_text=True)
    refused = web.post("/series/new", weekly())
    assert 422 == refused.status_code
    assert "choose the campaign the post belongs to" in text_of(refused)
    assert 302 == web.post("/series/new", weekly(campaign="peacetech2027")).status_code
    posts = queue.list_posts(db)
    assert {(second, "#PeaceTech2027")} == {(p.campaign_id, p.text.split()[-1]) for p in posts}


@pytest.fixture
def team_app(db: sqlite_utils.Database, db_path: Path, frozen: object) -> object:
    load_campaign(db)
    for name, role in ROLES.items():
        people.add(db, name, role, PASSWORD)
    return create_app(db_path)


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id at its lowest cost (as tests/test_web_team.py)."""
    from argon2 import PasswordHasher

    monkeypatch.setattr(
        people, "_hasher", lambda: PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


@pytest.mark.parametrize("name", ["vic", "rita"])
def test_viewers_and_reviewers_may_not_add_a_series(
    team_app: object, db: sqlite_utils.Database, name: str
) -> None:
    """The page and its POST need the editor role; the queue does not offer the link."""
    web = signed_in(team_app, name)
    page = web.get("/series/new")
    assert 403 == page.status_code
    assert f"Adding a series needs the editor role (or higher); {name} is {ROLES[name]}" in (
        text_of(page)
    )
    assert 403 == web.post("/series/new", weekly()).status_code
    assert 'id="new-series-link"' not in web.get("/queue").get_data(as_text=True)
    assert [] == queue.list_posts(db)


def test_an_editor_adds_drafts_and_someone_else_approves_them(
    team_app: object, db: sqlite_utils.Database
) -> None:
    """An editor's series is drafts by them (approving at once needs an approver); the approver
    who made a series may not approve it (four eyes); another approves it whole."""
    dana = signed_in(team_app, "dana")
    assert 'id="approve"' not in dana.get("/series/new").get_data(as_text=True)
    assert 403 == dana.post("/series/new", weekly(approve="1")).status_code
    assert 302 == dana.post("/series/new", weekly()).status_code
    posts = queue.list_posts(db)
    assert {("draft", "dana")} == {(p.status, p.created_by) for p in posts}

    ed = signed_in(team_app, "ed")
    assert 'id="approve"' not in ed.get("/series/new").get_data(as_text=True)
    own = ed.post("/series/new", weekly([f"Another {t}" for t in TEXTS], approve="1"))
    assert 422 == own.status_code
    assert "the four-eyes rule holds: someone else approves the series" in text_of(own)
    assert 5 == len(queue.list_posts(db))
    assert 302 == ed.post(f"/series/{series.of_post(db, posts[0].id)[0]}/approve").status_code
    assert ["approved"] * 5 == [p.status for p in queue.list_posts(db)]
