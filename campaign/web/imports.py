"""The console's CSV import: choose a CSV (and the images it names), see every row as it would
be queued, or every bad row and why, then import them all at once (:mod:`posts.csvimport`, the
same checks as ``campaign posts import``). Nothing is stored until the preview is confirmed: the
preview page carries the file and its images in its own form."""

from __future__ import annotations

import base64
import binascii

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from campaign.errors import CampaignError
from campaign.web.auth import by
from campaign.web.db import actor, get_db

bp = Blueprint("imports", __name__)


def _images() -> dict[str, bytes]:
    """The image files sent with the CSV, by file name: chosen now, or carried by the preview."""
    from posts.media import MAX_BYTES

    found: dict[str, bytes] = {}
    for f in request.files.getlist("images"):
        if f.filename:
            found[f.filename] = f.stream.read(MAX_BYTES + 1)
    for key, value in request.form.items():
        if key.startswith("carried_image:"):
            try:
                found[key.split(":", 1)[1]] = base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                raise CampaignError(
                    "the preview's images were damaged: choose the files again"
                ) from None
    return found


def _csv_text() -> tuple[str, str]:
    """The CSV's text and name: the file chosen, or the one the preview carries."""
    from posts.csvimport import decode

    upload = request.files.get("csv")
    if upload is not None and upload.filename:
        return decode(upload.stream.read(), upload.filename), upload.filename
    carried = request.form.get("carried_csv")
    if carried is not None:
        return carried, request.form.get("carried_name", "the file")
    raise CampaignError("choose a CSV file to import")


@bp.route("/posts/import", methods=["GET", "POST"])
def import_page() -> Response | tuple[str, int]:
    """GET: the form. POST ``preview``: the rows or the refusal. POST ``import``: store them."""
    from posts import csvimport

    if request.method == "GET":
        return render_template("import.html", checked=None, problems=None, error=None), 200
    try:
        text, name = _csv_text()
        images = _images()

        def image(file_name: str) -> bytes:
            if file_name not in images:
                raise CampaignError(
                    f"the image {file_name} was not chosen with the CSV: add it to the images"
                )
            return images[file_name]

        checked = csvimport.check(get_db(), text, images=image)
    except csvimport.ImportRefused as e:
        return render_template(
            "import.html", checked=None, problems=e.problems, error=None, name=None
        ), 422
    except CampaignError as e:
        return render_template("import.html", checked=None, problems=None, error=str(e)), 422
    if request.form.get("action") != "import":
        used = {i.name for row in checked.rows for i in row.images}
        carried = {n: base64.b64encode(d).decode("ascii") for n, d in images.items() if n in used}
        return render_template(
            "import.html",
            checked=checked,
            problems=None,
            error=None,
            csv_text=text,
            name=name,
            carried=carried,
        ), 200
    ids = csvimport.insert(get_db(), checked, actor=actor(), by=by())
    flash(f"Imported {len(ids)} posts from {name} as drafts.", "ok")
    return redirect(url_for("queue.queue_list"))
