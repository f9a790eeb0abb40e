"""The X client: credentials from the environment, tweepy over HTTP with a timeout on every call,
any server via ``X_API_BASE_URL``, and X's errors turned into :mod:`scheduler.xerrors`.

tweepy 4.17 hard-codes ``https://api.twitter.com`` and sets no timeout. A ``requests`` adapter
mounted on the client's session rewrites each URL to ``base_url``. The adapter keeps requests'
default of no retries, so a post is never sent twice by the HTTP layer. tweepy's
``wait_on_rate_limit`` stays off: a 429 becomes :class:`~scheduler.xerrors.RateLimited` and the
caller waits for the reset (24 hours at most).

A hostile or broken server gets nowhere: the timeout is a deadline for the whole call (connect,
send, redirects, every byte of the answer; the sockets are shut when it passes), an answer is
read up to :data:`MAX_ANSWER_BYTES`, a call that changes anything is never redirected and no
call is redirected to another host, and every answer is checked by :mod:`scheduler.xanswer`.
A redirect not followed, an answer cut off or malformed, is :class:`NoAnswer`: for a post, an
unclear outcome reconciled against the timeline.

One :class:`XClient` per thread (it holds a ``requests`` session).
"""

from __future__ import annotations

import contextvars
import io
import ipaddress
import json
import logging
import os
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests
import tweepy
import tweepy.errors
from dotenv.parser import parse_stream
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from campaign.clock import now
from campaign.errors import CredentialsError
from scheduler.xanswer import (
    MAX_RATE_WAIT,
    MalformedAnswer,
    Page,
    header_count,
    parse_page,
    reset_time,
    x_id,
)
from scheduler.xerrors import (
    AccountLocked,
    AuthFailed,
    DuplicateContent,
    NoAnswer,
    RateLimited,
    Refused,
    ReplyRefused,
    ServerError,
    XError,
)

__all__ = ["Credentials", "SearchPage", "XClient"]

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.twitter.com"
TWEEPY_HOST = "https://api.twitter.com"

USER_KEYS = ("X_API_KEY", "X_API_SECRET", "X_ACCESS_TOKEN", "X_ACCESS_TOKEN_SECRET")
BEARER_KEY = "X_BEARER_TOKEN"
BASE_URL_KEY = "X_API_BASE_URL"
KNOWN_KEYS = (*USER_KEYS, BEARER_KEY, BASE_URL_KEY)

# What a reviewer needs from a search page: authors and what each post replies to or quotes.
SEARCH_EXPANSIONS = ["author_id", "referenced_tweets.id", "referenced_tweets.id.author_id"]
TWEET_FIELDS = [
    "created_at",
    "lang",
    "conversation_id",
    "public_metrics",
    "entities",
    "referenced_tweets",
    "in_reply_to_user_id",
    "author_id",
]
USER_FIELDS = ["username", "name", "public_metrics", "verified"]
TIMELINE_FIELDS = ["created_at", "conversation_id", "referenced_tweets", "in_reply_to_user_id"]
MAX_ANSWER_BYTES = 8 * 1024 * 1024  # a page of 100 posts with its expansions is under 1 MB
MAX_REDIRECTS = 3  # only a read (GET) is redirected, and only on the same host
MIN_SECRET_LEN = 8  # X's keys are 25+ characters; shorter values would scrub ordinary words
TIMELINE_MAX_PAGES = 32  # X serves at most 3,200 of an account's posts: 32 pages of 100

# 403 answers that are about who is asking rather than what is asked (X's problem types/texts).
AUTH_403_MARKERS = (
    "unsupported-authentication",
    "client-forbidden",
    "client-not-enrolled",
    "oauth1-permissions",
    "not configured with the appropriate",
    "authenticat",
    "not permitted to use",
)

# 403 answers about the account itself: locked (v1.1 code 326, "To protect our users from spam
# and other malicious activity, this account is temporarily locked. Please log in to
# https://twitter.com to unlock your account.") or suspended (code 64, "Your account is suspended
# and is not permitted to access this feature"; v2: the problem type ``…/problems/user-suspended``
# with "The user used for authentication is suspended"). Checked before AUTH_403_MARKERS, whose
# "authenticat" the v2 suspension text also holds.
LOCKED_CODES = frozenset({326})
SUSPENDED_CODES = frozenset({64})
LOCKED_MARKERS = ("temporarily locked", "account is locked", "unlock your account")
SUSPENDED_MARKERS = (
    "problems/user-suspended",
    "user used for authentication is suspended",
    "your account is suspended",
)

# 403 answers to a reply or quote that are about the post it answers (X's texts).
REPLY_GONE_MARKERS = (
    "reply to a tweet that is deleted",
    "quote a tweet that is deleted",
    "deleted or not visible",
)
REPLY_LIMITED_MARKERS = (
    "reply to this conversation is not allowed",
    "not been mentioned or otherwise engaged",
)

# --------------------------------------------------------------------------------------------
# Credentials


def _read_file(path: str) -> dict[str, str]:
    """``KEY=VALUE`` lines, as a ``.env`` file (``#`` comments, ``export`` and quotes allowed)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError as e:
        raise CredentialsError(
            f"the credentials file {p} does not exist: check the path given with --credentials"
        ) from e
    except OSError as e:
        raise CredentialsError(
            f"cannot read the credentials file {p} ({e.strerror}): check its permissions"
        ) from e
    try:
        if p.stat().st_mode & 0o077:
            log.warning("the credentials file %s can be read by other users: `chmod 600 %s`", p, p)
    except OSError:
        pass
    # python-dotenv's parser reads the format (comments, `export`, quotes); a line it cannot
    # read, or one without `=`, is refused by number, never quoted: it may hold a secret.
    values: dict[str, str] = {}
    for binding in parse_stream(io.StringIO(text)):
        if binding.error or (binding.key is not None and binding.value is None):
            raise CredentialsError(
                f"line {binding.original.line} of the credentials file {p} is not KEY=VALUE: "
                "write one setting a line, e.g. X_API_KEY=..."
            )
        if binding.key is not None and binding.value is not None:
            values[binding.key] = binding.value
    return values


INSECURE_COMMANDS = "`campaign daemon`, `campaign publish` or `campaign collect`"


def _loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def clean_base_url(url: str, *, insecure: bool = False) -> str:
    """``X_API_BASE_URL`` checked: scheme and host, no user name or password kept (they are
    never sent: X's own keys authenticate), no trailing slash. Plain http to another machine
    would carry the bearer token and the signed requests in clear: refused unless ``insecure``.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - a port that is not a number raises ValueError here
        scheme = parts.scheme
    except ValueError:  # a lone [ or ], a port that is no number
        host = scheme = ""
    if scheme not in ("http", "https") or not host or re.search(r"\s", url):
        raise CredentialsError(
            f"{BASE_URL_KEY} must be a URL such as https://api.twitter.com or "
            "http://127.0.0.1:8080 (without a user name or password)"
        )
    if parts.username is not None or parts.password is not None:
        log.warning(
            "%s holds a user name or password: they are not used, sent or stored", BASE_URL_KEY
        )
    netloc = parts.netloc.rpartition("@")[2]
    clean = urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))
    if parts.scheme == "http" and not _loopback(host) and not insecure:
        raise CredentialsError(
            f"{BASE_URL_KEY} is plain http to {host}: the X keys would cross the network "
            f"unencrypted. Use https://, or, on a network you trust, give --insecure to "
            f"{INSECURE_COMMANDS}"
        )
    return clean


@dataclass(frozen=True, repr=False)
class Credentials:
    """X credentials. ``repr`` and ``str`` say which are set, never their values."""

    api_key: str | None = None
    api_secret: str | None = None
    access_token: str | None = None
    access_token_secret: str | None = None
    bearer_token: str | None = None
    base_url: str = DEFAULT_BASE_URL
    source: str = field(default="environment", compare=False)

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        need_user: bool = False,
        need_bearer: bool = False,
        file: str | None = None,
        insecure: bool = False,
        account: str = "default",
    ) -> Credentials:
        """Read ``X_*`` variables from ``environ`` (default ``os.environ``), and from ``file``.

        A file the user names wins over the environment for the keys it sets. With
        ``need_user`` the four posting keys must be present, with ``need_bearer`` the bearer
        token; otherwise :class:`CredentialsError` names every missing variable. The base URL
        is kept without any user name or password in it, and a plain-http one other than this
        machine is refused unless ``insecure`` (:func:`clean_base_url`).
        """
        from campaign.accounts import as_default, variable

        env = dict(os.environ if environ is None else environ)
        source = "environment"
        if file:
            env.update(_read_file(file))
            source = f"environment and {file}"
        env = as_default(account, env)  # the account's own keys (`events`: X_EVENTS_API_KEY …)

        def get(key: str) -> str | None:
            value = env.get(key, "").strip()
            return value or None

        missing: list[str] = []
        if need_user:
            missing += [k for k in USER_KEYS if not get(k)]
        if need_bearer and not get(BEARER_KEY):
            missing.append(BEARER_KEY)
        if missing:
            what = "posting" if need_user else "search"
            where = f"in the environment or in {file}" if file else "in the environment"
            missing = [variable(account, k) for k in missing]
            raise CredentialsError(
                f"X {what} credentials are missing: set {', '.join(missing)} {where} "
                "(for the daemon: in its EnvironmentFile, see docs/daemon.md)"
            )
        base = clean_base_url(get(BASE_URL_KEY) or DEFAULT_BASE_URL, insecure=insecure)
        return cls(
            api_key=get("X_API_KEY"),
            api_secret=get("X_API_SECRET"),
            access_token=get("X_ACCESS_TOKEN"),
            access_token_secret=get("X_ACCESS_TOKEN_SECRET"),
            bearer_token=get(BEARER_KEY),
            base_url=base,
            source=source,
        )

    def missing_user_keys(self) -> list[str]:
        """The names of the four OAuth 1.0a user keys (``USER_KEYS``) that are not set."""
        values = (self.api_key, self.api_secret, self.access_token, self.access_token_secret)
        return [k for k, v in zip(USER_KEYS, values, strict=True) if not v]

    @property
    def can_post(self) -> bool:
        """All four OAuth 1.0a user keys are set."""
        return not self.missing_user_keys()

    @property
    def can_search(self) -> bool:
        """Recent search is possible: with the bearer token, or else with the user keys."""
        return bool(self.bearer_token) or self.can_post

    def secrets(self) -> tuple[str, ...]:
        """Every secret value set, to scrub from anything printed or logged."""
        values = (
            self.api_key,
            self.api_secret,
            self.access_token,
            self.access_token_secret,
            self.bearer_token,
        )
        return tuple(v for v in values if v)

    def __repr__(self) -> str:
        names = ("api_key", "api_secret", "access_token", "access_token_secret", "bearer_token")
        shown = ", ".join(f"{n}={'set' if getattr(self, n) else 'unset'}" for n in names)
        return f"Credentials({shown}, base_url={self.base_url!r})"

    __str__ = __repr__


# --------------------------------------------------------------------------------------------
# Redaction: tweepy logs request headers (the bearer token) at DEBUG level.


class _Redactor(logging.Filter):
    """Replace every known secret in log records of the loggers it is attached to."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: frozenset[str] = frozenset()  # replaced whole, never mutated: thread-safe

    def add(self, secrets: Iterable[str]) -> None:
        self.secrets = self.secrets | frozenset(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            message = record.getMessage()
            scrubbed = scrub(message, self.secrets)
            if scrubbed != message:
                record.msg, record.args = scrubbed, None
        return True


_REDACTOR = _Redactor()
for _name in ("tweepy", "tweepy.client", "requests_oauthlib", "oauthlib", "urllib3"):
    logging.getLogger(_name).addFilter(_REDACTOR)


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with each secret replaced by ``***``."""
    for s in sorted(secrets, key=len, reverse=True):
        if len(s) >= MIN_SECRET_LEN:
            text = text.replace(s, "***")
    return text


# --------------------------------------------------------------------------------------------
# Transport


class _Deadline:
    """One call's deadline, for the whole call: connect, send, redirects and every byte of the
    answer. When it passes, the sockets the call opened are shut, so no read can outlive it
    (a socket timeout bounds one read only: an answer trickled a byte a second never trips it).
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def watch(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            if sock not in self._sockets:
                self._sockets.append(sock)
            late = self.expired
        if late:
            _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)

    def start(self) -> None:
        self._timer.start()

    def cancel(self) -> None:
        self._timer.cancel()


def _shut(sock: socket.socket) -> None:
    with suppress(OSError):  # already closed
        sock.shutdown(socket.SHUT_RDWR)


_CURRENT: contextvars.ContextVar[_Deadline | None] = contextvars.ContextVar(
    "x_call_deadline", default=None
)


@contextmanager
def _deadline(seconds: float) -> Iterator[_Deadline]:
    """Run one X call under a :class:`_Deadline` of ``seconds``."""
    d = _Deadline(seconds)
    token = _CURRENT.set(d)
    d.start()
    try:
        yield d
    finally:
        d.cancel()
        _CURRENT.reset(token)


def _watch(sock: socket.socket | None) -> None:
    d = _CURRENT.get()
    if d is not None:
        d.watch(sock)


class _WatchedHTTPConnection(HTTPConnection):
    """Hands each socket it opens or reuses to the current call's deadline."""

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _watch(sock)
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        _watch(self.sock)  # a kept-alive connection: its socket belongs to this call now
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(HTTPSConnection):
    """:class:`_WatchedHTTPConnection` for https."""

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _watch(sock)
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        _watch(self.sock)
        super().request(*args, **kwargs)


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class AnswerTooLarge(requests.exceptions.RequestException):
    "X's answer was larger than any real answer"


class _BaseUrlAdapter(HTTPAdapter):
    """Sends requests tweepy addresses to ``https://api.twitter.com`` to ``base_url`` instead,
    within the call's deadline, and reads at most ``max_bytes`` of each answer. No retries
    (requests' default): a POST goes out at most once."""

    def __init__(self, base_url: str, timeout: float, max_bytes: int = MAX_ANSWER_BYTES) -> None:
        super().__init__(max_retries=0)
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.max_bytes = max_bytes

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}
        return manager

    def send(  # type: ignore[override]
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        url = request.url or ""
        if url.startswith(TWEEPY_HOST) and self.base_url != TWEEPY_HOST:
            request.url = self.base_url + url[len(TWEEPY_HOST) :]
            # Proxies were chosen for api.twitter.com; choose again for the real target.
            proxies = requests.utils.get_environ_proxies(request.url) if proxies else proxies
        call = _CURRENT.get()
        if call is None:
            limit: Any = self.timeout if timeout is None else timeout
        else:
            left = call.remaining()
            if left <= 0 or call.expired:
                raise requests.exceptions.ConnectTimeout(
                    f"the call's {call.seconds:g} s were used up before this request"
                )
            limit = (min(self.timeout, left), left)
        response = super().send(
            request, stream=True, timeout=limit, verify=verify, cert=cert, proxies=proxies
        )
        # tweepy reads this header with int(): a value that is not a sane time is dropped here,
        # and the caller waits a default minute instead (RateLimited).
        if reset_time(response.headers.get("x-rate-limit-reset")) is None:
            response.headers.pop("x-rate-limit-reset", None)
        if not stream:
            self._read(response)
        return response

    def _read(self, response: requests.Response) -> None:
        """Read the answer into ``response`` (as requests does unless streaming), refusing one
        over ``max_bytes`` once decompressed, without holding more than that in memory."""
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_content(64 * 1024):
                size += len(chunk)
                if size > self.max_bytes:
                    raise AnswerTooLarge(
                        f"the answer was over {self.max_bytes // (1024 * 1024)} MB"
                    )
                chunks.append(chunk)
        except BaseException:
            response.close()
            raise
        response._content = b"".join(chunks)  # what requests' own .content would have read


class _XSession(requests.Session):
    """tweepy's session, with X's rules for redirects: a call that changes anything (POST,
    DELETE, …) is never redirected, and no call is redirected to another host. A redirect not
    followed is handed back as the answer, and :meth:`XClient._call` makes it a
    :class:`NoAnswer`: for a post, an unclear outcome."""

    def __init__(self) -> None:
        super().__init__()
        self.max_redirects = MAX_REDIRECTS

    def get_redirect_target(self, resp: requests.Response) -> str | None:
        target = super().get_redirect_target(resp)
        if target is None:
            return None
        request = resp.request
        if request.method not in ("GET", "HEAD"):
            return None
        here, there = urlsplit(request.url or ""), urlsplit(urljoin(request.url or "", target))
        try:
            same = (here.scheme, here.hostname, here.port) == (
                there.scheme,
                there.hostname,
                there.port,
            )
        except ValueError:
            same = False
        return target if same else None


@dataclass(frozen=True)
class SearchPage:
    """One page of ``GET /2/tweets/search/recent``, checked (:func:`scheduler.xanswer.parse_page`):
    only valid posts and users; ``skipped`` counts the items that were not."""

    tweets: list[dict[str, Any]]
    users: dict[str, dict[str, Any]]
    included_tweets: dict[str, dict[str, Any]]
    errors: list[dict[str, Any]]
    meta: dict[str, Any]
    next_token: str | None
    newest_id: str | None
    rate_remaining: int | None
    rate_reset_at: datetime | None
    raw: dict[str, Any]
    skipped: int = 0


@dataclass(frozen=True)
class RateInfo:
    """The ``x-rate-limit-*`` headers of the last answer (None when absent)."""

    limit: int | None = None
    remaining: int | None = None
    reset_at: datetime | None = None


def _rate(response: requests.Response | None) -> RateInfo:
    """The rate headers, each checked (a reset is never later than X's longest window)."""
    if response is None:
        return RateInfo()
    headers = response.headers
    return RateInfo(
        limit=header_count(headers.get("x-rate-limit-limit")),
        remaining=header_count(headers.get("x-rate-limit-remaining")),
        reset_at=reset_time(headers.get("x-rate-limit-reset")),
    )


def _detail(e: tweepy.errors.HTTPException) -> str:
    """X's own words about a refusal: its messages, else the problem title/detail."""
    parts: list[str] = [str(m) for m in e.api_messages if m]
    if not parts:
        try:
            body = e.response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            parts = [str(body[k]) for k in ("title", "detail") if body.get(k)]
    text = "; ".join(dict.fromkeys(parts))
    return text[:300]


def _problem_text(e: tweepy.errors.HTTPException) -> str:
    """Everything in a refusal that can tell an auth 403 from another 403, lower-cased."""
    bits = [str(x) for x in e.api_messages]
    for err in e.api_errors:
        if isinstance(err, dict):
            bits += [str(err.get(k, "")) for k in ("type", "title", "reason", "detail")]
    try:
        body = e.response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        bits += [str(body.get(k, "")) for k in ("type", "title", "reason", "detail")]
    return " ".join(bits).lower()


def _maybe_sent(e: BaseException) -> bool:
    """False only when the connection itself could not be made (the request never left)."""
    if isinstance(e, requests.exceptions.ConnectTimeout):
        return False
    cause: BaseException | None = e
    seen = 0
    while cause is not None and seen < 8:
        name = type(cause).__name__
        if name in ("NewConnectionError", "NameResolutionError", "ConnectionRefusedError"):
            return False
        reason = getattr(cause, "reason", None)
        if isinstance(reason, BaseException) and reason is not cause:
            cause = reason
        else:
            cause = cause.__cause__ or cause.__context__
        seen += 1
    return True


class XClient:
    """X API v2 through tweepy, with a timeout on every call and errors as :mod:`xerrors`."""

    def __init__(
        self, creds: Credentials, *, base_url: str | None = None, timeout: float = 10.0
    ) -> None:
        self.creds = creds
        self.base_url = clean_base_url(base_url or creds.base_url, insecure=True)
        self.timeout = timeout
        self.last_rate = RateInfo()
        self._me: dict[str, Any] | None = None
        self._secrets = creds.secrets()
        _REDACTOR.add(self._secrets)
        self._client = tweepy.Client(
            bearer_token=creds.bearer_token,
            consumer_key=creds.api_key,
            consumer_secret=creds.api_secret,
            access_token=creds.access_token,
            access_token_secret=creds.access_token_secret,
            return_type=requests.Response,
            wait_on_rate_limit=False,
        )
        # Our session replaces tweepy's (tweepy only ever calls session.request), and our adapter
        # carries every request, redirected ones included.
        self._client.session.close()
        self._client.session = _XSession()
        adapter = _BaseUrlAdapter(self.base_url, timeout)
        for prefix in (TWEEPY_HOST + "/", "https://", "http://"):
            self._client.session.mount(prefix, adapter)

    def __repr__(self) -> str:
        return f"XClient(base_url={self.base_url!r}, timeout={self.timeout})"

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.session.close()

    # -- the calls -----------------------------------------------------------------------

    def me(self) -> dict[str, Any]:
        """The account the user keys belong to: ``{"id", "username", "name", …}`` (cached)."""
        self._need_user("look up the account")
        if self._me is None:
            body = self._json(lambda: self._client.get_me(user_auth=True), "look up the account")
            data = body.get("data")
            uid = x_id(data.get("id")) if isinstance(data, dict) else None
            if not isinstance(data, dict) or uid is None:
                raise MalformedAnswer("look up the account", "no valid account id")
            self._me = {**data, "id": uid}
        return dict(self._me)

    def create_post(
        self,
        text: str,
        *,
        reply_to: str | None = None,
        quote: str | None = None,
        media_ids: Iterable[str] = (),
    ) -> str:
        """Publish ``text`` (as a reply to the tweet ``reply_to``, quoting the tweet ``quote``,
        with the uploaded images ``media_ids``, each if given); the new tweet id."""
        self._need_user("publish")
        ids = list(media_ids) or None
        body = self._json(
            lambda: self._client.create_tweet(
                text=text,
                in_reply_to_tweet_id=reply_to,
                quote_tweet_id=quote,
                media_ids=ids,
                user_auth=True,
            ),
            "publish a post",
        )
        data = body.get("data")
        tweet_id = x_id(data.get("id")) if isinstance(data, dict) else None
        if tweet_id is None:
            # A 2xx without a valid id: X may well have created the post. An unclear outcome.
            raise MalformedAnswer("publish a post", "no valid id for the new post")
        return tweet_id

    def upload_image(self, data: bytes, mime_type: str, alt_text: str) -> tuple[str, int]:
        """Upload an image (``POST /2/media/upload``) and set its alt text
        (``POST /2/media/metadata``): ``(media id, seconds X keeps it)``.

        An upload never posts anything, so a failed one may simply be done again.
        """
        import base64

        self._need_user("upload an image")
        what = "upload an image"
        body = self._json(
            lambda: self._client.request(
                "POST",
                "/2/media/upload",
                json={
                    "media": base64.b64encode(data).decode("ascii"),
                    "media_category": "tweet_gif" if mime_type == "image/gif" else "tweet_image",
                    "media_type": mime_type,
                },
                user_auth=True,
            ),
            what,
        )
        data_obj = body.get("data")
        media_id = x_id(data_obj.get("id")) if isinstance(data_obj, dict) else None
        if media_id is None or not isinstance(data_obj, dict):
            raise MalformedAnswer(what, "no valid media id")
        expires = data_obj.get("expires_after_secs")
        keep = expires if isinstance(expires, int) and 0 < expires <= 86_400 else 86_400
        what = "set an image's alt text"
        self._json(
            lambda: self._client.request(
                "POST",
                "/2/media/metadata",
                json={"id": media_id, "metadata": {"alt_text": {"text": alt_text}}},
                user_auth=True,
            ),
            what,
        )
        return media_id, keep

    def user_posts(
        self, user_id: str, *, start_time: datetime | None = None
    ) -> list[dict[str, Any]]:
        """The account's own posts since ``start_time`` (all pages), newest first.

        Each dict is X's tweet object with at least ``id``, ``text`` and ``created_at``.
        """
        self._need_user("read the account's timeline")
        posts: list[dict[str, Any]] = []
        token: str | None = None
        seen: set[str] = set()
        for _ in range(TIMELINE_MAX_PAGES):
            params: dict[str, Any] = {
                "max_results": 100,
                "tweet_fields": TIMELINE_FIELDS,
                "user_auth": True,
            }
            if start_time is not None:
                params["start_time"] = start_time
            if token:
                params["pagination_token"] = token
            what = "read the account's timeline"
            page = parse_page(
                self._json(partial(self._client.get_users_tweets, user_id, **params), what),
                what,
                max_items=100,
            )
            posts += page.tweets
            if not page.next_token or page.next_token in seen:
                break
            seen.add(page.next_token)
            token = page.next_token
        return posts

    def tweet_metrics(self, ids: list[str], *, non_public: bool = False) -> Page:
        """One lookup (``GET /2/tweets?ids=``, at most 100 ids) of posts' metrics: each post's
        ``public_metrics`` and, with ``non_public`` (user context: the account's own posts under
        30 days old), ``non_public_metrics``. X's refusals of single posts or fields are data,
        in ``Page.errors``."""
        if not 0 < len(ids) <= 100:
            raise ValueError("a metrics lookup takes 1 to 100 ids")
        what = "read posts' metrics"
        user_auth = non_public or not self.creds.bearer_token
        if user_auth:
            self._need_user(what)
        fields = ["created_at", "public_metrics"] + (["non_public_metrics"] if non_public else [])
        body = self._json(
            partial(self._client.get_tweets, ids, tweet_fields=fields, user_auth=user_auth), what
        )
        return parse_page(body, what, max_items=100)

    def search_recent(
        self,
        query: str,
        *,
        since_id: str | None = None,
        next_token: str | None = None,
        max_results: int = 100,
    ) -> SearchPage:
        """One page of recent search, with authors and referenced posts expanded.

        Uses the bearer token when set, else the user keys. A 200 carrying both ``data`` and
        ``errors`` is data: the errors are kept in ``SearchPage.errors``.
        """
        if not self.creds.can_search:
            raise CredentialsError(
                "searching X needs X_BEARER_TOKEN (or the four posting keys X_API_KEY, "
                "X_API_SECRET, X_ACCESS_TOKEN, X_ACCESS_TOKEN_SECRET): set it in the environment"
            )
        user_auth = not self.creds.bearer_token
        params: dict[str, Any] = {
            "max_results": max(10, min(100, max_results)),
            "expansions": SEARCH_EXPANSIONS,
            "tweet_fields": TWEET_FIELDS,
            "user_fields": USER_FIELDS,
            "user_auth": user_auth,
        }
        if since_id:
            params["since_id"] = since_id
        if next_token:
            params["next_token"] = next_token
        response = self._call(
            lambda: self._client.search_recent_tweets(query, **params), "search recent posts"
        )
        what = "search recent posts"
        body = self._body(response, what)
        page: Page = parse_page(body, what, max_items=params["max_results"])
        rate = _rate(response)
        return SearchPage(
            tweets=page.tweets,
            users=page.users,
            included_tweets=page.included_tweets,
            errors=page.errors,
            meta=page.meta,
            next_token=page.next_token,
            newest_id=page.newest_id,
            rate_remaining=rate.remaining,
            rate_reset_at=rate.reset_at,
            raw=body,
            skipped=page.skipped,
        )

    def lookup_posts(self, ids: list[str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """``GET /2/tweets?ids=`` (at most 100): the posts still visible and X's ``errors``
        for the others (not found, author suspended, not authorised). App token when set."""
        if not self.creds.can_search:
            raise CredentialsError(
                "looking posts up on X needs X_BEARER_TOKEN (or the four posting keys): "
                "set it in the environment"
            )
        body = self._json(
            lambda: self._client.get_tweets(
                ids[:100], tweet_fields=["created_at"], user_auth=not self.creds.bearer_token
            ),
            "look posts up",
        )
        data = [t for t in body.get("data") or [] if isinstance(t, dict)]
        errors = [e for e in body.get("errors") or [] if isinstance(e, dict)]
        return data, errors

    def create_compliance_job(self, name: str) -> dict[str, Any]:
        """``POST /2/compliance/jobs`` for posts (app-only: needs X_BEARER_TOKEN): the job."""
        self._need_bearer("start a compliance job")
        body = self._json(
            lambda: self._client.create_compliance_job("tweets", name=name, resumable=False),
            "start a compliance job",
        )
        return self._job(body, "start a compliance job")

    def compliance_job(self, job_id: str) -> dict[str, Any]:
        """``GET /2/compliance/jobs/:id``: the job with its ``status``."""
        self._need_bearer("read a compliance job")
        body = self._json(lambda: self._client.get_compliance_job(job_id), "read a compliance job")
        return self._job(body, "read a compliance job")

    def transfer(self, method: str, url: str, data: bytes | None = None) -> bytes:
        """Upload to / download from a compliance job's signed storage address (no X keys are
        sent there), with the client's timeout. Raises :class:`NoAnswer` or :class:`Refused`."""
        what = "upload the ids of a compliance job" if data is not None else "download its result"
        try:
            response = requests.request(
                method,
                url,
                data=data,
                headers={"Content-Type": "text/plain"} if data is not None else None,
                timeout=self.timeout,
            )
        except requests.exceptions.RequestException as e:
            raise NoAnswer(f"the request to {what} failed ({type(e).__name__})") from None
        if response.status_code >= 400:
            raise Refused(response.status_code, f"could not {what}")
        return response.content

    # -- plumbing --------------------------------------------------------------------------

    def _need_bearer(self, what: str) -> None:
        if not self.creds.bearer_token:
            raise CredentialsError(
                f"cannot {what} on X without the app's token: set X_BEARER_TOKEN in the environment"
            )

    @staticmethod
    def _job(body: dict[str, Any], what: str) -> dict[str, Any]:
        data = body.get("data")
        if not isinstance(data, dict) or not data.get("id"):
            raise NoAnswer(f"X answered the request to {what} without a job")
        return dict(data)

    def _need_user(self, what: str) -> None:
        missing = self.creds.missing_user_keys()
        if missing:
            raise CredentialsError(
                f"cannot {what} on X without the posting keys: set {', '.join(missing)} "
                "in the environment"
            )

    def _json(self, call: Callable[[], Any], what: str) -> dict[str, Any]:
        return self._body(self._call(call, what), what)

    def _body(self, response: requests.Response, what: str) -> dict[str, Any]:
        try:
            body = json.loads(response.content)
        except (ValueError, RecursionError) as e:  # not JSON, or nested past Python's stack
            raise MalformedAnswer(what, "not JSON") from e
        if not isinstance(body, dict):
            raise MalformedAnswer(what, "not a JSON object")
        return body

    def _call(self, call: Callable[[], Any], what: str) -> requests.Response:
        """Run one tweepy call within the timeout (a deadline for the whole call); map every
        failure to an :class:`XError`."""
        with _deadline(self.timeout) as d:
            try:
                response = self._tweepy(call, what)
            except NoAnswer as e:
                if d.expired:  # the deadline cut the answer short
                    raise NoAnswer(
                        f"the request to {what} timed out after {self.timeout:g} s",
                        maybe_sent=e.maybe_sent,
                    ) from None
                raise
            if d.expired:  # cut short, yet it looked whole (an answer ended by closing)
                raise NoAnswer(f"the request to {what} timed out after {self.timeout:g} s")
        return response

    def _tweepy(self, call: Callable[[], Any], what: str) -> requests.Response:
        try:
            response = call()
        except tweepy.errors.TooManyRequests as e:
            self.last_rate = _rate(e.response)
            reset = self.last_rate.reset_at or now() + timedelta(seconds=60)
            if reset - now() >= MAX_RATE_WAIT:
                log.warning(
                    "X's rate-limit reset is more than %s away: waiting %s at most",
                    MAX_RATE_WAIT,
                    MAX_RATE_WAIT,
                )
            raise RateLimited(reset, self._clean(_detail(e))) from None
        except tweepy.errors.Unauthorized as e:
            raise AuthFailed(401, self._clean(_detail(e))) from None
        except tweepy.errors.Forbidden as e:
            detail = self._clean(_detail(e))
            problem = _problem_text(e)
            if "duplicate" in problem:
                raise DuplicateContent(detail) from None
            codes = {c for c in e.api_codes if isinstance(c, int)}
            if codes & SUSPENDED_CODES or any(m in problem for m in SUSPENDED_MARKERS):
                raise AccountLocked(403, detail, suspended=True) from None
            if codes & LOCKED_CODES or any(m in problem for m in LOCKED_MARKERS):
                raise AccountLocked(403, detail) from None
            if any(m in problem for m in AUTH_403_MARKERS):
                raise AuthFailed(403, detail) from None
            if any(m in problem for m in REPLY_GONE_MARKERS):
                raise ReplyRefused(403, detail, gone=True) from None
            if any(m in problem for m in REPLY_LIMITED_MARKERS):
                raise ReplyRefused(403, detail, gone=False) from None
            raise Refused(403, detail) from None
        except tweepy.errors.TwitterServerError as e:
            raise ServerError(e.response.status_code, self._clean(_detail(e))) from None
        except tweepy.errors.HTTPException as e:
            status = e.response.status_code
            if 300 <= status < 400:
                # Not followed (_XSession): for a post, X may or may not have made it.
                raise NoAnswer(
                    f"X answered the request to {what} with a redirect ({status}), which is "
                    "not followed"
                ) from None
            raise Refused(status, self._clean(_detail(e))) from None
        except requests.exceptions.RequestException as e:
            if isinstance(e, requests.exceptions.Timeout):
                why = f"timed out after {self.timeout:g} s"
            elif isinstance(e, AnswerTooLarge):
                why = f"failed: {e}"
            elif isinstance(e, requests.exceptions.TooManyRedirects):
                why = f"was redirected more than {MAX_REDIRECTS} times"
            else:
                why = f"failed ({type(e).__name__})"
            raise NoAnswer(f"the request to {what} {why}", maybe_sent=_maybe_sent(e)) from None
        except (OSError, ValueError) as e:
            # Sockets and JSON from below requests: never let one escape as a traceback.
            raise NoAnswer(
                f"the request to {what} failed: {type(e).__name__}", maybe_sent=_maybe_sent(e)
            ) from None
        except Exception as e:  # noqa: BLE001 - tweepy reading a hostile answer (a list for an error body, …)
            raise MalformedAnswer(what, f"tweepy could not read it ({type(e).__name__})") from None
        if not isinstance(response, requests.Response):  # pragma: no cover - tweepy contract
            raise XError(f"unexpected answer type from tweepy: {type(response).__name__}")
        self.last_rate = _rate(response)
        return response

    def _clean(self, text: str) -> str:
        return scrub(text, self._secrets)
