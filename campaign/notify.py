"""Where alerts go: Apprise URLs, one library for Slack, Microsoft Teams, e-mail, Matrix,
Telegram and plain JSON webhooks (``json://host/path``, ``form://…``).

The URLs come from the campaign's ``notify:`` list and from ``CAMPAIGN_NOTIFY`` in the
environment (space-separated), the place for URLs that hold a secret (a Slack token, a mail
password). A URL is never logged or stored whole: :func:`label` masks everything after the host.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from campaign.errors import CampaignError

ENV = "CAMPAIGN_NOTIFY"
log = logging.getLogger("campaign.notify")


class NotifyError(CampaignError):
    "An alert could not be delivered"


@dataclass(frozen=True)
class Target:
    """One notifier: its URL (kept in memory only), a stable id and a label safe to show."""

    url: str

    @property
    def id(self) -> str:
        return hashlib.sha256(self.url.encode()).hexdigest()[:16]

    @property
    def label(self) -> str:
        return label(self.url)


def label(url: str) -> str:
    """``url`` with everything that may be a secret masked: the scheme and host only."""
    m = re.match(r"([A-Za-z][A-Za-z0-9+.-]*)://(?:[^@/]*@)?([^/?#:]*)", url)
    if not m:
        return "(a notifier URL)"
    return f"{m.group(1)}://{m.group(2)}/…"


def targets(
    settings_urls: Iterable[str] = (), environ: Mapping[str, str] | None = None
) -> list[Target]:
    """The notifiers: the campaign's ``notify:`` URLs, then ``CAMPAIGN_NOTIFY``'s; each once."""
    env = os.environ if environ is None else environ
    urls = [*settings_urls, *env.get(ENV, "").split()]
    seen: dict[str, Target] = {}
    for url in urls:
        url = url.strip()
        if url and url not in seen:
            seen[url] = Target(url)
    return list(seen.values())


def check(target: Target) -> None:
    """Refuse a URL Apprise does not know, saying which one (masked) and how to fix it."""
    import apprise

    if apprise.Apprise.instantiate(target.url, suppress_exceptions=True) is None:
        raise NotifyError(
            f"the notifier {target.label} is not a URL Apprise understands: check it against "
            "https://github.com/caronc/apprise/wiki (e.g. json://host/path, slack://…, mailto://…)"
        )


def send(target: Target, title: str, body: str) -> None:
    """Deliver one message to one notifier, or :class:`NotifyError` saying why not."""
    import apprise

    check(target)
    obj = apprise.Apprise()
    obj.add(target.url)
    with apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as output:  # type: ignore[no-untyped-call]
        ok = obj.notify(title=title, body=body)
        captured = output.getvalue() if hasattr(output, "getvalue") else ""
    if not ok:
        reason = _first_line(str(captured))
        raise NotifyError(
            f"the notifier {target.label} did not take the message"
            + (f": {reason}" if reason else "")
        )


def _first_line(text: str) -> str:
    for line in text.splitlines():
        line = line.strip()
        if line:
            # Apprise may quote the URL it failed on: keep only the masked form.
            return re.sub(r"[A-Za-z][A-Za-z0-9+.-]*://\S+", lambda m: label(m.group(0)), line)[:200]
    return ""
