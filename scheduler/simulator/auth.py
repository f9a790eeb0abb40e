"""Who is calling: OAuth 1.0a user context, an OAuth 2 user token, or the app's bearer token."""

from __future__ import annotations

import re
from urllib.parse import unquote

from scheduler.simulator.state import SimState, User

UNSUPPORTED_AUTH = (
    "Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.  Supported "
    "authentication types are [OAuth 1.0a User Context, OAuth 2.0 User Context]."
)
OAUTH_PARAM = re.compile(r'(\w+)="([^"]*)"')


class Caller:
    """Who is asking: the account (user context) or the app (bearer token)."""

    def __init__(self, kind: str, user: User | None) -> None:
        self.kind = kind
        self.user = user

    @property
    def key(self) -> str:
        """The rate-limit key: per user for user context, per app otherwise."""
        return f"user:{self.user.id}" if self.user is not None else "app"


def authenticate(state: SimState, header: str) -> Caller | None:
    """The caller named by an ``Authorization`` header, or None when it is missing or wrong."""
    creds = state.credentials
    scheme, _, rest = header.strip().partition(" ")
    if scheme == "Bearer":
        token = rest.strip()
        if token and token == creds.bearer_token:
            return Caller("app", None)
        if token and token == creds.user_bearer_token:
            return Caller("oauth2-user", state.account)
        if token and token == creds.events_user_bearer_token:
            return Caller("oauth2-user", state.events_account)
        return None
    if scheme == "OAuth":
        params = {k: unquote(v) for k, v in OAUTH_PARAM.findall(rest)}
        if params.get("oauth_consumer_key") != creds.api_key or not params.get("oauth_signature"):
            return None
        # One app, two accounts: the access token says which user is posting.
        if params.get("oauth_token") == creds.access_token:
            return Caller("oauth1-user", state.account)
        if params.get("oauth_token") == creds.events_access_token:
            return Caller("oauth1-user", state.events_account)
    return None
