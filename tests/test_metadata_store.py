"""Storing campaign metadata: load, load again, read back; and the bundled sample."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import Result

from campaign.errors import CampaignError
from campaign.metadata import (
    from_dict,
    parse_file,
    parse_text,
    require,
    save,
    stored,
    to_dict,
)


def counts(db: sqlite_utils.Database) -> tuple[int, int, int]:
    return (
        db.execute("SELECT count(*) FROM campaigns").fetchone()[0],
        db.execute("SELECT count(*) FROM speakers").fetchone()[0],
        db.execute("SELECT count(*) FROM publications").fetchone()[0],
    )


def test_sample_has_the_seed_campaign(sample_yaml: Path) -> None:
    """The bundled sample holds the six speakers, the moderator and the four publications."""
    md = parse_file(sample_yaml)
    assert ("#PolicingInConflict", "America/New_York") == (
        md.campaign.hashtag,
        md.campaign.timezone,
    )
    assert "2026-12-06T10:00:00-05:00" == md.event.start.isoformat()
    assert [
        "Lise Grande",
        "Col. Giuseppe De Magistris",
        "Jaswant Lal",
        "John F. Sopko",
        "Amb. Lars-Gunnar Wigemark",
        "Philippe Leroux-Martin",
    ] == [s.name for s in md.speakers]
    assert ["Philippe Leroux-Martin"] == [s.name for s in md.speakers if s.moderator]
    assert [
        (date(2024, 2, 8), ("Gordon Peake, Ph.D.",), "Analysis", 2),
        (date(2023, 8, 30), ("Andrew Cheatham", "Jason Tower"), "Blog", 1),
        (date(2023, 7, 11), ("Jason Tower",), "Analysis", 2),
        (date(2023, 6, 30), (), "Blog", 4),
    ] == [(p.date, p.authors, p.type, len(p.topics)) for p in md.publications]
    assert {"utm_source": "x", "utm_medium": "social", "utm_campaign": "policing-in-conflict"} == (
        md.campaign.tracking
    )


def test_sample_marks_every_filled_in_fact(sample_yaml: Path) -> None:
    """Facts the page lacks (title, time, place, URLs) carry a `# filled in:` comment."""
    lines = sample_yaml.read_text(encoding="utf-8").splitlines()
    for key in ("  start:", "  registration_url:", "  place:", "  title:"):
        line = next(x for x in lines if x.startswith(key))
        assert "# filled in" in line, line
    assert all("# filled in" in x for x in lines if x.startswith("    url: "))


def test_save_then_stored_gives_back_the_same_campaign(
    db: sqlite_utils.Database, sample_yaml: Path
) -> None:
    """What is saved is read back equal, time zone of the event start included."""
    md = parse_file(sample_yaml)
    save(db, md, str(sample_yaml))
    assert md == stored(db)
    back = stored(db)
    assert back is not None
    assert "America/New_York" == str(back.event.start.tzinfo)


def test_to_dict_and_from_dict_round_trip(sample_yaml: Path) -> None:
    """The stored JSON form converts back to the same metadata."""
    md = parse_file(sample_yaml)
    assert md == from_dict(json.loads(json.dumps(to_dict(md))))


def test_campaign_row_holds_the_validated_document(
    db: sqlite_utils.Database, sample_yaml: Path
) -> None:
    """Row 1 of `campaign` has the name, hashtag, zone, source file and the JSON document."""
    md = parse_file(sample_yaml)
    save(db, md, "sample.yaml")
    row = db.execute(
        "SELECT id, name, hashtag, timezone, source_file, metadata FROM campaigns"
    ).fetchone()
    assert (1, md.campaign.name, "#PolicingInConflict", "America/New_York", "sample.yaml") == row[
        :5
    ]
    assert to_dict(md) == json.loads(row[5])


def test_speakers_and_publications_rows(db: sqlite_utils.Database, sample_yaml: Path) -> None:
    """Speakers and publications are rows keyed by slug, in file order, lists as JSON."""
    save(db, parse_file(sample_yaml), None)
    assert ("philippe-leroux-martin", 1, 5) == db.execute(
        "SELECT key, moderator, position FROM speakers WHERE moderator = 1"
    ).fetchone()
    assert (
        "tracking-the-talibans-mis-treatment-of-women",
        "2023-06-30",
        "[]",
        '["Gender", "Human Rights", "Justice, Security & Rule of Law", "Violent Extremism"]',
    ) == db.execute(
        "SELECT key, date, authors, topics FROM publications WHERE position = 3"
    ).fetchone()


def test_loading_again_removes_what_left_the_file(
    db: sqlite_utils.Database, sample_yaml: Path
) -> None:
    """A speaker deleted from the file is deleted from the store; an edited one is updated."""
    text = sample_yaml.read_text(encoding="utf-8")
    save(db, parse_text(text), None)
    edited = text.replace(
        "  - name: Jaswant Lal\n"
        "    role: Officer-in-Charge, Strategic Policy and Development Section\n"
        "    organisation: U.N. Police Division\n",
        "",
    ).replace("role: Head of Mission", "role: Former Head of Mission")
    save(db, parse_text(edited), None)
    assert (1, 5, 4) == counts(db)
    assert (
        "Former Head of Mission"
        == db.execute(
            "SELECT role FROM speakers WHERE key = 'amb-lars-gunnar-wigemark'"
        ).fetchone()[0]
    )
    assert [4] == [
        r[0]
        for r in db.execute("SELECT position FROM speakers WHERE key = 'philippe-leroux-martin'")
    ]


def test_stored_is_none_before_any_load(db: sqlite_utils.Database) -> None:
    """With nothing loaded, stored() is None."""
    assert stored(db) is None


def test_require_says_how_to_load(db: sqlite_utils.Database) -> None:
    """require() with nothing loaded tells the person to run `campaign load`."""
    with pytest.raises(CampaignError, match=r"no campaign loaded: run `campaign load FILE` first"):
        require(db)


def test_unreadable_stored_document_says_load_again(db: sqlite_utils.Database) -> None:
    """A stored document this version cannot read asks for the YAML to be loaded again."""
    db.execute(
        "INSERT INTO campaigns (id, slug, name, hashtag, timezone, metadata, loaded_at) "
        "VALUES (1, 'x', 'x', '#x', 'UTC', '{\"campaign\": {}}', '2026-01-01T00:00:00.000+00:00')"
    )
    with pytest.raises(CampaignError, match="load its YAML file again"):
        stored(db)


def test_cli_load_twice_keeps_one_campaign(
    run: Callable[..., Result], sample_yaml: Path, db_path: Path
) -> None:
    """`campaign load` run twice leaves one campaign, 6 speakers and 4 publications."""
    assert 0 == run("init").exit_code
    first = run("load", sample_yaml)
    second = run("load", sample_yaml)
    assert (0, 0) == (first.exit_code, second.exit_code)
    assert (
        "Loaded Policing in Conflict-Affected Settings (#PolicingInConflict): event "
        "2026-12-06 10:00 EST, 6 speakers (1 moderator), 4 publications\n"
    ) == second.output
    assert (1, 6, 4) == counts(sqlite_utils.Database(db_path))


def test_cli_load_of_a_missing_file(run: Callable[..., Result]) -> None:
    """`campaign load` of a file that is not there exits 2 with one line saying so."""
    result = run("load", "missing.yaml")
    assert 2 == result.exit_code
    assert result.output.startswith("Error: cannot read missing.yaml: there is no such file")
