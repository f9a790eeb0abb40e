"""The bundled #PolicingInConflict event page imports whole, and its YAML plans as printed."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import time_machine
from click.testing import Result

from campaign.importpage import parse_page

PAGE = (
    Path(__file__).resolve().parent.parent / "campaign" / "data" / "policing-in-conflict-page.txt"
)


def test_bundled_page_has_six_speakers_with_the_moderator_marked() -> None:
    """All six speakers come through, and only Philippe Leroux-Martin is the moderator."""
    page = parse_page(PAGE.read_text(encoding="utf-8"), 2026)
    assert "#PolicingInConflict" == page.hashtag
    assert date(2026, 12, 6) == page.event_date
    assert [
        "Lise Grande",
        "Col. Giuseppe De Magistris",
        "Jaswant Lal",
        "John F. Sopko",
        "Amb. Lars-Gunnar Wigemark",
        "Philippe Leroux-Martin",
    ] == [s.name for s in page.speakers]
    assert ["Philippe Leroux-Martin"] == [s.name for s in page.speakers if s.moderator]
    assert ("President and CEO", "U.S. Institute of Peace") == (
        page.speakers[0].role,
        page.speakers[0].organisation,
    )


def test_bundled_page_has_four_publications_with_their_facts() -> None:
    """Four publications, each once, with date, authors split on ';', type and split topics."""
    pubs = parse_page(PAGE.read_text(encoding="utf-8"), 2026).publications
    assert [
        (
            "In the Pacific, Corruption and Poor Policing Open a Door to China",
            date(2024, 2, 8),
            ("Gordon Peake, Ph.D.",),
            "Analysis",
            ("Democracy & Governance", "Justice, Security & Rule of Law"),
        ),
        (
            "Ask the Experts: How to Stop Transnational Crime Networks in Southeast Asia",
            date(2023, 8, 30),
            ("Andrew Cheatham", "Jason Tower"),
            "Blog",
            ("Justice, Security & Rule of Law",),
        ),
        (
            "China’s Metastasizing Myanmar Problem",
            date(2023, 7, 11),
            ("Jason Tower",),
            "Analysis",
            ("Global Policy", "Justice, Security & Rule of Law"),
        ),
        (
            "Tracking the Taliban's (Mis)Treatment of Women",
            date(2023, 6, 30),
            (),
            "Blog",
            ("Gender", "Human Rights", "Justice, Security & Rule of Law", "Violent Extremism"),
        ),
    ] == [(p.title, p.date, p.authors, p.type, p.topics) for p in pubs]
    assert all(p.summary for p in pubs)


@time_machine.travel("2026-10-01T12:00:00+00:00", tick=False)  # before the 2026 event's first post
def test_bundled_page_imports_loads_and_plans_as_printed(
    run: Callable[..., Result], tmp_path: Path
) -> None:
    """`import-page` output is accepted by `load` and gives a plan of at least 12 drafts."""
    assert 0 == run("init").exit_code
    printed = run("import-page", PAGE, "--year", "2026")
    assert 0 == printed.exit_code
    yaml_file = tmp_path / "imported.yaml"
    yaml_file.write_text(printed.output, encoding="utf-8")
    assert 0 == run("load", yaml_file).exit_code
    assert 0 == run("plan").exit_code
    listed = run("posts", "list", "--json")
    assert len(json.loads(listed.output)) >= 12
