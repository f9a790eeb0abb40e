"""Images in the console: the composer stores a file with its alt text, the post page and the
calendar show them (alt text as the image's alt), a missing alt text is refused naming the image,
and an upload larger than the console's small form limit is accepted on the composer only."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlite_utils
import time_machine
from PIL import Image

from campaign.web.app import create_app
from posts import media, queue
from tests.web_helpers import Browserish, load_campaign

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


@pytest.fixture
def web(db: sqlite_utils.Database, db_path: Path) -> Iterator[Browserish]:
    """A console on the test's database with the sample campaign loaded, time frozen at NOW."""
    load_campaign(db)
    with time_machine.travel(NOW, tick=False):
        yield Browserish(create_app(db_path))


def png(size: tuple[int, int] = (30, 20), noise: bool = False) -> bytes:
    """A real PNG (``noise``: random pixels, so it does not compress, for a large file)."""
    import os

    img = (
        Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
        if noise
        else Image.new("RGB", size, (10, 120, 200))
    )
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def test_composer_stores_an_image_with_its_alt_text(
    web: Browserish, db: sqlite_utils.Database
) -> None:
    """A post composed with an image and alt text stores both; its page and the calendar
    show the image with that alt text."""
    response = web.post(
        "/posts/new",
        {
            "text": "Our panel room is ready",
            "at": "2026-12-05T11:00",
            "image_1": (io.BytesIO(png()), "room.png"),
            "alt_1": "Four chairs facing an audience",
        },
    )
    assert 302 == response.status_code, response.get_data(as_text=True)
    post = queue.list_posts(db)[-1]
    (img,) = media.of_post(db, post.id)
    assert ("room.png", "Four chairs facing an audience") == (img.name, img.alt_text)
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    assert 'alt="Four chairs facing an audience"' in page
    cal = web.get("/calendar?view=week&date=2026-12-05").get_data(as_text=True)
    assert 'alt="Four chairs facing an audience"' in cal
    served = web.get(f"/images/{img.sha256}")
    assert ("image/png", png()) == (served.mimetype, served.get_data())


def test_composer_refuses_an_image_without_alt_text(
    web: Browserish, db: sqlite_utils.Database
) -> None:
    """An image without alt text is refused with a 422 naming it; nothing is added."""
    before = len(queue.list_posts(db))
    response = web.post(
        "/posts/new",
        {"text": "Room", "at": "2026-12-05T11:00", "image_1": (io.BytesIO(png()), "room.png")},
    )
    assert 422 == response.status_code
    assert "the image room.png has no alt text" in response.get_data(as_text=True)
    assert before == len(queue.list_posts(db))


def test_a_large_image_passes_the_composer_but_not_other_forms(web: Browserish) -> None:
    """A 1 MB image is accepted by the composer; the same body to another form is a 413."""
    big = png((700, 500), noise=True)
    assert len(big) > 1024 * 1024
    ok = web.post(
        "/posts/new",
        {
            "text": "Big",
            "at": "2026-12-05T11:00",
            "image_1": (io.BytesIO(big), "big.png"),
            "alt_1": "Noise",
        },
    )
    assert 302 == ok.status_code
    refused = web.post("/queue/bulk", {"ids": "1", "file": (io.BytesIO(big), "big.png")})
    assert 413 == refused.status_code


def test_editing_the_alt_text_and_removing_an_image(
    web: Browserish, db: sqlite_utils.Database
) -> None:
    """The post page changes an image's alt text in place, and removes an image when ticked."""
    web.post(
        "/posts/new",
        {
            "text": "Two pictures",
            "at": "2026-12-05T11:00",
            "image_1": (io.BytesIO(png()), "a.png"),
            "alt_1": "First",
            "image_2": (io.BytesIO(png((5, 5))), "b.png"),
            "alt_2": "Second",
        },
    )
    post = queue.list_posts(db)[-1]
    web.post(
        f"/posts/{post.id}/edit",
        {
            "text": post.text,
            "at": "2026-12-05T11:00",
            "alt_1": "First, better",
            "alt_2": "x",
            "remove_2": "1",
        },
    )
    assert [("a.png", "First, better")] == [
        (a.name, a.alt_text) for a in media.of_post(db, post.id)
    ]


def test_a_thread_composed_in_the_console(web: Browserish, db: sqlite_utils.Database) -> None:
    """A post composed as a reply stores its parent; both pages show the thread."""
    web.post("/posts/new", {"text": "Thread, part one", "at": "2026-12-05T11:00"})
    parent = queue.list_posts(db)[-1]
    form = web.get(f"/posts/new?reply_to={parent.id}").get_data(as_text=True)
    assert f'<option value="{parent.id}" selected>' in form
    done = web.post(
        "/posts/new",
        {"text": "Thread, part two", "at": "2026-12-05T11:05", "reply_to": str(parent.id)},
    )
    assert 302 == done.status_code
    reply = queue.list_posts(db)[-1]
    assert parent.id == reply.reply_to_post_id
    page = web.get(f"/posts/{reply.id}").get_data(as_text=True)
    assert f'Reply to <a href="/posts/{parent.id}">post {parent.id}</a>' in page
    assert f">post {reply.id}</a>" in web.get(f"/posts/{parent.id}").get_data(as_text=True)


def test_add_to_queue_takes_the_next_free_slot(web: Browserish, db: sqlite_utils.Database) -> None:
    """ "Add to queue" ignores the time field and takes the next free queue slot."""
    web.post("/posts/new", {"text": "Queued one", "at": "", "when": "next-slot"})
    web.post("/posts/new", {"text": "Queued two", "at": "", "when": "next-slot"})
    one, two = queue.list_posts(db)[-2:]
    # NOW is Tuesday 10:00 in New York: the 12:00 and 16:00 slots of that day.
    assert [(12, 0), (16, 0)] == [
        (
            p.scheduled_at.astimezone(ZoneInfo("America/New_York")).hour,
            p.scheduled_at.astimezone(ZoneInfo("America/New_York")).minute,
        )
        for p in (one, two)
    ]


def test_a_series_is_approved_once_from_a_post_page(
    web: Browserish, db: sqlite_utils.Database
) -> None:
    """An occurrence's page names its series; its button approves every draft of the series."""
    from posts import series

    made = series.create(
        db,
        ["Monthly reading list"],
        datetime(2026, 12, 10, 15, 0, tzinfo=UTC),
        every_days=30,
        until_at=datetime(2027, 3, 1, tzinfo=UTC),
        actor="test",
    )
    page = web.get(f"/posts/{made.post_ids[1]}").get_data(as_text=True)
    assert f"Evergreen series {made.id}: post 2 of 3." in page
    done = web.post(f"/series/{made.id}/approve", {"next": f"/posts/{made.post_ids[1]}"})
    assert 302 == done.status_code
    assert ["approved"] * 3 == [queue.get(db, i).status for i in made.post_ids]
