"""Screenshots of every page of the web console, at laptop and phone width, from a demo database.

    .venv/bin/python bench/screenshots.py [--out docs/screenshots] [--keep /tmp/demo.db]

Builds a demo campaign in a temporary folder (the bundled #PolicingInConflict metadata, the
planner's drafts, some approved, published, failed and missed, and 300 posts of a generated
conversation from the X simulator's generator, some reviewed), serves it with the real
server (waitress) on a free port, and photographs each page with headless Chromium
(``/usr/bin/chromium``; install with ``apt-get update && apt-get install -y chromium``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SIZES = {"laptop": (1366, 800), "phone": (390, 844)}


def build_demo(db_path: Path) -> dict[str, int]:
    """The demo campaign at ``db_path``; returns ids of a post and a collected post to show."""
    from campaign.clock import now, to_db
    from campaign.mentions.review import mark
    from campaign.mentions.store import Writer, refresh_ours
    from campaign.store import immediate, open_db, set_state
    from posts import editing, queue
    from scheduler.simulator.conversation import generate
    from scheduler.simulator.state import SimState
    from scheduler.xclient import TWEET_FIELDS

    campaign = str(Path(sys.executable).with_name("campaign"))
    env = {**os.environ, "CAMPAIGN_DB": str(db_path), "CAMPAIGN_USER": "maria"}
    for args in (
        ["init"],
        ["load", str(ROOT / "campaign/data/policing-in-conflict.yaml")],
        ["plan"],
    ):
        subprocess.run([campaign, *args], env=env, check=True, capture_output=True)
    db = open_db(db_path)
    posts = queue.list_posts(db)
    current = now()
    past = [p for p in posts if p.scheduled_at < current]
    future = [p for p in posts if p.scheduled_at >= current]
    state = SimState(seed=6)
    generated = generate(state, 300, seed=6, days=3)
    own = [t for t in generated if t.author_id == state.account.id]
    # What went out already: published with the simulator's ids for our own posts.
    for i, post in enumerate(past):
        queue.move(db, post.id, "approved", "web:maria", "approved in review")
        queue.move(db, post.id, "publishing", "daemon:demo", "claimed")
        tweet_id = own[i % len(own)].id if own else str(10**18 + i)
        queue.move(db, post.id, "published", "daemon:demo", f"tweet {tweet_id}", tweet_id=tweet_id)
    late = editing.add(
        db,
        "Watch the recording of our panel on policing in conflict-affected settings.",
        current - timedelta(hours=3),
        actor="web:maria",
        approve=True,
    )
    queue.move(
        db,
        late.id,
        "missed",
        "daemon:demo",
        "more than 120 min late after downtime",
        last_error="the daemon was down from 06:10 to 09:05; too late to send",
    )
    for post in future[:4]:
        editing.approve(db, [post.id], actor="web:maria")
    if len(future) > 5:
        failed = future[4]
        editing.approve(db, [failed.id], actor="web:maria")
        queue.move(db, failed.id, "publishing", "daemon:demo", "claimed")
        queue.move(
            db,
            failed.id,
            "failed",
            "daemon:demo",
            "X answered 403: You are not allowed to create a Tweet with duplicate content.",
            last_error="X answered 403: You are not allowed to create a Tweet with duplicate content.",
        )
    set_state(db, "x_account_id", state.account.id)
    users = [u.to_json({"public_metrics"}) for u in state.users.values()]
    with immediate(db):
        Writer(db, source="search").write([t.to_json(set(TWEET_FIELDS)) for t in generated], users)
    refresh_ours(db)
    ids = [r[0] for r in db.execute("SELECT id FROM mentions ORDER BY id DESC").fetchall()]
    mark(db, ids[5:60:3], "reviewed", actor="web:sam")
    mark(db, ids[7:40:11], "flagged", actor="web:sam", note="check the claim before answering")
    mark(db, ids[2:30:9], "needs-reply", actor="web:sam")
    mark(db, ids[50:90:13], "ignored", actor="web:sam")
    db.execute(
        "INSERT INTO collect_runs (started_at, finished_at, query, requests, fetched, new, status) "
        "VALUES (?, ?, '#PolicingInConflict -is:retweet', 3, 300, 300, 'done')",
        [to_db(current), to_db(current)],
    )
    from scheduler import lease

    lease.acquire(db, "daemon:demo-host:4242", ttl=120)
    shown_post = future[0].id if future else posts[0].id
    return {"post": shown_post, "mention": ids[7]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    ap.add_argument("--keep", help="also keep the demo database at this path")
    args = ap.parse_args()
    if not Path(CHROMIUM).is_file():
        sys.exit(
            f"Chromium is missing at {CHROMIUM}: apt-get update && apt-get install -y chromium"
        )
    from playwright.sync_api import sync_playwright

    from campaign.web.server import create_server, url_of

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(args.keep) if args.keep else Path(tmp) / "demo.db"
        for old in db_path.parent.glob(db_path.name + "*"):
            old.unlink()
        ids = build_demo(db_path)
        server = create_server(db_path, "127.0.0.1", 0)
        base = url_of(server).rstrip("/")
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        pages = {
            "calendar-week": "/calendar",
            "calendar-month": "/calendar?view=month",
            "queue": "/queue",
            "post": f"/posts/{ids['post']}",
            "compose": "/posts/new",
            "inbox": "/inbox",
            "mention": f"/inbox/{ids['mention']}",
            "report": "/report",
            "status": "/status",
        }
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            for size, (width, height) in SIZES.items():
                context = browser.new_context(
                    viewport={"width": width, "height": height},
                    device_scale_factor=1,
                    is_mobile=size == "phone",
                    has_touch=size == "phone",
                )
                page = context.new_page()
                for name, path in pages.items():
                    page.goto(base + path)
                    page.wait_for_load_state("networkidle")
                    if name == "inbox" and size == "laptop":
                        for key in ("j", "j", "x", "j", "x"):
                            page.keyboard.press(key)
                    target = out / f"{name}-{size}.png"
                    page.screenshot(path=str(target), full_page=size == "phone")
                    print(target.relative_to(ROOT) if target.is_relative_to(ROOT) else target)
                context.close()
            browser.close()
        server.close()


if __name__ == "__main__":
    main()
