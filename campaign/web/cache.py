"""Answers that cost a pass over the whole collection (review counts, the report, its chart),
kept until the collection changes.

The collection's version is three index lookups: the newest collected post, the newest review
mark and the newest collection run. Collecting, importing new posts and marking all move one
of them; an entry is also dropped after :data:`TTL` seconds, which bounds how stale an answer
can be after a change none of them sees (an import of only older posts).

An answer that takes seconds over a million posts (the report) can be served stale: the old
answer goes out at once while one background thread makes the new one, so no request waits
for it (the page says when its figures were made).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import sqlite_utils

T = TypeVar("T")
TTL = 120.0
VERSION_SQL = (
    "SELECT (SELECT max(id) FROM mentions), (SELECT max(id) FROM mention_audit), "
    "(SELECT max(id) FROM collect_runs)"
)
log = logging.getLogger(__name__)


def version(db: sqlite_utils.Database) -> tuple[Any, ...]:
    """The collection's version (cheap: three index lookups)."""
    return tuple(db.execute(VERSION_SQL).fetchone())


class Cache:
    """A few named answers, each valid for one version of the collection and ``ttl`` seconds."""

    def __init__(self, ttl: float = TTL) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[tuple[Any, ...], float, Any]] = {}
        self._running: dict[str, threading.Thread] = {}

    def get(
        self, name: str, key: tuple[Any, ...], make: Callable[[], T], *, stale_ok: bool = False
    ) -> T:
        """The answer ``name`` for ``key``: kept, or made now by ``make()`` and kept.

        With ``stale_ok``, an answer kept for an older key is returned at once and ``make()``
        runs in a background thread (it must open its own database connection).
        """
        with self._lock:
            entry = self._entries.get(name)
        if entry is not None and entry[0] == key and time.monotonic() - entry[1] < self.ttl:
            fresh: T = entry[2]
            return fresh
        if entry is not None and stale_ok:
            self._refresh(name, key, make)
            stale: T = entry[2]
            return stale
        made = make()
        self._keep(name, key, made)
        return made

    def _keep(self, name: str, key: tuple[Any, ...], value: Any) -> None:
        with self._lock:
            self._entries[name] = (key, time.monotonic(), value)

    def _refresh(self, name: str, key: tuple[Any, ...], make: Callable[[], Any]) -> None:
        with self._lock:
            if name in self._running:
                return
            thread = threading.Thread(
                target=self._run, args=(name, key, make), name=f"refresh-{name}", daemon=True
            )
            self._running[name] = thread
        thread.start()

    def _run(self, name: str, key: tuple[Any, ...], make: Callable[[], Any]) -> None:
        try:
            self._keep(name, key, make())
        except Exception:  # keep serving the old answer; the next request tries again
            log.exception("could not refresh %s; the previous one is still shown", name)
        finally:
            with self._lock:
                self._running.pop(name, None)

    def clear(self) -> None:
        """Forget every kept answer (the next request makes it again)."""
        with self._lock:
            self._entries.clear()

    def wait(self, timeout: float | None = None) -> None:
        """Wait for the background refreshes under way (tests, warm-up)."""
        with self._lock:
            threads = list(self._running.values())
        for thread in threads:
            thread.join(timeout)
