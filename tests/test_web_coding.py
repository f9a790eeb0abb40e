"""Coding in the web console: keyboard and buttons in a real browser (Chromium, as
test_web_browser.py drives it), the thread page and the codes on the post page."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from campaign.mentions.coding import Assignment, code
from tests.test_web_browser import CAMPAIGN, browser, page  # noqa: F401 - fixtures
from tests.web_helpers import SAMPLE, Browserish, add_mentions, web_process

SCHEME = (
    "campaign:\n"
    "  coding:\n"
    "    stance: [supports, opposes, neutral, unclear]\n"
    "    theme: {choice: multiple, values: [accountability, training]}\n"
)


def load_coded_campaign(db: sqlite_utils.Database, tmp_path: Path) -> Path:
    """The bundled campaign with a coding scheme added; its YAML path."""
    from campaign.metadata import parse_file, save

    path = tmp_path / "coded.yaml"
    path.write_text(SAMPLE.read_text(encoding="utf-8").replace("campaign:\n", SCHEME, 1))
    save(db, parse_file(path), str(path))
    return path


@pytest.fixture
def coded_server(db: sqlite_utils.Database, db_path: Path, tmp_path: Path) -> Iterator[str]:
    """``campaign web --port 0`` on a database whose campaign has a coding scheme."""
    load_coded_campaign(db, tmp_path)
    with web_process(db_path) as url:
        yield url


def _codes(db_path: Path) -> dict[str, dict[str, list[str]]]:
    listed = subprocess.run(
        [CAMPAIGN, "--db", str(db_path), "mentions", "list", "--json", "--limit", "50"],
        capture_output=True,
        text=True,
        check=True,
    )
    return {m["id"]: m["codes"] for m in json.loads(listed.stdout)}


@pytest.mark.slow
def test_code_three_posts_with_the_keyboard(
    page: Any,  # noqa: F811 - the imported fixture
    coded_server: str,
    db: sqlite_utils.Database,
    db_path: Path,
) -> None:
    """j/x three times then 2 codes the three newest posts stance=opposes (who and when
    recorded); then c, a typed code and Enter adds theme=training to the current one."""
    add_mentions(
        db, [{"id": 100 + i, "text": f"policing point {i} #PolicingInConflict"} for i in range(5)]
    )
    page.goto(f"{coded_server}/inbox")
    for key in ("j", "x", "j", "x", "j", "x"):
        page.keyboard.press(key)
    assert 3 == page.locator("li.mention.selected").count()
    with page.expect_navigation():
        page.keyboard.press("2")
    assert "Coded stance=opposes on 3 post(s): 3 change(s)." in page.inner_text(".flashes")
    coded = _codes(db_path)
    assert {"102": ["opposes"], "103": ["opposes"], "104": ["opposes"]} == {
        i: c["stance"] for i, c in coded.items() if c
    }
    actors = {r[0] for r in db.execute("SELECT actor FROM mention_codes")}
    assert 1 == len(actors)
    page.keyboard.press("j")
    page.keyboard.press("c")
    page.keyboard.type("theme=training")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert ["training"] == _codes(db_path)["104"]["theme"]
    assert 3 == page.locator('li.mention .pill.code[data-code="stance=opposes"]').count()
    assert [] == page.errors


def test_post_page_shows_codes_with_who_and_retired_values(
    db: sqlite_utils.Database, db_path: Path, tmp_path: Path
) -> None:
    """A code whose value left the scheme is still shown, marked retired, with who set it."""
    from campaign.web.app import create_app

    yaml_path = load_coded_campaign(db, tmp_path)
    add_mentions(db, [{"id": 300, "text": "a post #PolicingInConflict"}])
    code(db, [300], sets=[Assignment("theme", "training")], actor="ana")
    yaml_path.write_text(
        yaml_path.read_text().replace("accountability, training", "accountability")
    )
    from campaign.metadata import parse_file, save

    save(db, parse_file(yaml_path), str(yaml_path))
    client = Browserish(create_app(str(db_path)))
    html = client.get("/inbox/300").get_data(as_text=True)
    assert "theme: training" in html and "retired" in html and "ana" in html
    inbox = client.get("/inbox").get_data(as_text=True)
    assert "theme: training (retired)" in inbox


def test_thread_page_reads_a_conversation_in_order(
    db: sqlite_utils.Database, db_path: Path, tmp_path: Path
) -> None:
    """The thread page lists the conversation with each reply one level under its parent."""
    from campaign.web.app import create_app

    load_coded_campaign(db, tmp_path)
    add_mentions(
        db,
        [
            {"id": 500, "text": "start #PolicingInConflict"},
            {"id": 501, "text": "a reply", "reply_to": 500},
            {"id": 502, "text": "a reply to the reply", "reply_to": 501},
        ],
    )
    db.execute("UPDATE mentions SET conversation_id = 500")
    db.conn.commit()
    html = Browserish(create_app(str(db_path))).get("/inbox/thread/502").get_data(as_text=True)
    depths = [int(part.split('"', 1)[0]) for part in html.split('data-depth="')[1:]]
    assert [0, 1, 2] == depths
    assert html.index("start #PolicingInConflict") < html.index("a reply to the reply")


def test_who_drives_it_page_collapses_identical_texts(
    db: sqlite_utils.Database, db_path: Path, tmp_path: Path
) -> None:
    """The console's "Who drives it" page shows one row per repeated text with its count."""
    from campaign.web.app import create_app

    load_coded_campaign(db, tmp_path)
    add_mentions(
        db,
        [{"id": 700 + i, "text": "Same words again", "username": f"acct{i}"} for i in range(3)],
    )
    html = Browserish(create_app(str(db_path))).get("/inbox/drivers").get_data(as_text=True)
    row = html.split('id="duplicates"')[1].split("</table>")[0]
    assert 1 == row.count("Same words again") and ">3<" in row and "@acct0" in row
