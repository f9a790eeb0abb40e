"""Misbehaviour the simulator can be told to show, and the decisions that follow from it.

Set through ``POST /_sim/faults`` (see :mod:`scheduler.simulator` for the JSON); every decision
is taken under the state's lock, so counters ("every third answer") are exact across threads.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

GROUPS = ("post", "delete", "me", "timeline", "lookup", "search", "media")
# Every key ``POST /_sim/faults`` takes ("latency" and "accept_duplicates" are the state's).
FAULT_KEYS = (
    "delay",
    "delay_before",
    "latency",
    "rate_limit",
    "error_every",
    "error_next",
    "error_status",
    "error_groups",
    "drop_every",
    "drop_probability",
    "drop_seed",
    "drop_mode",
    "hang_seconds",
    "accept_duplicates",
    "clear",
)


class FaultSpecError(ValueError):
    """A fault description that cannot be understood; the message says which key is wrong."""


@dataclass
class RateLimitFault:
    """429 for ``group`` until ``reset_at``, or for the next ``count`` requests (only the
    requests of the account ``user``, an id, when given: X limits posting per user)."""

    group: str
    reset_at: datetime
    count: int | None
    user: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "reset_at": self.reset_at.timestamp(),
            "count": self.count,
            "user": self.user,
        }


def _matches(groups: list[str], group: str) -> bool:
    return "*" in groups or group in groups


def _number(spec: dict[str, Any], key: str, kind: type, minimum: float = 0) -> Any:
    value = spec[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise FaultSpecError(f"{key!r} must be a number of at least {minimum}, not {value!r}")
    return kind(value)


def _groups(value: Any, key: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or any(g != "*" and g not in GROUPS for g in value):
        raise FaultSpecError(f"{key!r} must name endpoint groups among {', '.join(GROUPS)} or '*'")
    return list(value)


def _delays(value: Any, key: str) -> dict[str, float]:
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = {"*": value}
    if not isinstance(value, dict):
        raise FaultSpecError(f"{key!r} must be seconds, or an object of group: seconds")
    _groups(list(value), key)
    return {g: _number(value, g, float) for g in value}


@dataclass
class Faults:
    """The current misbehaviour. All counters start again when a fault is set."""

    seed: int = 1
    delay: dict[str, float] = field(default_factory=dict)
    delay_before: dict[str, float] = field(default_factory=dict)
    rate_limits: list[RateLimitFault] = field(default_factory=list)
    error_every: int = 0
    error_next: int = 0
    error_status: int = 503
    error_groups: list[str] = field(default_factory=lambda: ["*"])
    drop_every: int = 0
    drop_probability: float = 0.0
    drop_mode: str = "close"
    hang_seconds: float = 30.0
    _error_count: int = 0
    _post_count: int = 0
    _rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def update(self, spec: dict[str, Any], now: datetime) -> None:
        """Apply a ``POST /_sim/faults`` body. Unknown keys are refused."""
        if spec.get("clear"):
            fresh = Faults(seed=self.seed)
            self.__dict__.update(fresh.__dict__)
        for key in spec:
            if key in ("clear", "accept_duplicates", "latency"):
                continue  # the state's, applied by the caller
            if key == "delay":
                self.delay = _delays(spec[key], key)
            elif key == "delay_before":
                self.delay_before = _delays(spec[key], key)
            elif key == "rate_limit":
                items = spec[key] if isinstance(spec[key], list) else [spec[key]]
                for item in items:
                    self.rate_limits.append(self._rate_limit(item, now))
            elif key in ("error_every", "error_next", "drop_every"):
                setattr(self, key, _number(spec, key, int))
                self._error_count = 0
                self._post_count = 0
            elif key == "error_status":
                status = _number(spec, key, int, 500)
                if status > 599:
                    raise FaultSpecError("'error_status' must be a 5xx status")
                self.error_status = status
            elif key == "error_groups":
                self.error_groups = _groups(spec[key], key)
            elif key == "drop_probability":
                p = _number(spec, key, float)
                if p > 1:
                    raise FaultSpecError("'drop_probability' must be between 0 and 1")
                self.drop_probability = p
            elif key == "drop_seed":
                self._rng = random.Random(_number(spec, key, int))
            elif key == "drop_mode":
                if spec[key] not in ("close", "hang"):
                    raise FaultSpecError("'drop_mode' must be 'close' or 'hang'")
                self.drop_mode = spec[key]
            elif key == "hang_seconds":
                self.hang_seconds = _number(spec, key, float)
            else:
                raise FaultSpecError(f"unknown fault {key!r}")

    @staticmethod
    def _rate_limit(item: Any, now: datetime) -> RateLimitFault:
        if not isinstance(item, dict):
            raise FaultSpecError(
                "'rate_limit' must be an object like {'group': 'post', 'reset_in': 5}"
            )
        groups = _groups(item.get("group", "*"), "rate_limit.group")
        reset_in = _number(item, "reset_in", float) if "reset_in" in item else 60.0
        count = _number(item, "count", int, 1) if item.get("count") is not None else None
        user = item.get("user")
        if user is not None and not isinstance(user, str):
            raise FaultSpecError("'rate_limit.user' must be a user id (a string)")
        return RateLimitFault(
            group=groups[0], reset_at=now + timedelta(seconds=reset_in), count=count, user=user
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "delay": self.delay,
            "delay_before": self.delay_before,
            "rate_limit": [r.to_json() for r in self.rate_limits],
            "error_every": self.error_every,
            "error_next": self.error_next,
            "error_status": self.error_status,
            "error_groups": self.error_groups,
            "drop_every": self.drop_every,
            "drop_probability": self.drop_probability,
            "drop_mode": self.drop_mode,
            "hang_seconds": self.hang_seconds,
        }

    # -- decisions, one per request ---------------------------------------------------------

    def delay_for(self, group: str, before: bool = False) -> float:
        table = self.delay_before if before else self.delay
        return table.get(group, table.get("*", 0.0))

    def forced_429(self, group: str, now: datetime, user: str | None = None) -> datetime | None:
        """The reset time when this request (by the account ``user``, if a user's) must get a
        429, else None."""
        live = []
        hit: datetime | None = None
        for rl in self.rate_limits:
            expired = rl.count == 0 if rl.count is not None else now >= rl.reset_at
            if expired:
                continue
            live.append(rl)
            if hit is None and rl.group in ("*", group) and rl.user in (None, user):
                hit = rl.reset_at
                if rl.count is not None:
                    rl.count -= 1
        self.rate_limits = [rl for rl in live if rl.count != 0]
        return hit

    def server_error(self, group: str) -> int | None:
        """The 5xx status this answer must be, else None."""
        if not _matches(self.error_groups, group):
            return None
        if self.error_next > 0:
            self.error_next -= 1
            return self.error_status
        if self.error_every > 0:
            self._error_count += 1
            if self._error_count % self.error_every == 0:
                return self.error_status
        return None

    def drop_answer(self) -> bool:
        """Whether this ``POST /2/tweets``, once the tweet is made, loses its answer."""
        self._post_count += 1
        if self.drop_every > 0 and self._post_count % self.drop_every == 0:
            return True
        return self.drop_probability > 0 and self._rng.random() < self.drop_probability
