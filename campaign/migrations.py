"""The schema, as numbered migrations (sqlite-utils ``Migrations``), applied on every open.

Each area keeps its own set so they can grow independently; all are applied in the order below.
Never edit a migration that has shipped: add the next one.
"""

from __future__ import annotations

import importlib

import sqlite_utils
from sqlite_utils import Migrations

core = Migrations("campaign")

POST_STATUSES = (
    "draft",
    "approved",
    "publishing",
    "published",
    "failed",
    "unknown",
    "missed",
    "cancelled",
)


@core()
def m001_initial(db: sqlite_utils.Database) -> None:
    statuses = ", ".join(f"'{s}'" for s in POST_STATUSES)
    db.executescript(
        f"""
        CREATE TABLE campaign (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            name TEXT NOT NULL,
            hashtag TEXT NOT NULL,
            timezone TEXT NOT NULL,
            metadata TEXT NOT NULL,          -- the validated YAML document, as JSON
            source_file TEXT,
            loaded_at TEXT NOT NULL
        );
        CREATE TABLE speakers (
            key TEXT PRIMARY KEY,            -- slug of the name: loading again updates
            name TEXT NOT NULL,
            role TEXT,
            organisation TEXT,
            handle TEXT,
            moderator INTEGER NOT NULL DEFAULT 0,
            position INTEGER NOT NULL
        );
        CREATE TABLE publications (
            key TEXT PRIMARY KEY,            -- slug of the title
            title TEXT NOT NULL,
            url TEXT,
            date TEXT,
            authors TEXT NOT NULL DEFAULT '[]',
            type TEXT,
            topics TEXT NOT NULL DEFAULT '[]',
            summary TEXT,
            position INTEGER NOT NULL
        );
        CREATE TABLE posts (
            id INTEGER PRIMARY KEY,
            source_key TEXT UNIQUE,          -- the planner's identity for a post; NULL if added by hand
            kind TEXT NOT NULL,              -- announcement, reminder, spotlight, starting, recap, publication, manual
            template TEXT,
            source_hash TEXT,                -- hash of what the planner rendered it from
            text TEXT NOT NULL,              -- exactly what will be (or was) sent
            weighted_length INTEGER NOT NULL,
            scheduled_at TEXT NOT NULL,      -- UTC ISO-8601
            status TEXT NOT NULL CHECK (status IN ({statuses})),
            hand_edited INTEGER NOT NULL DEFAULT 0,
            reply_to_post_id INTEGER REFERENCES posts(id),
            tweet_id TEXT,
            claimed_at TEXT,
            claimed_by TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            published_at TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX posts_status_due ON posts (status, scheduled_at);
        CREATE TABLE post_audit (
            id INTEGER PRIMARY KEY,
            post_id INTEGER NOT NULL REFERENCES posts(id),
            at TEXT NOT NULL,
            actor TEXT NOT NULL,             -- who or what: 'cli:alice', 'daemon:host:pid', 'planner'
            from_status TEXT,
            to_status TEXT NOT NULL,
            detail TEXT
        );
        CREATE INDEX post_audit_post ON post_audit (post_id, id);
        CREATE TABLE lease (
            name TEXT PRIMARY KEY,           -- 'publisher'
            holder TEXT NOT NULL,
            pid INTEGER,
            host TEXT,
            acquired_at TEXT NOT NULL,
            heartbeat_at TEXT NOT NULL,
            expires_at TEXT NOT NULL
        );
        CREATE TABLE state (
            key TEXT PRIMARY KEY,
            value TEXT,
            updated_at TEXT NOT NULL
        );
        """
    )


@core()
def m002_call_deadline(db: sqlite_utils.Database) -> None:
    # When the claimed call to X can no longer land (claim time + that process's timeout): a
    # restarted publisher with another timeout must still wait this long before reconciling.
    db.execute("ALTER TABLE posts ADD COLUMN call_deadline TEXT")


@core()
def m006_alerts(db: sqlite_utils.Database) -> None:
    # Incidents the team is told about (scheduler/incidents.py owns both tables): one row per
    # incident, open until ``cleared_at``; each message to each notifier waits in the outbox
    # until it is delivered, so a failing notifier is retried later and nothing is lost.
    # post_audit: a repeated identical failure is one row with a count (posts/repeats.py).
    db.executescript(
        """
        CREATE TABLE incidents (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,              -- publishing_stopped, x_unreachable, post_failed, …
            subject TEXT NOT NULL DEFAULT '', -- what it is about within its kind: a post id, or ''
            post_id INTEGER,
            summary TEXT NOT NULL,           -- what is wrong, in plain words
            advice TEXT NOT NULL,            -- what to do
            opened_at TEXT NOT NULL,
            cleared_at TEXT
        );
        CREATE UNIQUE INDEX incidents_open ON incidents (kind, subject) WHERE cleared_at IS NULL;
        CREATE TABLE notifications (
            id INTEGER PRIMARY KEY,
            incident_id INTEGER REFERENCES incidents(id),
            event TEXT NOT NULL,             -- opened, cleared, test
            target TEXT NOT NULL,            -- a hash of the notifier's URL (the URL may hold a secret)
            label TEXT NOT NULL,             -- the URL with its secrets masked, for the log
            title TEXT NOT NULL,
            body TEXT NOT NULL,
            created_at TEXT NOT NULL,
            next_try_at TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            sent_at TEXT,
            last_error TEXT
        );
        CREATE INDEX notifications_due ON notifications (sent_at, next_try_at);
        ALTER TABLE post_audit ADD COLUMN repeats INTEGER NOT NULL DEFAULT 1;
        ALTER TABLE post_audit ADD COLUMN last_at TEXT;
        """
    )


# Other areas register their sets here, in the order they must apply.
SETS = ["campaign.migrations:core", "campaign.mentions.schema:migrations"]


def apply_all(db: sqlite_utils.Database) -> None:
    """Apply every pending migration of every set.

    A database that already has a migration this version does not know was made by a newer
    version: it is refused before anything is written, since this code would misread it.
    """
    sets: list[Migrations] = []
    for ref in SETS:
        module_name, attr = ref.split(":")
        sets.append(getattr(importlib.import_module(module_name), attr))
    _refuse_newer(db, sets)
    for migrations in sets:
        migrations.apply(db)


def _refuse_newer(db: sqlite_utils.Database, sets: list[Migrations]) -> None:
    from campaign.errors import CampaignError

    if not db[Migrations.migrations_table].exists():
        if db.table_names():  # tables, but none of ours: another program's database
            path = db.execute("PRAGMA database_list").fetchone()[2] or "this database"
            raise CampaignError(
                f"{path} belongs to another program (it has tables, but not campaign's): "
                "use a new file for the campaign with --db"
            )
        return
    known = {(m.name, step.name) for m in sets for step in m._migrations}
    rows = db.execute(f"SELECT migration_set, name FROM {Migrations.migrations_table}")
    unknown = sorted({(r[0], r[1]) for r in rows.fetchall()} - known)
    if unknown:
        steps = ", ".join(f"{s}.{n}" for s, n in unknown[:3]) + (" …" if len(unknown) > 3 else "")
        path = db.execute("PRAGMA database_list").fetchone()[2] or "this database"
        raise CampaignError(
            f"{path} was made by a newer version of campaign (it has schema steps this "
            f"version does not know: {steps}): upgrade campaign, or use another database with --db"
        )
