"""The Flask app factory: configuration, the pages of each area, error pages, template helpers."""

from __future__ import annotations

import os
import secrets
import sqlite3
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flask import Flask, current_app, redirect, render_template, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from campaign.clock import from_db, local, show
from campaign.errors import CampaignError, NotFoundError
from campaign.store import explain
from campaign.web import auth, security
from campaign.web.cache import Cache
from campaign.web.db import campaign_row, close_db, zone_name
from campaign.web.inputs import IdConverter
from posts.queue import PostStatus

# The largest request body the console accepts: its forms are a few kilobytes. waitress refuses
# a larger one from its Content-Length, before reading it (413).
MAX_BODY = 256 * 1024

STATUS_HELP = {
    PostStatus.DRAFT: "Draft: waiting for approval",
    PostStatus.APPROVED: "Approved: will go out when due",
    PostStatus.PUBLISHING: "Publishing: being sent now",
    PostStatus.PUBLISHED: "Published on X",
    PostStatus.FAILED: "Failed: X refused it",
    PostStatus.UNKNOWN: "Unknown: sent, answer lost; being checked",
    PostStatus.MISSED: "Missed: too late after downtime",
    PostStatus.CANCELLED: "Cancelled: will not go out",
}


def create_app(
    db_path: str | os.PathLike[str],
    *,
    password: str | None = None,
    bind_host: str = "127.0.0.1",
    allow_hosts: Iterable[str] = (),
    secret_key: bytes | None = None,
    trusted_user_header: str | None = None,
) -> Flask:
    """The console for the campaign database at ``db_path``.

    ``password`` turns on HTTP Basic (any name, that password; the name goes in the audit trail).
    ``bind_host`` and ``allow_hosts`` decide which ``Host`` headers are answered.
    ``secret_key`` signs the session cookie (random per start unless given).
    ``trusted_user_header`` names the header a single-sign-on proxy sets to the person's name
    (see :mod:`campaign.web.auth`; the server allows it only on a loopback bind).
    """
    from campaign.store import open_db

    open_db(db_path).conn.close()  # create and migrate once, before any request

    app = Flask(__name__)
    app.url_map.converters["int"] = IdConverter  # ids SQLite can hold; a larger one is a 404
    app.config.update(
        CAMPAIGN_DB=str(db_path),
        CAMPAIGN_WEB_PASSWORD=password,
        ALLOWED_HOSTS=security.allowed_hosts(bind_host, allow_hosts),
        SECRET_KEY=secret_key or secrets.token_bytes(32),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="campaign_session",
        MAX_CONTENT_LENGTH=MAX_BODY,
        TEMPLATES_AUTO_RELOAD=False,
    )
    app.extensions["campaign_cache"] = Cache()
    app.jinja_env.autoescape = True  # every template, whatever its name
    app.teardown_appcontext(close_db)
    from campaign.web import images

    images.install(app)  # before security's checks read the form: image forms may be larger
    security.install(app)
    auth.install(app, trusted_user_header)
    _install_template_helpers(app)
    _install_error_pages(app)

    from campaign.web import (
        calendar,
        evidence,
        images,
        imports,
        inbox,
        performance,
        queue,
        report,
        series,
        status,
        workspace,
    )

    for module in (
        calendar,
        queue,
        inbox,
        evidence,
        report,
        status,
        images,
        imports,
        performance,
        workspace,
        series,
    ):
        app.register_blueprint(module.bp)

    @app.get("/")
    def home() -> Response:
        return redirect(url_for("calendar.calendar"))

    return app


def _as_dt(value: datetime | str | None) -> datetime | None:
    if value is None or value == "":
        return None
    return from_db(value) if isinstance(value, str) else value


def _install_template_helpers(app: Flask) -> None:
    def when(value: datetime | str | None) -> str:
        dt = _as_dt(value)
        return show(dt, zone_name()) if dt else ""

    def clock_time(value: datetime | str | None) -> str:
        dt = _as_dt(value)
        return local(dt, zone_name()).strftime("%H:%M") if dt else ""

    def input_time(value: datetime | str | None) -> str:
        dt = _as_dt(value)
        return local(dt, zone_name()).strftime("%Y-%m-%dT%H:%M") if dt else ""

    app.jinja_env.filters["when"] = when
    app.jinja_env.filters["clock"] = clock_time
    app.jinja_env.filters["input_time"] = input_time
    app.jinja_env.globals["STATUS_HELP"] = STATUS_HELP

    @app.context_processor
    def _common() -> dict[str, Any]:
        from campaign.web.db import current_campaign, workspace
        from campaign.web.status import publishing_stopped

        row = campaign_row()
        all_ = workspace()
        chosen = current_campaign()
        every = len(all_) > 1 and chosen is None
        return {
            "campaign_name": "All campaigns" if every else (row[0] if row else "Campaign"),
            "hashtag": "" if every else (row[1] if row else ""),
            "campaigns": all_,
            "current_campaign": chosen,
            "zone": zone_name(),
            "stopped": publishing_stopped(),
        }


def _install_error_pages(app: Flask) -> None:
    @app.errorhandler(NotFoundError)
    def _not_found(e: NotFoundError) -> tuple[str, int]:
        return render_template("error.html", code=404, title="Not found", message=str(e)), 404

    @app.errorhandler(CampaignError)
    def _campaign_error(e: CampaignError) -> tuple[str, int]:
        return render_template("error.html", code=400, title="Cannot do that", message=str(e)), 400

    @app.errorhandler(sqlite3.Error)
    def _database(e: sqlite3.Error) -> tuple[str, int]:
        # Locked past the busy timeout, read-only, full disk…: the same words as the CLI's.
        message = explain(e, current_app.config["CAMPAIGN_DB"])
        return render_template(
            "error.html", code=503, title="The database did not answer", message=message
        ), 503

    @app.errorhandler(HTTPException)
    def _http(e: HTTPException) -> Response:
        response = e.get_response()
        if e.code == 401 or (e.code or 500) >= 500:
            return response  # plain: the page frame itself may be what failed
        response.set_data(
            render_template(
                "error.html", code=e.code, title=e.name, message=e.description or e.name
            )
        )
        response.mimetype = "text/html"
        return response
