"""Serving the console with waitress: a few threads, each request on its own connection."""

from __future__ import annotations

import base64
import logging
import os
import re
import threading
from collections.abc import Iterable
from typing import Any

from flask import Flask

from campaign.errors import CampaignError
from campaign.web.auth import WARM_UP
from campaign.web.security import is_loopback, password_for

THREADS = 4
log = logging.getLogger(__name__)


def create_server(
    db_path: str | os.PathLike[str],
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    allow_hosts: Iterable[str] = (),
    environ: dict[str, str] | None = None,
    trusted_user_header: str | None = None,
) -> Any:
    """A waitress server for the console, bound but not yet running (``.run()`` serves).

    Refuses (:class:`PasswordRequiredError`) to listen beyond this machine without
    ``CAMPAIGN_WEB_PASSWORD``, unless the workspace has people (who sign in themselves). ``port=0`` picks a free port: see :func:`url_of`.
    ``trusted_user_header`` (single sign-on behind a proxy on this machine) is refused unless
    ``host`` is loopback: anyone who can reach the port could otherwise send the header.
    """
    import waitress

    from campaign.web.app import create_app

    if trusted_user_header is not None:
        trusted_user_header = trusted_header(trusted_user_header, host)
    # A team signs in with its own passwords; the shared one is for the one-person setup.
    password = None if _has_team(db_path) else password_for(host, environ)
    app = create_app(
        db_path,
        password=password,
        bind_host=host,
        allow_hosts=allow_hosts,
        trusted_user_header=trusted_user_header,
    )
    threading.Thread(target=warm_up, args=(app, password), name="warm-up", daemon=True).start()
    return waitress.create_server(
        app,
        host=host,
        port=port,
        threads=THREADS,
        ident="campaign",
        clear_untrusted_proxy_headers=True,
    )


def _has_team(db_path: str | os.PathLike[str]) -> bool:
    from campaign.people import any_people
    from campaign.store import open_db

    db = open_db(db_path)
    try:
        return any_people(db)
    finally:
        db.conn.close()


HEADER_RE = re.compile(r"[A-Za-z0-9-]{1,64}")


def trusted_header(name: str, host: str) -> str:
    """``name`` as a header to take the person's name from, or a refusal when ``host`` is not
    loopback (only a proxy on this machine may reach the console then) or the name is no
    header name."""
    if not HEADER_RE.fullmatch(name):
        raise CampaignError(
            f"{name!r} is not a header name: give it as the proxy sends it, e.g. X-Forwarded-User"
        )
    if not is_loopback(host):
        raise CampaignError(
            f"--trusted-user-header needs the console to listen only on this machine, where "
            f"only the sign-on proxy can reach it; with --host {host} anyone could send "
            f"{name}: leave --host at 127.0.0.1 and let the proxy forward to it"
        )
    return name


def warm_up(app: Flask, password: str | None = None) -> None:
    """Make the answers that take seconds over a large collection (the report and its chart,
    the review counts) once at start, so the first person to open them does not wait."""
    headers = {"Host": "127.0.0.1"}
    if password is not None:
        headers["Authorization"] = (
            "Basic " + base64.b64encode(f"warm-up:{password}".encode()).decode()
        )
    client = app.test_client()
    for path in ("/report", "/report/chart.png", "/inbox"):
        try:
            # The WSGI key (no HTTP client can set one) lets the warm-up past the sign-in form.
            client.get(path, headers=headers, environ_base={WARM_UP: True})
        except Exception:  # a page that cannot be made now is made on its first visit instead
            log.exception("warming up %s failed", path)


def url_of(server: Any) -> str:
    """The address a created server answers on (the real port when 0 was asked)."""
    host = server.effective_host
    if ":" in str(host):
        host = f"[{host}]"
    return f"http://{host}:{server.effective_port}/"
