"""The web console's pages through Flask's test client: calendar, queue and composer, inbox,
report and status, each against a real campaign database."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlite_utils
import time_machine
from click.testing import Result

from campaign.clock import to_db
from campaign.store import set_state
from campaign.web import create_app
from posts import queue
from tests.web_helpers import Browserish, add_mentions, add_post, load_campaign

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # Tuesday 1 December, 10:00 in New York


@pytest.fixture
def web(db: sqlite_utils.Database, db_path: Path) -> Iterator[Browserish]:
    """A console on the test's database with the sample campaign loaded, time frozen at NOW."""
    load_campaign(db)
    with time_machine.travel(NOW, tick=False):
        yield Browserish(create_app(db_path))


def text_of(html: str) -> str:
    """The visible text of a page, roughly: tags dropped, entities for <, > and & decoded."""
    plain = re.sub(r"<[^>]+>", " ", html)
    plain = plain.replace("&lt;", "<").replace("&gt;", ">").replace("&#34;", '"')
    plain = plain.replace("&#39;", "'").replace("&amp;", "&")
    return " ".join(plain.split())


def test_home_redirects_to_the_calendar(web: Browserish) -> None:
    """The console opens on the calendar."""
    response = web.get("/")
    assert 302 == response.status_code
    assert "/calendar" == response.headers["Location"]


def test_week_shows_each_post_with_its_status_word_in_the_campaign_zone(
    web: Browserish, db: sqlite_utils.Database
) -> None:
    """The week view puts a post on its local day at its local time, with its status as a word."""
    # 03:30 UTC on Thursday 3 December is 22:30 on Wednesday 2 December in New York.
    pid = add_post(
        db, "Late evening reminder", datetime(2026, 12, 3, 3, 30, tzinfo=UTC), "approved"
    )
    page = web.get("/calendar").get_data(as_text=True)
    day = page.split('data-day="2026-12-02"', 1)[1].split("</section>", 1)[0]
    assert f'href="/posts/{pid}"' in day
    assert "22:30" in text_of(day)
    assert "approved" in text_of(day)
    assert "Late evening reminder" in text_of(day)


def test_month_view_shows_posts_of_the_whole_month(
    web: Browserish, db: sqlite_utils.Database
) -> None:
    """The month view covers every day of the month, including the last week."""
    add_post(db, "End of month post", datetime(2026, 12, 30, 16, 0, tzinfo=UTC), "published")
    page = web.get("/calendar?view=month").get_data(as_text=True)
    assert "December 2026" in page
    day = page.split('data-day="2026-12-30"', 1)[1].split("</section>", 1)[0]
    assert "published" in text_of(day)


def test_calendar_approve_button_approves_one_draft(
    web: Browserish, db: sqlite_utils.Database
) -> None:
    """The calendar's Approve button on a draft moves it to approved, with the web user audited."""
    pid = add_post(db, "Draft to approve", NOW + timedelta(days=1))
    response = web.post(f"/posts/{pid}/approve", {"next": "/calendar?view=week"})
    assert 302 == response.status_code
    assert "/calendar?view=week" == response.headers["Location"]
    assert "approved" == queue.get(db, pid).status
    assert "web:tester" == queue.history(db, pid)[-1]["actor"]


def test_approve_day_approves_only_that_days_drafts(
    web: Browserish, db: sqlite_utils.Database
) -> None:
    """Approve-all for a day approves the drafts of that local day and no other."""
    first = add_post(db, "Wednesday one", datetime(2026, 12, 2, 15, 0, tzinfo=UTC))
    second = add_post(db, "Wednesday two", datetime(2026, 12, 2, 18, 0, tzinfo=UTC))
    other = add_post(db, "Thursday", datetime(2026, 12, 3, 15, 0, tzinfo=UTC))
    page = web.get("/calendar").get_data(as_text=True)
    assert "Approve 2 drafts" in page
    web.post("/calendar/approve-day", {"day": "2026-12-02"})
    assert ["approved", "approved", "draft"] == [
        queue.get(db, i).status for i in (first, second, other)
    ]


def test_queue_lists_and_filters_by_status(web: Browserish, db: sqlite_utils.Database) -> None:
    """The queue lists every post; the status filter keeps only that status."""
    add_post(db, "A draft post", NOW + timedelta(hours=2))
    add_post(db, "An approved post", NOW + timedelta(hours=3), "approved")
    everything = text_of(web.get("/queue").get_data(as_text=True))
    only_drafts = text_of(web.get("/queue?status=draft").get_data(as_text=True))
    assert ("A draft post" in everything, "An approved post" in everything) == (True, True)
    assert ("A draft post" in only_drafts, "An approved post" in only_drafts) == (True, False)


def test_queue_refuses_an_unknown_status_filter_with_a_message(web: Browserish) -> None:
    """A made-up status in the filter is a clear 400, not a crash."""
    response = web.get("/queue?status=sent")
    assert 400 == response.status_code
    assert "unknown status" in response.get_data(as_text=True)


def test_post_page_shows_preview_origin_and_history(
    web: Browserish, db: sqlite_utils.Database
) -> None:
    """A post's page shows the text as it will go out (hashtag, tracked link) and its audit trail."""
    pid = add_post(db, "Read https://www.usip.org/events/policing", NOW + timedelta(days=1))
    page = web.get(f"/posts/{pid}").get_data(as_text=True)
    preview = page.split('id="preview-text"', 1)[1].split("</p>", 1)[0]
    assert "utm_source=x" in preview
    assert "#PolicingInConflict" in preview
    assert "made by the test" in page
    assert "written by hand" in page


def test_length_endpoint_agrees_with_the_cli(
    web: Browserish, db: sqlite_utils.Database, run: Callable[..., Result]
) -> None:
    """The composer's counter gives the weighted length the CLI stores for the same text."""
    text = "Policing after conflict 🫶🏽 警察 https://www.usip.org/x"
    answer = web.post("/api/length", {"text": text}).get_json()
    result = run("posts", "add", "--text", text, "--at", "2026-12-04T10:00-05:00")
    assert 0 == result.exit_code, result.output
    stored = queue.list_posts(db)[-1]
    assert stored.weighted_length == answer["weighted_length"]
    assert stored.text == answer["preview"]


def test_edit_past_280_is_refused_and_keeps_the_text(
    web: Browserish, db: sqlite_utils.Database
) -> None:
    """Saving a text over 280 weighted characters shows the refusal and changes nothing."""
    pid = add_post(db, "Short and sweet #PolicingInConflict", NOW + timedelta(days=1))
    long_text = "word " * 60
    response = web.post(f"/posts/{pid}/edit", {"text": long_text, "at": "2026-12-02T10:00"})
    page = response.get_data(as_text=True)
    assert 422 == response.status_code
    assert "Not saved" in page and "shorten the text" in page
    assert long_text.strip() in page
    assert "Short and sweet #PolicingInConflict" == queue.get(db, pid).text


def test_edit_and_reschedule_are_saved_in_the_campaign_zone(
    web: Browserish, db: sqlite_utils.Database
) -> None:
    """A new text and a local time save as the prepared text and the right UTC instant."""
    pid = add_post(db, "Old words #PolicingInConflict", NOW + timedelta(days=1))
    response = web.post(f"/posts/{pid}/edit", {"text": "New words", "at": "2026-12-04T09:15"})
    assert 302 == response.status_code
    post = queue.get(db, pid)
    assert "New words #PolicingInConflict" == post.text
    assert datetime(2026, 12, 4, 14, 15, tzinfo=UTC) == post.scheduled_at


def test_cancel_and_back_to_draft(web: Browserish, db: sqlite_utils.Database) -> None:
    """Cancel stops a post; Back to draft brings it back for editing."""
    pid = add_post(db, "Maybe not", NOW + timedelta(days=1), "approved")
    web.post(f"/posts/{pid}/cancel")
    cancelled = queue.get(db, pid).status
    web.post(f"/posts/{pid}/draft")
    assert ("cancelled", "draft") == (cancelled, queue.get(db, pid).status)


def test_cancelling_a_published_post_is_refused_with_a_message(
    web: Browserish, db: sqlite_utils.Database
) -> None:
    """A refused move shows the library's message as a 400 page."""
    pid = add_post(db, "Already out", NOW - timedelta(days=1), "published")
    response = web.post(f"/posts/{pid}/cancel")
    assert 400 == response.status_code
    assert "already been published" in response.get_data(as_text=True)


def test_composer_adds_a_post(web: Browserish, db: sqlite_utils.Database) -> None:
    """New post adds a hand-written draft at the local time given."""
    response = web.post("/posts/new", {"text": "Join us on Sunday", "at": "2026-12-05T11:00"})
    assert 302 == response.status_code
    post = queue.list_posts(db)[-1]
    assert ("draft", datetime(2026, 12, 5, 16, 0, tzinfo=UTC)) == (post.status, post.scheduled_at)


def test_unknown_post_is_a_404_with_a_message(web: Browserish) -> None:
    """Asking for a post that does not exist says so."""
    response = web.get("/posts/999")
    assert 404 == response.status_code
    assert "no post with id 999" in response.get_data(as_text=True)


def test_inbox_is_newest_first_and_searches_safely(
    web: Browserish, db: sqlite_utils.Database
) -> None:
    """The inbox lists newest first; FTS syntax typed in the box is searched as words."""
    add_mentions(
        db,
        [
            {"id": 101, "text": "older post on policing #PolicingInConflict"},
            {"id": 102, "text": "newer post on policing NEAR( #PolicingInConflict"},
            {"id": 103, "text": "unrelated #PolicingInConflict"},
        ],
    )
    page = web.get("/inbox").get_data(as_text=True)
    assert page.index('data-id="103"') < page.index('data-id="102"') < page.index('data-id="101"')
    found = web.get("/inbox?q=policing").get_data(as_text=True)
    assert ["102", "101"] == re.findall(r'data-id="(\d+)"', found)
    odd = web.get("/inbox?q=NEAR(").get_data(as_text=True)
    assert ["102"] == re.findall(r'data-id="(\d+)"', odd)


def test_inbox_filters_by_author_language_link_and_replies(
    web: Browserish, db: sqlite_utils.Database
) -> None:
    """Each inbox filter keeps only the matching posts."""
    add_post(db, "Our post", NOW - timedelta(days=1), "published", tweet_id="500")
    add_mentions(
        db,
        [
            {"id": 201, "text": "hola", "username": "ana", "lang": "es"},
            {"id": 202, "text": "see https://example.org/a", "urls": ["https://example.org/a"]},
            {"id": 203, "text": "replying to you", "reply_to": 500},
        ],
    )

    def ids(query: str) -> list[str]:
        return re.findall(r'data-id="(\d+)"', web.get("/inbox?" + query).get_data(as_text=True))

    assert ["201"] == ids("author=%40ana")
    assert ["201"] == ids("lang=es")
    assert ["202"] == ids("has_link=yes")
    assert ["203"] == ids("replies=yes")


def test_inbox_marks_many_with_a_note_and_counts_them(
    web: Browserish, db: sqlite_utils.Database, run: Callable[..., Result]
) -> None:
    """Marking ticked posts sets their status and note, as `campaign mentions list` shows."""
    add_mentions(db, [{"id": i, "text": f"post {i}"} for i in (301, 302, 303)])
    web.post("/inbox/mark", {"ids": ["301", "303"], "status": "needs-reply", "note": "ask Lise"})
    listed = json.loads(run("mentions", "list", "--json").output)
    marks = {m["id"]: (m["review_status"], m["note"]) for m in listed}
    assert {
        "301": ("needs-reply", "ask Lise"),
        "302": ("new", None),
        "303": ("needs-reply", "ask Lise"),
    } == marks
    page = text_of(web.get("/inbox").get_data(as_text=True))
    assert "needs-reply 2" in page


def test_inbox_pages_through_older_posts(web: Browserish, db: sqlite_utils.Database) -> None:
    """Fifty posts a page; the next page continues with older posts."""
    add_mentions(db, [{"id": 1000 + i, "text": f"post {i}"} for i in range(60)])
    first = re.findall(r'data-id="(\d+)"', web.get("/inbox").get_data(as_text=True))
    second = re.findall(r'data-id="(\d+)"', web.get("/inbox?page=2").get_data(as_text=True))
    assert (50, 10) == (len(first), len(second))
    assert "1059" == first[0] and "1000" == second[-1]


def test_mention_page_saves_a_note_and_links_to_x(
    web: Browserish, db: sqlite_utils.Database
) -> None:
    """A collected post's page links to it on X and keeps a note with its history."""
    add_mentions(db, [{"id": 401, "text": "a question for the panel", "username": "bob"}])
    web.post("/inbox/mark", {"ids": "401", "status": "new", "note": "answer after the event"})
    page = web.get("/inbox/401").get_data(as_text=True)
    assert 'href="https://x.com/bob/status/401"' in page
    assert "answer after the event" in page
    assert "web:tester" in page


def test_report_page_and_chart(web: Browserish, db: sqlite_utils.Database) -> None:
    """The report shows the totals and its chart is a PNG drawn on request."""
    add_mentions(
        db,
        [
            {"id": 501, "text": "one #PolicingInConflict #rule_of_law", "created_at": NOW},
            {"id": 502, "text": "two #PolicingInConflict", "created_at": NOW},
        ],
    )
    page = text_of(web.get("/report").get_data(as_text=True))
    chart = web.get("/report/chart.png")
    assert "2 posts collected" in page
    assert "#rule_of_law" in page and "##" not in page
    assert ("image/png", b"\x89PNG") == (chart.mimetype, chart.data[:4])


def test_status_lists_failed_and_missed_posts_with_reasons(
    web: Browserish, db: sqlite_utils.Database
) -> None:
    """The status page names every failed or missed post and why."""
    add_post(db, "Refused one", NOW - timedelta(hours=1), "failed", last_error="X said: duplicate")
    add_post(db, "Too late", NOW - timedelta(hours=5), "missed", last_error="daemon was down 5 h")
    page = text_of(web.get("/status").get_data(as_text=True))
    assert "X said: duplicate" in page
    assert "daemon was down 5 h" in page


def test_status_shows_the_daemon_heartbeat_and_the_next_post(
    web: Browserish, db: sqlite_utils.Database
) -> None:
    """A daemon holding the lease shows as running with its heartbeat; the next post is named."""
    from scheduler import lease

    lease.acquire(db, "daemon:test", ttl=60)
    add_post(db, "Goes out next", NOW + timedelta(hours=1), "approved")
    page = web.get("/status").get_data(as_text=True)
    daemon = text_of(page.split('id="daemon">', 1)[1].split("</div>", 1)[0])
    nxt = text_of(page.split('id="next-due">', 1)[1].split("</div>", 1)[0])
    assert daemon.startswith("Running daemon:test")
    assert "last heartbeat 2026-12-01 10:00 EST" in daemon
    assert "2026-12-01 11:00 EST next post: Goes out next" == nxt


def test_publishing_stopped_banner_on_every_page(
    web: Browserish, db: sqlite_utils.Database
) -> None:
    """When the daemon stopped publishing on an auth failure, every page says so."""
    from scheduler.publish import STOPPED_KEY

    assert 'id="publishing-stopped"' not in web.get("/queue").get_data(as_text=True)
    reason = "X refused the credentials (401 Unauthorized)"
    set_state(db, STOPPED_KEY, json.dumps({"reason": reason, "at": to_db(NOW)}))
    for path in ("/calendar", "/queue", "/inbox", "/status"):
        page = web.get(path).get_data(as_text=True)
        banner = text_of(page.split('id="publishing-stopped">', 1)[1].split("</div>", 1)[0])
        assert banner.startswith("Publishing stopped since 2026-12-01 10:00 EST. " + reason), path


def test_queue_approves_a_chosen_days_drafts(web: Browserish, db: sqlite_utils.Database) -> None:
    """The queue's day form approves the drafts of the day picked and goes back to the queue."""
    first = add_post(db, "Friday draft", datetime(2026, 12, 4, 15, 0, tzinfo=UTC))
    other = add_post(db, "Saturday draft", datetime(2026, 12, 5, 15, 0, tzinfo=UTC))
    assert 'value="2026-12-01"' in web.get("/queue").get_data(as_text=True)  # today, local
    response = web.post("/calendar/approve-day", {"day": "2026-12-04", "next": "/queue?"})
    assert "/queue" == response.headers["Location"].rstrip("?")
    assert ("approved", "draft") == (queue.get(db, first).status, queue.get(db, other).status)


def test_kept_counts_and_report_follow_marks_and_new_posts(
    web: Browserish, db: sqlite_utils.Database
) -> None:
    """Counts follow this console's marks at once; newly collected posts show in the counts and
    the report once the background refresh the next request starts has finished."""
    kept = web.client.application.extensions["campaign_cache"]
    add_mentions(db, [{"id": 601, "text": "first", "created_at": NOW}])
    assert "new 1" in text_of(web.get("/inbox").get_data(as_text=True))
    assert "1 posts collected" in text_of(web.get("/report").get_data(as_text=True))
    web.post("/inbox/mark", {"ids": "601", "status": "flagged"})
    marked = text_of(web.get("/inbox").get_data(as_text=True))
    assert ("new 0" in marked, "flagged 1" in marked) == (True, True)
    add_mentions(db, [{"id": 602, "text": "second", "created_at": NOW}])
    stale = text_of(web.get("/inbox").get_data(as_text=True)) + text_of(
        web.get("/report").get_data(as_text=True)
    )
    kept.wait(10)
    fresh = text_of(web.get("/inbox").get_data(as_text=True)) + text_of(
        web.get("/report").get_data(as_text=True)
    )
    assert ("new 0" in stale, "1 posts collected" in stale) == (True, True)
    assert ("new 1" in fresh, "2 posts collected" in fresh) == (True, True)


def test_an_emptied_note_box_clears_the_note_and_list_marks_keep_it(
    web: Browserish, db: sqlite_utils.Database
) -> None:
    """Marking from the list keeps a post's note; saving its note box empty clears it."""
    add_mentions(db, [{"id": 451, "text": "a post"}])
    web.post("/inbox/mark", {"ids": "451", "status": "new", "note": "keep me"})
    web.post("/inbox/mark", {"ids": "451", "status": "reviewed"})
    kept = db.execute("SELECT note FROM mentions WHERE id = 451").fetchone()[0]
    web.post("/inbox/mark", {"ids": "451", "status": "reviewed", "note": "  "})
    cleared = db.execute("SELECT note FROM mentions WHERE id = 451").fetchone()[0]
    assert ("keep me", "") == (kept, cleared)


def test_every_page_answers_on_a_new_empty_database(db_path: Path) -> None:
    """Before any metadata, post or collected post, every page still answers (in UTC)."""
    web = Browserish(create_app(db_path))
    paths = ["/calendar", "/calendar?view=month", "/queue", "/posts/new", "/inbox", "/report"]
    paths += ["/report/chart.png", "/status"]
    assert [200] * len(paths) == [web.get(p).status_code for p in paths]
    assert "Times are shown in UTC" in text_of(web.get("/queue").get_data(as_text=True))


def test_empty_composer_shows_zero_and_no_refusal(web: Browserish) -> None:
    """An empty text box counts 0 and is not refused until it is saved."""
    answer = web.post("/api/length", {"text": "   "}).get_json()
    assert (0, True, None) == (answer["weighted_length"], answer["valid"], answer["error"])
    refused = web.post("/posts/new", {"text": " ", "at": "2026-12-05T11:00"})
    assert 422 == refused.status_code
    assert "the post has no text" in refused.get_data(as_text=True)


def test_a_locked_database_is_a_page_saying_so_not_a_server_error(
    web: Browserish, db: sqlite_utils.Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write that finds the database locked past the busy timeout shows what happened, 503."""
    import campaign.store

    monkeypatch.setattr(campaign.store, "BUSY_TIMEOUT_MS", 100)
    pid = add_post(db, "Draft while the daemon writes", NOW + timedelta(days=1))
    db.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    try:
        response = web.post(f"/posts/{pid}/approve", {"next": "/queue"})
    finally:
        db.execute("ROLLBACK")
    assert 503 == response.status_code
    assert "is busy" in text_of(response.get_data(as_text=True))
    assert "draft" == queue.get(db, pid).status


def test_composer_refuses_a_time_the_clock_skips(
    web: Browserish, db: sqlite_utils.Database
) -> None:
    """02:30 on the night clocks go forward does not exist: refused, not moved silently."""
    pid = add_post(db, "Spring forward", NOW + timedelta(days=1))
    response = web.post(f"/posts/{pid}/edit", {"text": "Spring forward", "at": "2027-03-14T02:30"})
    assert "does not exist" in text_of(response.get_data(as_text=True))
    assert NOW + timedelta(days=1) == queue.get(db, pid).scheduled_at
