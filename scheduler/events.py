"""Log lines an operator can grep: a message followed by ``key=value`` fields.

``grep 'post_id=12 ' daemon.log`` tells one post's story: every claim, move, publish and
reconcile of it. Values with spaces or quotes are quoted (``reason="…"``); ``None`` is left out.

The fields are rendered as structlog's ``KeyValueRenderer`` would, on the stdlib logging the CLI
already configures (one format, journald, caplog in the tests): structlog would add a dependency
and a second configuration for what this one function does.
"""

from __future__ import annotations

import logging
from typing import Any


def fields(**values: Any) -> str:
    """``key=value`` pairs in the order given, each value quoted when it has to be."""
    parts = []
    for key, value in values.items():
        if value is None:
            continue
        text = str(value)
        if not text or any(c in text for c in ' "=\\\n\t'):
            text = '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
        parts.append(f"{key.rstrip('_')}={text}")
    return " ".join(parts)


def event(log: logging.Logger, level: int, message: str, **values: Any) -> None:
    """Log ``message`` followed by its fields (``from_=…`` is written ``from=…``)."""
    if log.isEnabledFor(level):
        log.log(level, "%s %s", message, fields(**values))
