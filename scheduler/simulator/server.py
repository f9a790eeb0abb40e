"""The simulator as a real HTTP server on the loopback interface: the Flask app, the checks every
X endpoint goes through (authentication, rate limits, faults, latency), and a way to run it in a
thread (tests) or in the foreground (``campaign fake-x``)."""

from __future__ import annotations

import functools
import ipaddress
import socket
import threading
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, request
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from scheduler.simulator import answers, api, auth, compliance, controls
from scheduler.simulator.state import SimState


class QuietHandler(WSGIRequestHandler):
    """Werkzeug's handler without a log line per request."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (127.0.0.0/8, ::1 or localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def rate_headers(limit: int, remaining: int, reset: float) -> dict[str, str]:
    return {
        "x-rate-limit-limit": str(limit),
        "x-rate-limit-remaining": str(remaining),
        "x-rate-limit-reset": str(int(reset)),
    }


def create_app(state: SimState) -> Flask:
    """The simulator's WSGI app over ``state``."""
    app = Flask("scheduler.simulator")
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]

    def wrap(group: str, user_only: bool) -> Callable[[api.Handler], Callable[..., Response]]:
        def decorate(handler: api.Handler) -> Callable[..., Response]:
            @functools.wraps(handler)
            def endpoint(**kwargs: Any) -> Response:
                with state.lock:
                    before = state.faults.delay_for(group, before=True)
                if before:
                    state.stopping.wait(before)
                caller = auth.authenticate(state, request.headers.get("Authorization", ""))
                key = caller.key if caller is not None else "anonymous"
                day_headers: dict[str, str] = {}
                with state.lock:
                    limit, remaining, reset_at = state.window(group, key)
                    day_left = 1
                    if group == "post":
                        day_limit, day_left, day_reset = state.window("post_day", "app")
                        day_headers = {
                            "x-app-limit-24hour-limit": str(day_limit),
                            "x-app-limit-24hour-remaining": str(day_left),
                            "x-app-limit-24hour-reset": str(int(day_reset.timestamp())),
                        }
                    error: answers.ApiError | None = None
                    if caller is None:
                        error = answers.problem(401, "Unauthorized", "Unauthorized")
                    elif caller.user is not None and (caller.user.locked or caller.user.suspended):
                        error = answers.account_refused(caller.user)
                    elif user_only and caller.user is None:
                        error = answers.problem(
                            403,
                            "Unsupported Authentication",
                            auth.UNSUPPORTED_AUTH,
                            "https://api.twitter.com/2/problems/unsupported-authentication",
                        )
                    else:
                        user = caller.user.id if caller.user is not None else None
                        forced = state.faults.forced_429(group, state.now(), user)
                        if forced is not None:
                            remaining, reset_at = 0, forced
                            error = answers.problem(429, "Too Many Requests", "Too Many Requests")
                        elif remaining <= 0 or day_left <= 0:
                            # Past the 24-hour cap X answers 429 while x-rate-limit-remaining
                            # may be above 0: only x-app-limit-24hour-reset says when to retry.
                            error = answers.problem(429, "Too Many Requests", "Too Many Requests")
                        else:
                            state.use(group, key)
                            remaining -= 1
                            if day_headers:
                                state.use("post_day", "app")
                                day_headers["x-app-limit-24hour-remaining"] = str(day_left - 1)
                            status = state.faults.server_error(group)
                            if status is not None:
                                error = answers.problem(
                                    status, "Service Unavailable", "Service Unavailable"
                                )
                    delay = state.latency + state.faults.delay_for(group)
                if error is None:
                    try:
                        body, status_code = handler(caller, **kwargs)
                    except answers.ApiError as e:
                        error = e
                if error is not None:
                    body, status_code = error.body, error.status
                if delay:
                    state.stopping.wait(delay)
                resp = answers.make_response(body, status_code)
                resp.headers.update(rate_headers(limit, remaining, reset_at.timestamp()))
                resp.headers.update(day_headers)
                api.record(state, group, status_code, caller)
                return resp

            return endpoint

        return decorate

    api.register(app, state, wrap)
    compliance.register(app, state, wrap)
    controls.register(app, state)

    @app.errorhandler(404)
    def unknown(_: Exception) -> tuple[dict[str, Any], int]:
        return {
            "errors": [{"message": f"The requested resource {request.path} could not be found."}],
            "title": "Not Found Error",
            "detail": f"Sorry, the simulator has no endpoint {request.method} {request.path}.",
            "type": "https://api.twitter.com/2/problems/resource-not-found",
        }, 404

    @app.errorhandler(405)
    def wrong_method(_: Exception) -> tuple[dict[str, Any], int]:
        return {
            "title": "Method Not Allowed",
            "detail": f"{request.method} is not allowed on {request.path}.",
            "type": "about:blank",
            "status": 405,
        }, 405

    @app.errorhandler(500)
    def broken(_: Exception) -> tuple[dict[str, Any], int]:
        return {
            "title": "Internal Server Error",
            "detail": "The simulator failed on this request (a bug in the simulator).",
            "type": "about:blank",
            "status": 500,
        }, 500

    return app


class SimulatorServer:
    """The simulator running in a background thread: ``start()``, ``base_url``, ``stop()``."""

    def __init__(
        self, state: SimState | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        if not is_loopback(host):
            raise ValueError(f"the simulator only listens on this machine, not on {host!r}")
        self.state = state or SimState()
        # Bind here, so a port in use is an OSError to report (werkzeug would exit the process).
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
            sock.listen(128)
            self.server: BaseWSGIServer = make_server(
                host,
                port,
                create_app(self.state),
                threaded=True,
                request_handler=QuietHandler,
                fd=sock.fileno(),
            )
        self.host = host
        self.port: int = self.server.port
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> SimulatorServer:
        self._thread = threading.Thread(
            target=self.server.serve_forever, args=(0.05,), name="fake-x", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Answer in the calling thread until :meth:`stop` or an interrupt."""
        try:
            self.server.serve_forever()
        finally:
            self.state.stopping.set()
            self.server.server_close()

    def stop(self) -> None:
        """Stop answering, wake any delayed answer, and free the port."""
        self.state.stopping.set()
        self.server.shutdown()
        self.server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
