"""Importing an event page: the parser on several pages, the YAML it writes, and the command."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
import time_machine
import yaml
from click.testing import Result
from hypothesis import given, settings
from hypothesis import strategies as st

from campaign.importpage import ImportedPage, parse_page, split_role, split_topics, to_yaml
from campaign.metadata import parse_text
from campaign.models import Publication, Speaker
from campaign.slug import slugify

PAGES = Path(__file__).resolve().parent / "pages"
TODAY = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def page(name: str) -> str:
    return (PAGES / name).read_text(encoding="utf-8")


@pytest.fixture
def forum() -> ImportedPage:
    """The page in the seed's exact layout (no title, titles repeated, weekday dates)."""
    return parse_page(page("rule-of-law-forum.txt"), 2026)


def test_hashtag_comes_from_the_using_line(forum: ImportedPage) -> None:
    """The hashtag is the one named after "using" on the page."""
    assert "#RuleOfLawForum" == forum.hashtag


def test_event_date_takes_the_year_given(forum: ImportedPage) -> None:
    """ "On October 12, …" with --year 2026 is 2026-10-12, and the year is marked as given."""
    assert (date(2026, 10, 12), "option") == (forum.event_date, forum.year_source)


def test_description_is_the_paragraphs_before_the_speakers(forum: ImportedPage) -> None:
    """The description keeps the three paragraphs and drops the "continue the conversation" line."""
    assert forum.description is not None
    paragraphs = forum.description.split("\n")
    assert 3 == len(paragraphs)
    assert paragraphs[0].startswith("Courts are often the first institutions")
    assert paragraphs[2].startswith("On October 12, the Institute hosted")
    assert "#RuleOfLawForum" not in forum.description


def test_every_speaker_with_role_and_organisation(forum: ImportedPage) -> None:
    """Each name/role block becomes a speaker; the role splits at its last sensible comma."""
    assert [
        ("Dr. Amara Okonkwo-Reyes", "Chief Justice", "Supreme Court of Sierra Leone", False),
        (
            "Hon. Marguerite Delacroix",
            "Senior Fellow, Justice Programs, Centre for Peace Studies",
            "Geneva Institute",
            False,
        ),
        (
            "Tomasz Wiśniewski",
            "Special Rapporteur on the Independence of Judges and Lawyers",
            None,
            False,
        ),
        ("Keiko Tanaka-Briggs", "Programme Officer, Inc.", None, False),
        (
            "Samuel Abebe",
            "Vice President, Center for Justice and Reconciliation",
            "U.S. Institute of Peace",
            True,
        ),
    ] == [(s.name, s.role, s.organisation, s.moderator) for s in forum.speakers]


def test_publications_once_each_with_all_their_facts(forum: ImportedPage) -> None:
    """Repeated titles count once; dates, authors split on ';', type and run-together topics."""
    assert [
        (
            "Mobile Courts in Eastern Congo: Five Lessons",
            date(2024, 3, 4),
            ("Nadia Haroun", "Peter Lindqvist", "Ana Beatriz Souza"),
            "Report",
            ("Justice, Security & Rule of Law", "Peacebuilding", "Human Rights"),
        ),
        (
            "Customary Justice and the State: Partners or Rivals?",
            date(2023, 11, 21),
            ("Hodan Warsame",),
            "Analysis",
            ("Democracy & Governance", "Gender", "Justice, Security & Rule of Law"),
        ),
        (
            "Haiti’s Courts After the Crisis",
            date(2023, 9, 1),
            (),
            "Blog",
            ("Fragility & Resilience", "Justice, Security & Rule of Law"),
        ),
    ] == [(p.title, p.date, p.authors, p.type, p.topics) for p in forum.publications]


def test_publication_summary_is_its_paragraph(forum: ImportedPage) -> None:
    """The summary is the paragraph between the By: line and the Type: line."""
    assert (
        "Across Somalia, elders resolve most disputes. Working with them rather than around them "
        "can widen access to justice, but only if women and minorities are heard."
    ) == forum.publications[1].summary


def test_nothing_after_view_all_publications_is_read(forum: ImportedPage) -> None:
    """Text after "View All Publications" never becomes a publication or a summary."""
    assert all("must not be read" not in (p.summary or "") for p in forum.publications)
    assert 3 == len(forum.publications)


def test_crlf_and_extra_blank_lines_read_the_same(forum: ImportedPage) -> None:
    """Windows line ends and doubled blank lines change nothing in what is read."""
    messy = page("rule-of-law-forum.txt").replace("\n\n", "\n\n\n\n").replace("\n", "\r\n")
    assert forum == parse_page(messy, 2026)


def test_edge_case_page() -> None:
    """A page with a title line, a stated year, a "Speakers" heading, a speaker with no role,
    "(moderator)", titles not repeated and no blank lines between a publication's lines."""
    p = parse_page(page("water-security.txt"), None)
    assert "Water, Borders and Peace in the Nile Basin" == p.title
    assert "#NileWaterPeace" == p.hashtag
    assert (date(2027, 3, 14), "page") == (p.event_date, p.year_source)
    assert [
        ("Zoë Ødegaard", "Director", "Nordic Water Diplomacy Network", False),
        ("Nguyễn Thị Hoa", "Hydrologist", None, False),
        ("Ahmed El-Sayed", None, None, False),
        ("Prof. Li Wei", "Professor of Environmental Law, Jr.", None, True),
    ] == [(s.name, s.role, s.organisation, s.moderator) for s in p.speakers]
    assert [
        (
            "Sharing the Nile: A Primer",
            date(2024, 1, 10),
            ("Zoë Ødegaard",),
            "Explainer",
            ("Climate, Environment & Conflict", "Peace Processes", "Youth"),
        ),
        (
            "Drought and Displacement in the Horn of Africa",
            date(2023, 7, 2),
            ("Fatima Noor", "Luis Ortega"),
            "Analysis",
            ("Climate, Environment & Conflict",),
        ),
    ] == [(x.title, x.date, x.authors, x.type, x.topics) for x in p.publications]
    assert not p.us_looking


def test_page_without_publications() -> None:
    """A page with no "Related Publications" section has speakers and no publications."""
    with time_machine.travel(TODAY, tick=False):
        p = parse_page(page("youth-dialogue.txt"))
    assert ("#YouthAtTheTable", ()) == (p.hashtag, p.publications)
    assert [("Maya Castellanos", True), ("Ibrahim Diallo", False)] == [
        (s.name, s.moderator) for s in p.speakers
    ]


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (datetime(2026, 11, 28, tzinfo=UTC), date(2026, 12, 6)),
        (datetime(2026, 12, 6, tzinfo=UTC), date(2026, 12, 6)),
        (datetime(2026, 12, 7, tzinfo=UTC), date(2027, 12, 6)),
    ],
)
def test_without_a_year_the_next_occurrence_is_assumed(today: datetime, expected: date) -> None:
    """No year on the page and no --year: the next time that day comes round, from today."""
    with time_machine.travel(today, tick=False):
        p = parse_page("On December 6, the panel met.\n\nTalk using #Tag.\n")
    assert (expected, "default") == (p.event_date, p.year_source)


def test_leap_day_without_a_year_goes_to_the_next_leap_year() -> None:
    """ "On February 29" with no year lands on the next 29 February there is."""
    with time_machine.travel(TODAY, tick=False):
        p = parse_page("On February 29, we met.\n")
    assert date(2028, 2, 29) == p.event_date


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "GenderHuman RightsJustice, Security & Rule of LawViolent Extremism",
            ("Gender", "Human Rights", "Justice, Security & Rule of Law", "Violent Extremism"),
        ),
        (
            "Democracy & GovernanceJustice, Security & Rule of Law",
            ("Democracy & Governance", "Justice, Security & Rule of Law"),
        ),
        ("Justice, Security & Rule of Law", ("Justice, Security & Rule of Law",)),
        (
            "Global PolicyJustice, Security & Rule of Law",
            ("Global Policy", "Justice, Security & Rule of Law"),
        ),
    ],
)
def test_topics_split_where_they_run_together(line: str, expected: tuple[str, ...]) -> None:
    """The topic line splits at each lowercase-to-capital join and nowhere else."""
    assert expected == split_topics(line)


_topic = st.from_regex(r"[A-Z][a-z]{2,8}( (&|of|and) [A-Z][a-z]{2,8})?", fullmatch=True)


@given(st.lists(_topic, min_size=1, max_size=6))
def test_any_run_together_topics_split_back(topics: list[str]) -> None:
    """Topics glued together as the page prints them split back into the same list."""
    assert tuple(topics) == split_topics("".join(topics))


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "President and CEO, U.S. Institute of Peace",
            ("President and CEO", "U.S. Institute of Peace"),
        ),
        (
            "Officer-in-Charge, Strategic Policy and Development Section, U.N. Police Division",
            ("Officer-in-Charge, Strategic Policy and Development Section", "U.N. Police Division"),
        ),
        (
            "Special Inspector General for Afghanistan Reconstruction",
            ("Special Inspector General for Afghanistan Reconstruction", None),
        ),
        ("Professor, emeritus", ("Professor, emeritus", None)),
        ("Chairman, Acme, Inc.", ("Chairman, Acme, Inc.", None)),
    ],
)
def test_role_splits_at_the_last_sensible_comma(
    line: str, expected: tuple[str, str | None]
) -> None:
    """Role and organisation part at the last comma only when an organisation follows it."""
    assert expected == split_role(line)


@pytest.mark.parametrize("name", sorted(p.name for p in PAGES.glob("*.txt")))
def test_printed_yaml_loads_without_errors(name: str) -> None:
    """The YAML written for each test page validates as it is, with the page's facts in it
    (and its time, or 10:00 when it gives none)."""
    with time_machine.travel(TODAY, tick=False):
        imported = parse_page(page(name))
        md = parse_text(to_yaml(imported), name)
    assert [s.name for s in imported.speakers] == [s.name for s in md.speakers]
    assert [p.title for p in imported.publications] == [p.title for p in md.publications]
    assert [p.topics for p in imported.publications] == [p.topics for p in md.publications]
    assert [p.summary for p in imported.publications] == [p.summary for p in md.publications]
    assert imported.description == md.event.description
    assert imported.event_date == md.event.start.date()
    clock = imported.clock.start if imported.clock else time(10, 0)  # the default: 10:00
    assert (clock.hour, clock.minute) == (md.event.start.hour, md.event.start.minute)


def test_yaml_keeps_unicode_and_iso_dates() -> None:
    """Names stay real Unicode (no \\u escapes) and dates are written YYYY-MM-DD."""
    text = to_yaml(parse_page(page("water-security.txt")))
    assert "Zoë Ødegaard" in text
    assert "\\u" not in text
    assert "date: 2024-01-10" in text


def test_yaml_marks_every_filled_in_fact() -> None:
    """The assumed year, time, zone and missing URLs each carry a CONFIRM comment."""
    with time_machine.travel(TODAY, tick=False):
        text = to_yaml(parse_page(page("rule-of-law-forum.txt")))
    start = next(line for line in text.splitlines() if line.startswith("  start:"))
    assert start.startswith("  start: 2027-10-12 10:00  # CONFIRM:")
    assert "no year" in start
    for key in ("timezone", "registration_url", "url"):
        line = next(x for x in text.splitlines() if x.startswith(f"  {key}:"))
        assert "# CONFIRM:" in line
    assert "America/New_York" in text


def test_yaml_of_a_page_with_nothing_still_loads() -> None:
    """A page with no hashtag, date, speakers or publications gives YAML that loads."""
    with time_machine.travel(TODAY, tick=False):
        imported = parse_page("Just one line of text that says very little at all.\n")
        md = parse_text(to_yaml(imported))
    assert ("#PolicingInConflict", (), (), "UTC") == (
        md.campaign.hashtag,
        md.speakers,
        md.publications,
        md.campaign.timezone,
    )


def test_keys_are_stable_slugs() -> None:
    """Speaker keys are lowercase ASCII slugs of the names, accents folded."""
    p = parse_page(page("water-security.txt"))
    assert ["zoe-odegaard", "nguyen-thi-hoa", "ahmed-el-sayed", "prof-li-wei"] == [
        s.key for s in p.speakers
    ]
    assert slugify("Zoë Ødegaard") == p.speakers[0].key


def test_command_prints_yaml_that_campaign_load_accepts(
    run: Callable[..., Result], tmp_path: Path
) -> None:
    """`campaign import-page FILE --year` prints YAML; saved, `campaign load` stores it."""
    assert 0 == run("init").exit_code
    result = run("import-page", PAGES / "rule-of-law-forum.txt", "--year", "2027")
    assert 0 == result.exit_code
    assert "2027-10-12" == str(yaml.safe_load(result.output)["event"]["start"])[:10]
    out = tmp_path / "forum.yaml"
    out.write_text(result.output, encoding="utf-8")
    loaded = run("load", out)
    assert 0 == loaded.exit_code, loaded.output
    assert "5 speakers (1 moderator), 3 publications" in loaded.output


def test_command_reads_stdin(run: Callable[..., Result]) -> None:
    """`campaign import-page -` reads the page from standard input."""
    result = run("import-page", "-", "--year", "2027", input=page("youth-dialogue.txt"))
    assert 0 == result.exit_code
    assert "#YouthAtTheTable" == yaml.safe_load(result.output)["campaign"]["hashtag"]


def test_command_missing_file_is_a_user_error(run: Callable[..., Result]) -> None:
    """A page file that does not exist is reported as `Error:` with exit code 2."""
    result = run("import-page", "no-such-page.txt")
    assert 2 == result.exit_code
    assert result.output.startswith("Error: cannot read no-such-page.txt")


def test_event_date_is_the_one_that_introduces_the_event() -> None:
    """An earlier "On August 15, 2021, …" in the description does not become the event date."""
    text = "On August 15, 2021, the Taliban took Kabul.\n\nOn May 3, USIP hosted a panel.\n"
    assert date(2027, 5, 3) == parse_page(text, 2027).event_date


_words = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=60
).filter(lambda s: s.strip() != "")


@settings(max_examples=60, deadline=None)
@given(
    names=st.lists(_words, min_size=0, max_size=4, unique_by=slugify),
    titles=st.lists(_words, min_size=0, max_size=3, unique_by=slugify),
    summary=st.lists(_words, min_size=1, max_size=3).map("\n".join),
)
def test_any_text_survives_the_yaml_round_trip(
    names: list[str], titles: list[str], summary: str
) -> None:
    """Whatever characters a page holds, the YAML written reads back to the same text."""
    page_in = ImportedPage(
        hashtag="#Tag",
        event_date=date(2027, 1, 5),
        year_source="page",
        title=names[0] if names else None,
        description=summary,
        speakers=tuple(Speaker(slugify(n), n, role=n) for n in names),
        publications=tuple(
            Publication(slugify(t), t, authors=(t,), topics=(t,), summary=summary) for t in titles
        ),
        us_looking=False,
    )
    md = parse_text(to_yaml(page_in))

    def norm(text: str) -> str:
        return "\n".join(" ".join(p.split()) for p in text.split("\n") if p.strip())

    assert [n.strip() for n in names] == [s.name for s in md.speakers]
    assert [t.strip() for t in titles] == [p.title for p in md.publications]
    assert norm(summary) == md.event.description
