"""The console's side of issue 11: the reply box of the inbox and the mention page, "replied"
with a link to our reply, marks that keep the inbox's filters, the filter that hides our own
posts, the live counter's count of a reply, and the performance page and its CSV."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlite_utils
import time_machine

from campaign.mentions.store import ACCOUNT_ID_KEY
from campaign.store import set_state
from campaign.web import create_app
from posts import queue
from tests.web_helpers import Browserish, add_mentions, load_campaign

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
OURS = "1600000000000000001"


@pytest.fixture
def web(db: sqlite_utils.Database, db_path: Path) -> Iterator[Browserish]:
    """A console on the test's database: sample campaign, three collected posts (one ours)."""
    load_campaign(db)
    set_state(db, ACCOUNT_ID_KEY, OURS)
    add_mentions(
        db,
        [
            {"id": 501, "text": "Great panel on policing #PolicingInConflict", "username": "ana"},
            {"id": 502, "text": "Where is the recording? #PolicingInConflict", "username": "bo"},
            {"id": 503, "text": "Our own post #PolicingInConflict", "author_id": OURS},
        ],
    )
    with time_machine.travel(NOW, tick=False):
        yield Browserish(create_app(db_path))


def _page(web: Browserish, path: str) -> str:
    return web.get(path).get_data(as_text=True)


def test_reply_from_the_inbox_queues_a_reply_and_returns_to_the_filtered_view(
    web: Browserish, db: sqlite_utils.Database
) -> None:
    """The inbox's reply box queues a draft reply (no hashtag added) and goes back to ?q=…."""
    here = "/inbox?page=1&q=recording"
    answer = web.post(
        "/inbox/reply", {"mention_id": "502", "text": "It is online now", "next": here}
    )
    assert (302, here) == (answer.status_code, answer.headers["Location"])
    [post] = queue.list_posts(db)
    assert ("reply", "draft", "502", "It is online now") == (
        post.kind,
        post.status,
        post.reply_to_tweet_id,
        post.text,
    )
    assert f"Reply queued as post {post.id} (draft)." in _page(web, here)


def test_a_refused_reply_says_why_and_queues_nothing(
    web: Browserish, db: sqlite_utils.Database
) -> None:
    """An over-long reply is refused with X's count; nothing is queued."""
    web.post("/inbox/reply", {"mention_id": "502", "text": "a" * 281, "next": "/inbox"})
    assert [] == queue.list_posts(db)
    assert "Reply not queued: 281/280 weighted characters" in _page(web, "/inbox")


def test_the_inbox_and_mention_page_show_replied_with_a_link(
    web: Browserish, db: sqlite_utils.Database
) -> None:
    """Once our reply is out, the mention carries "replied" linking to it on X."""
    web.post("/inbox/reply", {"mention_id": "501", "text": "Thank you", "next": "/inbox"})
    [post] = queue.list_posts(db)
    db.execute(
        "UPDATE posts SET status = 'published', tweet_id = '777', published_at = ? WHERE id = ?",
        ["2026-12-01T15:00:00.000Z", post.id],
    )
    link = (
        '<a href="https://x.com/i/status/777" rel="noopener noreferrer" target="_blank">replied</a>'
    )
    assert link in _page(web, "/inbox")
    assert link in _page(web, "/inbox/501")


def test_the_mention_page_and_inbox_have_the_reply_box_with_its_counter(web: Browserish) -> None:
    """Both pages carry the reply form, its live counter (asking for a reply's count) and R."""
    inbox = _page(web, "/inbox")
    mention = _page(web, "/inbox/502")
    for page in (inbox, mention):
        assert 'id="reply-form"' in page
        assert 'data-answers="1"' in page
        assert 'id="counter-value"' in page
    assert "<kbd>R</kbd> reply" in inbox
    assert re.search(r'<input type="hidden" name="mention_id" id="reply-to" value="502">', mention)


def test_the_counter_counts_a_reply_without_the_hashtag(web: Browserish) -> None:
    """/api/length with answers=1 previews the reply as sent: no hashtag added."""
    plain = web.post("/api/length", {"text": "Thanks"}).get_json()
    reply = web.post("/api/length", {"text": "Thanks", "answers": "1"}).get_json()
    assert ("Thanks #PolicingInConflict", "Thanks") == (plain["preview"], reply["preview"])
    assert 6 == reply["weighted_length"]


def test_marking_from_a_filtered_inbox_returns_to_that_view(web: Browserish) -> None:
    """Marking from ?status=new&q=… comes back to the same filtered list."""
    page = _page(web, "/inbox?q=recording&status=new")
    here = re.search(r'name="next" value="([^"]+)"', page)
    assert here is not None
    target = here.group(1).replace("&amp;", "&")
    answer = web.post("/inbox/mark", {"ids": "502", "status": "reviewed", "next": target})
    assert (302, "/inbox?page=1&q=recording&status=new") == (
        answer.status_code,
        answer.headers["Location"],
    )


def test_a_filter_hides_our_own_posts(web: Browserish) -> None:
    """ours=no hides the campaign's own posts; ours=yes shows only them."""
    ids = lambda html: sorted(re.findall(r'li class="mention" data-id="(\d+)"', html))  # noqa: E731
    assert ["501", "502", "503"] == ids(_page(web, "/inbox"))
    assert ["501", "502"] == ids(_page(web, "/inbox?ours=no"))
    assert ["503"] == ids(_page(web, "/inbox?ours=yes"))


def test_the_performance_page_and_its_csv(web: Browserish, db: sqlite_utils.Database) -> None:
    """/performance ranks the posts with readings; /performance.csv is the same table."""
    from posts import metrics

    web.post("/inbox/reply", {"mention_id": "501", "text": "Thank you", "next": "/inbox"})
    [post] = queue.list_posts(db)
    db.execute(
        "UPDATE posts SET status = 'published', tweet_id = '777', published_at = ? WHERE id = ?",
        ["2026-12-01T14:00:00.000Z", post.id],
    )
    metrics.record(
        db,
        [metrics.Reading(post.id, NOW, 400, 10, 2, 1, 0, 3, 5, 2)],
    )
    page = _page(web, "/performance")
    assert "How our posts did" in page
    assert '<td>reply</td><td class="num">400</td>' in page.replace(f"<td>{post.id}</td>", "")
    csv_text = web.get("/performance.csv").get_data(as_text=True)
    assert csv_text.splitlines()[1].startswith(
        f"{post.id},reply,,2026-12-01T14:00:00+00:00,777,400,10,2,1,0,3,5,"
    )


def test_the_post_page_lists_its_readings_and_what_it_answers(
    web: Browserish, db: sqlite_utils.Database
) -> None:
    """A reply's page links the collected post it answers and lists its metric readings."""
    from posts import metrics

    web.post("/inbox/reply", {"mention_id": "501", "text": "Thank you", "next": "/inbox"})
    [post] = queue.list_posts(db)
    metrics.record(db, [metrics.Reading(post.id, NOW, 400, 10, 2, 1, 0, 3, None, None)])
    page = web.get(f"/posts/{post.id}").get_data(as_text=True)
    assert '<a href="/inbox/501">collected post 501</a>' in page
    row = re.search(r'<table class="table" id="readings">.*?<tbody><tr>(.*?)</tr>', page, re.S)
    assert row is not None
    cells = re.findall(r'<td class="num">([^<]*)</td>', row.group(1))
    assert ["400", "10", "2", "1", "0", "3", "–"] == cells
