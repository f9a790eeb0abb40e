"""`campaign posts import FILE.csv`: UTF-8 with or without a BOM, quotes, commas, line breaks and
emoji intact, threads by row number, images with alt text, and all or nothing: any bad row is
listed by its number and nothing is imported."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from click.testing import Result
from PIL import Image

Run = Callable[..., Result]
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
TAG = "#PolicingInConflict"


@pytest.fixture(autouse=True)
def frozen() -> Any:
    """Every test here runs at NOW: the rows' times are relative to it."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def write_csv(path: Path, rows: list[list[str]], *, bom: bool = False) -> Path:
    """A CSV file as a spreadsheet saves it (CRLF line ends, quotes where needed)."""
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    path.write_bytes(("\ufeff" if bom else "").encode() + buf.getvalue().encode())
    return path


def _posts(run: Run) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = json.loads(run("posts", "list", "--json").output)
    return result


def test_import_keeps_quotes_commas_line_breaks_and_emoji(run: Run, tmp_path: Path) -> None:
    """A BOM file's tricky texts arrive intact, with their times, as drafts."""
    run("init")
    text = 'She said "policing, in conflict"\nis hard 🚓🇺🇦'
    f = write_csv(
        tmp_path / "posts.csv",
        [["text", "at"], [text, "2026-12-06 09:00"], ["Second, plain", "2026-12-07T10:00+00:00"]],
        bom=True,
    )
    result = run("posts", "import", f)
    assert 0 == result.exit_code, result.output
    got = _posts(run)
    assert [f"{text}\n{TAG}", f"Second, plain {TAG}"] == [p["text"] for p in got]
    assert ["draft", "draft"] == [p["status"] for p in got]
    assert "2026-12-06T09:00:00+00:00" == got[0]["scheduled_at"]


def test_a_bad_row_refuses_the_whole_file_listing_every_bad_row(run: Run, tmp_path: Path) -> None:
    """Too long, past, a skipped time, duplicate text and an image without alt text: exit 2,
    each bad row listed by number, nothing imported."""
    run("init")
    Image.new("RGB", (4, 4)).save(tmp_path / "pic.png")
    f = write_csv(
        tmp_path / "posts.csv",
        [
            ["text", "at", "image", "alt"],
            ["Fine", "2026-12-06 09:00", "", ""],
            ["x" * 300, "2026-12-06 10:00", "", ""],
            ["Late", "2026-11-01 10:00", "", ""],
            ["Fine", "2026-12-06 11:00", "", ""],
            ["Picture", "2026-12-06 12:00", "pic.png", ""],
        ],
    )
    result = run("posts", "import", f)
    assert 2 == result.exit_code
    out = result.output
    assert "4 of 5 rows cannot be imported, so nothing was imported" in out
    assert "row 3: 320/280 weighted characters" in out
    assert "row 4: the time 2026-11-01 10:00 has already passed" in out
    assert "row 5: the campaign already has a post with this text" in out
    assert "row 6: the image pic.png has no alt text" in out
    assert "row 2" not in out
    assert [] == _posts(run)


def test_threads_by_row_number_and_images_beside_the_csv(run: Run, tmp_path: Path) -> None:
    """reply_to names an earlier row; image files are read from the CSV's folder with alt text."""
    run("init")
    Image.new("RGB", (4, 4)).save(tmp_path / "pic.png")
    f = write_csv(
        tmp_path / "thread.csv",
        [
            ["text", "at", "image", "alt", "reply_to"],
            ["Thread 1/2", "2026-12-06 09:00", "pic.png", "A panel of four", ""],
            ["Thread 2/2", "2026-12-06 09:05", "", "", "2"],
        ],
    )
    ids = [int(i) for i in run("posts", "import", f).stdout.split()]
    got = _posts(run)
    assert [None, ids[0]] == [p["reply_to"] for p in got]
    shown = json.loads(run("posts", "show", ids[0], "--json").output)
    assert ["A panel of four"] == [i["alt"] for i in shown["images"]]


def test_reply_to_a_later_row_and_a_missing_column_are_refused(run: Run, tmp_path: Path) -> None:
    """reply_to must name an earlier row; a file without an at column is refused whole."""
    run("init")
    f = write_csv(
        tmp_path / "a.csv",
        [
            ["text", "at", "reply_to"],
            ["One", "2026-12-06 09:00", "3"],
            ["Two", "2026-12-06 09:05", ""],
        ],
    )
    result = run("posts", "import", f)
    assert 2 == result.exit_code
    assert "row 2: reply_to 3 is not an earlier row of this file" in result.output
    g = write_csv(tmp_path / "b.csv", [["text", "when"], ["One", "2026-12-06 09:00"]])
    result = run("posts", "import", g)
    assert 2 == result.exit_code
    assert "the header row has no column at; unknown column 'when'" in result.output


def test_approve_imports_approved_posts(run: Run, tmp_path: Path) -> None:
    """--approve leaves every imported post approved."""
    run("init")
    f = write_csv(tmp_path / "a.csv", [["text", "at"], ["One", "2026-12-06 09:00"]])
    assert 0 == run("posts", "import", f, "--approve").exit_code
    assert ["approved"] == [p["status"] for p in _posts(run)]


def test_not_utf8_is_refused_saying_how_to_save_it(run: Run, tmp_path: Path) -> None:
    """A Latin-1 file is refused with the way to save it as UTF-8."""
    run("init")
    f = tmp_path / "latin.csv"
    f.write_bytes("text,at\nCaf\xe9,2026-12-06 09:00\n".encode("latin-1"))
    result = run("posts", "import", f)
    assert 2 == result.exit_code
    assert "save it as 'CSV UTF-8'" in result.output


def test_a_time_the_clocks_skip_is_refused(run: Run, tmp_path: Path, sample_yaml: Path) -> None:
    """In New York, 02:30 on the day daylight saving starts does not exist: the row is refused."""
    run("init")
    assert 0 == run("load", sample_yaml).exit_code
    f = write_csv(tmp_path / "dst.csv", [["text", "at"], ["Early", "2027-03-14 02:30"]])
    result = run("posts", "import", f)
    assert 2 == result.exit_code
    assert "row 2: " in result.output and "2027-03-14 02:30" in result.output
    assert [] == _posts(run)
