"""Collecting the hashtag conversation from X's recent search, without wasting a request.

One run asks for posts newer than the newest one stored (``since_id``), 100 a request, and
follows ``next_token`` until X sends none. X pages newest to oldest, so until the last page is
stored the collection has a gap between the newest post and the older backlog: each page is
stored together with the cursor (``collect_runs.next_token``) in one transaction, and a run
that stops early (rate limit, 5xx after retries, ``max_requests``, a crash) leaves that cursor
behind. The next run first finishes that backlog with the same ``since_id`` and token, then
asks for what is new. Nothing is fetched twice and nothing is skipped.

A server paging in circles is not followed: a ``next_token`` already sent in the run, or
:data:`EMPTY_PAGES_LIMIT` empty pages in a row that still ask for more, end the run (``done``,
with the reason in ``error`` and no cursor left to resume). A run that fails in any way is
never left ``running``.

A 429 ends the run with status ``rate-limited`` and the reset time; until that time, a run
sends nothing and answers ``waiting`` (so the daemon waits for the reset instead of spinning).
5xx and lost answers are retried a few times with growing pauses (searching is safe to repeat).
X refuses a ``since_id`` older than its 7-day window: then the run asks for the whole window.

X bills every post read, so collecting is bounded by ``collect_max_reads_per_day``: the posts
stored (only checked posts are; :mod:`scheduler.xanswer`) by the runs started in the last 24 hours (``collect_runs.fetched``) plus the next page
(up to 100) may not exceed it. A run that would go over stops with status ``budget`` and
``budget_until`` (when a page fits again); until then a run sends nothing (:func:`read_budget`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import sqlite_utils

from campaign import __version__
from campaign.clock import from_db, now, to_db
from campaign.errors import CampaignError
from campaign.mentions.store import (
    ACCOUNT_ID_KEY,
    Writer,
    link_campaigns,
    load_ours,
    newest_linked,
    refresh_ours,
)
from campaign.models import CampaignSettings
from campaign.store import get_state, immediate, set_state
from scheduler.xerrors import NoAnswer, RateLimited, Refused, ServerError

RETRY_DELAYS: tuple[float, ...] = (1.0, 2.0, 4.0)
PAGE_SIZE = 100
EMPTY_PAGES_LIMIT = 3  # empty pages in a row, each with a next_token, before paging stops

# progress(requests made, posts fetched)
Progress = Callable[[int, int], None]


class SearchClient(Protocol):
    """What collecting needs of :class:`scheduler.xclient.XClient`."""

    base_url: str

    def search_recent(
        self,
        query: str,
        *,
        since_id: str | None = None,
        next_token: str | None = None,
        max_results: int = 100,
    ) -> Any: ...


@dataclass
class CollectResult:
    """What a run did. ``status``: done, rate-limited, waiting, budget, interrupted."""

    status: str = "done"
    requests: int = 0
    fetched: int = 0
    new: int = 0
    updated: int = 0
    runs: int = 0
    error: str | None = None
    rate_reset_at: datetime | None = None
    budget_until: datetime | None = None  # set when the daily read budget stopped the run


@dataclass(frozen=True)
class ReadBudget:
    """The daily read budget at a moment: its limit, the reads of the last 24 hours, and (when
    the next page does not fit) the time it fits again."""

    limit: int | None
    used: int
    until: datetime | None

    @property
    def exhausted(self) -> bool:
        return self.until is not None


def read_budget(
    db: sqlite_utils.Database,
    settings: CampaignSettings,
    at: datetime | None = None,
    *,
    need: int = PAGE_SIZE,
) -> ReadBudget:
    """The reads (posts fetched) of the runs started in the 24 hours before ``at`` (default now),
    and of the metrics lookups (:func:`posts.metrics.reads_since`: one read a post), against
    ``settings.collect_max_reads_per_day``; exhausted when ``need`` more reads (a page) could
    exceed it."""
    from posts.metrics import reads_since

    at = at or now()
    window = timedelta(hours=24)
    rows = [
        (from_db(r[0]), int(r[1]))
        for r in db.execute(
            "SELECT started_at, fetched FROM collect_runs WHERE started_at > ? AND fetched > 0 "
            "ORDER BY started_at, id",
            [to_db(at - window)],
        ).fetchall()
    ]
    rows = sorted(rows + reads_since(db, at - window), key=lambda r: r[0])
    used = sum(n for _, n in rows)
    limit = settings.collect_max_reads_per_day
    if limit is None or used + need <= limit:
        return ReadBudget(limit, used, None)
    left = used
    until = at + window  # only if a single run holds it all (it drops out a day after it began)
    for started, fetched in rows:
        left -= fetched
        if left + need <= limit:
            until = started + window
            break
    return ReadBudget(limit, used, until)


class NoCampaignError(CampaignError):
    "No campaign is loaded, so there is no query to collect"


def collect_settings(db: sqlite_utils.Database) -> CampaignSettings:
    """The loaded campaign's settings, to collect with; a :class:`NoCampaignError` when none is
    loaded (collecting would search a default hashtag and spend reads that X bills)."""
    from campaign.metadata import stored

    md = stored(db)
    if md is None:
        raise NoCampaignError(
            "no campaign loaded, so there is nothing to collect (it would search a default "
            "hashtag and spend reads that X bills): run `campaign load FILE` first "
            "(the sample: campaign/data/policing-in-conflict.yaml)"
        )
    return md.campaign


def _pending(db: sqlite_utils.Database, query: str) -> dict[str, Any] | None:
    """The latest run for ``query`` if it stopped with a backlog still to page."""
    cur = db.execute(
        "SELECT id, status, since_id, newest_id, next_token, rate_reset_at FROM collect_runs "
        "WHERE query = ? ORDER BY id DESC LIMIT 1",
        [query],
    )
    row = cur.fetchone()
    if row is None:
        return None
    cols = [c[0] for c in cur.description]
    return dict(zip(cols, row, strict=True))


def _newest_stored(db: sqlite_utils.Database) -> str | None:
    row = db.execute("SELECT max(id) FROM mentions WHERE source = 'search'").fetchone()
    return str(row[0]) if row and row[0] is not None else None


def collect_once(
    db: sqlite_utils.Database,
    client: SearchClient,
    settings: CampaignSettings,
    *,
    progress: Progress | None = None,
    max_requests: int | None = None,
    retry_delays: Sequence[float] = RETRY_DELAYS,
    stop: threading.Event | None = None,
    query: str | None = None,
    links: Sequence[tuple[int, str | None]] = (),
) -> CollectResult:
    """Fetch what is new under ``query`` (default ``settings.search_query``), finishing any
    unfinished backlog first.

    ``max_requests`` caps the search requests of this call; ``retry_delays`` are the pauses
    before each retry of a 5xx or lost answer; ``stop`` (set from another thread) ends the run
    between pages. ``links``: the campaigns the query serves, ``(id, tag)`` (see
    :func:`campaign.mentions.store.link_campaigns`); each stored post is linked to those it
    belongs to, and the query asks for what is newer than every one of them has.
    """
    query = query or settings.search_query
    result = CollectResult()
    last = _pending(db, query)
    if last and last["status"] in ("rate-limited", "waiting") and last["rate_reset_at"]:
        reset = from_db(last["rate_reset_at"])
        if reset > now():
            result.status = "waiting"
            result.rate_reset_at = reset
            return result
    budget = read_budget(db, settings)
    if budget.exhausted:
        result.status = "budget"
        result.budget_until = budget.until
        return result
    _remember_account(db, client)
    writer = Writer(db, source="search", ours=load_ours(db))
    resume = last if last and last["status"] != "done" and last["next_token"] else None
    while True:
        if resume is not None:
            since_id, token, newest = resume["since_id"], resume["next_token"], resume["newest_id"]
            resumed_from: int | None = int(resume["id"])
        else:
            since = _since_for(db, links) if links else _newest_stored(db)
            since_id, token, newest, resumed_from = since, None, None, None
        status = _one_pass(
            db,
            client,
            writer,
            settings,
            result,
            query=query,
            links=links,
            since_id=since_id,
            token=token,
            newest=newest,
            resumed_from=resumed_from,
            progress=progress,
            max_requests=max_requests,
            retry_delays=retry_delays,
            stop=stop,
        )
        result.status = status
        # A finished backlog leaves newer posts behind it: fetch them in the same call.
        if status != "done" or resume is None:
            break
        if max_requests is not None and result.requests >= max_requests:
            result.status = "budget"
            break
        resume = None
    if result.new:
        with immediate(db):
            refresh_ours(db, writer.ours)
    return result


def _one_pass(
    db: sqlite_utils.Database,
    client: SearchClient,
    writer: Writer,
    settings: CampaignSettings,
    result: CollectResult,
    *,
    query: str,
    links: Sequence[tuple[int, str | None]],
    since_id: str | None,
    token: str | None,
    newest: str | None,
    resumed_from: int | None,
    progress: Progress | None,
    max_requests: int | None,
    retry_delays: Sequence[float],
    stop: threading.Event | None,
) -> str:
    """Page from ``token`` (or the start) until X has no more; one ``collect_runs`` row."""
    run_id = db.execute(
        "INSERT INTO collect_runs (started_at, query, since_id, newest_id, next_token, "
        "resumed_from, status, api_base_url, tool_version) VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?)",
        [
            to_db(now()),
            query,
            since_id,
            newest,
            token,
            resumed_from,
            getattr(client, "base_url", None),
            __version__,
        ],
    ).lastrowid
    result.runs += 1
    try:
        status, error, reset_at = _pages(
            db,
            client,
            writer,
            settings,
            result,
            query=query,
            links=links,
            run_id=run_id,
            since_id=since_id,
            token=token,
            newest=newest,
            progress=progress,
            max_requests=max_requests,
            retry_delays=retry_delays,
            stop=stop,
        )
    except BaseException as e:
        # Whatever ends the run (a refusal, a bug, Ctrl-C): the row never stays "running".
        why = "interrupted" if isinstance(e, KeyboardInterrupt) else "failed"
        _finish(db, run_id, why, str(e) or type(e).__name__, None)
        raise
    if reset_at is not None:
        result.rate_reset_at = reset_at
    result.error = error
    _finish(db, run_id, status, error, reset_at)
    if status == "done" and links:
        _advance_cursors(db, run_id, links)
    return status


def _pages(
    db: sqlite_utils.Database,
    client: SearchClient,
    writer: Writer,
    settings: CampaignSettings,
    result: CollectResult,
    *,
    query: str,
    links: Sequence[tuple[int, str | None]],
    run_id: int | None,
    since_id: str | None,
    token: str | None,
    newest: str | None,
    progress: Progress | None,
    max_requests: int | None,
    retry_delays: Sequence[float],
    stop: threading.Event | None,
) -> tuple[str, str | None, datetime | None]:
    """The paging loop of one run: ``(status, error, rate-limit reset)``."""
    requests = fetched = new = updated = 0
    status, error, reset_at = "done", None, None
    seen: set[str] = {token} if token else set()
    empty = 0
    while True:
        if max_requests is not None and result.requests >= max_requests:
            status = "budget"
            break
        budget = read_budget(db, settings)
        if budget.exhausted:
            status, result.budget_until = "budget", budget.until
            break
        if stop is not None and stop.is_set():
            status = "interrupted"
            error = "stopped"
            break
        try:
            page = _search(client, query, since_id, token, retry_delays, result, stop)
        except RateLimited as e:
            status, error, reset_at = "rate-limited", str(e), e.reset_at
            break
        except (ServerError, NoAnswer) as e:
            status, error = "interrupted", str(e)
            break
        except Refused as e:
            if since_id is not None and token is None and "since_id" in e.detail.lower():
                # X accepts since_id only within its 7-day window: after a long pause, ask for
                # the whole window instead (posts already stored are updated, not doubled).
                since_id = None
                db.execute("UPDATE collect_runs SET since_id = NULL WHERE id = ?", [run_id])
                continue
            raise
        requests += 1
        next_token = page.next_token
        # X pages until it has no more; a server that sends the same cursor again, or page
        # after page of nothing, is paging in circles: stop, and leave no cursor to resume.
        empty = 0 if page.tweets else empty + 1
        if next_token and next_token in seen:
            error, next_token = "X sent a next_token it had already sent: stopped paging", None
        elif next_token and empty >= EMPTY_PAGES_LIMIT:
            error = f"X sent {empty} empty pages that each asked for another: stopped paging"
            next_token = None
        if next_token:
            seen.add(next_token)
        stamp = to_db(now())
        with immediate(db):
            w = writer.write(page.tweets, page.users.values(), page.included_tweets, stamp=stamp)
            if links:
                link_campaigns(db, _ids(page.tweets), links)
            token = next_token
            if newest is None:
                newest = page.newest_id
            stored = w.new + w.updated  # reads are counted from what was stored, nothing else
            fetched += stored
            new += w.new
            updated += w.updated
            db.execute(
                "UPDATE collect_runs SET requests = ?, fetched = ?, new = ?, updated = ?, "
                "next_token = ?, newest_id = ? WHERE id = ?",
                [requests, fetched, new, updated, token, newest, run_id],
            )
        result.fetched += stored
        result.new += w.new
        result.updated += w.updated
        if progress:
            progress(result.requests, result.fetched)
        if not token:
            break
    return status, error, reset_at


def _ids(tweets: Sequence[Any]) -> list[int]:
    return [int(t["id"]) for t in tweets if isinstance(t, dict) and str(t.get("id", "")).isdigit()]


def _cursor_key(campaign_id: int) -> str:
    return f"collect_cursor:{campaign_id}"


def _since_for(db: sqlite_utils.Database, links: Sequence[tuple[int, str | None]]) -> str | None:
    """The ``since_id`` of a search serving ``links``' campaigns: the oldest of their cursors
    (the newest post each holds, or the newest id a finished search for it reported), so no
    campaign misses a post; none while one of them has never been searched."""
    cursors: list[int] = []
    for campaign_id, _tag in links:
        known = [newest_linked(db, campaign_id)]
        saved = get_state(db, _cursor_key(campaign_id))
        known.append(int(saved) if saved and saved.isdigit() else None)
        found = [k for k in known if k is not None]
        if not found:
            return None
        cursors.append(max(found))
    return str(min(cursors)) if cursors else None


def _advance_cursors(
    db: sqlite_utils.Database, run_id: int | None, links: Sequence[tuple[int, str | None]]
) -> None:
    """After a finished search: each campaign it served has seen everything up to its newest id."""
    row = db.execute("SELECT newest_id FROM collect_runs WHERE id = ?", [run_id]).fetchone()
    newest = str(row[0]) if row and row[0] else None
    if newest is None or not newest.isdigit():
        return
    for campaign_id, _tag in links:
        saved = get_state(db, _cursor_key(campaign_id))
        if not saved or not saved.isdigit() or int(saved) < int(newest):
            set_state(db, _cursor_key(campaign_id), newest)


# X's limit on the length of a recent-search query (512 characters on the self-serve plans;
# 4,096 on Pro and Enterprise). Active hashtags of one account share a query up to it.
QUERY_MAX_CHARS = 512
_NO_RETWEETS = " -is:retweet"


@dataclass(frozen=True)
class Search:
    """One query serving some campaigns of one account: ``links`` as for :func:`collect_once`."""

    account: str
    query: str
    links: tuple[tuple[int, str | None], ...]


def searches(
    active: Sequence[tuple[int, str, CampaignSettings]], max_chars: int = QUERY_MAX_CHARS
) -> list[Search]:
    """The fewest queries that serve ``active`` campaigns (id, account, settings): per account,
    its hashtags joined with OR (``(#A OR #B) -is:retweet``), split only where the query would
    pass ``max_chars``; a campaign with its own ``query`` gets a search of its own. One hashtag
    alone is searched as before workspaces (``#A -is:retweet``), so its cursor carries on."""
    out: list[Search] = []
    by_account: dict[str, list[tuple[int, str]]] = {}
    for campaign_id, account, settings in active:
        if settings.query:
            out.append(Search(account, settings.query, ((campaign_id, None),)))
        else:
            by_account.setdefault(account, []).append((campaign_id, settings.hashtag))

    def query_of(tags: list[str]) -> str:
        if len(tags) == 1:
            return tags[0] + _NO_RETWEETS
        return "(" + " OR ".join(tags) + ")" + _NO_RETWEETS

    for account, tagged in by_account.items():
        group: list[tuple[int, str]] = []
        for item in tagged:
            tags = sorted({t.lower(): t for _, t in [*group, item]}.values(), key=str.lower)
            if group and len(query_of(tags)) > max_chars:
                out.append(_search_of(account, group, query_of))
                group = []
            group.append(item)
        if group:
            out.append(_search_of(account, group, query_of))
    return out


def _search_of(
    account: str, group: list[tuple[int, str]], query_of: Callable[[list[str]], str]
) -> Search:
    tags = sorted({t.lower(): t for _, t in group}.values(), key=str.lower)
    links = tuple((cid, tag.lstrip("#").lower()) for cid, tag in group)
    return Search(account, query_of(tags), links)


@dataclass
class WorkspaceCollect:
    """What collecting for every active campaign did: each search with its result."""

    runs: list[tuple[Search, CollectResult]]

    @property
    def total(self) -> CollectResult:
        out = CollectResult(status="done")
        for _search, r in self.runs:
            out.requests += r.requests
            out.fetched += r.fetched
            out.new += r.new
            out.updated += r.updated
            out.runs += r.runs
            if r.status != "done" and out.status == "done":
                out.status, out.error = r.status, r.error
                out.rate_reset_at, out.budget_until = r.rate_reset_at, r.budget_until
        return out


def workspace_settings(db: sqlite_utils.Database) -> list[tuple[int, str, CampaignSettings]]:
    """The active campaigns to collect for (id, account, settings); a :class:`NoCampaignError`
    when none is loaded, and none when every one is archived or ended."""
    from campaign.metadata.store import settings_for, working_campaigns

    collect_settings(db)  # refuses when no campaign is loaded
    return [(c.id, c.account, settings_for(db, c.id)) for c in working_campaigns(db)]


def budget_settings(active: Sequence[tuple[int, str, CampaignSettings]]) -> CampaignSettings:
    """The settings the workspace's read budget is counted with: the first campaign's, with the
    smallest daily read limit any active campaign sets (the budget is one for the workspace)."""
    import dataclasses

    limits = [s.collect_max_reads_per_day for _, _, s in active]
    set_limits = [x for x in limits if x is not None]
    first = active[0][2]
    return dataclasses.replace(
        first, collect_max_reads_per_day=min(set_limits) if set_limits else None
    )


def collect_workspace(
    db: sqlite_utils.Database,
    client_for: Callable[[str], SearchClient],
    active: Sequence[tuple[int, str, CampaignSettings]],
    *,
    progress: Progress | None = None,
    max_requests: int | None = None,
    retry_delays: Sequence[float] = RETRY_DELAYS,
    stop: threading.Event | None = None,
) -> WorkspaceCollect:
    """Collect once for every campaign in ``active``, in the fewest searches (:func:`searches`);
    ``client_for(account)`` gives the client each account searches with."""
    done = WorkspaceCollect([])
    if not active:
        return done
    budget = budget_settings(active)
    used = 0
    for search in searches(active):
        left = None if max_requests is None else max_requests - used
        if left is not None and left <= 0:
            break
        result = collect_once(
            db,
            client_for(search.account),
            budget,
            progress=progress,
            max_requests=left,
            retry_delays=retry_delays,
            stop=stop,
            query=search.query,
            links=search.links,
        )
        used += result.requests
        done.runs.append((search, result))
        if result.status in ("budget",) and result.budget_until is not None:
            break
    return done


def _finish(
    db: sqlite_utils.Database, run_id: int | None, status: str, error: str | None, reset: Any
) -> None:
    db.execute(
        "UPDATE collect_runs SET status = ?, error = ?, rate_reset_at = ?, finished_at = ? "
        "WHERE id = ?",
        [status, error, to_db(reset) if reset else None, to_db(now()), run_id],
    )


def _search(
    client: SearchClient,
    query: str,
    since_id: str | None,
    token: str | None,
    retry_delays: Sequence[float],
    result: CollectResult,
    stop: threading.Event | None,
) -> Any:
    """One page, retrying 5xx and lost answers after each of ``retry_delays``."""
    attempt = 0
    while True:
        result.requests += 1
        try:
            return client.search_recent(
                query, since_id=since_id, next_token=token, max_results=PAGE_SIZE
            )
        except (ServerError, NoAnswer):
            if attempt >= len(retry_delays):
                raise
            delay = retry_delays[attempt]
            attempt += 1
            if stop is not None:
                if stop.wait(delay):
                    raise
            else:
                time.sleep(delay)


def _remember_account(db: sqlite_utils.Database, client: Any) -> None:
    """Record the account's user id (so its own posts count as ours), once, if the keys allow."""
    if get_state(db, ACCOUNT_ID_KEY):
        return
    creds = getattr(client, "creds", None)
    if creds is None or not getattr(creds, "can_post", False) or not hasattr(client, "me"):
        return
    from campaign.errors import CampaignError

    try:
        me = client.me()
    except CampaignError:
        return  # not needed for collecting; publishing reports credential problems itself
    if str(me.get("id", "")).isdigit():
        set_state(db, ACCOUNT_ID_KEY, str(me["id"]))
