"""The fields' table: each setting declared once drives validation, storage, import-page and docs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from campaign.errors import ConfigError
from campaign.fields import Whole, table
from campaign.importpage import ImportedPage, to_yaml
from campaign.metadata import InvalidMetadata, parse_file, parse_text, save, stored
from campaign.metadata.reference import SECTIONS, reference
from campaign.models import Cadence, CampaignSettings, Publication, Speaker

DOCS = Path(__file__).resolve().parent.parent / "docs" / "metadata.md"
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
EVENT_START = (NOW + timedelta(days=8)).strftime("%Y-%m-%d 10:00")


def test_docs_metadata_reference_matches_the_fields_table() -> None:
    """docs/metadata.md is the reference the table writes (regenerate: python -m campaign.metadata.reference)."""
    assert reference() == DOCS.read_text(encoding="utf-8")


@pytest.mark.parametrize("section", [s[0] for s in SECTIONS])
def test_every_field_says_what_it_is(section: str) -> None:
    """Every field of every section has a sentence of help for the reference."""
    record = {name: cls for name, cls, _ in SECTIONS}[section]
    missing = [f.name for f, spec in table(record) if not spec.help.strip().endswith(".")]
    assert [] == missing


def test_import_page_writes_every_setting_at_its_default() -> None:
    """The campaign section import-page writes loads back to the defaults, but for what the page gave."""
    page = ImportedPage(
        hashtag="#WaterSecurity",
        event_date=(NOW + timedelta(days=8)).date(),
        year_source="page",
        title="Water Security",
        description=None,
        speakers=(),
        publications=(),
        us_looking=True,
    )
    expected = CampaignSettings(
        name="Water Security",
        hashtag="#WaterSecurity",
        timezone="America/New_York",
        tracking={"utm_source": "x", "utm_medium": "social", "utm_campaign": "water-security"},
    )
    assert expected == parse_text(to_yaml(page), "imported.yaml").campaign


def _whole_number_settings() -> list[tuple[str, int, int | None]]:
    found = []
    for prefix, record in (("campaign", CampaignSettings), ("campaign.cadence", Cadence)):
        for f, spec in table(record):
            if isinstance(spec.kind, Whole):
                found.append((f"{prefix}.{f.name}", spec.kind.minimum, spec.kind.maximum))
    return found


def _yaml_with(field: str, value: int) -> str:
    key = field.rsplit(".", 1)[1]
    setting = f"  cadence:\n    {key}: {value}\n" if ".cadence." in field else f"  {key}: {value}\n"
    return f"campaign:\n  name: Test\n{setting}event:\n  title: T\n  start: {EVENT_START}\n"


@pytest.mark.parametrize(("field", "minimum", "maximum"), _whole_number_settings())
def test_every_whole_number_setting_keeps_to_its_bounds(
    field: str, minimum: int, maximum: int | None
) -> None:
    """Each whole-number setting takes its bounds and refuses a number outside them, naming the line."""
    line = 4 if ".cadence." in field else 3
    wrong = [(minimum - 1, f"it must be {minimum} or more")]
    if maximum is not None:
        wrong.append((maximum + 1, f"it must be {maximum} or less"))
    for value, why in wrong:
        with pytest.raises(InvalidMetadata) as e:
            parse_text(_yaml_with(field, value), "f.yaml")
        expected = f"f.yaml, line {line}, {field}: is {value}, but {why}"
        assert [expected] == [str(p) for p in e.value.problems]
    settings = parse_text(_yaml_with(field, minimum), "f.yaml").campaign
    owner = settings.cadence if ".cadence." in field else settings
    assert minimum == getattr(owner, field.rsplit(".", 1)[1])


def _stored_doc(db: sqlite_utils.Database) -> dict[str, Any]:
    doc = json.loads(db.execute("SELECT metadata FROM campaigns WHERE id = 1").fetchone()[0])
    assert isinstance(doc, dict)
    return doc


def test_a_campaign_stored_before_a_setting_existed_reads_back_with_its_default(
    db: sqlite_utils.Database, sample_yaml: Path
) -> None:
    """A stored campaign without a (newer) setting loads with that setting's default."""
    save(db, parse_file(sample_yaml), str(sample_yaml))
    doc = _stored_doc(db)
    del doc["campaign"]["daily_cap"]
    del doc["campaign"]["cadence"]["post_time"]
    db.execute("UPDATE campaigns SET metadata = ? WHERE id = 1", [json.dumps(doc)])
    md = stored(db)
    assert md is not None
    assert (100, time(10, 0)) == (md.campaign.daily_cap, md.campaign.cadence.post_time)


def test_a_stored_campaign_without_its_name_cannot_be_read(
    db: sqlite_utils.Database, sample_yaml: Path
) -> None:
    """A required setting missing from the stored campaign is a clear error, not a default."""
    save(db, parse_file(sample_yaml), str(sample_yaml))
    doc = _stored_doc(db)
    del doc["campaign"]["name"]
    db.execute("UPDATE campaigns SET metadata = ? WHERE id = 1", [json.dumps(doc)])
    with pytest.raises(ConfigError) as e:
        stored(db)
    assert str(e.value).startswith("the campaign stored in this database cannot be read")


def test_import_page_yaml_loads_back_to_the_same_speakers_and_publications() -> None:
    """What import-page writes of each speaker and publication, field by field, loads back unchanged."""
    speakers = (
        Speaker("ana-ruiz", "Ana Ruiz", "Director, Rule of Law", "U.S. Institute of Peace"),
        Speaker("li-wei-moderator", "Li Wei: Moderator", None, None, None, True),
    )
    publications = (
        Publication(
            "policing-after-war",
            "Policing After War",
            None,
            (NOW - timedelta(days=300)).date(),
            ("Gordon Peake, Ph.D.", "A. Author"),
            "Analysis",
            ("Justice, Security & Rule of Law",),
            "A first paragraph that is long enough to be folded over more than one line of the "
            "YAML file, and then some more.\nA second paragraph.",
        ),
        Publication("a-report", "A Report"),
    )
    page = ImportedPage(
        hashtag="#Test",
        event_date=(NOW + timedelta(days=8)).date(),
        year_source="page",
        title="Test",
        description="What it is about.",
        speakers=speakers,
        publications=publications,
        us_looking=False,
    )
    md = parse_text(to_yaml(page), "imported.yaml")
    assert (speakers, publications) == (md.speakers, md.publications)
