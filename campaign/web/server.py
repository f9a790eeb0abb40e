"""Serving the console with waitress: a few threads, each request on its own connection."""

from __future__ import annotations

import base64
import logging
import os
import threading
from collections.abc import Iterable
from typing import Any

from flask import Flask

from campaign.web.security import password_for

THREADS = 4
log = logging.getLogger(__name__)


def create_server(
    db_path: str | os.PathLike[str],
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    allow_hosts: Iterable[str] = (),
    environ: dict[str, str] | None = None,
) -> Any:
    """A waitress server for the console, bound but not yet running (``.run()`` serves).

    Refuses (:class:`PasswordRequiredError`) to listen beyond this machine without
    ``CAMPAIGN_WEB_PASSWORD``. ``port=0`` picks a free port: see :func:`url_of`.
    """
    import waitress

    from campaign.web.app import create_app

    password = password_for(host, environ)
    app = create_app(db_path, password=password, bind_host=host, allow_hosts=allow_hosts)
    threading.Thread(target=warm_up, args=(app, password), name="warm-up", daemon=True).start()
    return waitress.create_server(
        app,
        host=host,
        port=port,
        threads=THREADS,
        ident="campaign",
        clear_untrusted_proxy_headers=True,
    )


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
            client.get(path, headers=headers)
        except Exception:  # a page that cannot be made now is made on its first visit instead
            log.exception("warming up %s failed", path)


def url_of(server: Any) -> str:
    """The address a created server answers on (the real port when 0 was asked)."""
    host = server.effective_host
    if ":" in str(host):
        host = f"[{host}]"
    return f"http://{host}:{server.effective_port}/"
