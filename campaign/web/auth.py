"""Who is using the console, and what they may do.

A workspace with no people keeps the one-person setup: ``CAMPAIGN_WEB_PASSWORD`` (HTTP Basic,
see :mod:`campaign.web.security`) or nothing on this machine. Once it has people
(:mod:`campaign.people`), every page but ``/login``, ``/healthz`` and the static files needs a
session:

- ``/login`` is a form with ``username``, ``password`` and the CSRF token; the session lives in
  Flask's signed cookie (HttpOnly, SameSite=Lax, Secure when the request came over HTTPS) and
  ends after 8 hours without a request, on ``POST /logout``, when the person is disabled, and
  when their password changes;
- ``campaign web --trusted-user-header X-Forwarded-User`` (loopback bind only) lets the
  institute's single-sign-on proxy name the person instead; only people who exist are accepted;
- every POST checks the person's role (:data:`POST_WORK`); a refusal is a 403 page naming the
  role needed, and the templates' ``may(work)`` hides what the person may not do.

The console's routes and its ``csrf_token`` field are unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from werkzeug.wrappers import Response

from campaign.clock import from_db, now, to_db
from campaign.people import NEEDS, AccessError, Person

bp = Blueprint("auth", __name__)

IDLE = timedelta(hours=8)  # a session ends after this long without a request
SEEN_EVERY = timedelta(minutes=1)  # how often the cookie's "last seen" time is rewritten
OPEN_PATHS = ("/login", "/healthz")
TRUSTED_HEADER_CONFIG = "CAMPAIGN_TRUSTED_USER_HEADER"
WARM_UP = "campaign.warm_up"  # a WSGI environ key set only by the server's own start-up reads

# What each POST needs (a key of campaign.people.NEEDS) and the words for the refusal page. A
# POST not named here, nor in _work_for, needs an administrator: a new form is refused until it
# is given its role here.
POST_WORK: dict[str, tuple[str, str]] = {
    "queue.post_edit": ("edit", "editing posts"),
    "calendar.approve_day": ("approve", "approving posts"),
    "inbox.mark": ("review", "marking collected posts"),
    "evidence.code": ("review", "coding collected posts"),
    "queue.api_length": ("read", "counting a text"),
    "auth.logout": ("read", "signing out"),
    "status.resume": ("approve", "resuming publishing"),
    "imports.import_page": ("edit", "importing posts"),
    "queue.series_approve": ("approve", "approving posts"),
}


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, marked Secure whenever the request came over HTTPS (which
    includes ``X-Forwarded-Proto: https`` from a proxy waitress trusts)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(request.is_secure) or super().get_cookie_secure(app)


def team() -> bool:
    """Whether this workspace has people (then sessions and roles apply), read once a request."""
    if "team" not in g:
        from campaign.people import any_people
        from campaign.web.db import get_db

        g.team = any_people(get_db())
    result: bool = g.team
    return result


def person() -> Person | None:
    """The person using the console (None in the one-person setup)."""
    found: Person | None = g.get("person")
    return found


def by() -> str:
    """The name the four-eyes rule and ``created_by``/``edited_by`` know this request by."""
    from campaign.web.db import actor

    found = person()
    return found.name if found is not None else actor().split(":", 1)[1]


def may(work: str) -> bool:
    """Whether the person may do ``work`` (always, in the one-person setup)."""
    found = person()
    return found is None or found.may(work)


# --- the login throttle --------------------------------------------------------------------


@dataclass(frozen=True)
class Throttled:
    """Too many failed sign-ins for this name or address: wait ``retry_after`` seconds."""

    retry_after: int


def throttled_attempt(
    name: str, address: str, attempt: Callable[[], Person | None]
) -> Person | Throttled | None:
    """Every sign-in goes through here, and only here: the SQLite throttle of
    :mod:`campaign.web.logins` (5 failures per name and per address in 15 minutes) answers
    ``Throttled(seconds)`` before ``attempt`` checks the password when the name or the address is
    locked out, and counts a failure when ``attempt`` returns None (a wrong password or an
    unknown name alike)."""
    from campaign.web import logins
    from campaign.web.db import get_db

    db = get_db()
    wait = logins.wait_before_trying(db, address, name)
    if wait is not None:
        return Throttled(max(1, math.ceil(wait.total_seconds())))
    person = attempt()
    if person is None:
        logins.failed(db, address, name)
    else:
        logins.succeeded(db, address, name)
    return person


# --- the pages -----------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | tuple[str, int]:
    """The sign-in form, and signing in."""
    from campaign.people import authenticate
    from campaign.web.db import get_db
    from campaign.web.security import local_target

    target = local_target(request.values.get("next") or "") or url_for("home")
    if not team():
        return redirect(target)  # the one-person setup has no sign-in
    if request.method == "GET":
        return render_template("login.html", username="", next=target, error=None), 200
    name = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    result = throttled_attempt(
        name, request.remote_addr or "", lambda: authenticate(get_db(), name, password)
    )
    if isinstance(result, Throttled):
        minutes = max(1, -(-result.retry_after // 60))
        page = render_template(
            "login.html",
            username=name,
            next=target,
            error=f"Too many failed sign-ins: wait {minutes} minutes and try again.",
        )
        return Response(page, 429, {"Retry-After": str(result.retry_after)}, mimetype="text/html")
    if result is None:
        page = render_template(
            "login.html", username=name, next=target, error="Wrong name or password."
        )
        return page, 401
    session.clear()  # a new session: no token or name from before survives signing in
    session.permanent = True
    stamp = to_db(now())
    session.update(person=result.name, auth_at=stamp, seen=stamp)
    return redirect(target)


@bp.post("/logout")
def logout() -> Response:
    """Sign out: the session ends at once."""
    session.clear()
    flash("Signed out.", "info")
    return redirect(url_for("auth.login"))


# --- the checks ----------------------------------------------------------------------------


def _work_for(endpoint: str) -> tuple[str, str]:
    """What the POST to ``endpoint`` needs, some depending on the button pressed."""
    if endpoint == "queue.post_action":
        action = (request.view_args or {}).get("action")
        if action == "approve":
            return "approve", "approving posts"
        return "edit", "cancelling posts" if action == "cancel" else "sending posts back to draft"
    if endpoint == "queue.bulk":
        if request.form.get("action") == "approve":
            return "approve", "approving posts"
        return "edit", "cancelling posts"
    if endpoint == "inbox.reply":  # a reviewer may draft replies; approving needs an approver
        if request.form.get("approve") == "1":
            return "approve", "approving posts"
        return "reply", "drafting replies"
    if endpoint == "queue.compose":
        if request.form.get("approve") == "1":
            return "approve", "approving posts"
        return "edit", "writing posts"
    if endpoint == "series.new_series":
        if request.form.get("approve") == "1":
            return "approve", "approving posts"
        return "edit", "adding a series"
    return POST_WORK.get(endpoint, ("admin", "this change"))


def _to_login(message: str | None = None) -> Response:
    if message:
        flash(message, "info")
    target = request.full_path if request.method == "GET" else ""
    return redirect(url_for("auth.login", next=target.rstrip("?") or None))


def _session_person() -> Person | Response:
    from campaign.people import find
    from campaign.web.db import get_db

    name = session.get("person")
    seen, auth_at = session.get("seen"), session.get("auth_at")
    if not isinstance(name, str) or not isinstance(seen, str) or not isinstance(auth_at, str):
        return _to_login()
    stamp = now()
    if stamp - from_db(seen) > IDLE:
        session.clear()
        return _to_login("Your session ended after 8 hours without activity: sign in again.")
    found = find(get_db(), name)
    if found is None or found.disabled or found.password_changed_at > from_db(auth_at):
        session.clear()
        return _to_login("Your session has ended: sign in again.")
    if stamp - from_db(seen) >= SEEN_EVERY:
        session["seen"] = to_db(stamp)
    return found


def _header_person(header: str) -> Person | None:
    """The person the trusted proxy names, None when it names nobody; 403 for a stranger."""
    from campaign.people import find
    from campaign.web.db import get_db

    name = request.headers.get(header, "").strip()
    if not name:
        return None
    found = find(get_db(), name)
    if found is None or found.disabled:
        abort(
            403,
            description=f"{name} (named by the sign-on proxy) is not an active person of this "
            f"workspace: an administrator can add them with `campaign users add {name} --role ROLE`",
        )
    return found


def _check() -> Response | None:
    if request.path.startswith(OPEN_PATHS) or request.endpoint == "static":
        return None
    if request.environ.get(WARM_UP) is True and request.method == "GET":
        return None  # the server's own start-up reads (campaign.web.server.warm_up)
    header: str | None = current_app.config.get(TRUSTED_HEADER_CONFIG)
    found = _header_person(header) if header else None
    if found is None:
        if not team():
            return None
        outcome = _session_person()
        if isinstance(outcome, Response):
            return outcome
        found = outcome
    g.person = found
    if request.method == "POST" or request.endpoint in ("queue.compose", "series.new_series"):
        work, what = _work_for(request.endpoint or "")
        if not found.may(work):
            needed = NEEDS[work].value
            abort(
                403,
                description=f"{what.capitalize()} needs the {needed} role (or higher); "
                f"{found.name} is {found.role.value}. Ask an administrator if you need it.",
            )
    return None


def install(app: Flask, trusted_user_header: str | None = None) -> None:
    """Wire sign-in, sessions and role checks into ``app`` (after :func:`security.install`, so
    the host, origin and CSRF checks come first)."""
    app.config[TRUSTED_HEADER_CONFIG] = trusted_user_header
    app.config["PERMANENT_SESSION_LIFETIME"] = IDLE
    app.session_interface = SessionInterface()
    app.register_blueprint(bp)
    app.before_request(_check)

    @app.errorhandler(AccessError)
    def _refused(e: AccessError) -> tuple[str, int]:
        return render_template("error.html", code=403, title="Not allowed", message=str(e)), 403

    @app.context_processor
    def _people() -> dict[str, Any]:
        return {"may": may, "person": person(), "four_eyes": four_eyes(), "mine": mine}


def four_eyes() -> bool:
    """Whether the four-eyes rule holds for this workspace (read once a request)."""
    if "four_eyes" not in g:
        from campaign.web.db import get_db
        from posts.editing import four_eyes as rule

        g.four_eyes = rule(get_db())
    result: bool = g.four_eyes
    return result


def mine(post_id: int) -> bool:
    """Whether the person wrote or last edited post ``post_id`` while the four-eyes rule holds
    (then the pages offer them no Approve for it)."""
    if not four_eyes():
        return False
    if "own_posts" not in g:
        from campaign.web.db import get_db
        from posts.editing import own_posts

        g.own_posts = own_posts(get_db(), by())
    return post_id in g.own_posts
