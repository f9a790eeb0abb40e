"""Post templates: defaults for every kind, user overrides and variants, the sandbox, filters."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from campaign.errors import TemplateError
from campaign.models import CampaignSettings, Event, Metadata, Publication, Speaker
from posts.length import weighted_length
from posts.render import context, render_post, tidy, trim
from posts.rules import count_hashtag, prepare
from posts.templates import KINDS, format_when, handle_or_name, join_and, variants

TAG = "#PolicingInConflict"
SUMMARY = (
    "When Afghan women step out of their homes, everywhere they look they see a range of "
    "restrictions affecting all aspects of society and their lives — from education and "
    "employment to public services and access to justice. This interactive graphic depicts what "
    "they see and serves as a portal to learning more about restrictions on social and political "
    "life, with links to the documentation of every decree, order and edict issued since 2021."
)

MINIMAL = Metadata(
    campaign=CampaignSettings(name="Panel", timezone="America/New_York"),
    event=Event(title="Policing in Conflict", start=datetime(2026, 12, 6, 15, 0, tzinfo=UTC)),
)
FULL = Metadata(
    campaign=CampaignSettings(
        name="Panel",
        timezone="America/New_York",
        tracking={"utm_source": "x"},
        tracked_domains=("usip.org",),
    ),
    event=Event(
        title="Policing in Conflict-Affected Settings",
        start=datetime(2026, 12, 6, 15, 0, tzinfo=UTC),
        end=datetime(2026, 12, 6, 16, 30, tzinfo=UTC),
        place="U.S. Institute of Peace, Washington",
        online_url="https://www.usip.org/live",
        registration_url="https://www.usip.org/events/policing-conflict-affected-settings",
        url="https://www.usip.org/events/policing-conflict-affected-settings",
        description=SUMMARY,
    ),
    speakers=(
        Speaker(
            "lise-grande",
            "Lise Grande",
            "President and CEO",
            "U.S. Institute of Peace",
            "lisegrande",
        ),
        Speaker("jaswant-lal", "Jaswant Lal", "Officer-in-Charge", "U.N. Police Division"),
        Speaker("john-sopko", "John F. Sopko", "Special Inspector General"),
        Speaker("p-l-m", "Philippe Leroux-Martin", "Director", "USIP", "plm", moderator=True),
    ),
    publications=(
        Publication(
            "tracking",
            "Tracking the Taliban's (Mis)Treatment of Women",
            "https://www.usip.org/publications/2023/06/tracking",
            date(2023, 6, 30),
            ("Gordon Peake, Ph.D.", "Jason Tower", "Andrew Cheatham"),
            "Blog",
            ("Gender", "Justice, Security & Rule of Law"),
            SUMMARY,
        ),
    ),
)


def _ctx(md: Metadata, kind: str, index: int = 0) -> dict[str, object]:
    item: Speaker | Publication | None = None
    if kind == "spotlight":
        item = md.speakers[index] if md.speakers else Speaker("ann", "Ann Example")
    if kind == "publication":
        item = md.publications[0] if md.publications else Publication("p", "A Short Report")
    return context(md, kind, item=item, days_before=7 if kind == "reminder" else None, index=index)


@pytest.mark.parametrize("index", [0, 1, 2, 3])
@pytest.mark.parametrize("md", [MINIMAL, FULL], ids=["minimal", "full"])
@pytest.mark.parametrize("kind", KINDS)
def test_every_template_renders_a_valid_post(kind: str, md: Metadata, index: int) -> None:
    """Each default template reads well with or without optional facts and passes X's rules."""
    text = render_post(kind, _ctx(md, kind, index), md.campaign)
    prepared = prepare(text, md.campaign, event_url_domains=["usip.org"])
    assert prepared.weighted_length <= 280
    assert 1 == count_hashtag(prepared.text, TAG)
    for leftover in ("None", "  ", "()", " ,", " .", "“”", "\n\n\n", "{", "}"):
        assert leftover not in prepared.text
    subject = _ctx(md, kind, index)["publication"] if kind == "publication" else md.event
    assert getattr(subject, "title", None) in prepared.text


def test_full_context_uses_the_optional_facts() -> None:
    """With every fact present, the post carries the handle, role and link."""
    text = render_post("spotlight", _ctx(FULL, "spotlight", 0), FULL.campaign)
    assert "Lise Grande (@lisegrande)" in text
    assert "President and CEO" in text
    assert "https://www.usip.org/events/policing-conflict-affected-settings" in text


def test_moderator_spotlight_says_moderator() -> None:
    """The moderator's spotlight names the role in the event."""
    text = render_post("spotlight", _ctx(FULL, "spotlight", 3), FULL.campaign)
    assert text.startswith("Our moderator: Philippe Leroux-Martin (@plm)")


def test_times_are_shown_in_the_campaign_zone() -> None:
    """15:00 UTC on 6 December is 10 a.m. EST in New York."""
    text = render_post("announcement", _ctx(MINIMAL, "announcement"), MINIMAL.campaign)
    assert "Sunday, December 6 at 10 a.m. EST" in text


def test_summary_is_shortened_to_fit() -> None:
    """A long summary is cut on a word, ends in an ellipsis, and the post fits with the hashtag."""
    text = render_post("publication", _ctx(FULL, "publication"), FULL.campaign)
    summary_line = next(line for line in text.splitlines() if line.startswith("When Afghan"))
    assert summary_line.endswith("…")
    assert prepare(text, FULL.campaign).weighted_length <= 280


def test_plain_text_is_not_escaped() -> None:
    """Autoescape is off: an ampersand stays an ampersand."""
    md = Metadata(
        campaign=MINIMAL.campaign,
        event=Event(title="Justice, Security & Rule of Law", start=MINIMAL.event.start),
    )
    assert "Justice, Security & Rule of Law" in render_post(
        "starting", _ctx(md, "starting"), md.campaign
    )


def _folder(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "templates"
    folder.mkdir()
    for name, body in files.items():
        (folder / name).write_text(body, encoding="utf-8")
    return folder


def test_user_template_overrides_the_default(tmp_path: Path) -> None:
    """A file with a default's name replaces it."""
    folder = _folder(tmp_path, {"recap.j2": "Thanks for coming to {{ event.title }}!"})
    got = render_post("recap", _ctx(MINIMAL, "recap"), MINIMAL.campaign, folder)
    assert "Thanks for coming to Policing in Conflict!" == got


def test_user_variants_join_the_defaults(tmp_path: Path) -> None:
    """<kind>-<name>.j2 files add variants after the default, sorted by name."""
    folder = _folder(tmp_path, {"spotlight-b.j2": "B {{ speaker.name }}", "spotlight-a.j2": "A"})
    assert ["spotlight.j2", "spotlight-a.j2", "spotlight-b.j2"] == variants("spotlight", folder)
    assert ["spotlight.j2"] == variants("spotlight")
    text = render_post(
        "spotlight", _ctx(MINIMAL, "spotlight"), MINIMAL.campaign, folder, template="spotlight-b.j2"
    )
    assert "B Ann Example" == text


def test_syntax_error_names_the_file_and_line(tmp_path: Path) -> None:
    """A template that does not parse is refused with its file and line."""
    folder = _folder(tmp_path, {"recap.j2": "Thanks\nfor {% if %} coming\n"})
    with pytest.raises(TemplateError, match=r"recap\.j2, line 2"):
        render_post("recap", _ctx(MINIMAL, "recap"), MINIMAL.campaign, folder)


def test_undefined_name_names_the_file_and_line(tmp_path: Path) -> None:
    """A misspelt name is an error (never silently empty), naming the file and line."""
    folder = _folder(tmp_path, {"recap.j2": "Thanks\n\nfor {{ event.titel }}\n"})
    with pytest.raises(TemplateError, match=r"recap\.j2, line 3.*titel"):
        render_post("recap", _ctx(MINIMAL, "recap"), MINIMAL.campaign, folder)


def test_sandbox_refuses_internals(tmp_path: Path) -> None:
    """Templates cannot reach Python internals."""
    folder = _folder(tmp_path, {"recap.j2": "{{ event.__class__.__mro__ }}"})
    with pytest.raises(TemplateError, match=r"recap\.j2"):
        render_post("recap", _ctx(MINIMAL, "recap"), MINIMAL.campaign, folder)


def test_missing_templates_folder_is_a_clear_error(tmp_path: Path) -> None:
    """Naming a folder that does not exist says so."""
    with pytest.raises(TemplateError, match="does not exist"):
        variants("recap", tmp_path / "nope")


def test_template_that_renders_nothing_is_refused(tmp_path: Path) -> None:
    """A template whose output is empty for these facts is an error, not an empty post."""
    folder = _folder(tmp_path, {"recap.j2": "{% if event.url %}{{ event.url }}{% endif %}"})
    with pytest.raises(TemplateError, match="produced no text"):
        render_post("recap", _ctx(MINIMAL, "recap"), MINIMAL.campaign, folder)


def test_unknown_kind_is_refused() -> None:
    """Only the known kinds have templates."""
    with pytest.raises(TemplateError, match="unknown kind"):
        variants("thread")


@pytest.mark.parametrize(
    ("items", "limit", "expected"),
    [
        ([], None, ""),
        (["A"], None, "A"),
        (["A", "B"], None, "A and B"),
        (["A", "B", "C"], None, "A, B and C"),
        (["A", "B", "C", "D", "E"], 2, "A, B and 3 more"),
    ],
)
def test_join_and(items: list[str], limit: int | None, expected: str) -> None:
    """Names are joined the way people write lists."""
    assert expected == join_and(items, limit)


def test_handle_or_name() -> None:
    """A speaker with a handle is tagged, one without is named."""
    assert "@lisegrande" == handle_or_name(FULL.speakers[0])
    assert "Jaswant Lal" == handle_or_name(FULL.speakers[1])


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        ("day", "Sunday, December 6"),
        ("short", "Dec. 6"),
        ("date", "December 6, 2026"),
        ("time", "10:30 a.m. EST"),
        ("weekday", "Sunday"),
    ],
)
def test_datefmt_styles(style: str, expected: str) -> None:
    """Dates read the way a US policy institute writes them, in the campaign's zone."""
    assert expected == format_when(
        datetime(2026, 12, 6, 15, 30, tzinfo=UTC), style, "America/New_York"
    )


def test_noon_and_midnight_are_written_as_words() -> None:
    """AP style: 12 p.m. is noon and 12 a.m. is midnight; other times keep a.m. and p.m."""
    tz = "America/New_York"
    assert "noon EST" == format_when(datetime(2026, 12, 6, 17, 0, tzinfo=UTC), "time", tz)
    assert "midnight EST" == format_when(datetime(2026, 12, 7, 5, 0, tzinfo=UTC), "time", tz)
    assert "12:30 a.m. EST" == format_when(datetime(2026, 12, 7, 5, 30, tzinfo=UTC), "time", tz)


def test_short_dates_spell_out_march_to_july_and_abbreviate_the_rest() -> None:
    """The short style follows AP: March, April, May, June and July in full, Sept. with a t."""
    expected = [
        "Jan. 6", "Feb. 6", "March 6", "April 6", "May 6", "June 6",
        "July 6", "Aug. 6", "Sept. 6", "Oct. 6", "Nov. 6", "Dec. 6",
    ]  # fmt: skip
    assert expected == [format_when(date(2027, m, 6), "short", "UTC") for m in range(1, 13)]


def test_trim_cuts_on_a_word_within_budget() -> None:
    """trim never exceeds its budget and never cuts a word in half."""
    cut = trim(SUMMARY, 100)
    assert weighted_length(cut) <= 100
    assert cut.endswith("…")
    assert SUMMARY.startswith(cut[:-1])
    assert SUMMARY[len(cut) - 1] == " "


def test_tidy_collapses_blank_lines_and_double_stops() -> None:
    """Optional facts left out leave no gaps: one blank line at most, no doubled full stop."""
    assert "A by Ph.D.\n\nB…" == tidy("  A  by Ph.D..  \n\n\n\nB…\n\n")


def test_odd_space_list_is_what_split_splits_on() -> None:
    """tidy's quick test knows every whitespace character str.split() knows, but space and newline."""
    from posts.render import _ODD_SPACE

    for cp in range(0x3001):
        ch = chr(cp)
        assert (ch.isspace() and ch not in " \n") == bool(_ODD_SPACE.match(ch))
