"""The workspace's campaigns in the database: saved by ``campaign load``, read back by the rest.

A database is a workspace: the ``campaigns`` table holds one row per campaign (per event), named
by its slug. Each row keeps the validated document whole as JSON (:mod:`campaign.metadata.serialise`);
speakers and publications also get rows of their own, per campaign. This module holds every
statement on those three tables.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import sqlite_utils

from campaign.clock import from_db, now, to_db
from campaign.errors import CampaignError, ConfigError, NotFoundError
from campaign.metadata.serialise import from_dict, to_dict
from campaign.models import CampaignSettings, Metadata
from campaign.store import immediate

DEFAULT_NAME = "campaign"  # the name of the settings in force before any campaign is loaded
DEFAULT_ACCOUNT = "default"


@dataclass(frozen=True)
class Campaign:
    """One campaign of the workspace, as listed (its settings: :func:`stored`)."""

    id: int
    slug: str
    name: str
    hashtag: str
    account: str
    timezone: str
    event_start: datetime | None
    source_file: str | None
    loaded_at: datetime
    archived_at: datetime | None
    collect_days_after: int
    daily_cap: int = 100

    def active(self, at: datetime) -> bool:
        """Planned and collected at ``at``: not archived, and not later than
        ``collect_days_after`` days after its event."""
        if self.archived_at is not None:
            return False
        if self.event_start is None:
            return True
        return at <= self.event_start + timedelta(days=self.collect_days_after)

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "slug": self.slug,
            "name": self.name,
            "hashtag": self.hashtag,
            "account": self.account,
            "event_start": self.event_start.isoformat() if self.event_start else None,
            "archived": self.archived_at is not None,
        }


_COLUMNS = (
    "id, slug, name, hashtag, account, timezone, event_start, source_file, loaded_at, "
    "archived_at, json_extract(metadata, '$.campaign.collect_days_after'), "
    "json_extract(metadata, '$.campaign.daily_cap')"
)


def _campaign(row: tuple[object, ...]) -> Campaign:
    (id_, slug, name, hashtag, account, tz, start, source, loaded, archived, days, cap) = row
    return Campaign(
        id=int(str(id_)),
        slug=str(slug),
        name=str(name),
        hashtag=str(hashtag),
        account=str(account),
        timezone=str(tz),
        event_start=datetime.fromisoformat(str(start)) if start else None,
        source_file=str(source) if source is not None else None,
        loaded_at=from_db(str(loaded)),
        archived_at=from_db(str(archived)) if archived else None,
        collect_days_after=int(str(days)) if days is not None else 14,
        daily_cap=int(str(cap)) if cap is not None else 100,
    )


def campaigns(db: sqlite_utils.Database) -> list[Campaign]:
    """Every campaign of the workspace, in the order they were first loaded."""
    return [_campaign(r) for r in db.execute(f"SELECT {_COLUMNS} FROM campaigns ORDER BY id")]


def active_campaigns(db: sqlite_utils.Database, at: datetime | None = None) -> list[Campaign]:
    """The campaigns planned and collected at ``at`` (now): see :meth:`Campaign.active`."""
    when = at or now()
    return [c for c in campaigns(db) if c.active(when)]


def same_account(db: sqlite_utils.Database, campaign_id: int) -> list[int]:
    """The ids of every campaign posting from ``campaign_id``'s account (itself included):
    what X limits per account (duplicate text, the gap between posts) is checked across them."""
    return [
        int(r[0])
        for r in db.execute(
            "SELECT id FROM campaigns WHERE account = "
            "(SELECT account FROM campaigns WHERE id = ?) ORDER BY id",
            [campaign_id],
        )
    ]


def working_campaigns(db: sqlite_utils.Database, at: datetime | None = None) -> list[Campaign]:
    """The campaigns planned and collected without --campaign: the active ones; when none is,
    a workspace's only campaign that is not archived (a workspace of one works as before
    workspaces, whenever its event was)."""
    all_ = campaigns(db)
    when = at or now()
    found = [c for c in all_ if c.active(when)]
    kept = [c for c in all_ if c.archived_at is None]
    if not found and len(kept) == 1 and len(all_) == 1:
        return kept
    return found


def _slugs(all_: list[Campaign]) -> str:
    return ", ".join(c.slug for c in all_)


def find(db: sqlite_utils.Database, slug: str) -> Campaign:
    """The campaign named ``slug``, or a :class:`NotFoundError` listing the workspace's slugs."""
    row = db.execute(f"SELECT {_COLUMNS} FROM campaigns WHERE slug = ?", [slug]).fetchone()
    if row is not None:
        return _campaign(row)
    all_ = campaigns(db)
    if not all_:
        raise NotFoundError(
            f"there is no campaign {slug!r}: no campaign is loaded yet; run `campaign load FILE`"
        )
    raise NotFoundError(
        f"there is no campaign {slug!r}: the campaigns are {_slugs(all_)} "
        "(see `campaign campaigns list`)"
    )


def get(db: sqlite_utils.Database, campaign_id: int) -> Campaign:
    """The campaign with id ``campaign_id``."""
    row = db.execute(f"SELECT {_COLUMNS} FROM campaigns WHERE id = ?", [campaign_id]).fetchone()
    if row is None:
        raise NotFoundError(f"there is no campaign with id {campaign_id}")
    return _campaign(row)


def resolve(db: sqlite_utils.Database, slug: str | None) -> Campaign | None:
    """The campaign a command about one campaign works on: ``slug``'s; without one, the only
    campaign (``None`` when none is loaded); several and no slug is a :class:`CampaignError`
    listing them."""
    if slug is not None:
        return find(db, slug)
    all_ = campaigns(db)
    if len(all_) > 1:
        raise CampaignError(
            f"this workspace has {len(all_)} campaigns: say which with --campaign SLUG "
            f"(one of {_slugs(all_)})"
        )
    return all_[0] if all_ else None


def archive(db: sqlite_utils.Database, slug: str) -> Campaign:
    """Archive ``slug``: no more planning or collecting; everything is kept."""
    c = find(db, slug)
    if c.archived_at is None:
        db.execute(
            "UPDATE campaigns SET archived_at = ? WHERE id = ? AND archived_at IS NULL",
            [to_db(now()), c.id],
        )
    return get(db, c.id)


@dataclass(frozen=True)
class Saved:
    """What :func:`save` did: the campaign's id and whether it is new to the workspace."""

    id: int
    created: bool


def _refuse_moving_unsettled(
    db: sqlite_utils.Database, slug: str, campaign_id: int, old: str, new: str
) -> None:
    """A post of the campaign whose fate X has not told yet (``publishing`` or ``unknown``) is
    settled against the timeline of the account that sent it: moved to another account, it
    would be looked for on the wrong timeline and could go out twice."""
    from posts.queue import pending

    unsettled = pending(db, campaign_ids=[campaign_id], unassigned=False)
    if unsettled:
        ids = ", ".join(str(p.id) for p in unsettled)
        raise CampaignError(
            f"the campaign {slug!r} cannot move from the account {old!r} to {new!r} yet: "
            f"X has not confirmed post {ids} sent from {old!r} (`campaign status` shows it). "
            "Nothing was changed. Load the file again once the daemon has settled it"
        )


def save(db: sqlite_utils.Database, md: Metadata, source_file: str | None) -> Saved:
    """Store ``md`` as the campaign its slug names: added if new, else updated in place.

    Refused, changing nothing: a slug that belongs to a campaign with another hashtag (a typo
    must not overwrite a live campaign), and a hashtag another campaign of the same account
    already has. Speakers and publications are upserted by key within the campaign and those no
    longer in ``md`` are deleted, so loading the same file again changes nothing.
    """
    doc = json.dumps(to_dict(md), ensure_ascii=False, sort_keys=False)
    c = md.campaign
    slug = c.key
    start = md.event.start.isoformat()
    with immediate(db):
        same = db.execute(
            "SELECT id, hashtag, account FROM campaigns WHERE slug = ?", [slug]
        ).fetchone()
        if same is not None and str(same[1]).lower() != c.hashtag.lower():
            raise CampaignError(
                f"the campaign {slug!r} has the hashtag {same[1]}, not {c.hashtag}: nothing was "
                f"changed. To add another campaign, give it its own `slug:` under `campaign:`; "
                f"to change {slug!r}'s hashtag, archive it and load the file under a new slug"
            )
        if same is not None and str(same[2]) != c.account:
            _refuse_moving_unsettled(db, slug, int(same[0]), str(same[2]), c.account)
        clash = db.execute(
            "SELECT slug FROM campaigns WHERE account = ? AND hashtag = ? COLLATE NOCASE "
            "AND slug != ?",
            [c.account, c.hashtag, slug],
        ).fetchone()
        if clash is not None:
            raise CampaignError(
                f"the campaigns {clash[0]!r} and {slug!r} would both use {c.hashtag} on the "
                f"account {c.account!r}: nothing was changed. Give {slug!r} its own hashtag, "
                f"or load the file as {clash[0]!r} (slug: {clash[0]})"
            )
        # Added if its slug is new, else updated in place (it keeps its id).
        cur = db.execute(
            "INSERT INTO campaigns (slug, name, hashtag, account, timezone, event_start, "
            "metadata, source_file, loaded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(slug) DO UPDATE SET name = excluded.name, hashtag = excluded.hashtag, "
            "account = excluded.account, timezone = excluded.timezone, "
            "event_start = excluded.event_start, metadata = excluded.metadata, "
            "source_file = excluded.source_file, loaded_at = excluded.loaded_at",
            [slug, c.name, c.hashtag, c.account, c.timezone, start, doc, source_file, to_db(now())],
        )
        campaign_id = int(same[0]) if same is not None else int(cur.lastrowid or 0)
        for pos, s in enumerate(md.speakers):
            db.execute(
                "INSERT INTO speakers (campaign_id, key, name, role, organisation, handle, "
                "moderator, position) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(campaign_id, key) DO UPDATE SET name = excluded.name, "
                "role = excluded.role, organisation = excluded.organisation, "
                "handle = excluded.handle, moderator = excluded.moderator, "
                "position = excluded.position",
                [
                    campaign_id,
                    s.key,
                    s.name,
                    s.role,
                    s.organisation,
                    s.handle,
                    int(s.moderator),
                    pos,
                ],
            )
        db.execute(
            "DELETE FROM speakers WHERE campaign_id = ? "
            "AND key NOT IN (SELECT value FROM json_each(?))",
            [campaign_id, json.dumps([s.key for s in md.speakers])],
        )
        for pos, p in enumerate(md.publications):
            db.execute(
                "INSERT INTO publications (campaign_id, key, title, url, date, authors, type, "
                "topics, summary, position) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(campaign_id, key) DO UPDATE SET "
                "title = excluded.title, url = excluded.url, date = excluded.date, "
                "authors = excluded.authors, type = excluded.type, topics = excluded.topics, "
                "summary = excluded.summary, position = excluded.position",
                [
                    campaign_id,
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
            "DELETE FROM publications WHERE campaign_id = ? "
            "AND key NOT IN (SELECT value FROM json_each(?))",
            [campaign_id, json.dumps([p.key for p in md.publications])],
        )
    return Saved(campaign_id, same is None)


def stored(db: sqlite_utils.Database, campaign_id: int | None = None) -> Metadata | None:
    """The campaign ``campaign_id`` (without one: the workspace's first), or ``None`` if
    nothing has been loaded yet."""
    if campaign_id is None:
        row = db.execute("SELECT metadata FROM campaigns ORDER BY id LIMIT 1").fetchone()
    else:
        row = db.execute("SELECT metadata FROM campaigns WHERE id = ?", [campaign_id]).fetchone()
    if row is None:
        return None
    try:
        return _parsed(row[0])
    except (ValueError, KeyError, TypeError, IndexError, CampaignError) as e:
        raise ConfigError(
            "the campaign stored in this database cannot be read (it may come from another "
            "version of the tool): load its YAML file again with `campaign load FILE`"
        ) from e


@lru_cache(maxsize=128)
def _parsed(stored_json: str) -> Metadata:
    """The metadata stored as ``stored_json``, read once per process for each text: a page of
    every campaign reads each one's settings (immutable records, so sharing them is safe)."""
    return from_dict(json.loads(stored_json))


def source_file(db: sqlite_utils.Database, campaign_id: int | None = None) -> str | None:
    """The YAML file the campaign ``campaign_id`` (the first) was loaded from, as it was given
    to ``campaign load``."""
    if campaign_id is None:
        row = db.execute("SELECT source_file FROM campaigns ORDER BY id LIMIT 1").fetchone()
    else:
        row = db.execute("SELECT source_file FROM campaigns WHERE id = ?", [campaign_id]).fetchone()
    return str(row[0]) if row and row[0] else None


def require(db: sqlite_utils.Database, campaign_id: int | None = None) -> Metadata:
    """The campaign ``campaign_id`` (the first), or a :class:`CampaignError` saying how to load one."""
    md = stored(db, campaign_id)
    if md is None:
        raise CampaignError(
            "no campaign loaded: run `campaign load FILE` first "
            "(the sample: campaign/data/policing-in-conflict.yaml)"
        )
    return md


def settings_for(db: sqlite_utils.Database, campaign_id: int | None = None) -> CampaignSettings:
    """The settings of campaign ``campaign_id`` (the first), or the defaults (#PolicingInConflict,
    UTC) when none is loaded."""
    md = stored(db, campaign_id)
    return md.campaign if md else CampaignSettings(name=DEFAULT_NAME)
