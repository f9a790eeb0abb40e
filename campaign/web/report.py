"""The conversation report as a page (the same :class:`Report` the CLI prints), with its chart
drawn on request.

Over a million posts the report takes seconds to make, so it is kept (see
:mod:`campaign.web.cache`): after the collection changes, the page shows the previous figures,
with the time they were made, while the new ones are made in the background.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Blueprint, Response, render_template

from campaign.web.db import cache, cached, on_own_db, zone_name

if TYPE_CHECKING:
    from campaign.mentions.report import Report

bp = Blueprint("report", __name__)


@bp.get("/report")
def report() -> str:
    from campaign.web.db import workspace
    from campaign.web.workspace import compare

    compared = compare() if len(workspace()) > 1 else []
    return render_template("report.html", r=current_report(), compared=compared)


@bp.get("/report/chart.png")
def chart() -> Response:
    """The volume chart of the report shown on the page, as a PNG."""
    from campaign.mentions.report import png_bytes

    shown = current_report()
    data = cache().get(
        "report-chart", (shown.generated_at,), lambda: png_bytes(shown), stale_ok=True
    )
    return Response(data, mimetype="image/png", headers={"Cache-Control": "no-store"})


def current_report() -> Report:
    """The report of the collection (kept; made again in the background after a change)."""
    from campaign.mentions.report import build_report
    from campaign.web.db import current_campaign_id

    tz = zone_name()
    chosen = current_campaign_id()  # with several campaigns, the switcher's (None: all)
    return cached(
        f"report:{chosen or ''}",
        on_own_db(lambda db: build_report(db, tz, campaign_id=chosen)),
        stale_ok=True,
    )
