"""What the X client's guards cost per call: the whole-call deadline (a timer and watched
sockets), the capped streaming read and the answer checks (scheduler/xanswer.py).

Starts the X simulator in this process with a conversation of 300 posts and asks for the same
full page of recent search (100 posts, with their authors) ``--calls`` times, through:

- the baseline: a plain ``requests.Session`` GET of the same URL with the bearer token, and
  ``json.loads`` of the answer (no deadline, no cap, no checks);
- tweepy alone: ``tweepy.Client.search_recent_tweets`` with a plain adapter that only rewrites
  the host, and ``json.loads`` (what the client was before the guards);
- ``XClient.search_recent``, as the collector calls it.

Both run in the same process, interleaved in rounds, so the ratio is measured under the same load.

Run: ``.venv/bin/python bench/bench_xclient.py`` (prints a Markdown table).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scheduler.simulator import SimClient, SimulatorServer  # noqa: E402 - after the path is set
from scheduler.xclient import (  # noqa: E402
    SEARCH_EXPANSIONS,
    TWEET_FIELDS,
    USER_FIELDS,
    Credentials,
    XClient,
)

QUERY = "#PolicingInConflict"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300, help="calls of each kind")
    args = parser.parse_args()

    server = SimulatorServer().start()
    try:
        sim = SimClient(server.base_url, server.state.credentials)
        sim.add_conversation(300, seed=1)
        creds = Credentials.from_env(sim.env, need_bearer=True)
        client = XClient(creds, timeout=10)
        session = requests.Session()
        url = server.base_url + "/2/tweets/search/recent"
        params = {
            "query": QUERY,
            "max_results": 100,
            "expansions": ",".join(SEARCH_EXPANSIONS),
            "tweet.fields": ",".join(TWEET_FIELDS),
            "user.fields": ",".join(USER_FIELDS),
        }
        headers = {"Authorization": f"Bearer {creds.bearer_token}"}

        def plain() -> int:
            r = session.get(url, params=params, headers=headers, timeout=10)
            return len(json.loads(r.content)["data"])

        import tweepy
        from requests.adapters import HTTPAdapter

        class Rewrite(HTTPAdapter):
            def send(self, request, *a, **kw):  # type: ignore[no-untyped-def]
                request.url = server.base_url + request.url[len("https://api.twitter.com") :]
                return super().send(request, *a, **kw)

        bare = tweepy.Client(bearer_token=creds.bearer_token, return_type=requests.Response)
        bare.session.mount("https://api.twitter.com/", Rewrite())

        def tweepy_alone() -> int:
            r = bare.search_recent_tweets(
                QUERY,
                max_results=100,
                expansions=SEARCH_EXPANSIONS,
                tweet_fields=TWEET_FIELDS,
                user_fields=USER_FIELDS,
            )
            return len(json.loads(r.content)["data"])

        def guarded() -> int:
            return len(client.search_recent(QUERY).tweets)

        assert plain() == tweepy_alone() == guarded() == 100  # warm up, same page
        sim.limits(search={"limit": 10 * args.calls + 10, "window": 900})
        times: dict[str, list[float]] = {"plain": [], "tweepy": [], "guarded": []}
        calls = (("plain", plain), ("tweepy", tweepy_alone), ("guarded", guarded))
        for _ in range(args.calls):
            for name, call in calls:
                started = time.perf_counter()
                call()
                times[name].append(time.perf_counter() - started)
    finally:
        server.stop()

    def ms(values: list[float], q: float) -> float:
        return 1000 * statistics.quantiles(values, n=100)[int(q) - 1]

    print(f"Command: `.venv/bin/python bench/bench_xclient.py --calls {args.calls}`\n")
    print(
        "| full search page (100 posts) | plain requests | tweepy alone | XClient "
        "(guarded) | XClient / tweepy alone |"
    )
    print("|---|---|---|---|---|")
    for q in (50, 99):
        a, t, b = (ms(times[k], q) for k in ("plain", "tweepy", "guarded"))
        print(f"| p{q} | {a:.2f} ms | {t:.2f} ms | {b:.2f} ms | {b / t:.2f}× |")


if __name__ == "__main__":
    main()
