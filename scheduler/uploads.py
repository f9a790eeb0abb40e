"""A post's images, uploaded to X just before the post is claimed.

An upload (``POST /2/media/upload``, then ``POST /2/media/metadata`` for the alt text) posts
nothing, so it may be done again freely: after no answer, a server error or a crash, the next
round simply uploads again. Each upload's media id is kept on the attachment (posts.media) with
X's expiry (24 hours): one still valid is reused, one expired is redone. Only the post itself
keeps the at-most-once rule, and it is claimed after its images are uploaded.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

import sqlite_utils

from campaign.clock import now
from campaign.errors import CampaignError
from posts import media
from posts.queue import Post, PostStatus, Reason
from scheduler.events import event
from scheduler.publisher import ImagePublisher
from scheduler.xanswer import MalformedAnswer
from scheduler.xerrors import AuthFailed, NoAnswer, RateLimited, ServerError, XError

if TYPE_CHECKING:
    from scheduler.publish import Outcome, Publishing

log = logging.getLogger("scheduler.publish")


def prepare(pub: Publishing, post: Post) -> list[str] | Outcome | None:
    """The media ids to send ``post`` with (uploading what X does not hold), or the
    :class:`Outcome` of a round that could not upload them (the post is not claimed, except
    when X refused an image: then it is claimed and failed, saying which image). None: the
    post could not be claimed to fail it (as :meth:`Publishing.publish_one`)."""
    from scheduler.publish import Outcome, _after_reset

    attached = media.of_post(pub.db, post.id)
    if not attached:
        return []
    publisher = pub.publisher
    if not isinstance(publisher, ImagePublisher):
        return _refuse(
            pub, post, f"{publisher.name} cannot attach images: take them off, or post elsewhere"
        )
    ids: list[str] = []
    for a in attached:
        if a.upload_valid(now()) and a.media_id is not None:
            ids.append(a.media_id)
            continue
        stored = media.image_bytes(pub.db, a.sha256)
        if stored is None:  # pragma: no cover - a foreign key keeps the bytes
            return _refuse(pub, post, f"the image {a.name} is missing from the database")
        data, mime_type = stored
        waiting = f"not sent yet: uploading image {a.position} ({a.name})"
        try:
            media_id, keep = pub._call(publisher.upload_image, data, mime_type, a.alt_text)
        except RateLimited as e:
            pub._wait(_after_reset(e), f"rate limited by {publisher.name} (image upload)")
            return Outcome(post.id, PostStatus.APPROVED, None, f"{waiting}: {e}")
        except AuthFailed as e:
            pub._stop(str(e), e)
            return Outcome(post.id, PostStatus.APPROVED, None, f"{waiting}: {e}")
        except (NoAnswer, ServerError, MalformedAnswer) as e:
            # Nothing was posted: upload again after a backoff.
            pub._wait(now() + pub._backoff(max(1, pub._unreachable)), f"image upload: {e}")
            return Outcome(post.id, PostStatus.APPROVED, None, f"{waiting}: {e}")
        except XError as e:  # refused (4xx)
            return _refuse(pub, post, f"X refused image {a.position} ({a.name}): {e}")
        except CampaignError as e:  # the backend cannot work at all (no credentials)
            pub._stop(str(e))
            return Outcome(post.id, PostStatus.APPROVED, None, f"{waiting}: {e}")
        media.record_upload(
            pub.db, post.id, a.position, a.sha256, media_id, expires_after=timedelta(seconds=keep)
        )
        event(
            log,
            logging.INFO,
            f"uploaded image {a.position} of post {post.id} as media {media_id}",
            post_id=post.id,
            media_id=media_id,
            position=a.position,
        )
        ids.append(media_id)
    return ids


def unchanged(db: sqlite_utils.Database, post_id: int, media_ids: Sequence[str]) -> bool:
    """Whether the claimed post still has exactly the images uploaded as ``media_ids``."""
    return [a.media_id for a in media.of_post(db, post_id)] == list(media_ids)


def _refuse(pub: Publishing, post: Post, detail: str) -> Outcome | None:
    """Claim ``post`` and fail it with ``detail``: its images cannot go out as they are."""
    from scheduler import lease

    claimed = _claim(pub, post, lease.guard(pub.holder, pub.lease_name))
    if not claimed:
        return None
    return pub._move(post.id, PostStatus.PUBLISHING, PostStatus.FAILED, detail, Reason.REFUSED)


def _claim(pub: Publishing, post: Post, guard: tuple[str, Sequence[object]]) -> bool:
    from posts import queue

    return (
        queue.claim(
            pub.db, post.id, pub.holder, pub.actor, timeout=pub.config.x_timeout, guard=guard
        )
        is not None
    )
