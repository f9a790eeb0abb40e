"""`campaign posts …`: list, show, add, edit, approve, cancel and check, through the real CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlite_utils
import time_machine
from click.testing import Result

from campaign.clock import to_db
from campaign.metadata import save
from campaign.models import CampaignSettings, Event, Metadata
from posts import queue
from posts.length import weighted_length

Run = Callable[..., Result]
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
TAG = "#PolicingInConflict"


@pytest.fixture
def new_york(db: sqlite_utils.Database) -> Metadata:
    """A loaded campaign in New York time, tracking links to the event's own sites."""
    md = Metadata(
        campaign=CampaignSettings(
            name="Policing in Conflict",
            timezone="America/New_York",
            tracking={"utm_source": "x", "utm_campaign": "pic"},
        ),
        event=Event(
            title="Policing in conflict-affected settings",
            start=datetime(2026, 12, 8, 14, 0, tzinfo=UTC),
            url="https://www.usip.org/events/policing",
        ),
    )
    save(db, md, None)
    return md


@pytest.fixture(autouse=True)
def frozen() -> Any:
    """Every test here runs at NOW, so times in the output are known."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def ok(run: Run, *args: Any) -> Result:
    """Run the CLI and insist it succeeded."""
    result = run(*args)
    assert 0 == result.exit_code, result.output
    return result


def fails(run: Run, *args: Any) -> str:
    """Run the CLI, insist on exit 2 with one `Error:` line and nothing on stdout; the message."""
    result = run(*args)
    assert (2, "") == (result.exit_code, result.stdout), result.output
    lines = result.stderr.splitlines()
    assert lines[-1].startswith("Error: "), result.stderr
    assert "Traceback" not in result.output
    return lines[-1].removeprefix("Error: ")


def add(run: Run, text: str, at: str = "2026-12-06T14:00Z", *extra: Any) -> int:
    """Add a post through the CLI; its id."""
    return int(ok(run, "posts", "add", "--text", text, "--at", at, *extra).stdout)


def row(db: sqlite_utils.Database, post_id: int) -> dict[str, Any]:
    cur = db.execute("SELECT * FROM posts WHERE id = ?", [post_id])
    return dict(zip([c[0] for c in cur.description], cur.fetchone(), strict=True))


def trail(db: sqlite_utils.Database, post_id: int) -> list[tuple[Any, ...]]:
    return [
        (r["actor"], r["from_status"], r["to_status"], r["detail"])
        for r in queue.history(db, post_id)
    ]


def publish(db: sqlite_utils.Database, post_id: int, tweet_id: str) -> None:
    """What the daemon does, through the state machine: approved → publishing → published."""
    queue.transition(db, post_id, "approved", "publishing", "daemon:test")
    queue.transition(
        db, post_id, "publishing", "published", "daemon:test", tweet_id=tweet_id, published_at=NOW
    )


# --- add ---------------------------------------------------------------------------------------


def test_add_prints_only_the_id_and_stores_a_manual_draft(
    run: Run, db: sqlite_utils.Database
) -> None:
    """`posts add` prints the new id alone and stores a hand-written draft with the hashtag."""
    result = ok(run, "posts", "add", "--text", "Join the panel", "--at", "2026-12-06T09:00-05:00")
    assert ("1\n", "") == (result.stdout, result.stderr)
    stored = row(db, 1)
    expected = {
        "kind": "manual",
        "status": "draft",
        "text": f"Join the panel {TAG}",
        "weighted_length": weighted_length(f"Join the panel {TAG}"),
        "scheduled_at": "2026-12-06T14:00:00.000+00:00",
        "hand_edited": 1,
        "tweet_id": None,
        "reply_to_post_id": None,
    }
    assert expected == {k: stored[k] for k in expected}
    assert [("cli:tester", None, "draft", "added by hand")] == trail(db, 1)


def test_add_approve_stores_an_approved_post(run: Run, db: sqlite_utils.Database) -> None:
    """`--approve` stores the post approved, with the draft and the approval in its trail."""
    post_id = add(run, "Approved at once", "2026-12-06T14:00Z", "--approve")
    assert "approved" == row(db, post_id)["status"]
    assert [
        ("cli:tester", None, "draft", "added by hand"),
        ("cli:tester", "draft", "approved", "approved when added"),
    ] == trail(db, post_id)


def test_add_keeps_a_hashtag_already_there(run: Run, db: sqlite_utils.Database) -> None:
    """A text that has the hashtag (in any case) is stored as written, never doubled."""
    post_id = add(run, "Watch #policinginconflict live")
    assert "Watch #policinginconflict live" == row(db, post_id)["text"]


def test_add_without_offset_reads_the_campaign_zone(
    run: Run, db: sqlite_utils.Database, new_york: Metadata
) -> None:
    """A time with no offset is New York time for this campaign, in winter and in summer."""
    winter = add(run, "Winter post", "2026-12-06T09:00")
    summer = add(run, "Summer post", "2027-07-06T09:00")
    assert "2026-12-06T14:00:00.000+00:00" == row(db, winter)["scheduled_at"]
    assert "2027-07-06T13:00:00.000+00:00" == row(db, summer)["scheduled_at"]


def test_add_without_campaign_reads_utc(run: Run, db: sqlite_utils.Database) -> None:
    """With no campaign loaded, a time with no offset is UTC."""
    post_id = add(run, "No campaign yet", "2026-12-06 09:00")
    assert "2026-12-06T09:00:00.000+00:00" == row(db, post_id)["scheduled_at"]


def test_add_tracks_the_campaigns_own_links(
    run: Run, db: sqlite_utils.Database, new_york: Metadata
) -> None:
    """Links to the event's site get the campaign's tracking; other links are left alone."""
    post_id = add(
        run, "Register https://www.usip.org/events/policing and read https://example.org/a"
    )
    assert (
        "Register https://www.usip.org/events/policing?utm_source=x&utm_campaign=pic "
        f"and read https://example.org/a {TAG}"
    ) == row(db, post_id)["text"]


def test_add_as_a_reply(run: Run, db: sqlite_utils.Database) -> None:
    """`--reply-to` links the new post to an existing one."""
    first = add(run, "The thread starts")
    reply = add(run, "And continues", "2026-12-06T15:00Z", "--reply-to", first)
    assert first == row(db, reply)["reply_to_post_id"]


def test_add_approved_in_the_past_warns(run: Run) -> None:
    """Approving a post whose time has passed still stores it, with a warning on stderr."""
    assert 0 == run("init").exit_code
    result = ok(run, "posts", "add", "--text", "Late", "--at", "2026-11-20T14:00Z", "--approve")
    assert "1\n" == result.stdout
    assert (
        "Warning: post 1 is approved for 2026-11-20 14:00 UTC, which has already passed: the "
        "daemon sends it as soon as it runs, or marks it missed if it is more than 120 minutes "
        "late. To move it: campaign posts edit 1 --at WHEN\n"
    ) == result.stderr


# --- errors ------------------------------------------------------------------------------------


def test_add_refuses_a_bad_time(run: Run, db: sqlite_utils.Database) -> None:
    """A time that is not ISO 8601 is refused with an example, and nothing is stored."""
    assert (
        "cannot read the time 'next friday': write it as ISO 8601 with an offset, "
        "e.g. 2026-12-06T09:00-05:00"
    ) == fails(run, "posts", "add", "--text", "Hi", "--at", "next friday")
    assert 0 == db["posts"].count


def test_add_refuses_a_text_too_long_with_the_numbers(run: Run, db: sqlite_utils.Database) -> None:
    """A text over 280 after the hashtag is refused with its length and how much to cut."""
    text = "x" * 270
    over = weighted_length(f"{text} {TAG}")
    message = fails(run, "posts", "add", "--text", text, "--at", "2026-12-06T14:00Z")
    assert message.startswith(
        f"{over}/280 weighted characters after adding the hashtag: shorten the text by {over - 280}"
    )
    assert 0 == db["posts"].count


def test_add_refuses_a_duplicate(run: Run, db: sqlite_utils.Database) -> None:
    """The same text twice (case and hashtag aside) is refused, naming the post it repeats."""
    add(run, "Same words")
    message = fails(run, "posts", "add", "--text", f"same WORDS {TAG}", "--at", "2026-12-07T14:00Z")
    assert message.startswith("the campaign already has a post with this text")
    assert 1 == db["posts"].count


def test_a_cancelled_text_can_be_used_again(run: Run, db: sqlite_utils.Database) -> None:
    """A cancelled post does not count as a duplicate."""
    first = add(run, "Said once")
    ok(run, "posts", "cancel", first)
    second = add(run, "Said once", "2026-12-07T14:00Z")
    assert ("cancelled", "draft") == (row(db, first)["status"], row(db, second)["status"])


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("posts", "show", "7"), "no post with id 7: see `campaign posts list` for the ids"),
        (
            ("posts", "edit", "7", "--text", "x"),
            "no post with id 7: see `campaign posts list` for the ids",
        ),
        (("posts", "approve", "7"), "no post with id 7: see `campaign posts list` for the ids"),
        (("posts", "cancel", "7"), "no post with id 7: see `campaign posts list` for the ids"),
        (
            ("posts", "add", "--text", "x", "--at", "2026-12-06T14:00Z", "--reply-to", "7"),
            "cannot reply to post 7: there is no post with that id "
            "(see `campaign posts list` for the ids)",
        ),
        (
            ("posts", "list", "--status", "sent"),
            "unknown status 'sent': use one of draft, approved, publishing, published, failed, "
            "unknown, missed, cancelled",
        ),
        (
            ("posts", "approve"),
            "say which posts to approve: `campaign posts approve ID...` or `--all` for every draft",
        ),
        (("posts", "approve", "1", "--all"), "give post ids or --all, not both"),
        (
            ("posts", "approve", "--day", "2026-12-06"),
            "--day only works with --all: `campaign posts approve --all --day DAY`",
        ),
        (
            ("posts", "add", "--text", "  ", "--at", "2026-12-06T14:00Z"),
            "the post has no text: write what it should say",
        ),
        (
            ("posts", "add", "--text", f"{TAG} twice {TAG}", "--at", "2026-12-06T14:00Z"),
            f"the hashtag {TAG} appears 2 times in this post: keep it once (the tool adds it "
            "when it is missing)",
        ),
        (
            ("posts", "edit", "1"),
            "nothing to change in post 1: give a new text (--text), time (--at), post to reply "
            "to (--reply-to) or images (--image FILE --alt TEXT)",
        ),
    ],
)
def test_bad_input_is_one_error_line(
    run: Run, db: sqlite_utils.Database, args: tuple[str, ...], expected: str
) -> None:
    """Unknown ids, statuses and option mistakes end in one `Error:` line and exit code 2."""
    add(run, "Post one")
    assert expected == fails(run, *args)


def test_published_posts_cannot_be_changed(run: Run, db: sqlite_utils.Database) -> None:
    """Editing, cancelling or approving a published post is refused with the reason."""
    post_id = add(run, "Already out", "2026-11-20T15:00Z", "--approve")
    publish(db, post_id, "99")
    assert "post 1 cannot be edited: it has already been published on X" == fails(
        run, "posts", "edit", post_id, "--text", "new words"
    )
    assert (
        "post 1 cannot be cancelled: it has already been published on X. Nothing was changed"
    ) == fails(run, "posts", "cancel", post_id)
    assert (
        "post 1 cannot be approved: it has already been published on X. Nothing was changed"
    ) == fails(run, "posts", "approve", post_id)
    assert ("published", f"Already out {TAG}") == (row(db, 1)["status"], row(db, 1)["text"])


def test_a_post_being_published_cannot_be_edited(run: Run, db: sqlite_utils.Database) -> None:
    """A post the daemon has claimed is refused with the reason."""
    post_id = add(run, "On its way", "2026-11-20T15:00Z", "--approve")
    queue.transition(db, post_id, "approved", "publishing", "daemon:test")
    assert "post 1 cannot be edited: it is being sent to X right now" == fails(
        run, "posts", "edit", post_id, "--at", "2026-12-01T10:00Z"
    )


# --- list --------------------------------------------------------------------------------------


def test_list_without_posts_says_how_to_make_some(run: Run) -> None:
    """An empty queue says how to fill it."""
    assert 0 == run("init").exit_code
    assert (
        "No posts yet: generate drafts with `campaign plan` or add one with "
        "`campaign posts add --text TEXT --at WHEN`.\n"
    ) == ok(run, "posts", "list").stdout


def test_list_table_in_the_campaign_zone(run: Run, new_york: Metadata) -> None:
    """The table shows id, status, local time, kind, length and text, then counts and cost."""
    add(run, "Second in time", "2026-12-07T15:00Z", "--approve")
    add(run, "First in time\nsecond line", "2026-12-06T14:00Z")
    result = run("posts", "list", env={"COLUMNS": "100"})
    lines = [line.rstrip() for line in result.stdout.splitlines()]
    first_len = weighted_length(f"First in time\nsecond line\n{TAG}")
    second_len = weighted_length(f"Second in time {TAG}")
    assert [
        "ID  Status    Time (America/New_York)  Kind    Len/280  Text",
        f" 2  draft     2026-12-06 09:00 EST     manual  {first_len:>7}  First in time",
        f" 1  approved  2026-12-07 10:00 EST     manual  {second_len:>7}  Second in time {TAG}",
        "2 posts: 1 draft, 1 approved",
        "Cost on X: $0.03 for the 2 listed drafts and approved posts if they go out "
        "(0 with links); $0.00 for the 0 published",
    ] == lines


def test_list_table_cuts_only_the_text_on_a_narrow_screen(run: Run) -> None:
    """On a narrow terminal every column stays whole and the text ends in an ellipsis."""
    assert 0 == run("init").exit_code
    text = "A rather long first line that cannot fit"
    add(run, text)
    lines = run("posts", "list", env={"COLUMNS": "70"}).stdout.splitlines()
    prefix = f" 1  draft   2026-12-06 14:00 UTC  manual  {weighted_length(f'{text} {TAG}'):>7}  "
    cut = text[: 70 - len(prefix) - 1] + "…"
    assert prefix + cut == lines[1].rstrip()


def test_list_filters_by_status(run: Run) -> None:
    """`--status` lists only posts in that status."""
    assert 0 == run("init").exit_code
    add(run, "A draft")
    add(run, "An approved one", "2026-12-07T14:00Z", "--approve")
    data = json.loads(ok(run, "posts", "list", "--status", "approved", "--json").stdout)
    assert [2] == [p["id"] for p in data]
    assert "No cancelled posts.\n" == ok(run, "posts", "list", "--status", "cancelled").stdout


def test_list_json_contract(run: Run, db: sqlite_utils.Database) -> None:
    """`--json` gives id, status, exact text, time with offset, length and tweet id per post."""
    first = add(run, "Goes out", "2026-11-20T15:00Z", "--approve")
    add(run, "Waits", "2026-12-06T14:00Z")
    publish(db, first, "1789")
    data = json.loads(ok(run, "posts", "list", "--json").stdout)
    assert [
        {
            "id": 1,
            "status": "published",
            "text": f"Goes out {TAG}",
            "scheduled_at": "2026-11-20T15:00:00+00:00",
            "weighted_length": weighted_length(f"Goes out {TAG}"),
            "tweet_id": "1789",
        },
        {
            "id": 2,
            "status": "draft",
            "text": f"Waits {TAG}",
            "scheduled_at": "2026-12-06T14:00:00+00:00",
            "weighted_length": weighted_length(f"Waits {TAG}"),
            "tweet_id": None,
        },
    ] == [
        {k: p[k] for k in ("id", "status", "text", "scheduled_at", "weighted_length", "tweet_id")}
        for p in data
    ]
    assert all(datetime.fromisoformat(p["scheduled_at"]).utcoffset() is not None for p in data)


# --- show --------------------------------------------------------------------------------------


def test_show_tells_everything_with_the_history(run: Run, new_york: Metadata) -> None:
    """`posts show` gives the fields, the full text and the audit trail in the campaign's zone."""
    add(run, "Two lines\nof text", "2026-12-06T14:00Z", "--approve")
    text = f"Two lines\nof text\n{TAG}"
    assert (
        "Post 1: manual, approved\n"
        "  Time:         2026-12-06 09:00 EST  (2026-12-06T14:00:00+00:00)\n"
        f"  Length:       {weighted_length(text)}/280 weighted characters\n"
        "  Tweet id:     -\n"
        "  Hand-edited:  yes\n"
        "  Created:      2026-11-20 10:00 EST\n"
        "  Updated:      2026-11-20 10:00 EST\n"
        "Text:\n"
        "  Two lines\n"
        "  of text\n"
        f"  {TAG}\n"
        "History:\n"
        "  2026-11-20 10:00 EST  cli:tester  draft  added by hand\n"
        "  2026-11-20 10:00 EST  cli:tester  draft -> approved  approved when added\n"
    ) == ok(run, "posts", "show", "1").stdout


def test_show_json_has_the_history(run: Run) -> None:
    """`posts show --json` is the list item plus its audit trail."""
    assert 0 == run("init").exit_code
    add(run, "Look at me")
    data = json.loads(ok(run, "posts", "show", "1", "--json").stdout)
    assert (1, "draft") == (data["id"], data["status"])
    assert [("cli:tester", None, "draft", "2026-11-20T15:00:00+00:00")] == [
        (h["actor"], h["from_status"], h["to_status"], h["at"]) for h in data["history"]
    ]


# --- approve -----------------------------------------------------------------------------------


def test_approve_prints_one_line_per_post_changed(run: Run, db: sqlite_utils.Database) -> None:
    """Approving ids prints a line per post approved; stderr notes one already approved and the cost."""
    add(run, "First")
    add(run, "Second", "2026-12-07T14:00Z", "--approve")
    add(run, "Third", "2026-12-08T14:00Z")
    result = ok(run, "posts", "approve", "1", "2", "3")
    assert (
        f"Approved post 1 for 2026-12-06 14:00 UTC: First {TAG}\n"
        f"Approved post 3 for 2026-12-08 14:00 UTC: Third {TAG}\n"
    ) == result.stdout
    assert (
        "Post 2 was already approved.\n"
        "Approved 2 posts: $0.03 on X when they go out; "
        "approved and not yet published in all: $0.045\n"
    ) == result.stderr
    assert ["approved"] * 3 == [row(db, i)["status"] for i in (1, 2, 3)]
    assert [("cli:tester", "draft", "approved", "approved by hand")] == trail(db, 3)[1:]


def test_approve_a_past_post_warns(run: Run, db: sqlite_utils.Database) -> None:
    """Approving a post whose time has passed warns on stderr and still approves it."""
    add(run, "Too late", "2026-11-19T09:00Z")
    result = ok(run, "posts", "approve", "1")
    assert result.stderr.startswith(
        "Warning: post 1 is approved for 2026-11-19 09:00 UTC, which has already passed"
    )
    assert "approved" == row(db, 1)["status"]


def test_approve_all_drafts(run: Run, db: sqlite_utils.Database) -> None:
    """`--all` approves every draft and nothing else."""
    add(run, "One")
    add(run, "Two", "2026-12-07T14:00Z")
    add(run, "Three", "2026-12-08T14:00Z")
    ok(run, "posts", "cancel", "3")
    result = ok(run, "posts", "approve", "--all")
    assert 2 == len(result.stdout.splitlines())
    assert ["approved", "approved", "cancelled"] == [row(db, i)["status"] for i in (1, 2, 3)]
    assert "No drafts to approve.\n" == ok(run, "posts", "approve", "--all").stderr


def test_approve_all_of_one_local_day(
    run: Run, db: sqlite_utils.Database, new_york: Metadata
) -> None:
    """`--all --day` takes the drafts of that day in the campaign's zone, not in UTC."""
    late_evening = add(run, "Late on the 6th", "2026-12-07T03:30Z")  # 22:30 in New York
    morning = add(run, "Morning of the 6th", "2026-12-06T14:00Z")
    next_day = add(run, "The 7th", "2026-12-07T14:00Z")
    result = ok(run, "posts", "approve", "--all", "--day", "2026-12-06")
    assert (
        f"Approved post {morning} for 2026-12-06 09:00 EST: Morning of the 6th {TAG}\n"
        f"Approved post {late_evening} for 2026-12-06 22:30 EST: Late on the 6th {TAG}\n"
    ) == result.stdout
    assert "draft" == row(db, next_day)["status"]


# --- edit --------------------------------------------------------------------------------------


def test_edit_text_is_checked_again_and_marked(run: Run, db: sqlite_utils.Database) -> None:
    """A new text gets the hashtag, its new length, and marks the post hand-edited."""
    post_id = add(run, "Old words")
    db.execute("UPDATE posts SET hand_edited = 0 WHERE id = ?", [post_id])  # as the planner made it
    result = ok(run, "posts", "edit", post_id, "--text", "New words")
    new_len = weighted_length(f"New words {TAG}")
    assert f"Edited post 1 (text): 2026-12-06 14:00 UTC, {new_len} weighted characters\n" == (
        result.stdout
    )
    stored = row(db, post_id)
    assert (f"New words {TAG}", new_len, 1, "draft") == (
        stored["text"],
        stored["weighted_length"],
        stored["hand_edited"],
        stored["status"],
    )
    assert ("cli:tester", "draft", "draft", "edited: text") == trail(db, post_id)[-1]


def test_edit_an_approved_post_keeps_it_approved_and_says_so(
    run: Run, db: sqlite_utils.Database, new_york: Metadata
) -> None:
    """Moving an approved post keeps it approved, and the line says it goes out as edited."""
    post_id = add(run, "Approved", "2026-12-06T14:00Z", "--approve")
    result = ok(run, "posts", "edit", post_id, "--at", "2026-12-06T11:30")
    assert (
        "Edited post 1 (time): 2026-12-06 11:30 EST, "
        f"{weighted_length(f'Approved {TAG}')} weighted characters; "
        "it is still approved and goes out as edited\n"
    ) == result.stdout
    assert ("approved", "2026-12-06T16:30:00.000+00:00") == (
        row(db, post_id)["status"],
        row(db, post_id)["scheduled_at"],
    )
    assert (
        "cli:tester",
        "approved",
        "approved",
        "edited: time 2026-12-06T14:00:00.000+00:00 -> 2026-12-06T16:30:00.000+00:00",
    ) == trail(db, post_id)[-1]


def test_edit_a_failed_post_says_to_approve_it(run: Run, db: sqlite_utils.Database) -> None:
    """A failed post can be corrected; it stays failed until approved again."""
    post_id = add(run, "Refused by X", "2026-11-20T15:00Z", "--approve")
    queue.transition(db, post_id, "approved", "publishing", "daemon:test")
    queue.transition(db, post_id, "publishing", "failed", "daemon:test", last_error="403")
    result = ok(run, "posts", "edit", post_id, "--text", "Accepted by X")
    assert result.stdout.endswith("; it is still failed: approve it to send it\n")
    assert "failed" == row(db, post_id)["status"]


def test_edit_refuses_a_duplicate_and_too_long(run: Run, db: sqlite_utils.Database) -> None:
    """An edit that would repeat another post or run over 280 changes nothing."""
    add(run, "Taken words")
    post_id = add(run, "Mine", "2026-12-07T14:00Z")
    assert fails(run, "posts", "edit", post_id, "--text", "Taken words").startswith(
        "the campaign already has a post with this text"
    )
    assert fails(run, "posts", "edit", post_id, "--text", "y" * 300).startswith(
        f"{weighted_length('y' * 300 + ' ' + TAG)}/280 weighted characters"
    )
    assert (f"Mine {TAG}", []) == (row(db, post_id)["text"], trail(db, post_id)[1:])


def test_edit_with_the_same_text_changes_nothing(run: Run, db: sqlite_utils.Database) -> None:
    """Editing a post to what it already says writes nothing and says so."""
    post_id = add(run, "Steady")
    result = ok(run, "posts", "edit", post_id, "--text", "Steady")
    assert ("", "Post 1 already has that text and time: nothing changed.\n") == (
        result.stdout,
        result.stderr,
    )
    assert 1 == len(trail(db, post_id))


# --- cancel ------------------------------------------------------------------------------------


def test_cancel_prints_one_line_per_post(run: Run, db: sqlite_utils.Database) -> None:
    """Cancelling says what each post was; one already cancelled is noted on stderr."""
    add(run, "Draft one")
    add(run, "Approved two", "2026-12-07T14:00Z", "--approve")
    ok(run, "posts", "cancel", "1")
    result = ok(run, "posts", "cancel", "1", "2")
    assert "Cancelled post 2 (was approved).\n" == result.stdout
    assert "Post 1 was already cancelled.\n" == result.stderr
    assert [("cli:tester", "approved", "cancelled", "cancelled by hand")] == trail(db, 2)[2:]


# --- check -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["hello", "https://example.org/a/very/long/path/indeed", "世界 😀", "z" * 281]
)
def test_check_json_counts_the_text_as_given(run: Run, text: str) -> None:
    """`posts check --json` gives X's weighted length of the text alone, and exits 0 either way."""
    expected = {"weighted_length": weighted_length(text), "valid": weighted_length(text) <= 280}
    assert expected == json.loads(ok(run, "posts", "check", "--json", text).stdout)


def test_check_known_weights(run: Run) -> None:
    """A URL counts 23, a CJK character or an emoji 2, and no hashtag is added."""
    assert {"weighted_length": 23 + 1 + 2 + 1 + 2, "valid": True} == json.loads(
        ok(run, "posts", "check", "--json", "https://example.org/x 世 😀").stdout
    )


def test_check_human_line(run: Run) -> None:
    """Without --json, one line says the length and whether it fits."""
    assert (
        "5/280 weighted characters: fits (275 to spare)\n"
        == ok(run, "posts", "check", "hello").stdout
    )
    assert (
        "290/280 weighted characters: too long by 10\n"
        == ok(run, "posts", "check", "q" * 290).stdout
    )


def test_every_posts_command_has_help(run: Run) -> None:
    """Each `posts` subcommand answers --help."""
    for name in ("list", "show", "add", "edit", "approve", "cancel", "check"):
        assert "Usage: " in ok(run, "posts", name, "--help").stdout


def test_the_planner_sees_hand_edits(run: Run, db: sqlite_utils.Database) -> None:
    """Any edit through the CLI leaves hand_edited set, which the planner never overwrites."""
    post_id = add(run, "Mine to keep")
    ok(run, "posts", "edit", post_id, "--at", to_db(NOW + timedelta(days=3)))
    assert 1 == row(db, post_id)["hand_edited"]
