"""Migrations for the collected conversation (mentions, authors, full-text index, review audit).

``mentions.id`` is the tweet id as an integer: X's ids are snowflakes (they grow with time, fit
in int64), so the rowid order is newest-first order and the full-text index can use it as its
rowid. Hashtags and links of each post are kept in side tables, so the report counts them from
an index instead of re-reading a million raw JSON documents.
"""

from __future__ import annotations

import sqlite_utils
from sqlite_utils import Migrations

migrations = Migrations("mentions")

# The review statuses m001's CHECK allows (``campaign.mentions.review.ReviewStatus`` names them).
REVIEW_STATUSES = ("new", "reviewed", "flagged", "needs-reply", "ignored")
SOURCES = ("search", "twarc")

# unicode61 keeps '#' and '@' inside tokens, so #PolicingInConflict and @handle are whole words;
# remove_diacritics 2 lets "policia" find "policía".
FTS_TOKENIZE = "unicode61 remove_diacritics 2 tokenchars '#@'"


@migrations()
def m001_mentions(db: sqlite_utils.Database) -> None:
    # Frozen as shipped: the CHECK lists are literal, never built from live values.
    db.executescript(
        f"""
        CREATE TABLE authors (
            id INTEGER PRIMARY KEY,          -- X user id
            username TEXT,
            name TEXT,
            followers_count INTEGER,
            raw TEXT,                        -- the user object as X sent it (JSON)
            updated_at TEXT NOT NULL
        );
        CREATE INDEX authors_username ON authors (username COLLATE NOCASE);

        CREATE TABLE mentions (
            id INTEGER PRIMARY KEY,          -- tweet id (snowflake: time order)
            text TEXT NOT NULL,              -- as X sent it
            author_id INTEGER,
            created_at TEXT NOT NULL,        -- UTC ISO-8601 (campaign.clock.to_db)
            lang TEXT,
            conversation_id INTEGER,
            in_reply_to_user_id INTEGER,
            reply_to_id INTEGER,
            quote_of_id INTEGER,
            retweet_of_id INTEGER,
            retweet_count INTEGER NOT NULL DEFAULT 0,
            reply_count INTEGER NOT NULL DEFAULT 0,
            like_count INTEGER NOT NULL DEFAULT 0,
            quote_count INTEGER NOT NULL DEFAULT 0,
            impression_count INTEGER,
            has_link INTEGER NOT NULL DEFAULT 0,
            is_ours INTEGER NOT NULL DEFAULT 0,
            replies_to_ours INTEGER NOT NULL DEFAULT 0,
            quotes_ours INTEGER NOT NULL DEFAULT 0,
            review_status TEXT NOT NULL DEFAULT 'new' CHECK (review_status IN ('new', 'reviewed', 'flagged', 'needs-reply', 'ignored')),
            note TEXT,
            raw TEXT NOT NULL,               -- the tweet as X sent it (JSON)
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            source TEXT NOT NULL CHECK (source IN ('search', 'twarc'))
        );
        -- Every index ends in the rowid (the tweet id), so each filter is read newest first.
        CREATE INDEX mentions_status ON mentions (review_status);
        CREATE INDEX mentions_author ON mentions (author_id);
        CREATE INDEX mentions_lang ON mentions (lang);
        CREATE INDEX mentions_created ON mentions (created_at);
        CREATE INDEX mentions_link ON mentions (has_link) WHERE has_link = 1;
        CREATE INDEX mentions_reply_to ON mentions (reply_to_id) WHERE reply_to_id IS NOT NULL;
        CREATE INDEX mentions_quote_of ON mentions (quote_of_id) WHERE quote_of_id IS NOT NULL;
        CREATE INDEX mentions_replies_ours ON mentions (replies_to_ours) WHERE replies_to_ours = 1;
        CREATE INDEX mentions_quotes_ours ON mentions (quotes_ours) WHERE quotes_ours = 1;
        CREATE INDEX mentions_ours ON mentions (is_ours) WHERE is_ours = 1;
        CREATE INDEX mentions_source ON mentions (source);

        CREATE TABLE mention_hashtags (
            tag TEXT NOT NULL,               -- lower case, without '#'
            mention_id INTEGER NOT NULL,
            PRIMARY KEY (tag, mention_id)
        ) WITHOUT ROWID;
        CREATE INDEX mention_hashtags_mention ON mention_hashtags (mention_id);

        CREATE TABLE mention_links (
            url TEXT NOT NULL,               -- expanded URL from entities
            mention_id INTEGER NOT NULL,
            domain TEXT NOT NULL,
            PRIMARY KEY (url, mention_id)
        ) WITHOUT ROWID;
        CREATE INDEX mention_links_domain ON mention_links (domain);

        CREATE TABLE mention_audit (
            id INTEGER PRIMARY KEY,
            mention_id INTEGER NOT NULL,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            from_status TEXT,
            to_status TEXT NOT NULL,
            note TEXT
        );
        CREATE INDEX mention_audit_mention ON mention_audit (mention_id, id);

        CREATE TABLE collect_runs (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            query TEXT NOT NULL,
            since_id TEXT,                   -- what the run asked for (kept while paging a backlog)
            newest_id TEXT,                  -- newest id the run's first page reported
            next_token TEXT,                 -- where paging stopped: the next run resumes here
            resumed_from INTEGER REFERENCES collect_runs(id),
            requests INTEGER NOT NULL DEFAULT 0,
            fetched INTEGER NOT NULL DEFAULT 0,
            new INTEGER NOT NULL DEFAULT 0,
            updated INTEGER NOT NULL DEFAULT 0,
            status TEXT NOT NULL,            -- running done rate-limited interrupted budget failed
            error TEXT,
            rate_reset_at TEXT,
            api_base_url TEXT,
            tool_version TEXT
        );
        CREATE INDEX collect_runs_query ON collect_runs (query, id);

        CREATE VIRTUAL TABLE mentions_fts USING fts5(
            text, content='mentions', content_rowid='id', tokenize="{FTS_TOKENIZE}"
        );
        CREATE TRIGGER mentions_fts_insert AFTER INSERT ON mentions BEGIN
            INSERT INTO mentions_fts (rowid, text) VALUES (new.id, new.text);
        END;
        CREATE TRIGGER mentions_fts_delete AFTER DELETE ON mentions BEGIN
            INSERT INTO mentions_fts (mentions_fts, rowid, text) VALUES ('delete', old.id, old.text);
        END;
        CREATE TRIGGER mentions_fts_update AFTER UPDATE OF text ON mentions BEGIN
            INSERT INTO mentions_fts (mentions_fts, rowid, text) VALUES ('delete', old.id, old.text);
            INSERT INTO mentions_fts (rowid, text) VALUES (new.id, new.text);
        END;
        """
    )


def _symbol_separators() -> str:
    """Every non-ASCII symbol and punctuation mark of the emoji and symbol blocks, as separators.

    unicode61 classifies characters by Unicode 6.1 (2012) and keeps any later code point inside a
    token, so most emoji (🤔 🏅 🫶), skin tones and newer symbols glued a word or a #hashtag to
    them: ``great🤔#PolicingInConflict`` was one token, and neither ``great`` nor the hashtag
    found the post. Listing them as separators splits there (unassigned ones too: next year's
    emoji land in the same blocks). Characters unicode61 already separates cost nothing.
    """
    import unicodedata

    blocks = [range(0x2000, 0x2C00), range(0x1F000, 0x1FC00)]
    return "".join(
        chr(cp) for block in blocks for cp in block if unicodedata.category(chr(cp))[0] in "SPZC"
    )


@migrations()
def m002_fts_emoji_separators(db: sqlite_utils.Database) -> None:
    # The index is rebuilt from the mentions table with the new tokenizer; the triggers of m001
    # name the table, so they keep working on the new one.
    tokenize = f"{FTS_TOKENIZE} separators '{_symbol_separators()}'"
    db.execute("DROP TABLE mentions_fts")
    db.execute(
        "CREATE VIRTUAL TABLE mentions_fts USING fts5("
        f"text, content='mentions', content_rowid='id', tokenize=\"{tokenize}\")"
    )
    db.execute("INSERT INTO mentions_fts (mentions_fts) VALUES ('rebuild')")


@migrations()
def m003_fts_underscore_in_tokens(db: sqlite_utils.Database) -> None:
    # X's hashtags and handles include '_' (#Covid_19, @Pi_In_The_Sky): keeping it inside the
    # token stops #covid from finding #Covid_19 and the word "the" from finding @Pi_In_The_Sky.
    tokenize = f"unicode61 remove_diacritics 2 tokenchars '#@_' separators '{_symbol_separators()}'"
    db.execute("DROP TABLE mentions_fts")
    db.execute(
        "CREATE VIRTUAL TABLE mentions_fts USING fts5("
        f"text, content='mentions', content_rowid='id', tokenize=\"{tokenize}\")"
    )
    db.execute("INSERT INTO mentions_fts (mentions_fts) VALUES ('rebuild')")


@migrations()
def m004_fewer_indexes_to_keep_on_import(db: sqlite_utils.Database) -> None:
    # Every index is one more B-tree written per imported post. EXPLAIN QUERY PLAN of every
    # query on these tables (search and its filters, counts, the inbox, the report, refresh_ours,
    # the collector; see docs/benchmarks.md) shows:
    # - mention_hashtags_mention is read by no query (the report groups by tag, the primary key);
    # - mentions_source serves one query, the collector's newest stored id among its own
    #   (``source = 'search'``): a partial index over those rows serves it as well, and an import
    #   of twarc2 files no longer writes to it.
    db.executescript(
        """
        DROP INDEX mention_hashtags_mention;
        DROP INDEX mentions_source;
        CREATE INDEX mentions_from_search ON mentions (source) WHERE source = 'search';
        """
    )


REMOVAL_REASONS = (
    "deleted",  # its author deleted it
    "suspended",  # X suspended its author
    "protected",  # its author made the account protected
    "deactivated",  # its author closed the account
    "repost-of-removed",  # a repost of a removed post
    "quote-of-removed",  # a quote of a removed post
    "retention",  # the campaign's retention period ended (text redacted, not removed on X)
)


@migrations()
def m005_review_as_evidence(db: sqlite_utils.Database) -> None:
    # Issue 16: deletions honoured, coding, rules and watch lists.
    db.executescript(
        """
        -- Why the post's content is gone from the store (NULL while it is on X and kept).
        ALTER TABLE mentions ADD COLUMN removed TEXT CHECK (removed IN (
            'deleted', 'suspended', 'protected', 'deactivated', 'repost-of-removed',
            'quote-of-removed', 'retention'));
        CREATE INDEX mentions_removed ON mentions (removed) WHERE removed IS NOT NULL;
        CREATE INDEX mentions_retweet_of ON mentions (retweet_of_id)
            WHERE retweet_of_id IS NOT NULL;

        -- One row per post X no longer shows (collected posts and our own published ones).
        CREATE TABLE mention_removals (
            tweet_id INTEGER PRIMARY KEY,
            reason TEXT NOT NULL CHECK (reason IN (
                'deleted', 'suspended', 'protected', 'deactivated', 'repost-of-removed',
                'quote-of-removed', 'retention')),
            removed_at TEXT NOT NULL,        -- when X redacted it (else when we learnt it)
            found_at TEXT NOT NULL,          -- when the compliance run learnt it
            run_id INTEGER REFERENCES compliance_runs(id),
            cause_id INTEGER,                -- the removed post this one reposts or quotes
            ours INTEGER NOT NULL DEFAULT 0  -- one of the campaign's own published posts
        );

        CREATE TABLE compliance_runs (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            method TEXT NOT NULL,            -- batch (compliance job) or lookup
            job_id TEXT,
            checked INTEGER NOT NULL DEFAULT 0,
            removed INTEGER NOT NULL DEFAULT 0,
            status TEXT NOT NULL,            -- running done failed
            error TEXT
        );

        -- Codes of the campaign's coding scheme: one row per (post, field, value).
        CREATE TABLE mention_codes (
            mention_id INTEGER NOT NULL,
            field TEXT NOT NULL,
            value TEXT NOT NULL,
            actor TEXT NOT NULL,
            at TEXT NOT NULL,
            PRIMARY KEY (mention_id, field, value)
        ) WITHOUT ROWID;
        CREATE INDEX mention_codes_value ON mention_codes (field, value);
        CREATE TABLE mention_code_audit (
            id INTEGER PRIMARY KEY,
            mention_id INTEGER NOT NULL,
            field TEXT NOT NULL,
            value TEXT NOT NULL,
            action TEXT NOT NULL CHECK (action IN ('set', 'unset')),
            actor TEXT NOT NULL,
            at TEXT NOT NULL
        );
        CREATE INDEX mention_code_audit_mention ON mention_code_audit (mention_id, id);

        -- Saved searches applied to every matching post, old and new.
        CREATE TABLE mention_rules (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            filter TEXT NOT NULL,            -- the search, as JSON
            status TEXT,                     -- review status to set
            codes TEXT NOT NULL DEFAULT '[]',-- [[field, value], ...] to set
            badge TEXT,                      -- watch-list badge to show
            actor TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        -- Watch lists of accounts (officials, journalists, partners), by username.
        CREATE TABLE watchlist_accounts (
            list TEXT NOT NULL,
            username TEXT NOT NULL COLLATE NOCASE,
            PRIMARY KEY (list, username)
        ) WITHOUT ROWID;
        CREATE INDEX watchlist_accounts_username ON watchlist_accounts (username);
        CREATE TABLE mention_badges (
            mention_id INTEGER NOT NULL,
            badge TEXT NOT NULL,
            rule_id INTEGER,
            PRIMARY KEY (mention_id, badge)
        ) WITHOUT ROWID;
        CREATE INDEX mention_badges_badge ON mention_badges (badge);

        -- Signals of coordination (never verdicts), as the last scan found them.
        CREATE TABLE mention_signals (
            mention_id INTEGER NOT NULL,
            kind TEXT NOT NULL,              -- same-text, same-link, reply-burst
            group_key TEXT NOT NULL,         -- the text's key, the link, or the post replied to
            accounts INTEGER NOT NULL,       -- how many accounts take part
            PRIMARY KEY (mention_id, kind, group_key)
        ) WITHOUT ROWID;
        CREATE INDEX mention_signals_kind ON mention_signals (kind, group_key);
        """
    )


@migrations()
def m006_mention_campaigns(db: sqlite_utils.Database) -> None:
    # A workspace holds many campaigns: a collected post belongs to every campaign whose hashtag
    # it carries (stored once, linked to each). What was collected before belongs to campaign 1,
    # the one that was loaded (if any).
    db.executescript(
        """
        CREATE TABLE mention_campaigns (
            campaign_id INTEGER NOT NULL,
            mention_id INTEGER NOT NULL,
            PRIMARY KEY (campaign_id, mention_id)
        ) WITHOUT ROWID;
        CREATE INDEX mention_campaigns_mention ON mention_campaigns (mention_id);
        INSERT INTO mention_campaigns (campaign_id, mention_id)
            SELECT 1, id FROM mentions WHERE EXISTS (SELECT 1 FROM campaigns WHERE id = 1);
        """
    )
