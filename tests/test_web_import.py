"""The console's CSV import: a preview of every row before anything is stored, a refusal
listing every bad row (nothing imported), and the confirmed import carrying the file and its
images from the preview."""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlite_utils
import time_machine
from PIL import Image

from campaign.web.app import create_app
from posts import media, queue
from tests.web_helpers import Browserish, load_campaign

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
CSV = 'text,at,image,alt,reply_to\r\n"First, with a picture",2026-12-05 11:00,room.png,An empty room,\r\nSecond,2026-12-05 11:30,,,2\r\n'


@pytest.fixture
def web(db: sqlite_utils.Database, db_path: Path) -> Iterator[Browserish]:
    """A console on the test's database with the sample campaign loaded, time frozen at NOW."""
    load_campaign(db)
    with time_machine.travel(NOW, tick=False):
        yield Browserish(create_app(db_path))


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (1, 2, 3)).save(buf, format="PNG")
    return buf.getvalue()


def test_preview_then_import(web: Browserish, db: sqlite_utils.Database) -> None:
    """The preview lists the rows and stores nothing; confirming imports them with the image."""
    before = len(queue.list_posts(db))
    shown = web.post(
        "/posts/import",
        {
            "action": "preview",
            "csv": (io.BytesIO(("\ufeff" + CSV).encode()), "posts.csv"),
            "images": (io.BytesIO(_png()), "room.png"),
        },
    )
    page = shown.get_data(as_text=True)
    assert 200 == shown.status_code, page
    assert "Preview: 2 posts from posts.csv" in page
    assert before == len(queue.list_posts(db))
    form = dict(re.findall(r'<input type="hidden" name="(carried_[^"]+)" value="([^"]*)"', page))
    csv_text = re.search(r'<textarea name="carried_csv" hidden>(.*?)</textarea>', page, re.S)
    assert csv_text is not None
    done = web.post(
        "/posts/import",
        {"action": "import", "carried_csv": html.unescape(csv_text.group(1)), **form},
    )
    assert 302 == done.status_code, done.get_data(as_text=True)
    new = queue.list_posts(db)[before:]
    assert [None, new[0].id] == [p.reply_to_post_id for p in new]
    assert ["An empty room"] == [a.alt_text for a in media.of_post(db, new[0].id)]


def test_a_bad_row_is_refused_listing_it(web: Browserish, db: sqlite_utils.Database) -> None:
    """A past time and a missing image are listed by row; nothing is imported."""
    before = len(queue.list_posts(db))
    bad = "text,at,image,alt\r\nLate,2026-11-01 10:00,,\r\nPic,2026-12-05 11:00,gone.png,Alt\r\n"
    refused = web.post(
        "/posts/import", {"action": "preview", "csv": (io.BytesIO(bad.encode()), "bad.csv")}
    )
    page = refused.get_data(as_text=True)
    assert 422 == refused.status_code
    assert "row 2: the time 2026-11-01 10:00 has already passed" in page
    assert "row 3: the image gone.png was not chosen with the CSV" in page
    assert before == len(queue.list_posts(db))
