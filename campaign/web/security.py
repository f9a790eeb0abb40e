"""The console's defences, applied to every request and every answer.

- the ``Host`` header must name this machine (refuses DNS-rebinding pages): 400;
- a password (HTTP Basic) when one is set, and always when listening beyond this machine: 401;
- every state-changing request is a POST carrying the session's CSRF token and coming from this
  origin (``Origin``, else ``Referer``): 403;
- headers: a Content-Security-Policy with no inline script, nosniff, a same-origin referrer
  policy and no framing.
"""

from __future__ import annotations

import hmac
import ipaddress
import math
import os
import secrets
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

from flask import Flask, Response, abort, redirect, request, session
from werkzeug.wrappers import Response as Redirect

from campaign.errors import CampaignError

PASSWORD_ENV = "CAMPAIGN_WEB_PASSWORD"  # noqa: S105 - the variable's name, not a password
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PUBLIC_PATHS = frozenset({"/healthz"})  # for monitors: no login, and nothing private in it
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class PasswordRequiredError(CampaignError):
    "The console would be reachable from other machines without a password"


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or address to bind) is reachable only from this machine."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


MIN_PASSWORD = 12  # characters, for a console reachable from other machines


def password_for(host: str, environ: dict[str, str] | None = None) -> str | None:
    """The password the console will ask for, or a refusal when ``host`` is not loopback and
    ``CAMPAIGN_WEB_PASSWORD`` is unset."""
    env = os.environ if environ is None else environ
    password = env.get(PASSWORD_ENV) or None
    if password is None and not is_loopback(host):
        raise PasswordRequiredError(
            f"listening on {host} would let other machines reach the console: set a password "
            f"in the environment first, e.g. `export {PASSWORD_ENV}='a long passphrase'`, "
            "or leave --host at 127.0.0.1"
        )
    if password is not None and not is_loopback(host) and len(password.strip()) < MIN_PASSWORD:
        raise PasswordRequiredError(
            f"{PASSWORD_ENV} is too short to guard a console other machines can reach: use at "
            f"least {MIN_PASSWORD} characters (a passphrase of a few words is easiest)"
        )
    return password


def allowed_hosts(bind_host: str, extra: Iterable[str] = ()) -> frozenset[str]:
    """Host names a request may carry: loopback, the bound address, this machine's name, and
    any the user allowed with ``--allow-host``."""
    names = set(LOOPBACK_NAMES)
    names.update(h.lower().strip("[]") for h in extra)
    if bind_host not in ("0.0.0.0", "::", ""):  # noqa: S104 - comparing, not binding
        names.add(bind_host.lower().strip("[]"))
    else:
        names.update({socket.gethostname().lower(), socket.getfqdn().lower()})
    return frozenset(names)


def csrf_token() -> str:
    """This session's CSRF token (made on first use); templates put it in every form."""
    token = session.get(CSRF_FIELD)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[CSRF_FIELD] = token
    return token


def local_target(target: str) -> str | None:
    """``target`` when it is a path on this console, else None.

    Read as a browser reads it first: browsers drop tabs and line breaks anywhere in an
    address and control characters or spaces around it, so ``/<tab>/host`` is ``//host``. ``//host`` and ``/\\host``
    (which browsers read as ``//host``) lead to another site; any other control character has
    no place in a path of ours (and could split the Location header)."""
    cleaned = target.translate(_DROPPED_BY_BROWSERS).strip(_STRIPPED_BY_BROWSERS)
    if (
        cleaned.startswith("/")
        and not cleaned.startswith("//")
        and "\\" not in cleaned
        and not any(ord(c) < 0x20 or ord(c) == 0x7F for c in cleaned)
    ):
        return cleaned
    return None


_DROPPED_BY_BROWSERS = str.maketrans("", "", "\t\n\r")
_STRIPPED_BY_BROWSERS = "".join(map(chr, range(0x21)))  # C0 controls and space


def back(default: str) -> Redirect:
    """Back to the form's ``next`` page when it is on this console, else to ``default``."""
    return redirect(local_target(request.form.get("next") or "") or default)


def _request_hostname() -> str:
    try:
        return (urlsplit("//" + request.host).hostname or "").lower()
    except ValueError:  # a Host header no URL can hold (a lone [ or ]): no host of ours
        return ""


def _same_origin() -> bool:
    expected = f"{request.scheme}://{request.host}"
    origin = request.headers.get("Origin")
    if origin is not None:
        return hmac.compare_digest(origin, expected)
    referer = request.headers.get("Referer")
    if referer:
        return referer == expected or referer.startswith(expected + "/")
    return False


def _csrf_ok() -> bool:
    expected = session.get(CSRF_FIELD)
    sent = request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER)
    if not isinstance(expected, str) or not sent:
        return False
    return hmac.compare_digest(expected, sent)


def _unauthorised() -> Response:
    return Response(
        "This console needs the team password (CAMPAIGN_WEB_PASSWORD).\n",
        401,
        {"WWW-Authenticate": 'Basic realm="campaign console", charset="UTF-8"'},
        mimetype="text/plain",
    )


def _team() -> bool:
    """Whether the workspace has people: then they sign in (campaign.web.auth), not Basic."""
    from campaign.web.auth import team

    return team()


def _check_password(password: str) -> Response | None:
    """None when the request carries the password; else 401, or 429 while its address is
    throttled for guessing (the password is then not even checked)."""
    from campaign.web import logins
    from campaign.web.db import get_db

    auth = request.authorization
    if auth is None or not auth.password:
        return _unauthorised()  # a browser's first request, before it asks for the password
    address = request.remote_addr or "unknown"
    wait = logins.wait_before_trying(get_db(), address)
    if wait is not None:
        minutes = max(1, round(wait.total_seconds() / 60))
        return Response(
            f"Too many wrong passwords from your address: try again in {minutes} minute(s).\n",
            429,
            {"Retry-After": str(max(1, math.ceil(wait.total_seconds())))},
            mimetype="text/plain",
        )
    if not hmac.compare_digest(auth.password.encode(), password.encode()):
        logins.failed(get_db(), address, auth.username or "")
        return _unauthorised()
    logins.succeeded(get_db(), address)
    return None


def install(app: Flask) -> None:
    """Wire every check and header into ``app`` (reads ``ALLOWED_HOSTS`` and
    ``CAMPAIGN_WEB_PASSWORD`` from its config)."""
    hosts: frozenset[str] = app.config["ALLOWED_HOSTS"]
    password: str | None = app.config.get("CAMPAIGN_WEB_PASSWORD")

    @app.before_request
    def _guard() -> Response | None:
        if _request_hostname() not in hosts:
            abort(400, description="this console answers only to its own host name")
        if password is not None and not _team() and request.path not in PUBLIC_PATHS:
            refused = _check_password(password)
            if refused is not None:
                return refused
        if request.method not in SAFE_METHODS:
            if not _same_origin():
                abort(
                    403, description="refused: the request did not come from this console's pages"
                )
            if not _csrf_ok():
                abort(
                    403,
                    description="refused: the form has expired or did not come from this console; "
                    "reload the page and try again",
                )
            target = request.form.get("next")
            if target and local_target(target) != target:  # refused before anything changes
                abort(
                    400,
                    description="refused: the form asks to go on to another site or to an "
                    "address that is not a path of this console",
                )
        return None

    @app.after_request
    def _headers(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if request.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "public, max-age=300")
        else:
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["CSRF_FIELD"] = CSRF_FIELD
