"""What X said (or did not say): the cases the publisher and the collector act on.

:class:`scheduler.xclient.XClient` turns every tweepy and requests error into one of these, so no
caller ever catches tweepy's exceptions. Messages are written for the person reading
``campaign status`` or the daemon log; they never contain a credential.
"""

from __future__ import annotations

from datetime import datetime

from campaign.errors import CampaignError


class XError(CampaignError):
    "X refused a request or did not answer it"


class RateLimited(XError):
    "X's rate limit is used up: nothing may be sent to that endpoint before ``reset_at``"

    def __init__(self, reset_at: datetime, detail: str = "") -> None:
        self.reset_at = reset_at
        self.detail = detail
        super().__init__(
            f"X's rate limit is used up until {reset_at.isoformat(timespec='seconds')}"
            + (f" ({detail})" if detail else "")
            + ": the tool waits and sends nothing before then"
        )


class DuplicateContent(XError):
    "X refused the post as a duplicate of one already on the account"

    def __init__(self, detail: str = "") -> None:
        self.detail = detail
        super().__init__(
            "X refused the post as duplicate content (the same text is already on the account)"
            + (f": {detail}" if detail else "")
        )


class AuthFailed(XError):
    "X refused the credentials (401, or a 403 about authentication or app permissions)"

    #: ``"locked"`` or ``"suspended"`` when X refused because of the account itself
    #: (:class:`AccountLocked`), else None: the keys are at fault.
    account_state: str | None = None
    #: What a person does before resuming, in plain words.
    fix = "fix the credentials"

    def __init__(self, status: int, detail: str = "") -> None:
        self.status = status
        self.detail = detail
        super().__init__(
            f"X refused the credentials ({status}"
            + (f": {detail}" if detail else "")
            + "): check X_API_KEY, X_API_SECRET, X_ACCESS_TOKEN, X_ACCESS_TOKEN_SECRET (and "
            "X_BEARER_TOKEN for search) and that the app has read and write permission"
        )


class AccountLocked(AuthFailed):
    """X refused because the account is locked (v1.1 code 326, "this account is temporarily
    locked") or suspended (code 64, or v2's ``user-suspended`` problem). The keys are fine and
    every request made as the account is refused alike, so publishing stops as for refused
    credentials until a person has unlocked the account and resumes."""

    def __init__(self, status: int, detail: str = "", *, suspended: bool = False) -> None:
        self.account_state = "suspended" if suspended else "locked"
        self.fix = (
            "have the suspension lifted (appeal in the X app or at help.x.com)"
            if suspended
            else "unlock it in the X app (log in as the account and follow X's steps)"
        )
        super().__init__(status, detail)
        self.args = (
            f"the X account is {self.account_state} ({status}"
            + (f": {detail}" if detail else "")
            + f"): {self.fix}, then run `campaign resume`",
        )


class ServerError(XError):
    "X had a server error (5xx); the request may be tried again later"

    def __init__(self, status: int, detail: str = "") -> None:
        self.status = status
        self.detail = detail
        super().__init__(
            f"X had a server error ({status}" + (f": {detail}" if detail else "") + ")"
        )


class NoAnswer(XError):
    """No usable answer from X (timeout, dropped connection, garbled reply).

    ``maybe_sent`` is False only when the request certainly never reached X (the connection
    could not be opened); otherwise X may have acted on it, and a post must be reconciled
    against the account's timeline before anything is sent again.
    """

    def __init__(self, detail: str, *, maybe_sent: bool = True) -> None:
        self.detail = detail
        self.maybe_sent = maybe_sent
        super().__init__(
            f"no answer from X ({detail})"
            + (
                ": the request may have reached X"
                if maybe_sent
                else ": the request did not reach X; check the network"
            )
        )


class Refused(XError):
    "X refused the request (a 4xx other than rate limit, duplicate or authentication)"

    def __init__(self, status: int, detail: str = "") -> None:
        self.status = status
        self.detail = detail
        super().__init__(
            f"X refused the request ({status}" + (f": {detail}" if detail else "") + ")"
        )


class ReplyRefused(Refused):
    """X refused a reply or quote because of the post it answers: deleted (or not visible to
    us), or its author limited who may reply. Sending it again cannot help."""

    def __init__(self, status: int, detail: str = "", *, gone: bool) -> None:
        self.gone = gone
        super().__init__(status, detail)
        why = (
            "the post it answers was deleted or is not visible to the account"
            if gone
            else "the author of the post it answers limited who may reply"
        )
        self.args = (
            f"X refused the reply: {why} ({status}" + (f": {detail}" if detail else "") + ")",
        )
