"""The planner: campaign metadata in, a schedule of draft posts out, applied safely to the queue.

:func:`plan` is a pure function of the metadata, the templates and the posts already in the
queue: it places every post of the cadence (``md.campaign.cadence``) and renders it through
:func:`posts.rules.prepare`. :func:`apply` writes the plan: new drafts are inserted, drafts whose
source changed are updated, and posts that are not drafts or were edited by hand are never
touched, so running it again changes nothing.

Where posts go (all wall-clock times in the campaign's zone, so 10:00 stays 10:00 across a
daylight-saving change):

- announcement ``announcement_days_before`` days before the event, reminders on each of
  ``reminder_days_before``, one spotlight per speaker spread evenly from the first to the second
  of ``spotlight_days_before`` (in page order), all at ``post_time``;
- "starting now" at the event's start (less ``starting_minutes_before``): fixed, even outside the
  posting window, because it is the event;
- the recap ``recap_days_after`` days after, then one publication every
  ``publications_every_days`` days from ``publications_days_after`` days after.

Every other post is moved into the posting window (before it: to its start; after it: to the
next day's start) and at least ``min_gap_minutes`` from every other post, planned or already in
the queue, by pushing it later in the day and then to the next day's window.

Posts whose time has passed when the plan is made are still planned: the plan depends only on
the metadata, so it is the same whenever it runs (a second run changes nothing). The command
line points them out, and the daemon marks an approved post that is too late ``missed``.
"""

from __future__ import annotations

import hashlib
import json
import os
from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlite_utils

from campaign.clock import from_db, now, to_db, zone
from campaign.errors import RuleError
from campaign.models import CampaignSettings, Metadata, Publication, Speaker
from posts import media
from posts.editing import event_domains
from posts.queue import (
    NewPost,
    Post,
    PostStatus,
    audit,
    insert_draft,
    list_posts,
    times_and_texts,
    update_content,
)
from posts.render import context, render_post
from posts.rules import duplicate_key, prepare
from posts.templates import source, variants

# How far before and after a plan's own times the account's other campaigns' posts are read.
NEIGHBOUR_DAYS = 7

# Statuses whose time a new post must keep clear of, and whose text a new post must not repeat.
ACTIVE = frozenset(
    {
        PostStatus.DRAFT,
        PostStatus.APPROVED,
        PostStatus.PUBLISHING,
        PostStatus.PUBLISHED,
        PostStatus.UNKNOWN,
    }
)


@dataclass(frozen=True)
class PlannedPost:
    """One post of the plan, ready for the queue."""

    source_key: str  # the planner's identity for it: ``spotlight:<speaker key>``, ``reminder:7``
    kind: str
    template: str
    text: str  # after rules.prepare: exactly what would be sent
    weighted_length: int
    scheduled_at: datetime  # aware, UTC
    source_hash: str  # what it was made from: changes when the text, time or images would change
    images: tuple[media.Image, ...] = ()  # a spotlight's photo, a publication's cover


@dataclass(frozen=True)
class PlanResult:
    """What :func:`apply` did (or, dry, would do)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped_protected: int = 0  # not a draft any more, or edited by hand: left alone
    outcomes: dict[str, str] = field(default_factory=dict)  # source_key -> what happened


@dataclass(frozen=True)
class _Slot:
    key: str
    kind: str
    preferred: datetime  # aware, in the campaign's zone
    fixed: bool = False  # the "starting now" post: exactly at its time
    item: Speaker | Publication | None = None
    days_before: int | None = None
    index: int = 0


def _at(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The wall-clock time ``at`` on ``day`` in ``tz`` (a time skipped by DST moves forward)."""
    naive = datetime.combine(day, at)
    aware = naive.replace(tzinfo=tz)
    # Round-trip through UTC so a non-existent time (in the spring-forward gap) becomes real.
    return aware.astimezone(UTC).astimezone(tz)


def _spread(first: int, last: int, count: int) -> list[int]:
    """``count`` day offsets from ``first`` to ``last`` (days before), evenly spread, in order."""
    if count <= 0:
        return []
    if count == 1:
        return [first]
    step = (first - last) / (count - 1)
    return [round(first - i * step) for i in range(count)]


def slots(md: Metadata) -> list[_Slot]:
    """Every post of the cadence at its preferred local time, before window and gap rules."""
    settings = md.campaign
    cad = settings.cadence
    tz = zone(settings.timezone)
    start = md.event.start.astimezone(tz)
    day0 = start.date()

    def day(offset: int) -> datetime:
        return _at(day0 + timedelta(days=offset), cad.post_time, tz)

    out = [_Slot("announcement", "announcement", day(-cad.announcement_days_before))]
    for i, n in enumerate(sorted(set(cad.reminder_days_before), reverse=True)):
        out.append(_Slot(f"reminder:{n}", "reminder", day(-n), days_before=n, index=i))
    first, last = cad.spotlight_days_before
    for i, (speaker, n) in enumerate(
        zip(md.speakers, _spread(first, last, len(md.speakers)), strict=True)
    ):
        out.append(_Slot(f"spotlight:{speaker.key}", "spotlight", day(-n), item=speaker, index=i))
    # In UTC: arithmetic on two times in one ZoneInfo zone ignores a DST change between them.
    starting = md.event.start.astimezone(UTC) - timedelta(minutes=cad.starting_minutes_before)
    out.append(_Slot("starting", "starting", starting.astimezone(tz), fixed=True))
    out.append(_Slot("recap", "recap", day(cad.recap_days_after)))
    for i, pub in enumerate(md.publications):
        offset = cad.publications_days_after + i * cad.publications_every_days
        out.append(_Slot(f"publication:{pub.key}", "publication", day(offset), item=pub, index=i))
    return out


def place(
    preferred: datetime,
    taken: Sequence[datetime],
    *,
    window_start: time,
    window_end: time,
    gap: timedelta,
    tz: ZoneInfo,
    presorted: bool = False,
) -> datetime:
    """The first time at or after ``preferred`` inside the window and ``gap`` from all ``taken``.

    The window is read on the local wall clock; gaps are measured in UTC (real elapsed time).
    ``presorted``: ``taken`` is already in order, every time in UTC (not sorted again).
    """
    t = preferred.astimezone(tz)
    ordered = taken if presorted else sorted(o.astimezone(UTC) for o in taken)
    for _ in range(10_000):  # a bound, never reached by a real campaign
        local_t = t.time().replace(tzinfo=None)
        if local_t < window_start:
            t = _at(t.date(), window_start, tz)
            continue
        if local_t > window_end:
            t = _at(t.date() + timedelta(days=1), window_start, tz)
            continue
        here = t.astimezone(UTC)
        near = ordered[bisect_left(ordered, here - gap) : bisect_right(ordered, here + gap)]
        clash = [o for o in near if abs(o - here) < gap]
        if not clash:
            return here
        t = (max(clash) + gap).astimezone(tz)
    raise RuleError(
        "cannot find a free time for a post: widen the posting window or lower min_gap_minutes"
    )


def _hash(
    template_source: str,
    ctx: dict[str, Any],
    md: Metadata,
    at: datetime,
    plain: dict[int, Any] | None = None,
) -> str:
    """What the post is made from, as a digest. ``plain``: the plain form of each record
    already seen in this plan, by identity (every post's context holds the same settings and
    event: made plain once, not once per post)."""
    memo: dict[int, Any] = {} if plain is None else plain

    def flat(v: Any) -> Any:
        if isinstance(v, list):  # a new list for each post, of the same records
            return [flat(x) for x in v]
        if not hasattr(v, "__dataclass_fields__"):
            return _plain(v)
        if id(v) not in memo:
            memo[id(v)] = (v, _plain(v))  # the record is kept so its id is not reused
        return memo[id(v)][1]

    shaping = {
        "template": template_source,
        "context": {k: flat(v) for k, v in sorted(ctx.items())},
        "hashtag": md.campaign.hashtag,
        "tracking": md.campaign.tracking,
        "tracked_domains": md.campaign.tracked_domains,
        "timezone": md.campaign.timezone,
        "at": to_db(at),
    }
    blob = json.dumps(shaping, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _picture(item: Speaker | Publication | None, images_dir: Path) -> tuple[media.Image, ...]:
    """A speaker's photo or a publication's cover, read and checked (alt text required), or
    a :class:`RuleError` naming the speaker or publication."""
    if isinstance(item, Speaker):
        name, alt, whose = item.photo, item.photo_alt, f"the photo of {item.name}"
    elif isinstance(item, Publication):
        name, alt, whose = item.cover, item.cover_alt, f"the cover of “{item.title}”"
    else:
        return ()
    if not name:
        return ()
    try:
        return (media.read_image(images_dir / name, alt),)
    except RuleError as e:
        field = "photo_alt" if isinstance(item, Speaker) else "cover_alt"
        raise RuleError(f"{whose} cannot be used: {e} (in the YAML: {field})") from e


# Settings that say where a campaign lives in the workspace, not what its posts say: left out
# of the hash, so the drafts of a database made before workspaces are not re-planned.
_NOT_SHAPING = frozenset({"slug", "account", "collect_days_after"})


def _plain(value: Any) -> Any:
    if hasattr(value, "__dataclass_fields__"):
        plain = asdict(value)
        if isinstance(value, CampaignSettings):
            return {k: v for k, v in plain.items() if k not in _NOT_SHAPING}
        return plain
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _protected(post: Post) -> bool:
    return post.status != PostStatus.DRAFT or post.hand_edited


def plan(
    md: Metadata,
    *,
    templates_dir: str | os.PathLike[str] | None = None,
    existing: Iterable[Post] = (),
    images_dir: str | os.PathLike[str] | None = None,
    busy: Iterable[tuple[datetime, str]] = (),
) -> list[PlannedPost]:
    """The campaign's posts, placed and rendered, in time order.

    Speakers' photos and publications' covers are read from ``images_dir`` (the YAML file's
    folder; the working folder if None) and attached to their spotlight and publication posts.

    ``existing`` are the posts already in the queue: posts the planner may not change keep their
    time, and every active post's time and text are kept clear of (gap, duplicates). ``busy``:
    the time and text of other campaigns' posts on the same account, kept clear of as well.
    """
    settings = md.campaign
    tz = zone(settings.timezone)
    gap = timedelta(minutes=settings.min_gap_minutes)
    keep: dict[str, datetime] = {}
    taken: list[datetime] = []
    texts: list[tuple[str | None, str]] = []  # (source key, text) of every post to keep apart
    all_slots = slots(md)
    ours = {s.key for s in all_slots}
    for post in existing:
        if post.status not in ACTIVE:
            continue
        key = post.source_key
        if key is not None and key in ours:
            if not _protected(post):
                continue  # a draft of ours: the plan replaces it
            keep[key] = post.scheduled_at
        taken.append(post.scheduled_at.astimezone(UTC))
        texts.append((key, post.text))
    for at, text in busy:
        taken.append(at.astimezone(UTC))
        texts.append((None, text))
    taken.sort()  # kept in order as times are added: placing a post does not sort it again

    times: dict[str, datetime] = dict(keep)
    for s in sorted(all_slots, key=lambda s: (not s.fixed, s.preferred.astimezone(UTC), s.key)):
        if s.key in times:
            continue
        if s.fixed:
            # "starting now" is the event: it goes at its time, even outside the posting window.
            at = s.preferred.astimezone(UTC)
        else:
            at = place(
                s.preferred,
                taken,
                window_start=settings.window_start,
                window_end=settings.window_end,
                gap=gap,
                tz=tz,
                presorted=True,
            )
        times[s.key] = at
        insort(taken, at)

    domains = event_domains(md)
    by_key: dict[str, list[tuple[str | None, str]]] = {}  # the texts to keep apart, by their key
    for k, t in texts:
        by_key.setdefault(duplicate_key(t, settings.hashtag), []).append((k, t))
    per_kind: dict[str, list[str]] = {}  # each kind's variants, listed once per plan
    sources: dict[str, str] = {}  # each template's text, read once per plan
    out: list[PlannedPost] = []
    plain: dict[int, Any] = {}  # records made plain for the hash, once per plan
    for s in sorted(all_slots, key=lambda s: (times[s.key], s.key)):
        if s.kind not in per_kind:
            per_kind[s.kind] = variants(s.kind, templates_dir)
        names = per_kind[s.kind]
        name = names[s.index % len(names)]
        ctx = context(md, s.kind, item=s.item, days_before=s.days_before, index=s.index)
        text = render_post(s.kind, ctx, settings, templates_dir, template=name)
        try:
            prepared = prepare(text, settings, event_url_domains=domains)
            # Only texts with the same duplicate key can clash: prepare checks those (a kept
            # post of the same key is this post's earlier self, not a duplicate).
            key = duplicate_key(prepared.text, settings.hashtag)
            clashes = [t for k, t in by_key.get(key, []) if k != s.key]
            if clashes:
                prepare(text, settings, others=clashes, event_url_domains=domains)
        except RuleError as e:
            raise RuleError(f"the {s.kind} post ({s.key}, template {name}) is refused: {e}") from e
        by_key.setdefault(key, []).append((s.key, prepared.text))
        at = times[s.key].astimezone(UTC)
        if name not in sources:
            sources[name] = source(name, templates_dir)
        pictures = _picture(s.item, Path(images_dir or "."))
        digest = _hash(sources[name], ctx, md, at, plain)
        if pictures:  # the same file name with new bytes is a change too
            both = digest + "".join(p.sha256 + p.alt_text for p in pictures)
            digest = hashlib.sha256(both.encode("utf-8")).hexdigest()
        out.append(
            PlannedPost(
                source_key=s.key,
                kind=s.kind,
                template=name,
                text=prepared.text,
                weighted_length=prepared.weighted_length,
                scheduled_at=at,
                source_hash=digest,
                images=pictures,
            )
        )
    return out


def apply(
    db: sqlite_utils.Database,
    planned: Iterable[PlannedPost],
    actor: str = "planner",
    *,
    dry_run: bool = False,
    campaign_id: int | None = None,
    existing: Iterable[Post] | None = None,
) -> PlanResult:
    """Write ``planned`` to the queue: insert new drafts, update changed drafts, touch nothing else.

    With ``dry_run`` nothing is written; the counts say what would happen. ``existing``: the
    campaign's posts as just read (read again inside the write transaction when not given).
    """
    from campaign.store import immediate

    counts = {"created": 0, "updated": 0, "unchanged": 0, "skipped_protected": 0}
    outcomes: dict[str, str] = {}
    stamp = from_db(to_db(now()))  # one time for the whole plan, as stored

    def run() -> None:
        # Only the planner's own posts (those with a source key) can be one of the plan's.
        have_now = (
            list_posts(db, campaign_id=campaign_id, planned=True) if existing is None else existing
        )
        current = {p.source_key: p for p in have_now if p.source_key}
        for p in planned:
            have = current.get(p.source_key)
            if have is None:
                outcome = "created"
                if not dry_run:
                    new = NewPost(
                        p.kind,
                        p.text,
                        p.weighted_length,
                        p.scheduled_at,
                        source_key=p.source_key,
                        template=p.template,
                        source_hash=p.source_hash,
                        campaign_id=campaign_id,
                    )
                    post_id = insert_draft(db, new, actor, f"planned from {p.template}", at=stamp)
                    if p.images:
                        media.replace(db, post_id, p.images, at=stamp)
            elif _protected(have):
                outcome = "skipped_protected"
            elif have.source_hash == p.source_hash:
                outcome = "unchanged"
            elif _same_post(db, have, p):
                # Made from something else (a template or a setting that changed) but it would
                # be written the same: nothing to re-plan; the new source is remembered.
                outcome = "unchanged"
                if not dry_run:
                    update_content(
                        db,
                        have.id,
                        PostStatus.DRAFT,
                        {"source_hash": p.source_hash},
                        only_planned=True,
                        at=have.updated_at,
                    )
            else:
                outcome = "updated"
                if not dry_run:
                    replanned = {
                        "kind": p.kind,
                        "template": p.template,
                        "source_hash": p.source_hash,
                        "text": p.text,
                        "weighted_length": p.weighted_length,
                        "scheduled_at": p.scheduled_at,
                    }
                    if update_content(
                        db, have.id, PostStatus.DRAFT, replanned, only_planned=True, at=stamp
                    ):
                        media.replace(db, have.id, p.images, at=stamp)
                        audit(db, have.id, actor, PostStatus.DRAFT, PostStatus.DRAFT, "replanned")
                    else:  # approved or edited since we looked: leave it
                        outcome = "skipped_protected"
            counts[outcome] += 1
            outcomes[p.source_key] = outcome

    if dry_run:
        run()
    else:
        with immediate(db):
            run()
    return PlanResult(**counts, outcomes=outcomes)


def _same_post(db: sqlite_utils.Database, have: Post, p: PlannedPost) -> bool:
    """Whether the draft ``have`` already says, when and with what images, what ``p`` would."""
    return (have.kind, have.template, have.text, have.scheduled_at) == (
        p.kind,
        p.template,
        p.text,
        p.scheduled_at,
    ) and [i.sha256 for i in media.of_post(db, have.id)] == [i.sha256 for i in p.images]


def refresh(
    db: sqlite_utils.Database,
    md: Metadata,
    *,
    templates_dir: str | os.PathLike[str] | None = None,
    actor: str = "planner",
    dry_run: bool = False,
    images_dir: str | os.PathLike[str] | None = None,
    campaign_id: int | None = None,
    neighbours: Iterable[int] = (),
) -> tuple[list[PlannedPost], PlanResult]:
    """Plan ``md`` (campaign ``campaign_id``) around what its queue already holds and apply it:
    what ``campaign plan`` does. ``neighbours``: the other campaigns of its account, whose
    posts its drafts keep the minimum gap from and never repeat (X limits per account)."""
    existing = list_posts(db, campaign_id=campaign_id)
    others: list[tuple[datetime, str]] = []
    theirs = [n for n in neighbours if n != campaign_id]
    planned_times = [s.preferred for s in slots(md)]
    if theirs and planned_times:
        # Only their posts near this plan's times can be in its way (placement moves a post
        # by hours, not weeks): a season of campaigns is not read whole for each one.
        near = timedelta(days=NEIGHBOUR_DAYS)
        others = times_and_texts(
            db,
            ACTIVE,
            theirs,
            start=min(planned_times) - near,
            end=max(planned_times) + near,
        )
    planned = plan(
        md, templates_dir=templates_dir, existing=existing, busy=others, images_dir=images_dir
    )
    # apply reads the campaign's posts again inside its write transaction: what it updates or
    # inserts is decided on the queue as it is then, not as it was read for planning.
    return planned, apply(db, planned, actor, dry_run=dry_run, campaign_id=campaign_id)
