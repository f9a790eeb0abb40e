"""Serving the console with waitress: a few threads, each request on its own connection."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from campaign.web.security import password_for

THREADS = 4


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
    return waitress.create_server(
        app,
        host=host,
        port=port,
        threads=THREADS,
        ident="campaign",
        clear_untrusted_proxy_headers=True,
    )


def url_of(server: Any) -> str:
    """The address a created server answers on (the real port when 0 was asked)."""
    host = server.effective_host
    if ":" in str(host):
        host = f"[{host}]"
    return f"http://{host}:{server.effective_port}/"
