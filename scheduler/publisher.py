"""Where posts go: a small ``Publisher`` protocol and the registry of backends.

The daemon and ``campaign publish`` only ever talk to a :class:`Publisher`. X is one backend,
registered below exactly as another (Mastodon, Bluesky) would be, so adding one never touches
the daemon. A backend raises :mod:`scheduler.xerrors` exceptions: ``RateLimited``,
``DuplicateContent``, ``AuthFailed``, ``ServerError``, ``NoAnswer`` or ``Refused``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from campaign.errors import CampaignError


@runtime_checkable
class Publisher(Protocol):
    """A place posts are published to."""

    name: str

    def publish(self, text: str, reply_to: str | None = None, *, quote: str | None = None) -> str:
        """Publish ``text`` (as a reply to the post id ``reply_to``, quoting the post id
        ``quote``); the new post's id."""
        ...

    def recent_own_posts(self, since: datetime) -> list[dict[str, Any]]:
        """The account's own posts made since ``since`` (dicts with ``id`` and ``text``)."""
        ...


@runtime_checkable
class ImagePublisher(Publisher, Protocol):
    """A publisher that can also attach images (optional: a backend without it refuses posts
    with images rather than sending them bare)."""

    def upload_image(self, data: bytes, mime_type: str, alt_text: str) -> tuple[str, int]:
        """Upload an image with its alt text: ``(media id, seconds the upload is kept)``. It
        posts nothing, so it may be retried freely."""
        ...

    def publish_with_images(
        self,
        text: str,
        reply_to: str | None,
        media_ids: Sequence[str],
        *,
        quote: str | None = None,
    ) -> str:
        """Publish ``text`` with the uploaded images ``media_ids`` (as a reply to ``reply_to``,
        quoting ``quote``, if given); the new post's id."""
        ...


# A factory gets the environment, an optional credentials file and the call timeout.
PublisherFactory = Callable[[Mapping[str, str] | None, str | None, float], Publisher]

_BACKENDS: dict[str, PublisherFactory] = {}


def register(name: str, factory: PublisherFactory) -> None:
    """Make a backend available under ``name``."""
    _BACKENDS[name] = factory


def backends() -> list[str]:
    """The registered backend names."""
    return sorted(_BACKENDS)


def create(
    name: str = "x",
    *,
    environ: Mapping[str, str] | None = None,
    credentials_file: str | None = None,
    timeout: float = 10.0,
) -> Publisher:
    """A publisher of backend ``name``, with its credentials from the environment or a file."""
    try:
        factory = _BACKENDS[name]
    except KeyError:
        raise CampaignError(
            f"unknown publishing backend {name!r}: use one of {', '.join(backends())}"
        ) from None
    return factory(environ, credentials_file, timeout)


class XPublisher:
    """Publishing to X through :class:`scheduler.xclient.XClient`."""

    name = "x"

    def __init__(self, client: Any) -> None:
        from scheduler.xclient import XClient

        assert isinstance(client, XClient)
        self.client: XClient = client

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None, credentials_file: str | None, timeout: float
    ) -> XPublisher:
        """Posting credentials from the environment (or ``credentials_file``); all four needed."""
        from scheduler.xclient import Credentials, XClient

        creds = Credentials.from_env(environ, need_user=True, file=credentials_file)
        return cls(XClient(creds, timeout=timeout))

    def account(self) -> dict[str, Any]:
        """Who we post as (checks the credentials with X)."""
        return self.client.me()

    def publish(self, text: str, reply_to: str | None = None, *, quote: str | None = None) -> str:
        return self.client.create_post(text, reply_to=reply_to, quote=quote)

    def upload_image(self, data: bytes, mime_type: str, alt_text: str) -> tuple[str, int]:
        return self.client.upload_image(data, mime_type, alt_text)

    def publish_with_images(
        self,
        text: str,
        reply_to: str | None,
        media_ids: Sequence[str],
        *,
        quote: str | None = None,
    ) -> str:
        return self.client.create_post(text, reply_to=reply_to, quote=quote, media_ids=media_ids)

    def recent_own_posts(self, since: datetime) -> list[dict[str, Any]]:
        return self.client.user_posts(self.client.me()["id"], start_time=since)


register("x", XPublisher.from_env)
