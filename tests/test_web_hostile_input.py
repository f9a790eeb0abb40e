"""Out-of-range and hostile input to the console: a 4xx page and nothing changed, never a 500;
``next`` and ``back`` lead only to paths of this console, as a browser would read them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlite_utils
import time_machine

from campaign.web import create_app
from posts import queue
from tests.web_helpers import Browserish, add_mentions, add_post, load_campaign

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
TWENTY_DIGITS = "9" * 20


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


@pytest.mark.parametrize(
    "path",
    [
        "/calendar?date=9999-12-31",
        "/calendar?date=0001-01-01",
        "/calendar?view=month&date=9999-12-31",
        "/calendar?view=month&date=0001-01-01",
        f"/queue?page={TWENTY_DIGITS}",
        f"/inbox?page={TWENTY_DIGITS}",
        "/inbox?page=-3",
        "/inbox?page=²",
        f"/posts/{TWENTY_DIGITS}",
        f"/inbox/{TWENTY_DIGITS}",
        f"/inbox/1?back=/{TWENTY_DIGITS}",
    ],
)
def test_out_of_range_addresses_are_a_4xx_page(web: Browserish, path: str) -> None:
    """Dates no calendar holds, pages and ids SQLite cannot hold: 400 or 404, never 500."""
    assert web.get(path).status_code in (400, 404)


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/calendar/approve-day", {"day": "9999-12-31"}),
        ("/calendar/approve-day", {"day": "0001-01-01"}),
        ("/queue/bulk", {"ids": ["{draft}", TWENTY_DIGITS], "action": "approve"}),
        ("/queue/bulk", {"ids": ["{draft}", "²"], "action": "approve"}),
        ("/posts/{draft}/approve", {"next": "/queue\nSet-Cookie: x=1"}),
        ("/posts/{draft}/approve", {"next": "/\t/attacker.example/x"}),
        ("/posts/{draft}/approve", {"next": "/\n/attacker.example/x"}),
        ("/posts/{draft}/approve", {"next": " //attacker.example/x"}),
        (f"/posts/{TWENTY_DIGITS}/approve", {}),
    ],
)
def test_out_of_range_forms_change_nothing(
    web: Browserish, db: sqlite_utils.Database, draft: int, path: str, form: dict[str, object]
) -> None:
    """A form with an impossible day, id or ``next`` is a 4xx page and the draft stays a draft."""
    data = {
        k: [i.format(draft=draft) for i in v] if isinstance(v, list) else str(v).format(draft=draft)
        for k, v in form.items()
    }
    response = web.post(path.format(draft=draft), data)
    assert (True, "draft") == (
        400 <= response.status_code < 500,
        queue.get(db, draft).status,
    )


def test_the_length_counter_ignores_no_huge_id(web: Browserish) -> None:
    """The composer's counter with a post id of twenty digits is a 400, not a 500."""
    assert 400 == web.post("/api/length", {"text": "hello", "post_id": TWENTY_DIGITS}).status_code


def test_the_inbox_mark_refuses_a_huge_id(web: Browserish, db: sqlite_utils.Database) -> None:
    """Marking with an id of twenty digits is refused and the other ticked post is not marked."""
    add_mentions(db, [{"id": 301, "text": "#PolicingInConflict hello"}])
    response = web.post("/inbox/mark", {"ids": ["301", TWENTY_DIGITS], "status": "flagged"})
    status = db.execute("SELECT review_status FROM mentions WHERE id = 301").fetchone()[0]
    assert (400, "new") == (response.status_code, status)


@pytest.mark.parametrize(
    "back",
    ["/\t/attacker.example", "/\n/attacker.example", "\t//attacker.example", "/\\attacker.example"],
)
def test_back_links_never_lead_to_another_site(
    web: Browserish, db: sqlite_utils.Database, back: str
) -> None:
    """A ``back=`` that a browser would read as ``//host`` falls back to the inbox."""
    add_mentions(db, [{"id": 301, "text": "#PolicingInConflict hello"}])
    page = web.get("/inbox/301", query_string={"back": back}).get_data(as_text=True)
    assert 'href="/inbox">&larr; Back to the inbox' in page


def test_a_clean_next_still_leads_back(web: Browserish, draft: int) -> None:
    """A ``next`` that is a path of this console is where the form goes on to."""
    response = web.post(f"/posts/{draft}/approve", {"next": "/calendar?view=month"})
    assert "/calendar?view=month" == response.headers["Location"]


def test_the_inbox_form_goes_back_to_the_same_search(
    web: Browserish, db: sqlite_utils.Database
) -> None:
    """The inbox's form and links carry its own address as next/back (the page's navigation
    once overwrote it with the endpoint's name, which a strict next refuses)."""
    add_mentions(db, [{"id": 301, "text": "#PolicingInConflict policing"}])
    page = web.get("/inbox?q=policing").get_data(as_text=True)
    assert (True, True) == (
        'name="next" value="/inbox?page=1&amp;q=policing"' in page,
        "back=/inbox?page%3D1%26q%3Dpolicing" in page,
    )
