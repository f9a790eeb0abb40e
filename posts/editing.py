"""A person's work on the queue: add, edit, approve and cancel posts.

Built on :mod:`posts.queue`: status changes go through :func:`posts.queue.move` (guarded update and
an audit row), and every new text goes through :func:`posts.rules.prepare` (hashtag, tracking,
X's length, no duplicates) before it is stored. Adding and editing also write an audit row, so the
trail of a post answers "who changed it, and when". Every refusal is a :class:`CampaignError`
whose message says what to do.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlite_utils

from campaign.clock import now, to_db, zone
from campaign.errors import CampaignError, NotFoundError, TransitionError
from campaign.models import CampaignSettings, Metadata
from campaign.store import immediate
from posts import media, queue
from posts.queue import Post, PostStatus

MANUAL_KIND = "manual"
REPLY_KIND = "reply"  # a reply to a collected post (X: reply.in_reply_to_tweet_id)
QUOTE_KIND = "quote"  # a quote of a collected post (X: quote_tweet_id)

# What a person may do from each status; the other moves belong to the daemon and the planner.
_S = PostStatus
EDITABLE = frozenset({_S.DRAFT, _S.APPROVED, _S.FAILED, _S.MISSED})
APPROVABLE = frozenset({_S.DRAFT, _S.FAILED, _S.MISSED})
CANCELLABLE = frozenset({_S.DRAFT, _S.APPROVED, _S.FAILED, _S.MISSED})
REDRAFTABLE = frozenset({_S.APPROVED, _S.CANCELLED, _S.FAILED, _S.MISSED})
# Why a post in one of the other statuses is left alone, in a person's words.
_LEFT_ALONE = {
    _S.PUBLISHING: "it is being sent to X right now",
    _S.PUBLISHED: "it has already been published on X",
    _S.UNKNOWN: (
        "the daemon is checking whether it reached X; wait until `campaign posts show` "
        "has it published or back in the queue"
    ),
    _S.CANCELLED: "it is cancelled; add the text again with `campaign posts add`",
}


def stored_metadata(db: sqlite_utils.Database, campaign_id: int | None = None) -> Metadata | None:
    """Campaign ``campaign_id`` (the workspace's first), or ``None`` before `campaign load`."""
    from campaign.metadata import stored

    return stored(db, campaign_id)


def event_domains(meta: Metadata | None) -> tuple[str, ...]:
    """The event's own sites (page, registration, online link), whose links get tracking."""
    from posts.rules import domain_of

    if meta is None:
        return ()
    ev = meta.event
    urls = (ev.url, ev.registration_url, ev.online_url)
    return tuple(sorted({d for d in (domain_of(u) for u in urls if u) if d}))


def four_eyes(db: sqlite_utils.Database) -> bool:
    """Whether the four-eyes rule holds: the workspace has a team and the campaign did not turn
    it off (``approval: {four_eyes: false}``). With no people it is the one-person setup."""
    from campaign.people import any_people

    if not any_people(db):
        return False
    meta = stored_metadata(db)
    return meta.four_eyes if meta else True


def own_work(post: Post, by: str | None) -> bool:
    """Whether ``by`` wrote ``post`` or last changed it (names compared without case)."""
    if by is None:
        return False
    return by.lower() in {n.lower() for n in (post.created_by, post.edited_by) if n}


def may_approve(db: sqlite_utils.Database, post: Post, by: str | None) -> bool:
    """Whether ``by`` may approve ``post`` under the four-eyes rule (roles are checked apart)."""
    return not (four_eyes(db) and own_work(post, by))


def own_posts(db: sqlite_utils.Database, by: str) -> set[int]:
    """The ids of the posts ``by`` wrote or last edited (pages hide their Approve buttons)."""
    return queue.ids_by_person(db, by)


def _four_eyes_refusal(post: Post, by: str) -> Exception:
    from campaign.people import AccessError, Role

    did = "wrote" if (post.created_by or "").lower() == by.lower() else "last edited"
    return AccessError(
        f"{by} cannot approve post {post.id}: they {did} it, and another approver must approve "
        "it (four eyes). Nothing was changed",
        Role.APPROVER,
    )


def is_past(post: Post, at: datetime | None = None) -> bool:
    """Whether ``post`` is due before ``at`` (now by default)."""
    return post.scheduled_at < (at or now())


def carries_hashtag(
    settings: CampaignSettings, *, answers: bool = False, in_thread: bool = False
) -> bool:
    """Whether a post gets the campaign hashtag added: every lone post does; a reply or quote
    to a collected post (``answers``) only with ``replies_carry_hashtag``; a later post of our
    own thread (``in_thread``) only with ``threads_carry_hashtag``."""
    if answers:
        return settings.replies_carry_hashtag
    if in_thread:
        return settings.threads_carry_hashtag
    return True


def _prepare(
    db: sqlite_utils.Database,
    text: str,
    exclude: int | None = None,
    *,
    answers: bool = False,
    in_thread: bool = False,
    campaign_id: int | None = None,
) -> tuple[str, int]:
    """``text`` as it will be sent (with campaign ``campaign_id``'s hashtag and links), with its
    weighted length, or a :class:`RuleError`. ``answers``/``in_thread``: see
    :func:`carries_hashtag`."""
    from campaign.metadata.store import DEFAULT_NAME
    from posts import rules

    meta = stored_metadata(db, campaign_id)
    settings = meta.campaign if meta else CampaignSettings(name=DEFAULT_NAME)
    account = None
    if campaign_id is not None:
        from campaign.metadata.store import same_account

        account = same_account(db, campaign_id)
    prepared = rules.prepare(
        text,
        settings,
        others=queue.other_texts(db, exclude, account),
        event_url_domains=event_domains(meta),
        hashtag=carries_hashtag(settings, answers=answers, in_thread=in_thread),
    )
    return prepared.text, prepared.weighted_length


@dataclass(frozen=True)
class Preview:
    """What the composer shows for a text: X's count of it as sent, and the text as sent."""

    typed_length: int
    weighted_length: int
    limit: int
    valid: bool
    text: str | None
    error: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "typed_length": self.typed_length,
            "weighted_length": self.weighted_length,
            "limit": self.limit,
            "valid": self.valid,
            "preview": self.text,
            "error": self.error,
        }


def preview(
    db: sqlite_utils.Database, text: str, exclude: int | None = None, *, answers: bool = False
) -> Preview:
    """``text`` through the step that prepares every post (:func:`_prepare`, as ``add`` and
    ``edit`` use it), counted by ``posts.length.check``: the text as it will go out, or why it is
    refused, with the length it would have had as sent. ``exclude``: the post being edited;
    ``answers``: a reply or quote to a collected post (see :func:`carries_hashtag`)."""
    from posts import length, rules

    if not text.strip():  # nothing typed yet: nothing to refuse
        return Preview(0, 0, length.LIMIT, True, None, None)
    typed = length.check(text)
    if exclude is not None and not answers:
        edited = queue.find(db, exclude)
        answers = edited is not None and edited.answers is not None
    try:
        final, weighted = _prepare(db, text, exclude, answers=answers)
    except CampaignError as e:
        from campaign.metadata import settings_for

        meta = stored_metadata(db)
        settings = settings_for(db)
        as_sent = rules.completed(
            text,
            settings,
            event_url_domains=event_domains(meta),
            hashtag=carries_hashtag(settings, answers=answers),
        )
        counted = length.check(as_sent)
        return Preview(
            typed.weighted_length, counted.weighted_length, length.LIMIT, False, None, str(e)
        )
    return Preview(typed.weighted_length, weighted, length.LIMIT, True, final, None)


# X opened in 2006; a post time outside these years is a typo, and at the far end of the
# calendar adding the iCalendar event's length (or any delay) overflows datetime.
YEARS = range(2006, 2101)


def _aware(at: datetime, what: str) -> datetime:
    if at.tzinfo is None:
        raise ValueError(f"{what} must be an aware datetime (give it a time zone)")
    if at.year not in YEARS:
        from campaign.errors import RuleError

        raise RuleError(
            f"{what} is in the year {at.year}: check the year (posts can be planned for "
            f"{YEARS[0]} to {YEARS[-1]})"
        )
    return at


def replies_to(db: sqlite_utils.Database, parent_ids: Iterable[int]) -> list[tuple[int, int]]:
    """``(reply id, parent id)`` of the posts still to go out that reply to ``parent_ids``."""
    return queue.replies_to(db, parent_ids, (_S.DRAFT, _S.APPROVED, _S.FAILED, _S.MISSED))


def _check_parent(db: sqlite_utils.Database, reply_to: int, post_id: int | None = None) -> None:
    """A refusal unless post ``reply_to`` exists, is not cancelled, and is not the post itself."""
    try:
        parent = queue.get(db, reply_to)
    except NotFoundError as e:
        raise NotFoundError(
            f"cannot reply to post {reply_to}: there is no post with that id "
            "(see `campaign posts list` for the ids)"
        ) from e
    if parent.status == _S.CANCELLED:
        raise TransitionError(
            f"cannot reply to post {reply_to}: it is cancelled, so the reply would wait "
            "for it for ever; reply to another post, or add this one without --reply-to"
        )
    if reply_to == post_id:
        raise TransitionError(f"post {post_id} cannot reply to itself: give another post's id")


def add(
    db: sqlite_utils.Database,
    text: str,
    at: datetime,
    *,
    actor: str,
    approve: bool = False,
    reply_to: int | None = None,
    by: str | None = None,
    images: Sequence[media.Image] = (),
    campaign_id: int | None = None,
) -> Post:
    """Store a post written by hand (kind ``manual``) for campaign ``campaign_id`` (None: no
    campaign is loaded): a draft, or approved with ``approve``.

    The text is checked and completed by :func:`posts.rules.prepare` first; ``reply_to`` must
    name an existing post; ``images`` (checked by :mod:`posts.media`) are attached in order.
    The check and the insert share one write transaction, so two people
    adding the same text at once cannot both succeed. ``by`` is the person writing it: under the
    four-eyes rule they cannot approve it themselves.
    """
    _aware(at, "the time of a post")
    if approve and by is not None and four_eyes(db):
        from campaign.people import AccessError, Role

        raise AccessError(
            f"{by} cannot approve a post they wrote: add it as a draft, and another approver "
            "must approve it (four eyes)",
            Role.APPROVER,
        )
    with immediate(db):
        if reply_to is not None:
            _check_parent(db, reply_to)
        final, length = _prepare(db, text, in_thread=reply_to is not None, campaign_id=campaign_id)
        new = queue.NewPost(
            MANUAL_KIND,
            final,
            length,
            at,
            hand_edited=True,
            reply_to_post_id=reply_to,
            created_by=by,
            campaign_id=campaign_id,
        )
        post_id = queue.insert_draft(db, new, actor, "added by hand")
        if images:
            media.replace(db, post_id, images)
    if approve:
        return queue.move(db, post_id, _S.APPROVED, actor, "approved when added")
    return queue.get(db, post_id)


def reply(
    db: sqlite_utils.Database,
    target: str,
    text: str,
    at: datetime,
    *,
    actor: str,
    quote: bool = False,
    approve: bool = False,
    by: str | None = None,
    campaign_id: int | None = None,
) -> Post:
    """Store a reply (kind ``reply``) to the collected post ``target`` (its X id), or with
    ``quote`` a quote of it (kind ``quote``): a draft, or approved with ``approve``; it belongs
    to campaign ``campaign_id`` (the collected post's).

    The same rules as every post (:func:`posts.rules.prepare`: X's length, no duplicate text)
    and the four-eyes rule of :func:`add`; the hashtag is added only when the campaign sets
    ``replies_carry_hashtag``. The caller checks that ``target`` was collected.
    """
    _aware(at, "the time of a post")
    if approve and by is not None and four_eyes(db):
        from campaign.people import AccessError, Role

        raise AccessError(
            f"{by} cannot approve a reply they wrote: add it as a draft, and another approver "
            "must approve it (four eyes)",
            Role.APPROVER,
        )
    with immediate(db):
        final, length = _prepare(db, text, answers=True, campaign_id=campaign_id)
        new = queue.NewPost(
            QUOTE_KIND if quote else REPLY_KIND,
            final,
            length,
            at,
            hand_edited=True,
            created_by=by,
            reply_to_tweet_id=None if quote else target,
            quote_tweet_id=target if quote else None,
            campaign_id=campaign_id,
        )
        what = "quote of" if quote else "reply to"
        post_id = queue.insert_draft(db, new, actor, f"added as a {what} collected post {target}")
    if approve:
        return queue.move(db, post_id, _S.APPROVED, actor, "approved when added")
    return queue.get(db, post_id)


def edit(
    db: sqlite_utils.Database,
    post_id: int,
    *,
    actor: str,
    text: str | None = None,
    at: datetime | None = None,
    reply_to: int | None = None,
    by: str | None = None,
    images: Sequence[media.Image] | None = None,
) -> Post:
    """Change the text, the time, the post it replies to (``reply_to``) and/or its images
    (``images`` replaces them all); marks it hand-edited and ``by`` its editor.

    A new text is checked again by :func:`posts.rules.prepare`. Allowed in draft, approved,
    failed and missed. The post keeps its status, except under the four-eyes rule: a change to
    an approved post sends it back to draft (the history says who and why), since what was
    approved is no longer what would go out.
    """
    if text is None and at is None and reply_to is None and images is None:
        raise TransitionError(
            f"nothing to change in post {post_id}: give a new text (--text), time (--at), "
            "post to reply to (--reply-to) or images (--image FILE --alt TEXT)"
        )
    if at is not None:
        _aware(at, "the time of a post")
    with immediate(db):
        post = queue.get(db, post_id)
        if post.status not in EDITABLE:
            raise TransitionError(
                f"post {post_id} cannot be edited: {_LEFT_ALONE.get(post.status, post.status)}"
            )
        sets: dict[str, Any] = {"hand_edited": 1}
        changes: list[str] = []
        if text is not None:
            final, length = _prepare(
                db,
                text,
                exclude=post_id,
                answers=post.answers is not None,
                in_thread=(reply_to or post.reply_to_post_id) is not None,
                campaign_id=post.campaign_id,
            )
            if final != post.text:
                sets.update(text=final, weighted_length=length)
                changes.append("text")
        if at is not None and at != post.scheduled_at:
            sets["scheduled_at"] = at
            changes.append(f"time {to_db(post.scheduled_at)} -> {to_db(at)}")
        if reply_to is not None and reply_to != post.reply_to_post_id:
            _check_parent(db, reply_to, post_id)
            sets["reply_to_post_id"] = reply_to
            changes.append(f"reply to post {post.reply_to_post_id or '-'} -> {reply_to}")
        if images is not None and not media.same(media.of_post(db, post_id), images):
            media.replace(db, post_id, images)
            changes.append(f"images ({len(images)})" if images else "images removed")
        if not changes:
            return post
        if by is not None:
            sets["edited_by"] = by
        redraft = post.status == _S.APPROVED and four_eyes(db)
        moved_to = _S.DRAFT if redraft else None
        if not queue.update_content(db, post_id, post.status, sets, to_status=moved_to):
            # cannot happen: the write lock is held since the read  # pragma: no cover
            raise TransitionError(f"post {post_id} changed while you were editing it: try again")
        detail = "edited: " + "; ".join(changes)
        if redraft:
            detail += (
                f"; back to draft: {by or actor} changed it after it was approved, "
                "so it needs approval again (four eyes)"
            )
        queue.audit(db, post_id, actor, post.status, moved_to or post.status, detail)
    return queue.get(db, post_id)


def _check_moves(
    db: sqlite_utils.Database, ids: Iterable[int], to_status: str, allowed: frozenset[str]
) -> list[Post]:
    """Every post named, each in ``to_status`` or ``allowed`` to move there, before any change."""
    posts: list[Post] = []
    seen: set[int] = set()
    for post_id in ids:
        if post_id in seen:
            continue
        seen.add(post_id)
        post = queue.get(db, post_id)
        if post.status != to_status and post.status not in allowed:
            reason = _LEFT_ALONE.get(post.status, f"it is {post.status}")
            raise TransitionError(
                f"post {post_id} cannot be {to_status}: {reason}. Nothing was changed"
            )
        posts.append(post)
    return posts


def _move_all(
    db: sqlite_utils.Database, posts: list[Post], to_status: str, actor: str
) -> list[Post]:
    """Move each post not already in ``to_status``; the posts that changed, in order."""
    return [
        queue.move(db, p.id, to_status, actor, f"{to_status} by hand")
        for p in posts
        if p.status != to_status
    ]


def approve(
    db: sqlite_utils.Database, ids: Iterable[int], *, actor: str, by: str | None = None
) -> list[Post]:
    """Approve the posts ``ids`` (drafts, failed or missed posts): the ones that changed.

    Every id is checked first: an unknown id, a post that cannot be approved, or (four eyes) a
    post ``by`` wrote or last edited changes nothing. Posts already approved are left as they
    are and not returned.
    """
    posts = _check_moves(db, ids, _S.APPROVED, APPROVABLE)
    if by is not None and four_eyes(db):
        for post in posts:
            if post.status != _S.APPROVED and own_work(post, by):
                raise _four_eyes_refusal(post, by)
    return _move_all(db, posts, _S.APPROVED, actor)


@dataclass(frozen=True)
class DayApproval:
    """What approving a day (or every draft) did: the posts approved, and the drafts left for
    another approver because the person wrote or last edited them (four eyes)."""

    approved: list[Post]
    skipped: list[Post]


def approve_drafts(
    db: sqlite_utils.Database, *, actor: str, day: date | None = None, by: str | None = None
) -> DayApproval:
    """Approve every draft, or with ``day`` the drafts of that day in the campaign's zone,
    skipping (four eyes) the drafts ``by`` wrote or last edited."""
    if day is None:
        drafts = queue.list_posts(db, _S.DRAFT)
    else:
        from campaign.metadata import settings_for

        tz = zone(settings_for(db).timezone)
        start = datetime.combine(day, time(0), tz)
        end = datetime.combine(day + timedelta(days=1), time(0), tz)
        drafts = [p for p in queue.list_posts(db, _S.DRAFT) if start <= p.scheduled_at < end]
    skipped: list[Post] = []
    if by is not None and four_eyes(db):
        skipped = [p for p in drafts if own_work(p, by)]
        drafts = [p for p in drafts if not own_work(p, by)]
    return DayApproval(_move_all(db, drafts, _S.APPROVED, actor), skipped)


def cancel(db: sqlite_utils.Database, ids: Iterable[int], *, actor: str) -> list[Post]:
    """Cancel the posts ``ids`` so they are never sent: the ones that changed.

    Every id is checked first; a post being published or already published is refused and
    nothing is changed. Posts already cancelled are left as they are and not returned.
    """
    return _move_all(db, _check_moves(db, ids, _S.CANCELLED, CANCELLABLE), _S.CANCELLED, actor)
