"""The conversation report as a page (the same :class:`Report` the CLI prints), with its chart
drawn on request."""

from __future__ import annotations

from flask import Blueprint, Response, render_template

from campaign.web.db import get_db, zone_name

bp = Blueprint("report", __name__)


@bp.get("/report")
def report() -> str:
    from campaign.mentions.report import build_report

    return render_template("report.html", r=build_report(get_db(), zone_name()))


@bp.get("/report/chart.png")
def chart() -> Response:
    """The volume chart as a PNG, drawn from the data as it is now."""
    from campaign.mentions.report import build_report, png_bytes

    data = png_bytes(build_report(get_db(), zone_name()))
    return Response(data, mimetype="image/png", headers={"Cache-Control": "no-store"})
