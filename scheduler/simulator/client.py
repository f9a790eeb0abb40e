"""A Python handle on a running simulator's control API (``/_sim/…``), over HTTP, so the same
calls work for a simulator in a thread or in another process."""

from __future__ import annotations

from typing import Any

import requests

from scheduler.simulator.state import Credentials


class SimClient:
    """Control a simulator at ``base_url``: faults, stored tweets, conversation, clock, reset."""

    def __init__(self, base_url: str, credentials: Credentials | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.credentials = credentials or Credentials()
        self.http = requests.Session()

    def _call(self, method: str, path: str, json: Any = None, params: Any = None) -> Any:
        resp = self.http.request(method, self.base_url + path, json=json, params=params, timeout=10)
        if resp.status_code >= 400:
            raise ValueError(f"the simulator refused {method} {path}: {resp.text}")
        return resp.json()

    @property
    def env(self) -> dict[str, str]:
        """Environment variables that point the campaign tool at this simulator."""
        c = self.credentials
        return {
            "X_API_BASE_URL": self.base_url,
            "X_API_KEY": c.api_key,
            "X_API_SECRET": c.api_secret,
            "X_ACCESS_TOKEN": c.access_token,
            "X_ACCESS_TOKEN_SECRET": c.access_token_secret,
            "X_BEARER_TOKEN": c.bearer_token,
        }

    def account_env(self, account: str) -> dict[str, str]:
        """The variables of the tool's ``account`` (``X_EVENTS_API_KEY`` …) holding the keys
        of the simulator's second account, @PeaceTechEvents (the same app, its own tokens)."""
        from campaign.accounts import variable

        c = self.credentials
        values = {
            "X_API_KEY": c.api_key,
            "X_API_SECRET": c.api_secret,
            "X_ACCESS_TOKEN": c.events_access_token,
            "X_ACCESS_TOKEN_SECRET": c.events_access_token_secret,
            "X_BEARER_TOKEN": c.bearer_token,
        }
        return {variable(account, k): v for k, v in values.items()}

    def health(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/_sim/health")
        return result

    def faults(self, **spec: Any) -> dict[str, Any]:
        """Set faults, e.g. ``faults(error_every=3)``, ``faults(rate_limit={"group": "post",
        "reset_in": 5})``, ``faults(drop_every=5, accept_duplicates=True)``; returns all."""
        result: dict[str, Any] = self._call("POST", "/_sim/faults", json=spec)
        return result

    def clear_faults(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("DELETE", "/_sim/faults")
        return result

    def tweets(
        self, source: str | None = None, author_id: str | None = None
    ) -> list[dict[str, Any]]:
        """Every stored tweet (deleted ones too, marked), oldest first."""
        params = {k: v for k, v in (("source", source), ("author_id", author_id)) if v}
        result: list[dict[str, Any]] = self._call("GET", "/_sim/tweets", params=params)
        return result

    def change_tweet(self, tweet_id: str, **changes: Any) -> dict[str, Any]:
        """Change a stored tweet: ``change_tweet(id, deleted=True)``,
        ``change_tweet(id, reply_settings="mentionedUsers")``."""
        result: dict[str, Any] = self._call("POST", f"/_sim/tweets/{tweet_id}", json=changes)
        return result

    def users(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", "/_sim/users")
        return result

    def requests(self) -> list[dict[str, Any]]:
        """The log of answered API requests, oldest first."""
        result: list[dict[str, Any]] = self._call("GET", "/_sim/requests")
        return result

    def clear_requests(self) -> None:
        self._call("DELETE", "/_sim/requests")

    def add_conversation(
        self, n: int = 300, seed: int = 1, days: float = 3, hashtag: str = "PolicingInConflict"
    ) -> list[str]:
        """Generate a conversation of ``n`` posts; the ids made."""
        result = self._call(
            "POST",
            "/_sim/conversation",
            json={"n": n, "seed": seed, "days": days, "hashtag": hashtag},
        )
        ids: list[str] = result["ids"]
        return ids

    def add_now(self, m: int) -> list[str]:
        """Add ``m`` conversation posts made now; their ids."""
        ids: list[str] = self._call("POST", "/_sim/conversation", json={"now": m})["ids"]
        return ids

    def limits(self, **groups: dict[str, int]) -> dict[str, Any]:
        """Change rate-limit windows: ``limits(post={"limit": 3, "window": 60})``."""
        result: dict[str, Any] = self._call("POST", "/_sim/limits", json=groups)
        return result

    def clock(self, **spec: Any) -> dict[str, Any]:
        """Move the simulator's clock: ``clock(advance_seconds=60)``, ``clock(now="…Z")``."""
        result: dict[str, Any] = self._call("POST", "/_sim/clock", json=spec)
        return result

    def delete(self, tweet_id: str) -> None:
        """Delete a post as its author would in the X app."""
        self._call("POST", f"/_sim/tweets/{tweet_id}/delete")

    def set_user(self, user_id: str, **flags: bool) -> dict[str, Any]:
        """Protect, suspend or lock an account: ``set_user(id, suspended=True)``,
        ``set_user(id, locked=True)`` (then ``locked=False`` to unlock it)."""
        result: dict[str, Any] = self._call("POST", f"/_sim/users/{user_id}", json=flags)
        return result

    def compliance(self, polls: int) -> dict[str, Any]:
        """How many times a compliance job answers in_progress before it completes."""
        result: dict[str, Any] = self._call("POST", "/_sim/compliance", json={"polls": polls})
        return result

    def reset(self) -> None:
        self._call("POST", "/_sim/reset")
