"""How our posts did, as a console page and as a standalone HTML page (``campaign metrics
--html``): the same :class:`posts.performance.Performance` the CLI prints, with its impressions
over time drawn as an inline SVG line (numbers only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, Response, render_template

from campaign.web.db import get_db, zone_name
from posts.performance import Performance

bp = Blueprint("performance", __name__)


@bp.get("/performance")
def performance() -> str:
    from posts.performance import report

    perf = report(get_db(), zone_name())
    return render_template("performance.html", perf=perf, chart=svg_chart(perf.over_time))


@bp.get("/performance.csv")
def performance_csv() -> Response:
    """The performance table as CSV (the same as ``campaign metrics --csv``)."""
    from posts.performance import report, to_csv

    return Response(
        to_csv(report(get_db(), zone_name())),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="performance.csv"'},
    )


@dataclass(frozen=True)
class Chart:
    """Impressions over time as the numbers of an SVG polyline (the template draws it)."""

    width: int
    height: int
    pad: int
    points: str  # "x,y x,y …"
    top: int  # the most impressions, at the chart's top


def svg_chart(
    points: list[tuple[datetime, int]], width: int = 800, height: int = 220
) -> Chart | None:
    """The chart of impressions over time; None with fewer than two readings."""
    if len(points) < 2:
        return None
    t0, t1 = points[0][0].timestamp(), points[-1][0].timestamp()
    top = max(n for _, n in points) or 1
    span = (t1 - t0) or 1.0
    pad = 30
    coords = " ".join(
        f"{pad + (at.timestamp() - t0) / span * (width - 2 * pad):.1f},"
        f"{height - pad - n / top * (height - 2 * pad):.1f}"
        for at, n in points
    )
    return Chart(width, height, pad, coords, top)


def standalone_html(perf: Performance, title: str) -> str:
    """The performance report as one HTML page with no outside file."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(
        loader=PackageLoader("campaign.web", "templates"), autoescape=select_autoescape()
    )
    return env.get_template("performance_page.html").render(
        perf=perf, chart=svg_chart(perf.over_time), title=title
    )
