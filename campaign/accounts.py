"""Accounts: the X accounts a workspace posts from, and the variables holding their keys.

Each campaign names its account (``campaign.account``). The ``default`` account reads the
variables it always did (``X_API_KEY`` …); any other account reads the same names with its own
name after ``X_``, upper case: the account ``events`` reads ``X_EVENTS_API_KEY``,
``X_EVENTS_API_SECRET``, ``X_EVENTS_ACCESS_TOKEN``, ``X_EVENTS_ACCESS_TOKEN_SECRET`` and
``X_EVENTS_BEARER_TOKEN``. Only names are handled here, never values.
"""

from __future__ import annotations

from collections.abc import Mapping

DEFAULT_ACCOUNT = "default"
# The variables of the default account, in the order they are listed.
KEYS = ("X_API_KEY", "X_API_SECRET", "X_ACCESS_TOKEN", "X_ACCESS_TOKEN_SECRET", "X_BEARER_TOKEN")


def variable(account: str, key: str) -> str:
    """The variable holding ``key`` (a name of :data:`KEYS`) for ``account``."""
    if account == DEFAULT_ACCOUNT:
        return key
    return "X_" + account.upper().replace("-", "_") + "_" + key.removeprefix("X_")


def found(account: str, environ: Mapping[str, str]) -> dict[str, bool]:
    """Each of the account's variables, and whether ``environ`` sets it (never its value)."""
    return {variable(account, k): bool(environ.get(variable(account, k), "").strip()) for k in KEYS}


def as_default(account: str, environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` with ``account``'s keys under the default names (``X_API_KEY`` …), so the
    X client reads any account the same way; other variables (``X_API_BASE_URL``) are kept."""
    if account == DEFAULT_ACCOUNT:
        return dict(environ)
    env = {k: v for k, v in environ.items() if k not in KEYS}
    for k in KEYS:
        value = environ.get(variable(account, k))
        if value is not None:
            env[k] = value
    return env
