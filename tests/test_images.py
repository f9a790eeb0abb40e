"""Images with alt text: `posts add|edit --image FILE --alt TEXT`, checked by content, stored in
the database, uploaded to the simulator just before the claim (an expired upload redone), and
published with the post exactly once."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
import time_machine
from click.testing import Result
from PIL import Image

from campaign.clock import now
from posts import media, queue
from scheduler import lease
from scheduler.publish import PublishConfig, Publishing
from scheduler.publisher import XPublisher
from scheduler.xclient import Credentials, XClient
from tests.fixtures.simulator import FakeX

Run = Callable[..., Result]
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
LATER = "2026-11-25T10:00:00+00:00"
TAG = "#PolicingInConflict"


@pytest.fixture(autouse=True)
def frozen() -> Any:
    """Every test here runs at NOW (the simulator follows the same clock)."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def picture(path: Path, fmt: str = "PNG", size: tuple[int, int] = (40, 30)) -> Path:
    """Write a small real image in ``fmt`` to ``path``."""
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, format=fmt)
    path.write_bytes(buf.getvalue())
    return path


def _init(run: Run) -> None:
    result = run("init")
    assert 0 == result.exit_code, result.output


def _add(run: Run, *args: Any) -> Result:
    return run("posts", "add", "--text", "Panel today", "--at", LATER, *args)


def test_add_stores_images_with_alt_text_in_order(
    run: Run, tmp_path: Path, db: sqlite_utils.Database
) -> None:
    """Two images with alt text are stored in the database, in the order given, and shown."""
    _init(run)
    a = picture(tmp_path / "speaker.png")
    b = picture(tmp_path / "cover.jpg", "JPEG")
    result = _add(
        run,
        "--image",
        a,
        "--alt",
        "The speaker at a lectern",
        "--image",
        b,
        "--alt",
        "A report cover",
    )
    assert 0 == result.exit_code, result.output
    post_id = int(result.output)
    shown = json.loads(run("posts", "show", post_id, "--json").output)["images"]
    assert [
        ("speaker.png", "The speaker at a lectern", "image/png"),
        ("cover.jpg", "A report cover", "image/jpeg"),
    ] == [(i["name"], i["alt"], i["mime_type"]) for i in shown]
    stored = media.image_bytes(db, shown[0]["sha256"])
    assert stored is not None and (tmp_path / "speaker.png").read_bytes() == stored[0]


def test_image_without_alt_text_is_refused_naming_it(run: Run, tmp_path: Path) -> None:
    """An image without alt text is refused with exit 2, naming the image; nothing is added."""
    _init(run)
    a = picture(tmp_path / "a.png")
    b = picture(tmp_path / "chart.png")
    result = _add(run, "--image", a, "--alt", "A", "--image", b)
    assert 2 == result.exit_code
    assert "the image chart.png has no alt text" in result.output
    assert "[]" == run("posts", "list", "--json").output.strip()


def test_image_is_detected_by_content_not_name(run: Run, tmp_path: Path) -> None:
    """A text file named .png is refused; a PNG named .jpg is stored as a PNG."""
    _init(run)
    fake = tmp_path / "photo.png"
    fake.write_text("not an image at all")
    result = _add(run, "--image", fake, "--alt", "x")
    assert 2 == result.exit_code
    assert "the file photo.png is not an image X accepts" in result.output
    real = picture(tmp_path / "misnamed.jpg", "PNG")
    ok = _add(run, "--image", real, "--alt", "a chart")
    shown = json.loads(run("posts", "show", int(ok.output), "--json").output)["images"]
    assert ["image/png"] == [i["mime_type"] for i in shown]


def test_limits_count_size_and_alt_length(run: Run, tmp_path: Path) -> None:
    """Five images, an image over 5 MB and alt text over 1,000 characters are each refused."""
    _init(run)
    p = picture(tmp_path / "p.png")
    five = [arg for _ in range(5) for arg in ("--image", p, "--alt", "a")]
    assert "X takes at most 4 on a post" in _add(run, *five).output
    big = tmp_path / "big.png"
    big.write_bytes(p.read_bytes() + b"\0" * (5 * 1024 * 1024))
    assert "X takes images up to 5 MB" in _add(run, "--image", big, "--alt", "a").output
    long_alt = _add(run, "--image", p, "--alt", "a" * 1001).output
    assert "the alt text of the image p.png is 1,001 characters" in long_alt


def test_editing_images_of_an_approved_post_sends_it_back_under_four_eyes(
    run: Run, tmp_path: Path, db: sqlite_utils.Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a team, changing an approved post's images sends it back to draft."""
    from argon2 import PasswordHasher

    from campaign import people

    _init(run)
    monkeypatch.setattr(
        people, "_hasher", lambda: PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )
    people.add(db, "ann", "editor", "correct horse battery staple")
    people.add(db, "bob", "approver", "correct horse battery staple")
    post_id = int(
        run("posts", "add", "--text", "Panel", "--at", LATER, env={"CAMPAIGN_USER": "ann"}).output
    )
    assert 0 == run("posts", "approve", post_id, env={"CAMPAIGN_USER": "bob"}).exit_code
    p = picture(tmp_path / "p.png")
    result = run(
        "posts", "edit", post_id, "--image", p, "--alt", "a room", env={"CAMPAIGN_USER": "ann"}
    )
    assert 0 == result.exit_code, result.output
    assert "draft again" in result.output
    assert queue.PostStatus.DRAFT == queue.get(db, post_id).status


def _publishing(db: sqlite_utils.Database, fake_x: FakeX) -> Publishing:
    holder = lease.new_holder("test")
    assert lease.acquire(db, holder, ttl=120)
    client = XClient(Credentials.from_env(fake_x.env), timeout=2)
    config = PublishConfig(x_timeout=2.0, settle=0.1, backoff=0.05)
    return Publishing(db, XPublisher(client), holder, config)


def _approved_with_image(db: sqlite_utils.Database, tmp_path: Path, at: datetime) -> int:
    from posts import editing

    img = media.read_image(picture(tmp_path / "room.png"), "An empty panel room")
    return editing.add(db, "Panel today", at, actor="test", approve=True, images=[img]).id


def test_image_and_alt_text_reach_x_with_the_post(
    db: sqlite_utils.Database, fake_x: FakeX, tmp_path: Path
) -> None:
    """A due post with an image is uploaded, its alt text set, and posted once with it."""
    post_id = _approved_with_image(db, tmp_path, now())
    outcomes = _publishing(db, fake_x).run_due()
    assert [(post_id, "published")] == [(o.post_id, o.status) for o in outcomes]
    (tweet,) = fake_x.tweets(source="api")
    assert ["An empty panel room"] == tweet["media_alt"]
    assert [a.media_id for a in media.of_post(db, post_id)] == tweet["media_ids"]
    paths = [r["path"] for r in fake_x.requests()]
    assert ["/2/media/upload", "/2/media/metadata", "/2/tweets"] == [
        p for p in paths if p.startswith(("/2/media", "/2/tweets"))
    ]


def test_a_failed_upload_is_retried_and_the_post_sent_once(
    db: sqlite_utils.Database, fake_x: FakeX, tmp_path: Path, frozen: Any
) -> None:
    """A 503 on the upload leaves the post approved and unclaimed; the next round uploads
    again and the post goes out once."""
    post_id = _approved_with_image(db, tmp_path, now())
    fake_x.faults(error_next=1, error_status=503, error_groups=["media"])
    run = _publishing(db, fake_x)
    first = run.run_due()
    assert [(post_id, "approved")] == [(o.post_id, o.status) for o in first]
    assert 0 == queue.get(db, post_id).attempts
    frozen.shift(timedelta(seconds=5))
    second = run.run_due()
    assert [(post_id, "published")] == [(o.post_id, o.status) for o in second]
    assert 1 == len(fake_x.tweets(source="api"))


def test_an_expired_upload_is_redone(
    db: sqlite_utils.Database, fake_x: FakeX, tmp_path: Path, frozen: Any
) -> None:
    """An upload made more than 24 hours before the post is sent is uploaded again."""
    from scheduler import uploads

    post_id = _approved_with_image(db, tmp_path, now() + timedelta(days=2))
    run = _publishing(db, fake_x)
    post = queue.get(db, post_id)
    first = uploads.prepare(run, post)
    frozen.shift(timedelta(hours=25))
    second = uploads.prepare(run, post)
    assert isinstance(first, list) and isinstance(second, list)
    assert first != second
    frozen.shift(timedelta(hours=23))  # due now; the second upload is still valid
    assert lease.acquire(db, run.holder, ttl=120)
    run.run_due()
    (tweet,) = fake_x.tweets(source="api")
    assert second == tweet["media_ids"]


def test_the_daemon_publisher_attaches_images(
    db: sqlite_utils.Database, db_path: Path, fake_x: FakeX, tmp_path: Path
) -> None:
    """The daemon's watched publisher uploads images too (it used to fail such posts as a
    backend without images)."""
    from scheduler.daemon import Daemon

    post_id = _approved_with_image(db, tmp_path, now())
    client = XClient(Credentials.from_env(fake_x.env), timeout=2)
    daemon = Daemon(str(db_path), XPublisher(client))
    holder = lease.new_holder("test")
    assert lease.acquire(db, holder, ttl=120)
    config = PublishConfig(x_timeout=2.0, settle=0.1, backoff=0.05)
    outcomes = Publishing(db, daemon.publisher, holder, config).run_due()
    assert [(post_id, "published")] == [(o.post_id, o.status) for o in outcomes]
    assert ["An empty panel room"] == fake_x.tweets(source="api")[0]["media_alt"]


def test_campaign_publish_sends_the_image(
    run: Run, db: sqlite_utils.Database, fake_x: FakeX, tmp_path: Path
) -> None:
    """`campaign publish` uploads the image with its alt text and publishes the post."""
    _init(run)
    picture(tmp_path / "p.png")
    added = run(
        "posts",
        "add",
        "--text",
        "Now",
        "--at",
        now().isoformat(),
        "--approve",
        "--image",
        tmp_path / "p.png",
        "--alt",
        "A test card",
    )
    assert 0 == added.exit_code, added.output
    result = run("publish", env=fake_x.env)
    assert 0 == result.exit_code, result.output
    assert ["A test card"] == fake_x.tweets(source="api")[0]["media_alt"]


def test_a_backup_holds_the_images(run: Run, tmp_path: Path) -> None:
    """`campaign backup` copies the images with the posts (they live in the database)."""
    from campaign.store import open_db

    _init(run)
    p = picture(tmp_path / "p.png")
    post_id = int(_add(run, "--image", p, "--alt", "A test card").output)
    assert 0 == run("backup", tmp_path / "copy.db").exit_code
    copy = open_db(tmp_path / "copy.db")
    (img,) = media.of_post(copy, post_id)
    stored = media.image_bytes(copy, img.sha256)
    assert stored is not None and p.read_bytes() == stored[0]


def test_an_image_of_absurd_size_is_refused_not_decoded(run: Run, tmp_path: Path) -> None:
    """A small file declaring 20,000 × 20,000 pixels is refused with exit 2, not a traceback."""
    _init(run)
    bomb = tmp_path / "bomb.png"
    Image.new("1", (20_000, 20_000)).save(bomb)
    result = _add(run, "--image", bomb, "--alt", "nothing")
    assert 2 == result.exit_code
    assert "the image bomb.png has far too many pixels" in result.output
