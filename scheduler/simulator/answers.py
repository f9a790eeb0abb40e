"""X's answers other than success: the "problem" JSON shape, invalid parameters, and items
not found, as X sends them."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from scheduler.simulator.state import User


class ApiError(Exception):
    """An answer other than success, already in X's shape."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body.get("detail", ""))
        self.status = status
        self.body = body


def problem(status: int, title: str, detail: str, kind: str = "about:blank") -> ApiError:
    """X's "problem" answer: ``{"title", "detail", "type", "status"}``."""
    return ApiError(status, {"title": title, "detail": detail, "type": kind, "status": status})


LOCKED = (
    "To protect our users from spam and other malicious activity, this account is temporarily "
    "locked. Please log in to https://x.com to unlock your account."
)


def account_refused(user: User) -> ApiError:
    """The 403 for a request made as a locked or suspended account. Suspended: X's v2 problem
    ``user-suspended``. Locked: X's error code 326 with its words (as X has long answered a
    locked account), inside a v2 problem body."""
    if user.suspended:
        return problem(
            403,
            "Forbidden",
            "The user used for authentication is suspended",
            "https://api.twitter.com/2/problems/user-suspended",
        )
    return ApiError(
        403,
        {
            "errors": [{"code": 326, "message": LOCKED}],
            "title": "Forbidden",
            "detail": LOCKED,
            "type": "about:blank",
            "status": 403,
        },
    )


def invalid_request(error: dict[str, Any]) -> ApiError:
    """X's 400 "Invalid Request" with one entry in ``errors``."""
    return ApiError(
        400,
        {
            "errors": [error],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": "https://api.twitter.com/2/problems/invalid-request",
        },
    )


def invalid(param: str, value: str, message: str) -> ApiError:
    """X's 400 for a bad query parameter."""
    return invalid_request({"parameters": {param: [value]}, "message": message})


def not_found(kind: str, value: str) -> dict[str, Any]:
    """One entry of ``errors`` in a 200 answer for a tweet or user that does not exist."""
    return {
        "value": value,
        "detail": f"Could not find {kind} with id: [{value}].",
        "title": "Not Found Error",
        "resource_type": kind,
        "parameter": "id",
        "resource_id": value,
        "type": "https://api.twitter.com/2/problems/resource-not-found",
    }


def unseen(reason: str, value: str) -> dict[str, Any]:
    """The ``errors`` entry of a lookup for a post that is not visible, by ``reason``: not found
    (deleted), its author suspended, or its author protected, as X words each."""
    if reason == "suspended":
        return {
            "value": value,
            "detail": f"User has been suspended: [{value}].",
            "title": "Forbidden",
            "resource_type": "tweet",
            "parameter": "ids",
            "resource_id": value,
            "type": "https://api.twitter.com/2/problems/resource-not-found",
        }
    if reason == "protected":
        return {
            "value": value,
            "detail": f"Sorry, you are not authorized to see the Tweet with ids: [{value}].",
            "title": "Authorization Error",
            "resource_type": "tweet",
            "parameter": "ids",
            "resource_id": value,
            "type": "https://api.twitter.com/2/problems/not-authorized-for-resource",
        }
    return not_found("tweet", value)


def make_response(body: dict[str, Any], status: int) -> Response:
    """A JSON answer; errors in X's problem shape go out as ``application/problem+json``."""
    resp = jsonify(body)
    resp.status_code = status
    if status >= 400 and "title" in body:
        resp.mimetype = "application/problem+json"
    return resp
