"""The X client: credentials, the base URL, timeouts, and X's answers turned into xerrors —
all through tweepy over real HTTP against the simulator."""

from __future__ import annotations

import logging
import socket
import stat
import time
from datetime import timedelta
from pathlib import Path

import pytest

from campaign.clock import now
from campaign.errors import CampaignError, CredentialsError
from scheduler.xclient import Credentials, XClient
from scheduler.xerrors import (
    AuthFailed,
    DuplicateContent,
    NoAnswer,
    RateLimited,
    Refused,
    ServerError,
)
from tests.fixtures.simulator import FakeX

SECRETS = {
    "X_API_KEY": "sim-api-key",
    "X_API_SECRET": "sim-api-secret",
    "X_ACCESS_TOKEN": "sim-access-token",
    "X_ACCESS_TOKEN_SECRET": "sim-access-token-secret",
    "X_BEARER_TOKEN": "sim-bearer-token",
}


def client(fake_x: FakeX, timeout: float = 5.0, **env: str) -> XClient:
    return XClient(Credentials.from_env({**fake_x.env, **env}), timeout=timeout)


def test_missing_posting_credentials_are_all_named() -> None:
    """Without posting keys the error names every missing variable and no value."""
    with pytest.raises(CredentialsError) as e:
        Credentials.from_env({"X_API_KEY": "present-key-value"}, need_user=True)
    message = str(e.value)
    for name in ("X_API_SECRET", "X_ACCESS_TOKEN", "X_ACCESS_TOKEN_SECRET"):
        assert name in message
    assert "X_API_KEY," not in message
    assert "present-key-value" not in message


def test_missing_bearer_is_named() -> None:
    """need_bearer asks for X_BEARER_TOKEN by name."""
    with pytest.raises(CredentialsError, match="X_BEARER_TOKEN"):
        Credentials.from_env({}, need_bearer=True)


def test_empty_variable_counts_as_missing() -> None:
    """A variable set to blanks is reported missing, not used."""
    env = {**SECRETS, "X_ACCESS_TOKEN": "  "}
    with pytest.raises(CredentialsError, match="X_ACCESS_TOKEN"):
        Credentials.from_env(env, need_user=True)


def test_repr_hides_every_secret() -> None:
    """repr and str say which keys are set, never their values."""
    creds = Credentials.from_env(SECRETS, need_user=True)
    for text in (repr(creds), str(creds), repr(XClient(creds))):
        for value in SECRETS.values():
            assert value not in text
    assert "api_key=set" in repr(creds)


def test_credentials_file_is_read_and_wins(tmp_path: Path) -> None:
    """A KEY=VALUE file (comments, export, quotes) is read and overrides the environment."""
    f = tmp_path / "x.env"
    f.write_text(
        "# posting keys\nexport X_API_KEY='from-file-key'\nX_API_SECRET=\"from-file-secret\"\n\n"
        "X_ACCESS_TOKEN=from-file-token\nX_ACCESS_TOKEN_SECRET=from-file-token-secret\n"
    )
    f.chmod(stat.S_IRUSR | stat.S_IWUSR)
    creds = Credentials.from_env({"X_API_KEY": "env-key"}, need_user=True, file=str(f))
    assert ("from-file-key", "from-file-secret") == (creds.api_key, creds.api_secret)
    assert creds.can_post


def test_bad_credentials_file_line_is_located_not_quoted(tmp_path: Path) -> None:
    """A malformed line is reported by number, without its (possibly secret) content."""
    f = tmp_path / "x.env"
    f.write_text("X_API_KEY=ok\nthis-is-a-secret-without-equals\n")
    with pytest.raises(CredentialsError) as e:
        Credentials.from_env({}, file=str(f))
    assert "line 2" in str(e.value)
    assert "this-is-a-secret" not in str(e.value)


def test_missing_credentials_file_says_which() -> None:
    """A credentials file that does not exist is named in the error."""
    with pytest.raises(CredentialsError, match=r"nope\.env"):
        Credentials.from_env({}, file="nope.env")


def test_base_url_must_be_a_url() -> None:
    """X_API_BASE_URL that is not a URL is refused with an example."""
    with pytest.raises(CredentialsError, match="X_API_BASE_URL"):
        Credentials.from_env({"X_API_BASE_URL": "localhost:8080"})


def test_me_goes_to_the_base_url(fake_x: FakeX) -> None:
    """Calls tweepy addresses to api.twitter.com reach X_API_BASE_URL, with user auth."""
    me = client(fake_x).me()
    assert (fake_x.user_id, fake_x.username) == (me["id"], me["username"])
    assert ["oauth1-user"] == [r["auth"] for r in fake_x.requests()]


def test_create_post_returns_the_new_id(fake_x: FakeX) -> None:
    """create_post answers X's id; the simulator holds exactly that text."""
    c = client(fake_x)
    tweet_id = c.create_post("Hello from the tool #PolicingInConflict")
    reply_id = c.create_post("and a reply", reply_to=tweet_id)
    stored = {t["id"]: t for t in fake_x.tweets()}
    assert "Hello from the tool #PolicingInConflict" == stored[tweet_id]["submitted_text"]
    assert [{"type": "replied_to", "id": tweet_id}] == stored[reply_id]["referenced_tweets"]


def test_user_posts_reads_all_pages_since(fake_x: FakeX) -> None:
    """user_posts follows next_token through every page, newest first, since start_time."""
    fake_x.limits(post={"limit": 1000, "window": 900})
    c = client(fake_x)
    start = now() - timedelta(seconds=5)
    made = [c.create_post(f"timeline post number {i}") for i in range(130)]
    got = c.user_posts(fake_x.user_id, start_time=start)
    assert sorted(made, key=int, reverse=True) == [t["id"] for t in got]
    assert {"id", "text", "created_at"} <= set(got[0])
    assert [] == c.user_posts(fake_x.user_id, start_time=now() + timedelta(hours=1))


def test_search_recent_page_shape(fake_x: FakeX) -> None:
    """search_recent returns tweets, users by id, meta, next_token and rate headers."""
    fake_x.add_conversation(n=150, seed=3)
    c = client(fake_x)
    page = c.search_recent("#PolicingInConflict", max_results=100)
    assert 100 == len(page.tweets)
    assert page.next_token is not None
    assert page.newest_id == page.meta["newest_id"]
    authors = {t["author_id"] for t in page.tweets}
    assert authors <= set(page.users)
    assert {"created_at", "public_metrics", "conversation_id"} <= set(page.tweets[0])
    assert page.rate_remaining is not None and page.rate_reset_at is not None
    assert page.raw["data"] == page.tweets
    second = c.search_recent("#PolicingInConflict", next_token=page.next_token)
    assert not {t["id"] for t in second.tweets} & {t["id"] for t in page.tweets}
    assert ["app"] == list({r["auth"] for r in fake_x.requests() if r["group"] == "search"})


def test_search_newer_than_since_id(fake_x: FakeX) -> None:
    """since_id limits a search to newer posts."""
    fake_x.add_conversation(n=30, seed=4)
    c = client(fake_x)
    newest = c.search_recent("#PolicingInConflict").newest_id
    fake_x.add_now(3)
    page = c.search_recent("#PolicingInConflict", since_id=newest)
    assert len(page.tweets) >= 1
    assert all(int(t["id"]) > int(str(newest)) for t in page.tweets)


def test_rate_limit_carries_the_reset_time(fake_x: FakeX) -> None:
    """A 429 becomes RateLimited with X's x-rate-limit-reset time."""
    fake_x.faults(rate_limit={"group": "post", "reset_in": 30, "count": 1})
    with pytest.raises(RateLimited) as e:
        client(fake_x).create_post("not now")
    wait = (e.value.reset_at - now()).total_seconds()
    assert 25 <= wait <= 31
    assert [] == fake_x.tweets(source="api")


def test_duplicate_is_its_own_case(fake_x: FakeX) -> None:
    """403 duplicate content becomes DuplicateContent, not a generic refusal."""
    c = client(fake_x)
    c.create_post("said once")
    with pytest.raises(DuplicateContent):
        c.create_post("said once")


def test_server_error_keeps_the_status(fake_x: FakeX) -> None:
    """A 5xx becomes ServerError with its status."""
    fake_x.faults(error_next=1, error_status=502)
    with pytest.raises(ServerError) as e:
        client(fake_x).create_post("server trouble")
    assert 502 == e.value.status


def test_wrong_keys_are_auth_failures(fake_x: FakeX) -> None:
    """401 becomes AuthFailed, and its message holds no secret."""
    c = client(fake_x, X_API_KEY="wrong-key-value-123", X_BEARER_TOKEN="wrong-bearer-value")
    with pytest.raises(AuthFailed) as e:
        c.create_post("refused")
    assert 401 == e.value.status
    assert "wrong-key-value-123" not in str(e.value)
    with pytest.raises(AuthFailed):
        c.search_recent("#PolicingInConflict")


def test_too_long_is_refused(fake_x: FakeX) -> None:
    """Another 403 (over 280 characters) is a plain refusal with X's words."""
    with pytest.raises(Refused) as e:
        client(fake_x).create_post("x" * 300)
    assert 403 == e.value.status


def test_dropped_answer_may_have_been_sent(fake_x: FakeX) -> None:
    """A connection closed after the post was made is NoAnswer with maybe_sent."""
    fake_x.faults(drop_every=1, accept_duplicates=True)
    with pytest.raises(NoAnswer) as e:
        client(fake_x).create_post("lost answer")
    assert e.value.maybe_sent
    assert ["lost answer"] == [t["submitted_text"] for t in fake_x.tweets(source="api")]


def test_slow_answer_times_out(fake_x: FakeX) -> None:
    """An answer slower than the timeout is NoAnswer after about the timeout."""
    fake_x.faults(delay={"post": 2})
    started = time.monotonic()
    with pytest.raises(NoAnswer) as e:
        client(fake_x, timeout=0.3).create_post("slow")
    assert time.monotonic() - started < 1.5
    assert e.value.maybe_sent


def test_nobody_listening_was_not_sent() -> None:
    """A refused connection is NoAnswer that certainly did not reach X."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**SECRETS, "X_API_BASE_URL": f"http://127.0.0.1:{port}"}
    with pytest.raises(NoAnswer) as e:
        XClient(Credentials.from_env(env), timeout=1).create_post("nobody home")
    assert not e.value.maybe_sent


def test_posting_without_user_keys_is_a_clear_error(fake_x: FakeX) -> None:
    """With only a bearer token, posting names the missing keys before any request."""
    creds = Credentials.from_env({"X_BEARER_TOKEN": "bearer-only-value", **_base(fake_x)})
    with pytest.raises(CredentialsError, match="X_API_KEY"):
        XClient(creds).create_post("no keys")
    assert [] == fake_x.requests()


def test_errors_are_campaign_errors() -> None:
    """Every X error is a CampaignError, so the CLI shows one line and exits 2."""
    for e in (
        RateLimited(now()),
        DuplicateContent(),
        AuthFailed(401),
        ServerError(503),
        NoAnswer("x"),
        Refused(400),
    ):
        assert isinstance(e, CampaignError)


def test_bearer_token_never_reaches_the_log(
    fake_x: FakeX, caplog: pytest.LogCaptureFixture
) -> None:
    """tweepy's DEBUG request log has the bearer token scrubbed."""
    # Set both loggers: a daemon command run in-process earlier may have raised "tweepy" to WARNING.
    with (
        caplog.at_level(logging.DEBUG, logger="tweepy"),
        caplog.at_level(logging.DEBUG, logger="tweepy.client"),
    ):
        client(fake_x).search_recent("#PolicingInConflict")
    assert "Authorization" in caplog.text
    assert fake_x.env["X_BEARER_TOKEN"] not in caplog.text


def _base(fake_x: FakeX) -> dict[str, str]:
    return {"X_API_BASE_URL": fake_x.base_url}


def test_credentials_file_readable_by_others_is_warned(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A keys file other users can read still works, with a warning to chmod 600 it."""
    f = tmp_path / "x.env"
    f.write_text("X_BEARER_TOKEN=bearer-from-open-file\n")
    f.chmod(0o644)
    with caplog.at_level(logging.WARNING):
        creds = Credentials.from_env({}, need_bearer=True, file=str(f))
    assert creds.can_search
    assert "chmod 600" in caplog.text
    assert "bearer-from-open-file" not in caplog.text
