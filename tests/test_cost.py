"""What the campaign costs on X: prices, link detection, the YAML, and where staff see it."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
import time_machine
from click.testing import Result

from campaign.clock import to_db
from campaign.importpage import parse_page, to_yaml
from campaign.metadata import InvalidMetadata, from_dict, parse_text, save, to_dict
from campaign.models import CampaignSettings, Event, Metadata
from campaign.store import immediate
from posts.cost import estimate, post_cost, read_cost, unit, usd
from posts.queue import list_posts
from scheduler.collect import collect_once, read_budget
from scheduler.status import snapshot
from scheduler.xclient import Credentials, XClient
from tests.web_helpers import Browserish, add_post, load_campaign

Run = Callable[..., Result]
SETTINGS = CampaignSettings(name="test")
TAG = "#PolicingInConflict"
NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
SEARCH_TAG = re.compile(r"#policinginconflict(?!\w)", re.IGNORECASE)

YAML = """\
campaign:
  name: Costs
  hashtag: '#PolicingInConflict'
{extra}
event:
  title: A panel
  start: 2026-12-06 10:00
"""


def yaml_with(extra: str) -> str:
    return YAML.format(extra="\n".join("  " + line for line in extra.splitlines()))


def ok(run: Run, *args: Any) -> Result:
    result = run(*args)
    assert 0 == result.exit_code, result.output
    return result


def save_campaign(db: sqlite_utils.Database, **settings: Any) -> CampaignSettings:
    """Store a campaign in UTC with ``settings`` (prices, budget) and return its settings."""
    campaign = CampaignSettings(name="Costs", **settings)
    save(db, Metadata(campaign, Event("A panel", datetime(2026, 12, 6, 15, tzinfo=UTC))), None)
    return campaign


# --- prices and links ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"Join us on 6 December {TAG}", "0.015"),
        (f"Register https://www.usip.org/events/policing {TAG}", "0.20"),
        (f"Read more at usip.org {TAG}", "0.20"),  # X links a bare domain too
        (f"Panel at 10.30, e.g. online {TAG}", "0.015"),  # dots that are not links
        (f"Mail panel@usip.org {TAG}", "0.015"),  # an e-mail address is not a link on X
    ],
)
def test_a_post_costs_more_when_x_counts_a_link_in_it(text: str, expected: str) -> None:
    """A post with anything X counts as a link costs the link price, any other the post price."""
    assert Decimal(expected) == post_cost(text, SETTINGS)


def test_prices_come_from_the_campaign_settings() -> None:
    """Other prices in the settings change each post's cost and the total, exactly."""
    settings = CampaignSettings(name="x", price_post=0.01, price_post_with_link=0.25)
    texts = ["plain", "see usip.org", "see https://example.org/a", "also plain"]
    result = estimate(texts, settings)
    assert (4, 2, 2, Decimal("0.52")) == (
        result.count,
        result.with_link,
        result.without_link,
        result.total,
    )


def test_reads_cost_the_read_price_each() -> None:
    """Reading posts costs price_read each: 10,000 reads at $0.005 are $50."""
    assert Decimal("50.000") == read_cost(10_000, SETTINGS)


@pytest.mark.parametrize(
    ("amount", "people", "machines"),
    [
        ("0", "$0.00", "0.000"),
        ("0.2", "$0.20", "0.200"),
        ("0.015", "$0.015", "0.015"),
        ("3.045", "$3.045", "3.045"),
        ("1234.5", "$1,234.50", "1234.500"),
        ("0.0125", "$0.013", "0.0125"),
    ],
)
def test_money_is_shown_in_dollars(amount: str, people: str, machines: str) -> None:
    """People see $ with cents (a third decimal when it matters); JSON gets ≥ three decimals."""
    assert (people, machines) == (usd(Decimal(amount)), unit(Decimal(amount)))


# --- the YAML --------------------------------------------------------------------------------


def test_defaults_are_xs_prices_and_a_50_dollar_read_budget() -> None:
    """Without price keys the campaign uses X's 2026 prices and 10,000 reads a day."""
    c = parse_text(yaml_with("")).campaign
    assert (0.015, 0.20, 0.005, 10_000) == (
        c.price_post,
        c.price_post_with_link,
        c.price_read,
        c.collect_max_reads_per_day,
    )


def test_prices_and_budget_are_read_from_the_yaml() -> None:
    """Prices (a leading $ allowed) and the read budget, or `unlimited`, come from the file."""
    c = parse_text(
        yaml_with(
            "price_post: 0.02\nprice_post_with_link: '$0.25'\nprice_read: 0.004\n"
            "collect_max_reads_per_day: 2_000"
        )
    ).campaign
    assert (0.02, 0.25, 0.004, 2000) == (
        c.price_post,
        c.price_post_with_link,
        c.price_read,
        c.collect_max_reads_per_day,
    )
    unlimited = parse_text(yaml_with("collect_max_reads_per_day: unlimited")).campaign
    assert unlimited.collect_max_reads_per_day is None


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "price_post: cheap",
            "c.yaml, line 4, campaign.price_post: 'cheap' is not a price: write US dollars as a "
            "number, e.g. 0.015",
        ),
        (
            "price_read: -0.005",
            "c.yaml, line 4, campaign.price_read: is -0.005, but a price cannot be below 0",
        ),
        (
            "price_post: 150",
            "c.yaml, line 4, campaign.price_post: is 150, which is more than $100 a post: write "
            "dollars, not cents",
        ),
        (
            "collect_max_reads_per_day: 50",
            "c.yaml, line 4, campaign.collect_max_reads_per_day: is 50, but one request reads up "
            "to 100 posts: write 100 or more (or unlimited for no limit)",
        ),
        (
            "collect_max_reads_per_day: lots",
            "c.yaml, line 4, campaign.collect_max_reads_per_day: 'lots' is not a number of "
            "posts: write e.g. 10000, or unlimited for no limit",
        ),
    ],
)
def test_bad_prices_and_budgets_name_file_line_and_field(line: str, message: str) -> None:
    """A price or budget that is not usable is reported with where it is and how to fix it."""
    with pytest.raises(InvalidMetadata) as caught:
        parse_text(yaml_with(line), "c.yaml")
    assert [message] == [str(p) for p in caught.value.problems]


def test_a_campaign_stored_before_prices_existed_reads_with_the_defaults() -> None:
    """A stored document without the new keys (an older database) loads with X's prices."""
    md = parse_text(yaml_with("price_post: 0.03"))
    data = to_dict(md)
    assert 0.03 == from_dict(json.loads(json.dumps(data))).campaign.price_post
    for key in ("price_post", "price_post_with_link", "price_read", "collect_max_reads_per_day"):
        del data["campaign"][key]
    assert CampaignSettings(name="x").price_post == from_dict(data).campaign.price_post
    assert 10_000 == from_dict(data).campaign.collect_max_reads_per_day


def test_unlimited_reads_survive_the_store() -> None:
    """`unlimited` is stored as null and read back as no limit (not as the default)."""
    md = parse_text(yaml_with("collect_max_reads_per_day: unlimited"))
    assert from_dict(json.loads(json.dumps(to_dict(md)))).campaign.collect_max_reads_per_day is None


@time_machine.travel(NOW, tick=False)  # the page gives no year: the next December 6 from NOW
def test_imported_page_yaml_documents_the_prices() -> None:
    """The YAML written by import-page lists the price keys with comments, and loads as written."""
    written = to_yaml(parse_page("Policing in Conflict\n\nDecember 6\n\nA panel.\n"))
    for key in ("price_post", "price_post_with_link", "price_read", "collect_max_reads_per_day"):
        assert re.search(rf"^  {key}: \S+ +# ", written, re.MULTILINE), key
    c = parse_text(written).campaign
    assert (0.015, 0.20, 0.005, 10_000) == (
        c.price_post,
        c.price_post_with_link,
        c.price_read,
        c.collect_max_reads_per_day,
    )


# --- the command line ------------------------------------------------------------------------


@time_machine.travel("2026-10-01T12:00:00+00:00", tick=False)
def test_plan_says_what_the_drafts_cost(
    run: Run, sample_yaml: Path, tmp_path: Path, db_path: Path
) -> None:
    """`campaign plan` ends with the drafts' cost, split into posts with and without links."""
    assert 0 == run("init").exit_code
    mine = tmp_path / "c.yaml"
    mine.write_text(
        sample_yaml.read_text().replace("price_post_with_link: 0.20", "price_post_with_link: 0.5")
    )
    ok(run, "load", mine)
    result = ok(run, "plan")
    texts = [p.text for p in list_posts(sqlite_utils.Database(db_path), "draft")]
    links = sum("https://" in t for t in texts)
    total = Decimal("0.5") * links + Decimal("0.015") * (len(texts) - links)
    assert len(texts) >= 12
    assert (
        f"Estimated cost on X if all {len(texts)} drafts go out: {usd(total)} "
        f"({links} with links at $0.50, {len(texts) - links} without at $0.015)"
    ) in result.stdout.splitlines()


def test_posts_list_has_a_cost_footer_and_json_costs(run: Run, db: sqlite_utils.Database) -> None:
    """The list ends with the cost of what may still go out and of what went out; JSON items
    carry their own cost_usd."""
    save_campaign(db)
    add_post(db, f"Register at usip.org {TAG}", NOW, "approved")
    add_post(db, f"Plain words {TAG}", NOW + timedelta(hours=1), "draft")
    add_post(db, f"Out already https://example.org/a {TAG}", NOW - timedelta(days=1), "published")
    add_post(db, f"Never mind {TAG}", NOW + timedelta(hours=2), "cancelled")
    table = ok(run, "posts", "list").stdout.splitlines()
    assert (
        "Cost on X: $0.215 for the 2 listed drafts and approved posts if they go out "
        "(1 with links); $0.20 for the 1 published"
    ) == table[-1]
    items = json.loads(ok(run, "posts", "list", "--json").stdout)
    assert [("published", "0.200"), ("approved", "0.200"), ("draft", "0.015")] == [
        (i["status"], i["cost_usd"]) for i in items if i["status"] != "cancelled"
    ]


def test_approving_says_what_the_approved_posts_cost(run: Run, db: sqlite_utils.Database) -> None:
    """After approving, a line gives the cost of these posts and of all approved ones."""
    save_campaign(db)
    first = add_post(db, f"See usip.org {TAG}", NOW, "draft")
    second = add_post(db, f"Plain {TAG}", NOW + timedelta(hours=1), "draft")
    add_post(db, f"Earlier https://example.org {TAG}", NOW + timedelta(hours=2), "approved")
    result = ok(run, "posts", "approve", first, second)
    assert (
        "Approved 2 posts: $0.215 on X when they go out; "
        "approved and not yet published in all: $0.415"
    ) == result.stderr.splitlines()[-1]


def _collect_run(db: sqlite_utils.Database, started: datetime, fetched: int) -> None:
    with immediate(db):
        db.execute(
            "INSERT INTO collect_runs (started_at, finished_at, query, requests, fetched, status) "
            "VALUES (?, ?, 'q', ?, ?, 'done')",
            [to_db(started), to_db(started), math.ceil(fetched / 100), fetched],
        )


def test_status_shows_spent_committed_reads_and_the_budget(
    run: Run, db: sqlite_utils.Database
) -> None:
    """`campaign status` (and its JSON `cost`) gives spent, committed, reads and today's budget."""
    save_campaign(db, collect_max_reads_per_day=1000)
    add_post(db, f"Out https://example.org/a {TAG}", NOW - timedelta(days=2), "published")
    add_post(db, f"Out too {TAG}", NOW - timedelta(days=2), "published")
    add_post(db, f"Next at usip.org {TAG}", NOW + timedelta(hours=1), "approved")
    add_post(db, f"Lost answer {TAG}", NOW - timedelta(hours=1), "unknown")
    add_post(db, f"Only a draft usip.org {TAG}", NOW + timedelta(hours=3), "draft")
    _collect_run(db, NOW - timedelta(hours=30), 400)  # outside the last 24 hours
    _collect_run(db, NOW - timedelta(hours=5), 950)
    with time_machine.travel(NOW, tick=False):
        cost = snapshot(db)["cost"]
        text = ok(run, "status").stdout
    assert {
        "spent": {"count": 2, "with_link": 1, "without_link": 1, "total_usd": "0.215"},
        "committed": {"count": 2, "with_link": 1, "without_link": 1, "total_usd": "0.215"},
        "reads": {
            "count": 1350,
            "total_usd": "6.750",
            "last_24h": 950,
            "max_per_day": 1000,
            "max_per_day_usd": "5.000",
            "budget_until": "2026-12-02T10:00:00.000+00:00",
        },
        "prices": {"post": "0.015", "post_with_link": "0.200", "read": "0.005"},
    } == cost
    flat = " ".join(text.split())
    assert (
        "Cost on X (estimated): spent $0.215 on 2 published; committed $0.215 for 2 "
        "approved and not yet published; 1,350 posts read ($6.75)"
    ) in flat
    assert (
        "Collection budget: 950 of 1,000 reads ($5.00) in the last 24 hours; used up until "
        "2026-12-02 10:00 UTC"
    ) in flat


def test_the_budget_frees_up_when_enough_old_reads_leave_the_day(
    db: sqlite_utils.Database,
) -> None:
    """The budget is used up until the oldest runs that leave room for a page are a day old."""
    settings = CampaignSettings(name="x", collect_max_reads_per_day=1000)
    _collect_run(db, NOW - timedelta(hours=20), 300)
    _collect_run(db, NOW - timedelta(hours=10), 300)
    _collect_run(db, NOW - timedelta(hours=2), 350)
    budget = read_budget(db, settings, NOW)
    assert (950, NOW + timedelta(hours=4)) == (budget.used, budget.until)
    roomy = read_budget(db, CampaignSettings(name="x", collect_max_reads_per_day=1050), NOW)
    assert (950, None) == (roomy.used, roomy.until)
    assert read_budget(db, CampaignSettings(name="x", collect_max_reads_per_day=None)).until is None


# --- the web console -------------------------------------------------------------------------


@pytest.fixture
def web(db: sqlite_utils.Database, db_path: Path) -> Iterator[Browserish]:
    """The console with the sample campaign loaded, time frozen at NOW."""
    from campaign.web import create_app

    load_campaign(db)
    with time_machine.travel(NOW, tick=False):
        yield Browserish(create_app(db_path))


def test_queue_page_and_post_page_show_the_cost(web: Browserish, db: sqlite_utils.Database) -> None:
    """The queue's footer gives the cost of the posts listed; a post's page gives its own."""
    linked = add_post(db, f"Register at usip.org {TAG}", NOW + timedelta(days=1), "draft")
    add_post(db, f"Plain {TAG}", NOW + timedelta(days=2), "approved")
    queue_page = " ".join(re.sub(r"<[^>]+>", " ", web.get("/queue").text).split())
    assert (
        "Cost on X: $0.215 for the 2 drafts and approved posts here if they go out "
        "(1 with links); $0.00 for the 0 published."
    ) in queue_page
    post_page = " ".join(re.sub(r"<[^>]+>", " ", web.get(f"/posts/{linked}").text).split())
    assert "Cost on X $0.20 (a post with a link)" in post_page


# --- the bounded collector -------------------------------------------------------------------


@pytest.mark.fake_x_now(NOW)
def test_collector_stops_at_the_daily_read_budget_and_resumes_after_it(
    fake_x: Any, db: sqlite_utils.Database
) -> None:
    """With 200 reads a day, a run reads two pages and stops (`budget`, until a day after it
    began); until then a run sends nothing; afterwards it continues with no gap or duplicate."""
    fake_x.add_conversation(350, seed=11)
    want = {
        int(t["id"])
        for t in fake_x.tweets()
        if SEARCH_TAG.search(t["text"]) and not t["text"].startswith("RT @")
    }
    assert len(want) > 200
    settings = CampaignSettings(name="x", collect_max_reads_per_day=200)
    client = XClient(Credentials.from_env(fake_x.env, need_bearer=True))
    with time_machine.travel(NOW, tick=False):
        first = collect_once(db, client, settings)
        assert ("budget", 2, 200) == (first.status, first.requests, first.fetched)
        assert NOW + timedelta(hours=24) == first.budget_until
        sent = len(fake_x.requests())
        again = collect_once(db, client, settings)
    assert ("budget", 0, NOW + timedelta(hours=24)) == (
        again.status,
        again.requests,
        again.budget_until,
    )
    assert sent == len(fake_x.requests())
    with time_machine.travel(NOW + timedelta(hours=24, seconds=1), tick=False):
        later = collect_once(db, client, CampaignSettings(name="x"))
    assert "done" == later.status
    assert want == {r[0] for r in db.execute("SELECT id FROM mentions")}
    assert len(want) == db.execute("SELECT sum(fetched) FROM collect_runs").fetchone()[0]


@pytest.mark.fake_x_now(NOW)
def test_collect_command_reports_the_read_cost_and_a_used_up_budget(
    fake_x: Any, run: Run, db: sqlite_utils.Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`campaign collect` prints what its reads cost; at the budget it says until when and how
    to raise it, and exits 0."""
    for k, v in fake_x.env.items():
        monkeypatch.setenv(k, v)
    save_campaign(db, collect_max_reads_per_day=100)
    fake_x.add_conversation(150, seed=12)
    with time_machine.travel(NOW, tick=False):
        result = run("collect", "--quiet")
    assert 0 == result.exit_code, result.output
    lines = result.stdout.splitlines()
    assert "Estimated cost on X of these reads: $0.50." == lines[1]
    assert (
        "Stopped: the collection budget of 100 reads a day ($0.50) is used up until "
        "2026-12-02 15:00 UTC; raise collect_max_reads_per_day in the YAML to collect more."
    ) == lines[2]
