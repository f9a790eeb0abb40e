"""The loaded campaign in the database: saved by ``campaign load``, read back by everything else.

The validated document is kept whole as JSON (:mod:`campaign.metadata.serialise`) in the
``campaign`` table's row 1; speakers and publications also get rows of their own.
"""

from __future__ import annotations

import json

import sqlite_utils

from campaign.clock import now, to_db
from campaign.errors import CampaignError, ConfigError
from campaign.metadata.serialise import from_dict, to_dict
from campaign.models import CampaignSettings, Metadata
from campaign.store import immediate

DEFAULT_NAME = "campaign"  # the name of the settings in force before any campaign is loaded


def save(db: sqlite_utils.Database, md: Metadata, source_file: str | None) -> None:
    """Store ``md`` as the database's campaign (row 1), replacing what was loaded before.

    Speakers and publications are upserted by key and those no longer in ``md`` are deleted, so
    loading the same file again changes nothing and never duplicates.
    """
    doc = json.dumps(to_dict(md), ensure_ascii=False, sort_keys=False)
    c = md.campaign
    with immediate(db):
        db.execute(
            "INSERT INTO campaign (id, name, hashtag, timezone, metadata, source_file, loaded_at) "
            "VALUES (1, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET name = excluded.name, "
            "hashtag = excluded.hashtag, timezone = excluded.timezone, "
            "metadata = excluded.metadata, source_file = excluded.source_file, "
            "loaded_at = excluded.loaded_at",
            [c.name, c.hashtag, c.timezone, doc, source_file, to_db(now())],
        )
        for pos, s in enumerate(md.speakers):
            db.execute(
                "INSERT INTO speakers (key, name, role, organisation, handle, moderator, position) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET name = excluded.name, "
                "role = excluded.role, organisation = excluded.organisation, "
                "handle = excluded.handle, moderator = excluded.moderator, "
                "position = excluded.position",
                [s.key, s.name, s.role, s.organisation, s.handle, int(s.moderator), pos],
            )
        db.execute(
            "DELETE FROM speakers WHERE key NOT IN (SELECT value FROM json_each(?))",
            [json.dumps([s.key for s in md.speakers])],
        )
        for pos, p in enumerate(md.publications):
            db.execute(
                "INSERT INTO publications (key, title, url, date, authors, type, topics, summary, "
                "position) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET "
                "title = excluded.title, url = excluded.url, date = excluded.date, "
                "authors = excluded.authors, type = excluded.type, topics = excluded.topics, "
                "summary = excluded.summary, position = excluded.position",
                [
                    p.key,
                    p.title,
                    p.url,
                    p.date.isoformat() if p.date else None,
                    json.dumps(list(p.authors), ensure_ascii=False),
                    p.type,
                    json.dumps(list(p.topics), ensure_ascii=False),
                    p.summary,
                    pos,
                ],
            )
        db.execute(
            "DELETE FROM publications WHERE key NOT IN (SELECT value FROM json_each(?))",
            [json.dumps([p.key for p in md.publications])],
        )


def stored(db: sqlite_utils.Database) -> Metadata | None:
    """The campaign loaded into ``db``, or ``None`` if nothing has been loaded yet."""
    row = db.execute("SELECT metadata FROM campaign WHERE id = 1").fetchone()
    if row is None:
        return None
    try:
        return from_dict(json.loads(row[0]))
    except (ValueError, KeyError, TypeError, IndexError, CampaignError) as e:
        raise ConfigError(
            "the campaign stored in this database cannot be read (it may come from another "
            "version of the tool): load its YAML file again with `campaign load FILE`"
        ) from e


def source_file(db: sqlite_utils.Database) -> str | None:
    """The YAML file the campaign was loaded from, as it was given to ``campaign load``."""
    row = db.execute("SELECT source_file FROM campaign WHERE id = 1").fetchone()
    return str(row[0]) if row and row[0] else None


def require(db: sqlite_utils.Database) -> Metadata:
    """The loaded campaign, or a :class:`CampaignError` saying how to load one."""
    md = stored(db)
    if md is None:
        raise CampaignError(
            "no campaign loaded: run `campaign load FILE` first "
            "(the sample: campaign/data/policing-in-conflict.yaml)"
        )
    return md


def settings_for(db: sqlite_utils.Database) -> CampaignSettings:
    """The loaded campaign's settings, or the defaults (#PolicingInConflict, UTC)."""
    md = stored(db)
    return md.campaign if md else CampaignSettings(name=DEFAULT_NAME)
