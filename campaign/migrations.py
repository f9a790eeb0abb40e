"""The schema, as numbered migrations (sqlite-utils ``Migrations``), applied on every open.

Each area keeps its own set so they can grow independently; all are applied in the order below.
Never edit a migration that has shipped: add the next one.
"""

from __future__ import annotations

import importlib
import sqlite3

import sqlite_utils
from sqlite_utils import Migrations

core = Migrations("campaign")

# The post statuses the schema allows (m001's CHECK). ``posts.queue.PostStatus`` names them; a new
# status comes with a new migration that rebuilds the CHECK.
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
    # Frozen as shipped: literal SQL, never built from live values (a new status is a new step).
    db.executescript(
        """
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
            status TEXT NOT NULL CHECK (status IN ('draft', 'approved', 'publishing', 'published', 'failed', 'unknown', 'missed', 'cancelled')),
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
def m003_reason(db: sqlite_utils.Database) -> None:
    # Why a post is unknown, failed, missed or waiting (``posts.queue.Reason``), written at the
    # transition, on the post and on its audit row. Release 0.1 kept it only as a prefix of the
    # message: the rows it wrote get their reason from those messages, once, here.
    db.executescript(
        """
        ALTER TABLE posts ADD COLUMN reason TEXT;
        ALTER TABLE post_audit ADD COLUMN reason TEXT;
        UPDATE post_audit SET reason = CASE
            WHEN detail GLOB 'duplicate content: *' THEN 'duplicate'
            WHEN detail GLOB 'server error: *' THEN 'server_error'
            WHEN detail GLOB 'no answer: *' THEN 'no_answer'
            WHEN detail GLOB 'not sent: X''s rate limit *' THEN 'rate_limited'
            WHEN detail GLOB 'not sent: no answer *' THEN 'unreachable'
            WHEN detail GLOB 'not sent: rescheduled *' THEN 'rescheduled'
            WHEN detail GLOB 'not sent: the publishing lease *' THEN 'lease_lost'
            WHEN detail GLOB 'not sent: X refused the credentials *' THEN 'auth'
            WHEN detail GLOB 'not sent: *' THEN 'unavailable'
            WHEN detail GLOB 'X refused it as duplicate content *' THEN 'duplicate'
            WHEN detail GLOB 'X had server errors *' THEN 'server_error'
            WHEN detail GLOB 'not on the account''s timeline*' THEN 'not_on_timeline'
            WHEN to_status = 'missed' THEN 'missed_window'
            WHEN to_status = 'failed' AND from_status IN ('publishing', 'unknown') THEN 'refused'
        END
        WHERE from_status IN ('approved', 'publishing', 'unknown')
            AND to_status IN ('unknown', 'failed', 'missed', 'approved');
        UPDATE posts SET reason = (
            SELECT a.reason FROM post_audit a WHERE a.post_id = posts.id
            AND a.to_status = posts.status ORDER BY a.id DESC LIMIT 1
        )
        WHERE status IN ('unknown', 'failed', 'missed', 'approved');
        """
    )


@core()
def m004_login_attempts(db: sqlite_utils.Database) -> None:
    # Wrong passwords given to the web console, by address, so guessing is throttled across
    # threads and restarts (owned by campaign/web/logins.py).
    db.executescript(
        """
        CREATE TABLE login_attempts (
            id INTEGER PRIMARY KEY,
            address TEXT NOT NULL,           -- the client's address (the proxy's client's, behind --proxy)
            username TEXT NOT NULL,          -- the name given with the wrong password
            at TEXT NOT NULL                 -- UTC ISO-8601
        );
        CREATE INDEX login_attempts_by_address ON login_attempts (address, at);
        """
    )


@core()
def m005_people(db: sqlite_utils.Database) -> None:
    # The team (campaign.people): who may sign in, with which role. Passwords are Argon2id hashes
    # (the PHC string), never the password. A workspace with no rows here is the one-person setup.
    # On posts: the person who wrote it and the one who last changed its text or time, for the
    # four-eyes rule (nobody approves a post they created or last edited).
    db.executescript(
        """
        CREATE TABLE people (
            name TEXT PRIMARY KEY COLLATE NOCASE,
            role TEXT NOT NULL CHECK (role IN ('viewer', 'reviewer', 'editor', 'approver', 'admin')),
            password_hash TEXT NOT NULL,     -- Argon2id, PHC string format
            password_changed_at TEXT NOT NULL,
            disabled_at TEXT,                -- set: may no longer sign in or act
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        ALTER TABLE posts ADD COLUMN created_by TEXT;
        ALTER TABLE posts ADD COLUMN edited_by TEXT;
        """
    )


@core()
def m006_alerts(db: sqlite_utils.Database) -> None:
    # Incidents the team is told about (scheduler/incidents.py owns both tables): one row per
    # incident, open until ``cleared_at``; each message to each notifier waits in the outbox
    # until it is delivered, so a failing notifier is retried later and nothing is lost.
    # post_audit: a repeated identical failure is one row with a count (posts.queue.fold_repeats).
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


@core(transactional=False)
def m007_workspace(db: sqlite_utils.Database) -> None:
    # A workspace: many campaigns (one per event) in one database. The one-row ``campaign`` table
    # becomes ``campaigns`` (the loaded campaign keeps id 1), each with its slug, the account it
    # posts from and an archived time; speakers and publications belong to their campaign; posts
    # get their campaign (existing rows: campaign 1 if one is loaded, else none: the default
    # hashtag), and the planner's key is unique within a campaign, not across the workspace.
    # The posts table is rebuilt for that last change (SQLite cannot drop a column's UNIQUE):
    # literal SQL of the table as m001-m006 left it. A rebuild needs foreign keys off, which
    # SQLite allows only outside a transaction: so this step runs its own, and checks the keys
    # before it commits. Stopped between its commit and its record, it is not done twice.
    conn = db.conn
    if db["campaigns"].exists():
        return
    conn.execute("PRAGMA foreign_keys = OFF")
    try:
        conn.executescript("BEGIN IMMEDIATE;\n" + _M007)
        broken = conn.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise sqlite3.IntegrityError(f"m007_workspace left broken references: {broken[:3]}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    finally:
        conn.execute("PRAGMA foreign_keys = ON")


_M007 = """
        CREATE TABLE campaigns (
            id INTEGER PRIMARY KEY,
            slug TEXT NOT NULL UNIQUE,       -- [a-z0-9-]: what --campaign names
            name TEXT NOT NULL,
            hashtag TEXT NOT NULL,
            account TEXT NOT NULL DEFAULT 'default', -- the X account it posts from
            timezone TEXT NOT NULL,
            event_start TEXT,                -- ISO-8601 with its offset, from the metadata
            metadata TEXT NOT NULL,          -- the validated YAML document, as JSON
            source_file TEXT,
            loaded_at TEXT NOT NULL,
            archived_at TEXT                 -- set: no planning, no collecting; all kept
        );
        CREATE UNIQUE INDEX campaigns_account_hashtag ON campaigns (account, hashtag COLLATE NOCASE);
        INSERT INTO campaigns (id, slug, name, hashtag, account, timezone, event_start, metadata,
                               source_file, loaded_at)
            SELECT id,
                   trim(replace(lower(substr(hashtag, 2)), '_', '-'), '-'),
                   name, hashtag, 'default', timezone,
                   json_extract(metadata, '$.event.start'), metadata, source_file, loaded_at
            FROM campaign;
        DROP TABLE campaign;

        CREATE TABLE speakers_new (
            campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
            key TEXT NOT NULL,               -- slug of the name: loading again updates
            name TEXT NOT NULL,
            role TEXT,
            organisation TEXT,
            handle TEXT,
            moderator INTEGER NOT NULL DEFAULT 0,
            position INTEGER NOT NULL,
            PRIMARY KEY (campaign_id, key)
        );
        INSERT INTO speakers_new SELECT 1, key, name, role, organisation, handle, moderator,
            position FROM speakers WHERE EXISTS (SELECT 1 FROM campaigns WHERE id = 1);
        DROP TABLE speakers;
        ALTER TABLE speakers_new RENAME TO speakers;
        CREATE TABLE publications_new (
            campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
            key TEXT NOT NULL,               -- slug of the title
            title TEXT NOT NULL,
            url TEXT,
            date TEXT,
            authors TEXT NOT NULL DEFAULT '[]',
            type TEXT,
            topics TEXT NOT NULL DEFAULT '[]',
            summary TEXT,
            position INTEGER NOT NULL,
            PRIMARY KEY (campaign_id, key)
        );
        INSERT INTO publications_new SELECT 1, key, title, url, date, authors, type, topics,
            summary, position FROM publications WHERE EXISTS (SELECT 1 FROM campaigns WHERE id = 1);
        DROP TABLE publications;
        ALTER TABLE publications_new RENAME TO publications;

        CREATE TABLE posts_new (
            id INTEGER PRIMARY KEY,
            campaign_id INTEGER REFERENCES campaigns(id), -- NULL: no campaign loaded (default hashtag)
            source_key TEXT,                 -- the planner's identity for a post; NULL if added by hand
            kind TEXT NOT NULL,
            template TEXT,
            source_hash TEXT,
            text TEXT NOT NULL,
            weighted_length INTEGER NOT NULL,
            scheduled_at TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('draft', 'approved', 'publishing', 'published', 'failed', 'unknown', 'missed', 'cancelled')),
            hand_edited INTEGER NOT NULL DEFAULT 0,
            reply_to_post_id INTEGER REFERENCES posts(id),
            tweet_id TEXT,
            claimed_at TEXT,
            claimed_by TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            published_at TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            call_deadline TEXT,
            reason TEXT,
            created_by TEXT,
            edited_by TEXT,
            UNIQUE (campaign_id, source_key)
        );
        INSERT INTO posts_new (id, campaign_id, source_key, kind, template, source_hash, text,
            weighted_length, scheduled_at, status, hand_edited, reply_to_post_id, tweet_id,
            claimed_at, claimed_by, attempts, last_error, published_at, created_at, updated_at,
            call_deadline, reason, created_by, edited_by)
        SELECT id, (SELECT id FROM campaigns WHERE id = 1), source_key, kind, template,
            source_hash, text, weighted_length, scheduled_at, status, hand_edited,
            reply_to_post_id, tweet_id, claimed_at, claimed_by, attempts, last_error,
            published_at, created_at, updated_at, call_deadline, reason, created_by, edited_by
        FROM posts;
        DROP TABLE posts;
        ALTER TABLE posts_new RENAME TO posts;
        CREATE INDEX posts_status_due ON posts (status, scheduled_at);
        CREATE INDEX posts_campaign ON posts (campaign_id, scheduled_at);
"""


@core()
def m008_replies_and_metrics(db: sqlite_utils.Database) -> None:
    # Replies and quotes to collected posts (issue 11): the X post a post answers or quotes, when
    # it is not one of ours (posts.reply_to_post_id threads our own). post_metrics: the time
    # series of X's metrics of our published posts, one row per post per reading (owned by
    # posts/metrics.py); ``reads`` counts the posts a lookup read, against the read budget.
    db.executescript(
        """
        ALTER TABLE posts ADD COLUMN reply_to_tweet_id TEXT;
        ALTER TABLE posts ADD COLUMN quote_tweet_id TEXT;
        CREATE INDEX posts_reply_to_tweet ON posts (reply_to_tweet_id)
            WHERE reply_to_tweet_id IS NOT NULL;
        CREATE INDEX posts_quote_tweet ON posts (quote_tweet_id) WHERE quote_tweet_id IS NOT NULL;
        CREATE TABLE post_metrics (
            id INTEGER PRIMARY KEY,
            post_id INTEGER NOT NULL REFERENCES posts(id),
            at TEXT NOT NULL,                -- when it was read (UTC ISO-8601)
            impressions INTEGER,
            likes INTEGER,
            reposts INTEGER,
            replies INTEGER,
            quotes INTEGER,
            bookmarks INTEGER,
            link_clicks INTEGER,             -- non-public: NULL where X did not allow it
            profile_clicks INTEGER
        );
        CREATE INDEX post_metrics_post ON post_metrics (post_id, at);
        CREATE INDEX post_metrics_at ON post_metrics (at);
        """
    )


@core()
def m009_media_series(db: sqlite_utils.Database) -> None:
    # Images attached to posts (posts/media.py owns both tables). The bytes live in the database,
    # content-addressed by SHA-256, so a backup of the file holds them and an image shared by many
    # posts is stored once. Each attachment has its own alt text and its own upload to X (a media
    # id, valid 24 hours): a changed attachment is a new row, with no upload yet.
    db.executescript(
        """
        CREATE TABLE images (
            sha256 TEXT PRIMARY KEY,         -- hex digest of the bytes
            mime_type TEXT NOT NULL,         -- image/png, image/jpeg, image/gif, image/webp (by content)
            width INTEGER NOT NULL,
            height INTEGER NOT NULL,
            size INTEGER NOT NULL,           -- bytes
            data BLOB NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE TABLE post_images (
            post_id INTEGER NOT NULL REFERENCES posts(id),
            position INTEGER NOT NULL,       -- 1 to 4, the order X shows them in
            sha256 TEXT NOT NULL REFERENCES images(sha256),
            name TEXT NOT NULL,              -- the file name it was given as (for messages)
            alt_text TEXT NOT NULL,
            media_id TEXT,                   -- X's id for the upload, once uploaded
            uploaded_at TEXT,
            upload_expires_at TEXT,          -- X forgets an upload after 24 hours: redone after
            PRIMARY KEY (post_id, position)
        );
        -- Evergreen series (posts/series.py owns both tables): a post and its variants repeated
        -- every N days until a date; each occurrence is its own post in the queue, linked here.
        CREATE TABLE series (
            id INTEGER PRIMARY KEY,
            every_days INTEGER NOT NULL CHECK (every_days >= 1),
            first_at TEXT NOT NULL,          -- UTC ISO-8601, the first occurrence
            until_at TEXT NOT NULL,          -- UTC ISO-8601, no occurrence after it
            variants INTEGER NOT NULL,       -- how many texts it rotates through
            created_by TEXT,
            created_at TEXT NOT NULL
        );
        CREATE TABLE series_posts (
            series_id INTEGER NOT NULL REFERENCES series(id),
            post_id INTEGER NOT NULL UNIQUE REFERENCES posts(id),
            occurrence INTEGER NOT NULL,     -- 1, 2, … in time order
            variant INTEGER NOT NULL,        -- which text (1-based), rotating
            PRIMARY KEY (series_id, occurrence)
        );
        """
    )


@core()
def m010_posts_by_time(db: sqlite_utils.Database) -> None:
    # Every campaign's posts in time order (the queue's pages, the calendar of all campaigns,
    # the composer's newest posts, `posts list`): read in index order, with no sort of the
    # whole table. The index also holds the rowid, so (scheduled_at, id) is its order.
    # Posts counted by campaign and status (costs and counts on the queue, status and report
    # pages, `campaigns list`, `posts list`): read from the second index alone, without a sort.
    db.executescript(
        """
        CREATE INDEX posts_scheduled ON posts (scheduled_at);
        CREATE INDEX posts_campaign_status ON posts (campaign_id, status);
        """
    )


@core()
def m011_post_links(db: sqlite_utils.Database) -> None:
    # Whether X counts a link in a post's text (``posts.length.url_spans``: a link makes the
    # post the dearer kind), written by posts.queue with the text, so costs count links in SQL
    # without running twitter-text's URL expression (its compilation alone takes about 0.1 s,
    # at every `posts list`). 1 or 0; NULL: not known yet. A text without a dot has no link
    # (every domain has one): set here. Those with a dot need the URL expression, which SQL
    # does not have: they stay NULL until ``posts.queue.settle_links`` (run before costs are
    # counted) finds them through ``posts_link_unknown`` and writes them, once.
    # ``posts_linked``: the posts with a link counted by campaign and status from the index
    # alone, as ``posts_campaign_status`` counts them all.
    db.executescript(
        """
        ALTER TABLE posts ADD COLUMN has_link INTEGER;
        UPDATE posts SET has_link = 0 WHERE instr(text, '.') = 0;
        CREATE INDEX posts_link_unknown ON posts (id) WHERE has_link IS NULL;
        CREATE INDEX posts_linked ON posts (campaign_id, status) WHERE has_link = 1;
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
