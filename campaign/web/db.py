"""Per-request access to the campaign: one database connection per request (a sqlite3
connection cannot cross waitress's threads), the campaign's time zone, and who is acting."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import sqlite_utils
from flask import current_app, g, request, session

from campaign.actors import local_user
from campaign.store import open_db
from campaign.web.cache import Cache

if TYPE_CHECKING:
    from campaign.metadata.store import Campaign

T = TypeVar("T")
SWITCH_KEY = "campaign"  # the session's chosen campaign (a slug; absent: all campaigns)


def get_db() -> sqlite_utils.Database:
    """This request's connection, opened on first use and closed when the request ends."""
    if "db" not in g:
        g.db = open_db(current_app.config["CAMPAIGN_DB"], migrate=False)
    db: sqlite_utils.Database = g.db
    return db


def close_db(_exc: BaseException | None = None) -> None:
    """Close this request's connection, if it opened one."""
    db = g.pop("db", None)
    if db is not None:
        db.conn.close()


def workspace() -> list[Campaign]:
    """Every campaign of the workspace, read once per request."""
    if "campaigns" not in g:
        from campaign.metadata.store import campaigns

        g.campaigns = campaigns(get_db())
    found: list[Campaign] = g.campaigns
    return found


def current_campaign() -> Campaign | None:
    """The campaign the switcher chose (None: all campaigns); a workspace of one campaign is
    always that campaign."""
    all_ = workspace()
    if len(all_) == 1:
        return all_[0]
    slug = session.get(SWITCH_KEY)
    # Asked for every time a page shows a time (hundreds on a calendar): looked up again only
    # when the choice or the workspace read for this request changes.
    last = g.get("chosen")
    if last is None or last[0] is not all_ or last[1] != slug:
        last = g.chosen = (all_, slug, next((c for c in all_ if c.slug == slug), None))
    found: Campaign | None = last[2]
    return found


def current_campaign_id() -> int | None:
    """The chosen campaign's id, for filters (None: every campaign)."""
    chosen = current_campaign()
    return chosen.id if chosen is not None and len(workspace()) > 1 else None


def campaign_row() -> tuple[str, str, str] | None:
    """The shown campaign's name, hashtag and time zone (the chosen one, else the first; None
    until metadata is loaded)."""
    chosen = current_campaign()
    all_ = workspace()
    c = chosen or (all_[0] if all_ else None)
    return (c.name, c.hashtag, c.timezone) if c is not None else None


def zone_name() -> str:
    """The campaign's time zone (``UTC`` until metadata is loaded)."""
    row = campaign_row()
    return row[2] if row else "UTC"


def actor() -> str:
    """Who is acting, for the audit trail: ``web:<name>``, the HTTP login name when the console
    has a password, else ``CAMPAIGN_USER`` or the account running it; the signed-in person
    once the workspace has people."""
    person = g.get("person")
    if person is not None:
        return f"web:{person.name}"
    auth = request.authorization
    user = auth.username if auth is not None and auth.username else None
    return f"web:{user or local_user()}"


def cache() -> Cache:
    """The app's store of answers kept between requests."""
    store: Cache = current_app.extensions["campaign_cache"]
    return store


def cached(name: str, make: Callable[[], T], *, stale_ok: bool = False) -> T:
    """``make()``'s answer, kept until the collection changes (see :mod:`campaign.web.cache`).

    With ``stale_ok`` the kept answer is served while a new one is made in the background, so
    ``make`` must open its own connection (:func:`open_own`)."""
    from campaign.web.cache import version

    return cache().get(name, (*version(get_db()), zone_name()), make, stale_ok=stale_ok)


def on_own_db(work: Callable[[sqlite_utils.Database], T]) -> Callable[[], T]:
    """``work`` made runnable on any thread: it gets a connection of its own, closed after."""
    path = db_path()

    def run() -> T:
        db = open_db(path, migrate=False)
        try:
            return work(db)
        finally:
            db.conn.close()

    return run


def db_path() -> str:
    """The database file this console serves (for work done off the request's thread)."""
    path: str = current_app.config["CAMPAIGN_DB"]
    return path


def rows(sql: str, params: list[Any] | tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    """The rows of one query as dicts."""
    return list(get_db().query(sql, list(params)))
