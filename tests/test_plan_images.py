"""Speakers' photos and publications' covers from the YAML, with their alt text, on the
planner's spotlight and publication posts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import sqlite_utils
from click.testing import Result
from PIL import Image

from posts import media, queue

Run = Callable[..., Result]


def _campaign_with_pictures(sample_yaml: Path, folder: Path, *, alt: bool = True) -> Path:
    """The sample campaign beside a photo of its first speaker and a cover of its first
    publication, both named relative to the YAML."""
    (folder / "pics").mkdir(parents=True)
    Image.new("RGB", (80, 80), (120, 80, 40)).save(folder / "pics" / "grande.jpg", format="JPEG")
    Image.new("RGB", (60, 90), (40, 80, 120)).save(folder / "pics" / "cover.png")
    text = sample_yaml.read_text(encoding="utf-8")
    photo = "    photo: pics/grande.jpg\n"
    if alt:
        photo += "    photo_alt: Lise Grande speaking at a podium\n"
    text = text.replace(
        "    organisation: U.S. Institute of Peace\n",
        "    organisation: U.S. Institute of Peace\n" + photo,
        1,
    )
    head, _, pubs = text.partition("publications:\n")
    first, sep, rest = pubs.partition("\n  - ")
    cover = "\n    cover: pics/cover.png\n    cover_alt: A report cover with a map"
    path = folder / "campaign.yaml"
    path.write_text(head + "publications:\n" + first + cover + sep + rest, encoding="utf-8")
    return path


def test_spotlight_and_publication_posts_carry_the_pictures(
    run: Run, sample_yaml: Path, tmp_path: Path, db: sqlite_utils.Database
) -> None:
    """campaign plan attaches the speaker's photo and the publication's cover with their alt."""
    yaml_file = _campaign_with_pictures(sample_yaml, tmp_path / "event")
    assert 0 == run("load", yaml_file).exit_code
    result = run("plan")
    assert 0 == result.exit_code, result.output
    by_key = {p.source_key: p for p in queue.list_posts(db)}
    spotlight = by_key["spotlight:lise-grande"]
    assert ["Lise Grande speaking at a podium"] == [
        a.alt_text for a in media.of_post(db, spotlight.id)
    ]
    covers = [
        a.alt_text
        for key, p in by_key.items()
        if key and key.startswith("publication:")
        for a in media.of_post(db, p.id)
    ]
    assert ["A report cover with a map"] == covers


def test_a_photo_without_alt_text_is_refused_naming_the_speaker(
    run: Run, sample_yaml: Path, tmp_path: Path, db: sqlite_utils.Database
) -> None:
    """A photo without photo_alt stops the plan with exit 2, naming the speaker and the field."""
    yaml_file = _campaign_with_pictures(sample_yaml, tmp_path / "event", alt=False)
    assert 0 == run("load", yaml_file).exit_code
    result = run("plan")
    assert 2 == result.exit_code
    assert "the photo of Lise Grande cannot be used" in result.output
    assert "photo_alt" in result.output
