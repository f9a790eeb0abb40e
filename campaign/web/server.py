"""Serving the console with waitress: a few threads, each request on its own connection.

The console is used by a team of a few people, so waitress is held to what they need: a
bounded number of connections, small headers and bodies (a too-large body is refused from its
``Content-Length`` before it is read), idle connections closed soon, and a request that is not
complete within :data:`REQUEST_DEADLINE` seconds of its first byte dropped, so connections that
trickle a byte at a time (slowloris) cannot hold every place.
"""

from __future__ import annotations

import base64
import logging
import os
import re
import threading
import time
from collections.abc import Iterable
from typing import Any

from flask import Flask
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer

from campaign.errors import CampaignError
from campaign.web.auth import WARM_UP
from campaign.web.images import MAX_UPLOAD
from campaign.web.security import is_loopback, password_for

THREADS = 4
log = logging.getLogger(__name__)

# What the console really needs (a form is a few kilobytes; a browser opens about six
# connections, a team is a handful of people).
MAX_HEADERS = 32 * 1024
CONNECTION_LIMIT = 64
IDLE_TIMEOUT = 30  # seconds a kept-alive connection may wait for its next request
REQUEST_DEADLINE = 10  # seconds from a request's first byte to its last
LIMITS: dict[str, Any] = {
    "connection_limit": CONNECTION_LIMIT,
    "channel_timeout": IDLE_TIMEOUT,
    "cleanup_interval": 2,
    # The composer's image uploads (campaign.web.images); Flask keeps every other form small.
    "max_request_body_size": MAX_UPLOAD,
    "max_request_header_size": MAX_HEADERS,
    "backlog": 128,
}


class DeadlineChannel(HTTPChannel):  # type: ignore[misc]  # waitress has no type hints
    """A waitress connection that is closed when a request it is receiving takes longer than
    :data:`REQUEST_DEADLINE` (waitress alone resets its idle timer on every byte)."""

    request_started = 0.0

    def received(self, data: bytes) -> bool:
        waiting = self.request is not None
        result: bool = super().received(data)
        if self.request is not None and not waiting:
            self.request_started = time.monotonic()
        return result

    def readable(self) -> bool:
        if (
            self.request is not None
            and not self.requests
            and time.monotonic() - self.request_started > REQUEST_DEADLINE
        ):
            log.warning("closing a connection whose request took over %ss", REQUEST_DEADLINE)
            self.will_close = True
            return False
        result: bool = super().readable()
        return result


def create_server(
    db_path: str | os.PathLike[str],
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    allow_hosts: Iterable[str] = (),
    proxy: str | None = None,
    environ: dict[str, str] | None = None,
    trusted_user_header: str | None = None,
) -> Any:
    """A waitress server for the console, bound but not yet running (``.run()`` serves).

    Refuses (:class:`PasswordRequiredError`) to listen beyond this machine without
    ``CAMPAIGN_WEB_PASSWORD``, unless the workspace has people (who sign in themselves).
    ``port=0`` picks a free port: see :func:`url_of`. ``proxy`` is the address of a reverse
    proxy (TLS in front of the console) whose ``X-Forwarded-Proto`` and ``X-Forwarded-For`` are
    believed; from any other peer they are dropped. ``trusted_user_header`` (single sign-on
    behind a proxy on this machine) is refused unless ``host`` is loopback: anyone who can reach
    the port could otherwise send the header.
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
    trust: dict[str, Any] = {}
    if proxy:
        trust = {
            "trusted_proxy": proxy,
            "trusted_proxy_count": 1,
            "trusted_proxy_headers": {"x-forwarded-proto", "x-forwarded-for"},
        }
    server = waitress.create_server(
        app,
        host=host,
        port=port,
        threads=THREADS,
        ident="campaign",
        clear_untrusted_proxy_headers=True,
        **LIMITS,
        **trust,
    )
    listeners = [server] if isinstance(server, BaseWSGIServer) else list(server.map.values())
    for listener in listeners:
        if isinstance(listener, BaseWSGIServer):
            listener.channel_class = DeadlineChannel
    return server


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
