"""Event pages as they really are: the corpus in tests/pages/ (text and saved HTML, many layouts)
read into exactly the facts a person writes down, and what `import-page` says about a page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
import time_machine
import yaml
from click.testing import Result

from campaign.eventpage.dates import ZONES, read_clock
from campaign.eventpage.speakers import part_of, person_name, read_person
from campaign.importpage import ImportedPage, parse_page, to_yaml
from campaign.metadata import InvalidMetadata, parse_text, require

HERE = Path(__file__).resolve().parent
PAGES = HERE / "pages"
BUNDLED = HERE.parent / "campaign" / "data" / "policing-in-conflict-page.txt"
TODAY = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
EXPECTED = sorted(PAGES.glob("*.expected.yaml"))


def _page(expected: Path) -> Path:
    stem = expected.name.removesuffix(".expected.yaml")
    return next(p for ext in ("txt", "html") if (p := PAGES / f"{stem}.{ext}").exists())


def facts(page: ImportedPage) -> dict[str, Any]:
    """What was read, in the shape of an expected file (the moderator's part is "moderator")."""
    clock = page.clock
    return {
        "title": page.title,
        "hashtag": page.hashtag,
        "date": page.event_date if page.year_source != "none" else None,
        "time": f"{clock.start:%H:%M}" if clock else None,
        "zone": ZONES.get(clock.zone) if clock and clock.zone else None,
        "speakers": [
            {
                "name": s.name,
                "role": s.role,
                "organisation": s.organisation,
                "part": "moderator" if s.moderator else s.part,
            }
            for s in page.speakers
        ],
        "publications": [
            {"title": p.title, "date": p.date, "authors": list(p.authors), "type": p.type}
            for p in page.publications
        ],
    }


def _read(expected_file: Path) -> tuple[dict[str, Any], ImportedPage]:
    expected = yaml.safe_load(expected_file.read_text(encoding="utf-8"))
    options = expected.pop("options", None) or {}
    with time_machine.travel(TODAY, tick=False):
        page = parse_page(
            _page(expected_file).read_text(encoding="utf-8"),
            options.get("year"),
            options.get("hashtag"),
        )
    return expected, page


@pytest.mark.parametrize("expected_file", EXPECTED, ids=[e.name for e in EXPECTED])
def test_each_corpus_page_reads_as_a_person_would(expected_file: Path) -> None:
    """Title, hashtag, date, time, zone, every speaker (role, organisation, part) and every
    publication of each corpus page are exactly those in its expected YAML."""
    expected, page = _read(expected_file)
    assert expected == facts(page)


def test_corpus_has_twelve_layouts_in_text_and_html() -> None:
    """At least 12 pages with expected facts, at least 3 of them saved HTML."""
    pages = [_page(e) for e in EXPECTED]
    assert (True, True) == (len(pages) >= 12, sum(p.suffix == ".html" for p in pages) >= 3)


@pytest.mark.parametrize("expected_file", EXPECTED, ids=[e.name for e in EXPECTED])
def test_each_corpus_page_gives_yaml_that_loads_with_its_facts(expected_file: Path) -> None:
    """The YAML written for each corpus page loads as it is, with the page's time and parts."""
    _, page = _read(expected_file)
    with time_machine.travel(TODAY, tick=False):
        md = parse_text(to_yaml(page), expected_file.name)
    start = f"{page.clock.start:%H:%M}" if page.clock else "10:00"
    assert start == f"{md.event.start:%H:%M}"
    assert [(s.name, s.part, s.moderator) for s in page.speakers] == [
        (s.name, s.part, s.moderator) for s in md.speakers
    ]


def test_bundled_page_imports_exactly_as_before() -> None:
    """The bundled page's YAML is byte for byte what the importer wrote before this reader."""
    golden = (HERE / "golden" / "policing-in-conflict-import.yaml").read_text(encoding="utf-8")
    assert golden == to_yaml(parse_page(BUNDLED.read_text(encoding="utf-8"), 2026))


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Welcome Remarks and Introductions", None),
        ("Keynote Address", None),
        ("PANEL I: From Screens to Streets", None),
        ("• Sheldon Himelfarb", None),  # bullets are taken off before names are read
        ("Sheldon Himelfarb", "Sheldon Himelfarb"),
        ("H.E. Olena Kovalenko", "H.E. Olena Kovalenko"),
        ("Rep. Jane Doe (R-VA)", "Rep. Jane Doe (R-VA)"),
        ("Sen. John Roe (D-Calif.)", "Sen. John Roe (D-Calif.)"),
        ("Sheikh Ahmed bin Khalid Al-Thani", "Sheikh Ahmed bin Khalid Al-Thani"),
        ("Senior Fellow", None),
        ("U.S. Institute of Peace", None),
        ("Harbor Plaza", None),
        ("Howard Dean", "Howard Dean"),
    ],
)
def test_person_names_and_what_is_not_one(line: str, expected: str | None) -> None:
    """Names with honorifics are names; headings, posts, institutions and places are not."""
    assert expected == person_name(line)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Name Given, moderator", ("Name Given", None, None, None, True)),
        (
            "Ambassador Ann Lee, opening remarks",
            ("Ambassador Ann Lee", None, None, "opening remarks", False),
        ),
        ("Ann Lee, facilitator", ("Ann Lee", None, None, "facilitator", False)),
        ("Ann Lee (keynote)", ("Ann Lee", None, None, "keynote", False)),
        ("Ann Lee — Director, Peace Lab", ("Ann Lee", "Director", "Peace Lab", None, False)),
        ("Ann Lee | Researcher", ("Ann Lee", "Researcher", None, None, False)),
        (
            "Ann Lee, Jr., Director, Peace Lab",
            ("Ann Lee, Jr.", "Director", "Peace Lab", None, False),
        ),
        ("Ann Lee, Editor, The Ledger, moderator", ("Ann Lee", "Editor", "The Ledger", None, True)),
    ],
)
def test_one_line_speakers_and_their_parts(line: str, expected: tuple[Any, ...]) -> None:
    """A speaker on one line splits into name, role, organisation and part in the event."""
    read = read_person(line)
    assert read is not None
    p = read[0]
    assert expected == (p.name, p.role, p.organisation, p.part, p.moderator)


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Opening Remarks", "opening remarks"),
        ("Welcome Remarks and Introductions", "welcoming remarks"),
        ("Closing remarks", "closing remarks"),
        ("Keynote Address", "keynote"),
        ("Hosted by", "host"),
        ("Panelists", None),
    ],
)
def test_parts_from_labels(label: str, expected: str | None) -> None:
    """A group's label names the part its speakers play."""
    assert expected == part_of(label)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("livestreamed beginning at 9:00am EST", ("09:00", None, "EST")),
        ("10:00 – 11:30 a.m. ET", ("10:00", "11:30", "ET")),
        ("Time: 5:00am - 7:15am", ("05:00", "07:15", None)),
        ("11:30 a.m. – 1 p.m.", ("11:30", "13:00", None)),
        ("noon to 1:30 p.m. EDT", ("12:00", "13:30", "EDT")),
        ("14:00–15:30 CET", ("14:00", "15:30", "CET")),
        ("December 6, 2024", None),
        ("PANEL 1-2", None),
    ],
)
def test_times_as_pages_write_them(text: str, expected: tuple[Any, ...] | None) -> None:
    """Times with a.m./p.m. in any spelling, ranges and zones; a bare number is not a time."""
    c = read_clock(text)
    actual = (f"{c.start:%H:%M}", f"{c.end:%H:%M}" if c.end else None, c.zone) if c else None
    assert expected == actual


def test_event_date_wins_over_the_posting_date() -> None:
    """ "Posted March 1, 2019" on a line of its own does not beat "On March 19, 2019, … hosted"."""
    page = parse_page("Posted March 1, 2019\n\nOn March 19, 2019, the Institute hosted a talk.\n")
    assert ("2019-03-19", "page") == (page.event_date.isoformat(), page.year_source)


def test_date_on_its_own_line_and_time_in_the_text() -> None:
    """ "July 27, 2018" alone on a line is the date; "beginning at 9:00am EST" the time."""
    page = parse_page("A Summit\n\nJuly 27, 2018\n\nIt is livestreamed beginning at 9:00am EST.\n")
    assert ("2018-07-27", "09:00", "EST") == (
        page.event_date.isoformat(),
        f"{page.clock.start:%H:%M}" if page.clock else None,
        page.clock.zone if page.clock else None,
    )


def _yaml(result: Result) -> dict[str, Any]:
    loaded = yaml.safe_load(result.stdout)
    assert isinstance(loaded, dict)
    return loaded


def test_saved_html_from_a_file_or_stdin_reads_the_same(run: Callable[..., Result]) -> None:
    """A saved page is recognised as HTML from a file and from standard input alike."""
    page = PAGES / "eventbrite.html"
    from_file = run("import-page", page)
    from_stdin = run("import-page", "-", input=page.read_text(encoding="utf-8"))
    assert (0, 0) == (from_file.exit_code, from_stdin.exit_code)
    assert from_file.stdout == from_stdin.stdout
    data = _yaml(from_file)
    assert ("2025-03-14 18:30", "2025-03-14 20:00", "America/New_York") == (
        str(data["event"]["start"]),
        str(data["event"]["end"]),
        data["campaign"]["timezone"],
    )


def test_yaml_marks_the_time_and_zone_read_from_the_page(run: Callable[..., Result]) -> None:
    """The start read from the page and the zone from its abbreviation keep a CONFIRM mark."""
    result = run("import-page", PAGES / "featured-speakers.txt")
    lines = result.stdout.splitlines()
    start = next(x for x in lines if x.startswith("  start:"))
    zone = next(x for x in lines if x.startswith("  timezone:"))
    assert "  start: 2024-02-08 10:00  # CONFIRM: the date and time as the page gives them" == start
    assert zone.startswith("  timezone: America/New_York  # CONFIRM: from the page's 'ET'")


def test_hashtag_option_names_the_hashtag_a_page_lacks(run: Callable[..., Result]) -> None:
    """--hashtag sets the hashtag of a page with none, with no CONFIRM mark on it."""
    result = run(
        "import-page", PAGES / "no-hashtag.txt", "--year", "2026", "--hashtag", "MindanaoFaith"
    )
    line = next(x for x in result.stdout.splitlines() if x.startswith("  hashtag:"))
    assert "  hashtag: '#MindanaoFaith'" == line


def test_hashtag_option_never_overrides_the_page(run: Callable[..., Result]) -> None:
    """A page that names its hashtag keeps it whatever --hashtag says."""
    result = run("import-page", PAGES / "agenda.txt", "--hashtag", "#Other")
    assert "#WPS2024" == _yaml(result)["campaign"]["hashtag"]


def test_a_bad_hashtag_option_is_a_user_error(run: Callable[..., Result]) -> None:
    """--hashtag that is not a hashtag is refused with exit code 2 and how to write one."""
    result = run("import-page", PAGES / "no-hashtag.txt", "--hashtag", "#2 bad")
    assert 2 == result.exit_code
    assert "is not a hashtag" in result.output


def test_lines_not_placed_are_listed_at_the_end(run: Callable[..., Result]) -> None:
    """Lines the reader could not place end the YAML as "# not used: …" comments."""
    result = run("import-page", PAGES / "multi-panel-programme.txt")
    tail = [x for x in result.stdout.splitlines() if x.startswith("# not used: ")]
    assert [
        "# not used: Events",
        "# not used: Light refreshments will be served after the second panel.",
    ] == tail


def test_page_without_speakers_says_so_on_stderr(run: Callable[..., Result]) -> None:
    """With no speakers found, import-page says so on stderr; stdout stays valid YAML."""
    result = run("import-page", PAGES / "bare.txt")
    assert 0 == result.exit_code
    assert result.stderr.startswith("Note: found no speakers in ")
    assert [] == _yaml(result)["speakers"]


def test_parts_survive_load_and_the_store(
    run: Callable[..., Result], tmp_path: Path, db: sqlite_utils.Database
) -> None:
    """A speaker's part written by import-page is loaded, stored and read back."""
    printed = run("import-page", PAGES / "multi-panel-programme.txt")
    out = tmp_path / "summit.yaml"
    out.write_text(printed.stdout, encoding="utf-8")
    assert 0 == run("load", out).exit_code
    md = require(db)
    assert ("keynote", "facilitator") == (md.speakers[2].part, md.speakers[-1].part)


def test_part_is_read_from_the_yaml_and_an_empty_one_is_refused() -> None:
    """`part:` in campaign YAML becomes the speaker's part; an empty one is an error at its line."""
    head = "campaign:\n  name: X\nevent:\n  title: X\n  start: 2027-01-05 10:00\nspeakers:\n"
    md = parse_text(head + "  - name: Ann Lee\n    part: keynote\n")
    assert "keynote" == md.speakers[0].part
    with pytest.raises(InvalidMetadata) as e:
        parse_text(head + "  - name: Ann Lee\n    part: ''\n")
    assert "line 8" in str(e.value) and "part" in str(e.value)


def test_speaker_group_headings_in_other_words_are_not_speakers() -> None:
    """ "Meet the Speakers" and "Confirmed speakers include:" head groups and are never speakers."""
    text = "Meet the Speakers\n\nAnn Lee, Director, Peace Lab\n\nConfirmed speakers include:\n• Bob Roe — Fellow, Ocean Institute\n"
    page = parse_page(text, 2026)
    assert (["Ann Lee", "Bob Roe"], ()) == ([s.name for s in page.speakers], page.not_used)
