"""A local X API v2 simulator: a real HTTP server on 127.0.0.1 that answers like X, for tests,
``make demo`` and staff rehearsals (``campaign fake-x``).

X endpoints (JSON and status codes as X sends them; ``x-rate-limit-limit``,
``x-rate-limit-remaining`` and ``x-rate-limit-reset`` on every answer):

- ``POST /2/tweets`` (user context): ``text``, ``reply.in_reply_to_tweet_id``,
  ``media.media_ids``, ``quote_tweet_id``. Links become ``https://t.co/<10 chars>``; the same
  text twice from one account is refused with 403 duplicate content; over 280 weighted
  characters is refused with 403; a media id it never issued (or expired, or more than 4) is
  refused with 400.
- ``POST /2/media/upload`` (user context): JSON ``media`` (base64), ``media_type`` (PNG, JPEG,
  GIF or WebP, the bytes must start like one), ``media_category``; up to 5 MB. Answers the
  media ``id`` and ``expires_after_secs`` (86,400: an upload is forgotten after 24 hours of the
  simulator's clock). ``POST /2/media/metadata``: ``id`` and ``metadata.alt_text.text`` (up to
  1,000 characters), kept with the upload and with each post made with it.
- ``DELETE /2/tweets/:id`` and ``GET /2/users/me`` (user context).
- ``GET /2/users/:id/tweets``, ``GET /2/tweets/:id``, ``GET /2/tweets?ids=``,
  ``GET /2/tweets/search/recent`` (app bearer or user context). Search covers the last 7 days of
  the simulator's clock; see :mod:`scheduler.simulator.query` for the operators.

Authentication: user context is an ``Authorization: OAuth …`` header whose ``oauth_consumer_key``
and ``oauth_token`` are the configured API key and access token (signatures are not checked), or
``Bearer <user bearer token>``; the app is ``Bearer <bearer token>``. Anything else is 401; the
app token on a user-context endpoint is 403 "Unsupported Authentication".
Default credentials (clearly fake; see :class:`~scheduler.simulator.state.Credentials`):
``sim-key``, ``sim-secret``, ``sim-token``, ``sim-token-secret``,
``sim-bearer``, ``sim-user-bearer``. The account is @PolicingConflict, id
``1600000000000000001``. A second account of the same app, @PeaceTechEvents, id
``1600000000000000002``, posts with the access token ``sim-events-token`` (secret
``sim-events-token-secret``) or the user bearer token ``sim-events-user-bearer``: what it posts
is authored by it, so a test tells two accounts' posts apart (``SimClient.account_env``).

Endpoint groups, for rate limits, delays and errors: ``post``, ``delete``, ``me``,
``timeline``, ``lookup``, ``search``, ``media``. Default windows: post 100 / 15 min per user,
media 500,
delete 50, me 75, timeline 900, lookup 900, search 450 / 15 min (per app, or per user for a user
token); and ``post_day``, 10,000 posts / 24 h per app, sent on posting answers as
``x-app-limit-24hour-limit``, ``-remaining`` and ``-reset``. Past that cap a post gets 429 while
``x-rate-limit-remaining`` may still be above 0, as on X: only the 24-hour reset says when to
retry.

Control API (no authentication; JSON in and out):

- ``GET /_sim/health``: ``{"ok": true, "account": {...}}``.
- ``GET /_sim/tweets[?source=api|generated&author_id=ID]``: every stored tweet, oldest first,
  with every field plus ``submitted_text``, ``media_ids``, ``media_alt`` (the alt text of
  each), ``source`` and ``deleted``.
- ``POST /2/compliance/jobs``, ``GET /2/compliance/jobs/:id`` (app bearer only; group
  ``compliance``, 150 / 15 min), with the job's upload and download addresses under
  ``/_storage/compliance/`` (see :mod:`scheduler.simulator.compliance`). Lookups answer a post
  of a suspended or protected author with X's ``Forbidden`` / ``Authorization Error``.
- ``POST /_sim/tweets/:id/delete``: delete a post as its author would in the X app.
- ``POST /_sim/users/:id``: ``{"protected": true}``, ``{"suspended": true}`` or
  ``{"locked": true}`` (``false`` undoes each). The campaign account locked or suspended has
  every request made as it (user context) refused with 403, as X words it: locked, error code
  326 "this account is temporarily locked"; suspended, the problem ``user-suspended``.
- ``POST /_sim/compliance``: ``{"polls": N}``: a job says in_progress N times (default 1).
- ``GET /_sim/users``: every account.
- ``GET /_sim/requests`` / ``DELETE /_sim/requests``: the log of answered API requests
  (``at``, ``method``, ``path``, ``group``, ``status``, ``auth``), or clear it.
- ``POST /_sim/faults``: set misbehaviour; the keys given replace their current value
  (``GET`` shows all, ``DELETE`` clears all):

  - ``"delay": S`` or ``{"post": S, "*": S}``: answer S seconds late (the action, e.g. the new
    tweet, happens at once; the answer waits).
  - ``"delay_before": ...``: the same, but wait before acting on the request.
  - ``"latency": S``: a base delay on every API answer.
  - ``"rate_limit": {"group": "post", "reset_in": N, "count": K}``: 429 with
    ``x-rate-limit-reset`` N seconds ahead, for the next K requests of that group (``"*"`` for
    all), or until the reset when ``count`` is null or missing; with ``"user": ID`` only that
    account's requests get it (X limits posting per user). A list sets several.
  - ``"error_every": N``: every Nth answer is a 5xx; ``"error_next": K``: the next K are
    (a 5xx answer means nothing was done: no tweet is made);
    ``"error_status"`` (default 503); ``"error_groups": ["post", ...]`` (default all).
  - ``"drop_every": N`` / ``"drop_probability": p`` (with ``"drop_seed"``): the tweet IS
    created, then the answer is lost: ``"drop_mode": "close"`` (default) closes the connection
    without a response, ``"hang"`` answers only after ``"hang_seconds"`` (default 30).
  - ``"accept_duplicates": true``: accept the same text twice (so a blind retry shows).
  - ``"clear": true``: clear everything first.

- ``GET/POST /_sim/limits``: ``{"post": {"limit": 100, "window": 900}, ...}`` (groups above and
  ``post_day``); changing a group starts its windows afresh.
- ``GET/POST /_sim/clock``: ``{"now": ISO}``, ``{"offset_seconds": S}`` or
  ``{"advance_seconds": S}`` move the simulator's clock (created_at, search's 7 days, rate
  windows).
- ``POST /_sim/conversation``: ``{"n": 300, "seed": 1, "days": 3, "hashtag":
  "PolicingInConflict"}`` generates a conversation of n posts by others (see
  :mod:`scheduler.simulator.conversation`) plus 4 of the account's own posts (all with
  ``source`` "generated"); ``{"now": M}`` adds M more posts made now, all with the hashtag. Answers ``{"created": N, "ids": [...]}``.
- ``POST /_sim/reset``: forget all tweets, faults, windows, the log and the clock offset.

The clock is its caller's: :class:`~scheduler.simulator.state.SimState` reads the real time
(``campaign.clock.now``, which time-machine freezes in a test's process) unless it is given a
``clock`` callable, e.g. ``SimState(clock=frozen(at))`` (``campaign fake-x --now …``): a fixed
moment that moves only through ``/_sim/clock``, so generated dates and ids are the same on any day.

:class:`~scheduler.simulator.client.SimClient` wraps the control API in Python.
"""

from scheduler.simulator.client import SimClient
from scheduler.simulator.server import SimulatorServer, create_app, is_loopback
from scheduler.simulator.state import (
    ACCOUNT_ID,
    EVENTS_ACCOUNT_ID,
    Clock,
    Credentials,
    SimState,
    frozen,
)

__all__ = [
    "ACCOUNT_ID",
    "EVENTS_ACCOUNT_ID",
    "Clock",
    "Credentials",
    "SimClient",
    "SimState",
    "SimulatorServer",
    "create_app",
    "frozen",
    "is_loopback",
]
