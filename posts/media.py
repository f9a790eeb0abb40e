"""Images attached to posts: checked, stored in the database, and their uploads to X.

Owns the ``images`` and ``post_images`` tables (m009). An image is checked by its content, not its
name (Pillow reads it): PNG, JPEG, GIF or WebP, at most 5 MB, at most 4 to a post, each with alt
text (required, at most 1,000 characters). The bytes are kept in the database, keyed by their
SHA-256, so a backup of the file holds them. Each attachment keeps its upload to X (a media id
X forgets after 24 hours), so publishing uploads only what it has not uploaded, or what expired.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlite_utils

from campaign.clock import from_db, now, to_db
from campaign.errors import RuleError

MAX_IMAGES = 4
MAX_BYTES = 5 * 1024 * 1024  # X's limit for a still image (and for a GIF in a post)
MAX_ALT = 1000  # X's limit for alt text
# What X accepts, by the format Pillow reads from the bytes.
FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
UPLOAD_LIFETIME = timedelta(hours=24)  # X's expires_after_secs for an image
# An upload this close to its expiry is done again: the post is sent some seconds later.
EXPIRY_MARGIN = timedelta(minutes=10)


@dataclass(frozen=True)
class Image:
    """An image checked and ready to store: its bytes, what they are, and its alt text."""

    name: str  # the file name it was given as (messages only)
    data: bytes
    mime_type: str
    width: int
    height: int
    alt_text: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class Attached:
    """One image on a post, as stored (without its bytes)."""

    post_id: int
    position: int
    sha256: str
    name: str
    alt_text: str
    mime_type: str
    width: int
    height: int
    size: int
    media_id: str | None
    upload_expires_at: datetime | None

    def upload_valid(self, at: datetime) -> bool:
        """Whether X still has this upload at ``at`` (with a margin for the send)."""
        return (
            self.media_id is not None
            and self.upload_expires_at is not None
            and at + EXPIRY_MARGIN < self.upload_expires_at
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "name": self.name,
            "alt": self.alt_text,
            "mime_type": self.mime_type,
            "width": self.width,
            "height": self.height,
            "size": self.size,
            "sha256": self.sha256,
            "media_id": self.media_id,
        }


def check_image(name: str, data: bytes, alt: str | None) -> Image:
    """``data`` as an :class:`Image`, or a :class:`RuleError` naming ``name`` and what to fix."""
    from PIL import Image as PILImage
    from PIL import UnidentifiedImageError

    alt_text = (alt or "").strip()
    if not alt_text:
        raise RuleError(
            f"the image {name} has no alt text: describe it for people who cannot see it "
            "(--alt TEXT after its --image; up to 1,000 characters)"
        )
    if len(alt_text) > MAX_ALT:
        raise RuleError(
            f"the alt text of the image {name} is {len(alt_text):,} characters: X takes at most "
            f"{MAX_ALT:,}; shorten it"
        )
    if len(data) > MAX_BYTES:
        raise RuleError(
            f"the image {name} is {len(data) / 1024 / 1024:.1f} MB: X takes images up to 5 MB; "
            "save it smaller (fewer pixels, or JPEG)"
        )
    if not data:
        raise RuleError(f"the image {name} is an empty file: give a PNG, JPEG, GIF or WebP image")
    try:
        with PILImage.open(io.BytesIO(data)) as img:
            fmt = img.format or ""
            width, height = img.size
            img.verify()
    except PILImage.DecompressionBombError:
        raise RuleError(
            f"the image {name} has far too many pixels (a decompression bomb, or a mistake): "
            "save it smaller"
        ) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as e:
        raise RuleError(
            f"the file {name} is not an image X accepts (it is not a readable PNG, JPEG, GIF or "
            "WebP, whatever its name says): export it in one of those formats"
        ) from e
    if PILImage.MAX_IMAGE_PIXELS and width * height > PILImage.MAX_IMAGE_PIXELS:
        raise RuleError(f"the image {name} has too many pixels ({width}×{height}): make it smaller")
    if fmt not in FORMATS:
        raise RuleError(
            f"the image {name} is a {fmt or 'unknown'} file: X takes PNG, JPEG, GIF or WebP; "
            "export it in one of those formats"
        )
    return Image(name, data, FORMATS[fmt], width, height, alt_text)


def read_image(path: str | Path, alt: str | None) -> Image:
    """The image file at ``path`` checked (:func:`check_image`), or a :class:`RuleError`."""
    p = Path(path)
    try:
        if p.stat().st_size > MAX_BYTES:
            raise RuleError(
                f"the image {p.name} is {p.stat().st_size / 1024 / 1024:.1f} MB: X takes images "
                "up to 5 MB; save it smaller (fewer pixels, or JPEG)"
            )
        data = p.read_bytes()
    except FileNotFoundError:
        raise RuleError(f"there is no image file {path}: check the name and folder") from None
    except IsADirectoryError:
        raise RuleError(f"{path} is a folder, not an image file") from None
    except OSError as e:
        raise RuleError(f"cannot read the image {path}: {e.strerror or e}") from None
    return check_image(p.name, data, alt)


def check_count(images: Sequence[Image]) -> None:
    """A :class:`RuleError` for more images than X takes on one post."""
    if len(images) > MAX_IMAGES:
        raise RuleError(
            f"{len(images)} images given: X takes at most {MAX_IMAGES} on a post; "
            "leave some out or spread them over a thread"
        )


def pair(paths: Sequence[str], alts: Sequence[str]) -> list[Image]:
    """``--image`` files paired in order with ``--alt`` texts, each read and checked."""
    images: list[Image] = []
    for i, path in enumerate(paths):
        images.append(read_image(path, alts[i] if i < len(alts) else None))
    if len(alts) > len(paths):
        raise RuleError(
            f"{len(alts)} alt texts for {len(paths)} images: give one --alt after each --image"
        )
    check_count(images)
    return images


# -- the tables (the caller holds the transaction for writes) -------------------------------


_SELECT = (
    "SELECT pi.post_id, pi.position, pi.sha256, pi.name, pi.alt_text, i.mime_type, i.width, "
    "i.height, i.size, pi.media_id, pi.upload_expires_at FROM post_images pi "
    "JOIN images i ON i.sha256 = pi.sha256"
)


def _attached(row: Sequence[Any]) -> Attached:
    return Attached(
        post_id=int(row[0]),
        position=int(row[1]),
        sha256=row[2],
        name=row[3],
        alt_text=row[4],
        mime_type=row[5],
        width=int(row[6]),
        height=int(row[7]),
        size=int(row[8]),
        media_id=row[9],
        upload_expires_at=from_db(row[10]) if row[10] else None,
    )


def of_post(db: sqlite_utils.Database, post_id: int) -> list[Attached]:
    """The images on ``post_id``, in order."""
    rows = db.execute(f"{_SELECT} WHERE pi.post_id = ? ORDER BY pi.position", [post_id])
    return [_attached(r) for r in rows.fetchall()]


def of_posts(db: sqlite_utils.Database, post_ids: Iterable[int]) -> dict[int, list[Attached]]:
    """The images on each of ``post_ids`` that has any (for lists and the calendar)."""
    ids = list(dict.fromkeys(post_ids))
    out: dict[int, list[Attached]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        rows = db.execute(
            f"{_SELECT} WHERE pi.post_id IN ({marks}) ORDER BY pi.post_id, pi.position", chunk
        )
        for r in rows.fetchall():
            a = _attached(r)
            out.setdefault(a.post_id, []).append(a)
    return out


def image_bytes(db: sqlite_utils.Database, sha256: str) -> tuple[bytes, str] | None:
    """The bytes and type of the stored image ``sha256``, or None."""
    row = db.execute("SELECT data, mime_type FROM images WHERE sha256 = ?", [sha256]).fetchone()
    return (bytes(row[0]), str(row[1])) if row else None


def same(current: Sequence[Attached], wanted: Sequence[Image]) -> bool:
    """Whether ``wanted`` is exactly what ``current`` holds (bytes and alt text, in order)."""
    return [(a.sha256, a.alt_text) for a in current] == [(i.sha256, i.alt_text) for i in wanted]


def replace(
    db: sqlite_utils.Database, post_id: int, images: Sequence[Image], *, at: datetime | None = None
) -> None:
    """Attach ``images`` to ``post_id`` in place of what it had (no upload yet). The caller
    holds the write transaction."""
    check_count(images)
    stamp = to_db(at or now())
    db.execute("DELETE FROM post_images WHERE post_id = ?", [post_id])
    for position, image in enumerate(images, start=1):
        db.execute(
            "INSERT OR IGNORE INTO images (sha256, mime_type, width, height, size, data, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                image.sha256,
                image.mime_type,
                image.width,
                image.height,
                len(image.data),
                image.data,
                stamp,
            ],
        )
        db.execute(
            "INSERT INTO post_images (post_id, position, sha256, name, alt_text) "
            "VALUES (?, ?, ?, ?, ?)",
            [post_id, position, image.sha256, image.name, image.alt_text],
        )


def record_upload(
    db: sqlite_utils.Database,
    post_id: int,
    position: int,
    sha256: str,
    media_id: str,
    *,
    expires_after: timedelta = UPLOAD_LIFETIME,
    at: datetime | None = None,
) -> bool:
    """Remember X's ``media_id`` for the image at ``position`` of ``post_id``, if that image is
    still ``sha256`` (a person may have changed it meanwhile). True if recorded."""
    stamp = at or now()
    cur = db.execute(
        "UPDATE post_images SET media_id = ?, uploaded_at = ?, upload_expires_at = ? "
        "WHERE post_id = ? AND position = ? AND sha256 = ?",
        [media_id, to_db(stamp), to_db(stamp + expires_after), post_id, position, sha256],
    )
    return cur.rowcount == 1
