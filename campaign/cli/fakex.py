"""``campaign fake-x``: run the local X API simulator in the foreground."""

from __future__ import annotations

import click

from campaign.cli.common import UserError, cannot_listen

FAKE_HELP = """Run the local X API simulator for rehearsals and tests.

A real HTTP server on this machine that answers like X's API v2: posting,
deleting, the account's timeline, tweet lookup and recent search, with t.co
links, duplicate refusal, rate-limit headers and authentication checks. It
prints the base URL and the (fake) credentials to export, then runs until
Ctrl-C or SIGTERM.

\b
Posting also takes an OAuth 2 user token: sim-user-bearer
Controls, JSON over HTTP while it runs (no keys; this machine only):
  GET    /_sim/health            is it up
  GET    /_sim/tweets            every stored tweet (?source=api|generated)
  GET    /_sim/users             every account
  GET    /_sim/requests          log of API calls (DELETE clears it)
  GET    /_sim/faults            current faults (DELETE clears them all)
  POST   /_sim/faults            set faults; only the keys given change:
    "delay": S or {"post": S, "*": S}   answer late (the post is made at once)
    "delay_before": {...}               wait before acting instead
    "latency": S                        base delay on every answer
    "rate_limit": {"group": "post", "reset_in": N, "count": K}
                                        429 for K calls, or until the reset
    "error_every": N, "error_next": K   503 every Nth answer / the next K
    "error_status": 502, "error_groups": ["search"]
    "drop_every": N, "drop_probability": P, "drop_seed": S
                                        make the post, then lose the answer:
    "drop_mode": "close" | "hang", "hang_seconds": S
    "accept_duplicates": true           take the same text twice
    "clear": true                       clear all first
  POST   /_sim/conversation      {"n": 300, "seed": 1, "days": 3} a hashtag
                                 conversation; {"now": 20} 20 more, now
  POST   /_sim/limits            {"post": {"limit": 100, "window": 900}}
                                 groups: post delete me timeline lookup
                                 search post_day
  POST   /_sim/clock             {"advance_seconds": S}, {"offset_seconds": S}
                                 or {"now": "2026-12-06T14:00:00Z"}
With --now the clock stands still at that moment (moved only by /_sim/clock),
so a rehearsal or a test sees the same dates and ids on any day.
  POST   /_sim/reset             forget every tweet, fault and window
"""


@click.command("fake-x", help=FAKE_HELP)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8030,
    show_default=True,
    help="Port to listen on (0 picks a free one).",
)
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Loopback address to listen on."
)
@click.option(
    "--conversation",
    "conversation",
    type=click.IntRange(0, 100_000),
    default=0,
    show_default=True,
    help="Start with a generated hashtag conversation of N posts (e.g. 300).",
)
@click.option(
    "--seed",
    type=int,
    default=1,
    show_default=True,
    help="Seed for t.co links, the conversation and random faults.",
)
@click.option(
    "--hashtag",
    default="PolicingInConflict",
    show_default=True,
    help="The hashtag of the generated conversation.",
)
@click.option(
    "--now",
    "frozen_at",
    metavar="WHEN",
    default=None,
    help="Freeze the simulator's clock at this moment (ISO 8601 with an offset, e.g. "
    "2026-12-06T14:00:00Z) instead of following the real time.",
)
@click.option(
    "--username",
    default="PolicingConflict",
    show_default=True,
    help="The simulated account's @username.",
)
@click.option(
    "--latency-ms",
    type=click.IntRange(0, 600_000),
    default=0,
    show_default=True,
    help="Delay every API answer by N milliseconds.",
)
@click.option(
    "--accept-duplicates", is_flag=True, help="Accept the same text twice (to see a blind retry)."
)
@click.option(
    "--error-every",
    type=click.IntRange(0),
    default=0,
    help="Answer every Nth API request with 503.",
)
@click.option(
    "--drop-every",
    type=click.IntRange(0),
    default=0,
    help="Create every Nth post, then drop the answer.",
)
@click.option(
    "--api-key",
    envvar="FAKE_X_API_KEY",
    default="sim-key",
    show_default=True,
    help="API key to accept (also FAKE_X_API_KEY).",
)
@click.option(
    "--api-secret",
    envvar="FAKE_X_API_SECRET",
    default="sim-secret",
    show_default=True,
    help="API secret to print (also FAKE_X_API_SECRET).",
)
@click.option(
    "--access-token",
    envvar="FAKE_X_ACCESS_TOKEN",
    default="sim-token",
    show_default=True,
    help="Access token to accept (also FAKE_X_ACCESS_TOKEN).",
)
@click.option(
    "--access-token-secret",
    envvar="FAKE_X_ACCESS_TOKEN_SECRET",
    default="sim-token-secret",
    show_default=True,
    help="Access token secret to print (also FAKE_X_ACCESS_TOKEN_SECRET).",
)
@click.option(
    "--bearer-token",
    envvar="FAKE_X_BEARER_TOKEN",
    default="sim-bearer",
    show_default=True,
    help="App bearer token to accept (also FAKE_X_BEARER_TOKEN).",
)
def fake_x(
    port: int,
    host: str,
    conversation: int,
    seed: int,
    hashtag: str,
    frozen_at: str | None,
    username: str,
    latency_ms: int,
    accept_duplicates: bool,
    error_every: int,
    drop_every: int,
    api_key: str,
    api_secret: str,
    access_token: str,
    access_token_secret: str,
    bearer_token: str,
) -> None:
    import signal
    import sys

    from campaign.clock import parse_when
    from campaign.errors import CampaignError
    from scheduler.simulator import (
        Credentials,
        SimClient,
        SimState,
        SimulatorServer,
        frozen,
        is_loopback,
    )
    from scheduler.simulator.conversation import generate

    if not is_loopback(host):
        raise UserError(
            f"the simulator only listens on this machine; --host {host} is not a loopback "
            "address: use 127.0.0.1"
        )

    try:
        clock = frozen(parse_when(frozen_at)) if frozen_at else None
    except CampaignError as e:
        raise UserError(f"--now: {e}") from e
    creds = Credentials(
        api_key=api_key,
        api_secret=api_secret,
        access_token=access_token,
        access_token_secret=access_token_secret,
        bearer_token=bearer_token,
    )
    state = SimState(
        credentials=creds,
        username=username,
        seed=seed,
        accept_duplicates=accept_duplicates,
        latency=latency_ms / 1000,
        clock=clock,
    )
    state.faults.update({"error_every": error_every, "drop_every": drop_every}, state.now())
    try:
        server = SimulatorServer(state, host=host, port=port)
    except OSError as e:
        raise cannot_listen(host, port, e, "campaign fake-x") from e

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        if conversation:
            generate(state, n=conversation, seed=seed, hashtag=hashtag)
        click.echo(f"Fake X API listening on {server.base_url}")
        click.echo("These credentials are fake; export them to point the campaign tool here:")
        for key, value in SimClient(server.base_url, creds).env.items():
            click.echo(f"export {key}={value}")
        click.echo(f"Account @{username}; {conversation} generated posts. Ctrl-C to stop.")
        sys.stdout.flush()
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        state.stopping.set()
        server.server.server_close()
    click.echo("Fake X API stopped.")
