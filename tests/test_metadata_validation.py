"""Validating campaign metadata: every problem is found, named by file, line and field, and
explained so a person can fix it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from campaign.errors import ConfigError
from campaign.metadata import InvalidMetadata, Problem, parse_file, parse_text

BASE = """\
campaign:
  name: Test Campaign
  hashtag: '#TestTag'
  timezone: Europe/London
  window_start: '08:00'
  window_end: '18:00'
  min_gap_minutes: 30
  tracking:
    utm_source: x
  tracked_domains: [example.org]
  cadence:
    announcement_days_before: 14
    reminder_days_before: [7, 1]
    spotlight_days_before: [10, 2]
    publications_every_days: 2
    post_time: '10:00'
  collect_every_minutes: 5
  daily_cap: 100
  overdue_limit_minutes: 120
event:
  title: A Test Event
  start: 2027-03-10 10:00
  end: 2027-03-10 11:30
  registration_url: https://example.org/register
  url: https://example.org/event
speakers:
  - name: Ada Lovelace
    role: Analyst
    handle: '@ada_l'
    moderator: true
  - name: Grace Hopper
publications:
  - title: On Engines
    url: https://example.org/engines
    date: 2024-02-08
    authors: [Ada Lovelace]
    topics: [Computing]
"""


def problems(text: str, source: str = "test.yaml") -> list[Problem]:
    with pytest.raises(InvalidMetadata) as caught:
        parse_text(text, source)
    return caught.value.problems


def line_of(text: str, marker: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if marker in line)


def P(old: str, new: str, marker: str, field: str, fragment: str, id: str) -> pytest.ParameterSet:
    """One row of the table below: the edit to BASE, the line marker, the field, the message."""
    return pytest.param(old, new, marker, field, fragment, id=id)


EVENT = (
    "event:\n  title: A Test Event\n  start: 2027-03-10 10:00\n  end: 2027-03-10 11:30\n"
    "  registration_url: https://example.org/register\n  url: https://example.org/event\n"
)

# fmt: off
CASES = [
    # --- YAML that cannot be read ---------------------------------------------------------
    P("  handle: '@ada_l'", "  handle: @ada_l", "handle: @ada_l", "", "in quotes", id="yaml-at-sign"),
    P("  title: A Test Event", "  title: [A Test Event", "  start:", "", "cannot be read", id="yaml-unclosed-list"),
    P("  title: A Test Event", "  title: Ask: A Test Event", "Ask:", "", "must be in quotes", id="yaml-colon"),
    P("  min_gap_minutes: 30", "\tmin_gap_minutes: 30", "min_gap", "", "cannot be read", id="yaml-tab"),
    # --- structure --------------------------------------------------------------------------
    P("speakers:\n", "speaker:\n", "speaker:", "speaker", "did you mean `speakers`", id="unknown-top-key"),
    P("  hashtag: '#TestTag'", "  hashtg: '#TestTag'", "hashtg", "campaign.hashtg", "did you mean `hashtag`", id="unknown-key-close"),
    P("  role: Analyst", "  colour: red", "colour", "speakers[1].colour", "keys allowed are: name, role", id="unknown-key-far"),
    P("  daily_cap: 100", "  daily_cap: 100\n  name: Again", "name: Again", "campaign.name", "written twice (first at line 2)", id="duplicate-key"),
    P("    post_time: '10:00'", "    post_time: '10:00'\n    starting_minute_before: 5", "starting_minute", "campaign.cadence.starting_minute_before", "did you mean `starting_minutes_before`", id="unknown-cadence-key"),
    P("    utm_source: x", "    utm source: x", "utm source", "campaign.tracking.utm source", "not a usable link parameter", id="tracking-key-shape"),
    P("    utm_source: x", "    utm_source:", "utm_source", "campaign.tracking.utm_source", "is empty", id="tracking-value-empty"),
    P("  tracking:\n    utm_source: x", "  tracking: utm_source=x", "tracking", "campaign.tracking", "should be link tracking parameters", id="tracking-not-section"),
    P(EVENT, "event: A Test Event\n", "event:", "event", "should be the event's details", id="event-not-section"),
    # --- required fields --------------------------------------------------------------------
    P("  name: Test Campaign\n", "", "campaign:", "campaign.name", "is missing: add `name: ...` under `campaign:`", id="missing-name"),
    P("  name: Test Campaign\n", "  name:\n", "name:", "campaign.name", "is empty", id="empty-name"),
    P("  name: Test Campaign\n", "  name: '  '\n", "name:", "campaign.name", "is empty", id="blank-name"),
    P("  title: A Test Event\n", "", "event:", "event.title", "is missing", id="missing-event-title"),
    P("  start: 2027-03-10 10:00\n  end: 2027-03-10 11:30\n", "", "event:", "event.start", "is missing", id="missing-event-start"),
    P("  - name: Grace Hopper", "  - role: Admiral", "role: Admiral", "speakers[2].name", "is missing", id="missing-speaker-name"),
    P("  - title: On Engines", "  - type: Essay", "type: Essay", "publications[1].title", "is missing", id="missing-publication-title"),
    # --- types ------------------------------------------------------------------------------
    P("  min_gap_minutes: 30", "  min_gap_minutes: thirty", "thirty", "campaign.min_gap_minutes", "not a whole number", id="not-a-number"),
    P("  moderator: true", "  moderator: maybe", "maybe", "speakers[1].moderator", "not true or false", id="not-a-boolean"),
    P("  role: Analyst", "  role: [a, b]", "role: [a", "speakers[1].role", "should be text, but it is a list", id="not-text"),
    P("speakers:\n  - name: Ada Lovelace\n    role: Analyst\n    handle: '@ada_l'\n    moderator: true\n  - name: Grace Hopper\n", "speakers: Ada Lovelace\n", "speakers:", "speakers", "should be a list", id="speakers-not-list"),
    P("  - name: Grace Hopper", "  - Grace Hopper", "- Grace Hopper", "speakers[2]", "should be one speaker", id="speaker-not-section"),
    P("    authors: [Ada Lovelace]", "    authors: {name: Ada}", "authors:", "publications[1].authors", "should be a list", id="authors-not-list"),
    P("    topics: [Computing]", "    topics: [Computing, '']", "topics:", "publications[1].topics[2]", "is empty", id="topic-empty"),
    # --- time zones and times ---------------------------------------------------------------
    P("  timezone: Europe/London", "  timezone: Mars/Olympus", "Mars", "campaign.timezone", "unknown time zone 'Mars/Olympus'", id="bad-timezone"),
    P("  window_start: '08:00'", "  window_start: 8am", "8am", "campaign.window_start", "not a time of day", id="bad-time-of-day"),
    P("  window_start: '08:00'", "  window_start: '25:00'", "25:00", "campaign.window_start", "24-hour HH:MM", id="hour-out-of-range"),
    P("  window_start: '08:00'", "  window_start: '19:00'", "window_end", "campaign.window_end", "window_start must be earlier than window_end", id="window-reversed"),
    P("  window_start: '08:00'", "  window_start: '18:00'", "window_end", "campaign.window_end", "not after it starts", id="window-empty"),
    P("    post_time: '10:00'", "    post_time: '07:00'", "post_time", "campaign.cadence.post_time", "outside the posting window 08:00-18:00", id="post-time-outside-window"),
    P("  start: 2027-03-10 10:00", "  start: next tuesday", "next tuesday", "event.start", "has no time of day", id="start-unreadable"),
    P("  start: 2027-03-10 10:00", "  start: 2027-03-10", "  start:", "event.start", "has no time of day", id="start-without-time"),
    P("  start: 2027-03-10 10:00", "  start: 2027-13-10 10:00", "  start:", "event.start", "is not a date and time", id="start-bad-month"),
    P("  start: 2027-03-10 10:00\n  end: 2027-03-10 11:30", "  start: 2027-03-28 01:30", "  start:", "event.start", "does not exist in Europe/London", id="start-in-dst-gap"),
    P("  end: 2027-03-10 11:30", "  end: 2027-03-10 09:00", "  end:", "event.end", "ends before it starts", id="end-before-start"),
    # --- numbers ----------------------------------------------------------------------------
    P("  min_gap_minutes: 30", "  min_gap_minutes: -5", "min_gap", "campaign.min_gap_minutes", "must be 0 or more", id="negative-gap"),
    P("  collect_every_minutes: 5", "  collect_every_minutes: 0", "collect_every", "campaign.collect_every_minutes", "must be 1 or more", id="collect-zero"),
    P("  daily_cap: 100", "  daily_cap: 0", "daily_cap", "campaign.daily_cap", "must be 1 or more", id="cap-zero"),
    P("  overdue_limit_minutes: 120", "  overdue_limit_minutes: -1", "overdue", "campaign.overdue_limit_minutes", "must be 0 or more", id="overdue-negative"),
    P("    announcement_days_before: 14", "    announcement_days_before: -3", "announcement", "campaign.cadence.announcement_days_before", "must be 0 or more", id="cadence-negative"),
    P("    announcement_days_before: 14", "    announcement_days_before: 400", "announcement", "campaign.cadence.announcement_days_before", "366 or less", id="cadence-too-far"),
    P("    reminder_days_before: [7, 1]", "    reminder_days_before: [7, -1]", "reminder", "campaign.cadence.reminder_days_before[2]", "must be 0 or more", id="reminder-negative"),
    P("    spotlight_days_before: [10, 2]", "    spotlight_days_before: [2, 10]", "spotlight", "campaign.cadence.spotlight_days_before", "write the larger number first", id="spotlight-reversed"),
    P("    spotlight_days_before: [10, 2]", "    spotlight_days_before: [10]", "spotlight", "campaign.cadence.spotlight_days_before", "should be two numbers", id="spotlight-one-number"),
    P("    publications_every_days: 2", "    publications_every_days: 0", "publications_every", "campaign.cadence.publications_every_days", "must be 1 or more", id="publications-every-zero"),
    # --- hashtags, handles, URLs, domains, dates ---------------------------------------------
    P("  hashtag: '#TestTag'", "  hashtag: TestTag", "hashtag", "campaign.hashtag", "does not start with #", id="hashtag-without-hash"),
    P("  hashtag: '#TestTag'", "  hashtag: '#2026'", "hashtag", "campaign.hashtag", "only digits", id="hashtag-only-digits"),
    P("  hashtag: '#TestTag'", "  hashtag: '#Test Tag'", "hashtag", "campaign.hashtag", "only letters, digits and _", id="hashtag-space"),
    P("  hashtag: '#TestTag'", "  hashtag: '#Test-Tag'", "hashtag", "campaign.hashtag", "only letters, digits and _", id="hashtag-punctuation"),
    P("  hashtag: '#TestTag'", "  hashtag: #TestTag", "hashtag", "campaign.hashtag", "write it in quotes", id="hashtag-unquoted"),
    P("  handle: '@ada_l'", "  handle: ada_lovelace_analyst", "handle", "speakers[1].handle", "up to 15 letters", id="handle-too-long"),
    P("  handle: '@ada_l'", "  handle: ada.l", "handle", "speakers[1].handle", "not an X handle", id="handle-bad-character"),
    P("  url: https://example.org/event", "  url: ftp://example.org/event", "ftp:", "event.url", "must start with https://", id="url-scheme"),
    P("  url: https://example.org/event", "  url: www.example.org/event", "www.", "event.url", "must start with https://", id="url-no-scheme"),
    P("  url: https://example.org/event", "  url: https://", "  url: https://", "event.url", "no valid site name", id="url-no-host"),
    P("  url: https://example.org/event", "  url: https://exa mple.org/event", "exa mple", "event.url", "contains spaces", id="url-space"),
    P("    url: https://example.org/engines", "    url: https://localhost_x/engines", "localhost_x", "publications[1].url", "no valid site name", id="url-bad-host"),
    P("  tracked_domains: [example.org]", "  tracked_domains: [https://example.org]", "tracked_domains", "campaign.tracked_domains[1]", "not a site name", id="domain-with-scheme"),
    P("    date: 2024-02-08", "    date: 2024-02-30", "date:", "publications[1].date", "not a date", id="date-impossible"),
    P("    date: 2024-02-08", "    date: February 8, 2024", "date:", "publications[1].date", "YYYY-MM-DD", id="date-words"),
    # --- duplicates -------------------------------------------------------------------------
    P("  - name: Grace Hopper", "  - name: ADA LOVELACE", "ADA LOVELACE", "speakers[2].name", "listed twice (also at line 27)", id="duplicate-speaker"),
    P("    topics: [Computing]", "    topics: [Computing]\n  - title: 'On engines!'", "On engines!", "publications[2].title", "listed twice (also at line 33)", id="duplicate-publication"),
]
# fmt: on


@pytest.mark.parametrize(("old", "new", "marker", "field", "fragment"), CASES)
def test_each_problem_is_reported_where_it_is(
    old: str, new: str, marker: str, field: str, fragment: str
) -> None:
    """Each kind of mistake gives exactly one problem, on its line, naming its field."""
    assert old in BASE
    text = BASE.replace(old, new, 1)
    found = problems(text)
    assert [(line_of(text, marker), field)] == [(p.line, p.field) for p in found], found
    assert fragment in found[0].message


def test_an_address_with_a_lone_bracket_is_a_problem_not_a_crash() -> None:
    """A web address Python cannot split (a lone ] in the site name) is reported at its line."""
    text = BASE.replace("https://", "https://]", 1)
    found = problems(text)
    assert ["is not a web address that can be read"] == [
        p.message.split(": ", 1)[0].split("' ", 1)[1] for p in found
    ], found


def test_the_base_document_is_valid() -> None:
    """The document every case above starts from has no problems of its own."""
    md = parse_text(BASE, "test.yaml")
    assert ("Test Campaign", 2, 1) == (md.campaign.name, len(md.speakers), len(md.publications))


def test_every_problem_is_collected_in_file_order() -> None:
    """Several mistakes are all reported at once, in the order of their lines."""
    text = (
        BASE.replace("  timezone: Europe/London", "  timezone: Nowhere")
        .replace("  hashtag: '#TestTag'", "  hashtag: '#1'")
        .replace("    date: 2024-02-08", "    date: soon")
        .replace("  role: Analyst", "  rol: Analyst")
    )
    assert [
        (3, "campaign.hashtag"),
        (4, "campaign.timezone"),
        (28, "speakers[1].rol"),
        (35, "publications[1].date"),
    ] == [(p.line, p.field) for p in problems(text)]


def test_message_names_file_line_and_field() -> None:
    """The error text says which file, which line and which field, then what to do."""
    text = BASE.replace("  daily_cap: 100", "  daily_cap: lots")
    with pytest.raises(ConfigError) as caught:
        parse_text(text, "my-campaign.yaml")
    assert (
        "my-campaign.yaml has 1 problem; fix it and load it again:\n"
        "  - my-campaign.yaml, line 18, campaign.daily_cap: 'lots' is not a whole number: "
        "write e.g. 30"
    ) == str(caught.value)


def test_empty_file_is_a_problem() -> None:
    """An empty file says so and points at the sample."""
    [p] = problems("")
    assert (1, "the file is empty") == (p.line, p.message[:17])


def test_a_list_instead_of_sections_is_a_problem() -> None:
    """A file whose top level is a list, not sections, is refused on line 1."""
    [p] = problems("- campaign\n- event\n")
    assert (1, "the file") == (p.line, p.field)


def test_missing_sections_are_both_reported() -> None:
    """A file without `campaign` and `event` reports both as missing."""
    found = problems("speakers: []\n")
    assert ["campaign", "event"] == [p.field for p in found]


def test_handles_are_stored_without_the_at_sign() -> None:
    """`@ada_l` and `ada_l` both give the handle ada_l."""
    with_at = parse_text(BASE)
    without = parse_text(BASE.replace("'@ada_l'", "ada_l"))
    assert "ada_l" == with_at.speakers[0].handle == without.speakers[0].handle


def test_unquoted_times_of_day_are_read_as_typed() -> None:
    """YAML would read an unquoted 10:00 as the number 600; it is still ten o'clock."""
    md = parse_text(BASE.replace("'18:00'", "18:00").replace("'10:00'", "10:00"))
    assert ("18:00", "10:00") == (
        md.campaign.window_end.strftime("%H:%M"),
        md.campaign.cadence.post_time.strftime("%H:%M"),
    )


def test_start_with_an_offset_is_kept_as_that_instant() -> None:
    """An ISO start with an offset is the same instant, shown in the campaign's zone."""
    md = parse_text(
        BASE.replace("2027-03-10 10:00", "2027-03-10T10:00:00-05:00").replace(
            "  end: 2027-03-10 11:30\n", ""
        )
    )
    assert "2027-03-10T15:00:00+00:00" == md.event.start.isoformat()


def test_file_not_utf8_names_the_line(tmp_path: Path) -> None:
    """A file saved in another encoding is refused with the line of the first bad byte."""
    path = tmp_path / "latin.yaml"
    path.write_bytes(BASE.replace("Grace Hopper", "Zoë Hopper").encode("latin-1"))
    with pytest.raises(InvalidMetadata) as caught:
        parse_file(path)
    assert [31] == [p.line for p in caught.value.problems]
    assert "not UTF-8" in str(caught.value)


def test_missing_file_says_so(tmp_path: Path) -> None:
    """A file that does not exist is a ConfigError naming it and pointing at the sample."""
    with pytest.raises(ConfigError, match=r"cannot read .*nope\.yaml: there is no such file"):
        parse_file(tmp_path / "nope.yaml")


def test_load_lists_every_problem_and_exits_2(run: Callable[..., Result], tmp_path: Path) -> None:
    """`campaign load` of a bad file prints `Error:` with each problem on its own line, exit 2."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        BASE.replace("  timezone: Europe/London", "  timezone: Nowhere").replace(
            "  hashtag: '#TestTag'", "  hashtag: Tag"
        ),
        encoding="utf-8",
    )
    result = run("load", bad)
    assert 2 == result.exit_code
    lines = result.output.splitlines()
    assert lines[0] == f"Error: {bad} has 2 problems; fix them and load it again:"
    assert lines[1].startswith(f"  - {bad}, line 3, campaign.hashtag: 'Tag' does not start with #")
    assert lines[2].startswith(f"  - {bad}, line 4, campaign.timezone: unknown time zone")


def test_a_bad_site_name_after_an_empty_one_is_reported_at_its_own_line() -> None:
    """tracked_domains: a bad name after an empty item names its own line and number."""
    text = BASE.replace(
        "  tracked_domains: [example.org]",
        "  tracked_domains:\n    - ~\n    - https://example.org\n    - example.org",
    )
    assert [
        (11, "campaign.tracked_domains[1]"),
        (12, "campaign.tracked_domains[2]"),
    ] == [(p.line, p.field) for p in problems(text)]
