"""Images in the console: the stored bytes served to signed-in people, and the composer's image
slots (a file and its alt text, up to four) read into checked :class:`posts.media.Image` s."""

from __future__ import annotations

import re

from flask import Blueprint, Flask, abort, request
from werkzeug.wrappers import Response

from campaign.errors import RuleError
from campaign.web.db import get_db
from posts import media

bp = Blueprint("images", __name__)

# The composer's forms carry files; every other form keeps the console's small body limit.
MAX_UPLOAD = 21 * 1024 * 1024  # four images of 5 MB and the rest of the form
_SHA256 = re.compile(r"[0-9a-f]{64}")


# The forms that may carry image files (the composer, a post's page, the CSV import).
FILE_ENDPOINTS = frozenset(
    {"queue.compose", "queue.post_edit", "imports.import_page", "series.new_series"}
)


def install(app: Flask) -> None:
    """Let the forms of :data:`FILE_ENDPOINTS` be as large as four images. Installed before
    the security checks, which read the form (its CSRF token) before the page's own code."""

    @app.before_request
    def _allow_files() -> None:
        if request.method == "POST" and request.endpoint in FILE_ENDPOINTS:
            request.max_content_length = MAX_UPLOAD
            # The import's preview carries the CSV and its images back in form fields.
            request.max_form_memory_size = MAX_UPLOAD


@bp.get("/images/<sha256>")
def image(sha256: str) -> Response:
    """A stored image's bytes, with its own type (checked when it was stored)."""
    if not _SHA256.fullmatch(sha256):
        abort(404)
    found = media.image_bytes(get_db(), sha256)
    if found is None:
        abort(404)
    data, mime_type = found
    resp = Response(data, mimetype=mime_type)
    resp.headers["Cache-Control"] = "private, max-age=86400, immutable"
    resp.headers["Content-Disposition"] = "inline"
    return resp


def from_form(post_id: int | None = None) -> list[media.Image]:
    """The images the composer's slots describe, in order: for each slot 1-4, a new file
    (``image_N``) or the post's current image, with the alt text ``alt_N``; a slot whose
    ``remove_N`` is ticked is left out. A :class:`RuleError` names the image to fix."""
    current = media.of_post(get_db(), post_id) if post_id is not None else []
    out: list[media.Image] = []
    for n in range(1, media.MAX_IMAGES + 1):
        alt = request.form.get(f"alt_{n}", "")
        upload = request.files.get(f"image_{n}")
        if request.form.get(f"remove_{n}") == "1":
            continue
        if upload is not None and upload.filename:
            data = upload.stream.read(media.MAX_BYTES + 1)
            out.append(media.check_image(upload.filename, data, alt))
        elif n <= len(current):
            was = current[n - 1]
            stored = media.image_bytes(get_db(), was.sha256)
            if stored is None:  # pragma: no cover - a foreign key keeps the bytes
                continue
            out.append(media.check_image(was.name, stored[0], alt))
        elif alt.strip():
            raise RuleError(
                f"image {n} has alt text but no file: choose the image, or clear its alt text"
            )
    return out
