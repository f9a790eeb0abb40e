"""Rendering and checking posts: render_post + rules.prepare for 10,000 posts, against a bare
Jinja2 render loop of the same templates (same contexts, same filters), timed in the same run.

    .venv/bin/python bench/bench_render.py [--posts 10000] [--repeat 3]

Times are CPU time of this process (time.process_time), so other work on a shared machine
slows the figures less than wall time would; the three loops run interleaved, and the median of
the repeats is reported; the garbage collector is off while timing, as in timeit. Prints the timings and the ratio (goal: ours within 3x of bare Jinja2),
and a Markdown block for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import gc
import platform
import statistics
import time
from datetime import UTC, date, datetime
from typing import Any

from campaign.models import CampaignSettings, Event, Metadata, Publication, Speaker
from posts.render import context, render_post
from posts.rules import prepare
from posts.templates import DEFAULTS_DIR, KINDS, SUFFIX, environment

SUMMARY = (
    "The 2021 military coup not only triggered an unprecedented nationwide revolt against "
    "military rule but is increasingly precipitating challenges to global security, with "
    "cross-border trafficking and cyber scams that have reached almost every corner of the globe."
)


def workload(n: int) -> tuple[CampaignSettings, list[tuple[str, dict[str, Any]]]]:
    """``n`` (kind, context) pairs, every one different (numbered speakers and publications)."""
    settings = CampaignSettings(
        name="Policing in Conflict",
        timezone="America/New_York",
        tracking={"utm_source": "x", "utm_medium": "social", "utm_campaign": "pic"},
        tracked_domains=("usip.org",),
    )
    speakers = tuple(
        Speaker(
            f"s{i}", f"Speaker {i}", "Director", f"Organisation {i}", f"sp{i}" if i % 2 else None
        )
        for i in range(n)
    )
    pubs = tuple(
        Publication(
            f"p{i}",
            f"Report {i}: policing in conflict-affected settings",
            f"https://www.usip.org/publications/{i}",
            date(2024, 1, 1 + i % 28),
            (f"Author {i}", "Jason Tower"),
            "Analysis",
            ("Justice, Security & Rule of Law",),
            SUMMARY,
        )
        for i in range(n)
    )
    md = Metadata(
        campaign=settings,
        event=Event(
            title="Policing in Conflict-Affected Settings",
            start=datetime(2026, 12, 6, 15, 0, tzinfo=UTC),
            registration_url="https://www.usip.org/events/policing",
            url="https://www.usip.org/events/policing",
            description=SUMMARY,
        ),
        speakers=speakers[:6],
        publications=pubs[:4],
    )
    jobs: list[tuple[str, dict[str, Any]]] = []
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        item: Speaker | Publication | None = None
        if kind == "spotlight":
            item = speakers[i]
        elif kind == "publication":
            item = pubs[i]
        days = 1 + i % 14 if kind == "reminder" else None
        jobs.append((kind, context(md, kind, item=item, days_before=days, index=i)))
    return settings, jobs


def bare(jobs: list[tuple[str, dict[str, Any]]]) -> float:
    """Plain jinja2.Environment, templates compiled once, render only."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    sandboxed = environment()  # only to borrow the same filters
    env = Environment(  # noqa: S701 (plain text for X, as in posts/templates.py)
        loader=FileSystemLoader(str(DEFAULTS_DIR)),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(sandboxed.filters)
    templates = {k: env.get_template(k + SUFFIX) for k in KINDS}
    start = time.process_time()
    for kind, ctx in jobs:
        templates[kind].render(ctx)
    return time.process_time() - start


def sandboxed(jobs: list[tuple[str, dict[str, Any]]]) -> float:
    """The tool's own sandboxed environment, templates compiled once, render only."""
    from posts.templates import load

    templates = {k: load(k + SUFFIX) for k in KINDS}
    start = time.process_time()
    for kind, ctx in jobs:
        templates[kind].render(ctx)
    return time.process_time() - start


def ours(settings: CampaignSettings, jobs: list[tuple[str, dict[str, Any]]]) -> float:
    """render_post (sandboxed, shorten-to-fit, tidy) then rules.prepare (tracking, hashtag, length)."""
    domains = ["usip.org"]
    start = time.process_time()
    for kind, ctx in jobs:
        prepare(render_post(kind, ctx, settings), settings, event_url_domains=domains)
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    settings, jobs = workload(args.posts)
    ours(settings, jobs[:50])  # warm up: compile templates, load the emoji and URL tables
    bare(jobs[:50])
    sandboxed(jobs[:50])
    b, sb, o = [], [], []
    gc.disable()  # as timeit does: collector pauses land on whichever loop is running
    try:
        for _ in range(args.repeat):  # interleaved, so a busy machine slows all three alike
            b.append(bare(jobs))
            sb.append(sandboxed(jobs))
            o.append(ours(settings, jobs))
    finally:
        gc.enable()
    mb, ms, mo = statistics.median(b), statistics.median(sb), statistics.median(o)
    n = args.posts

    def us(t: float) -> str:
        return f"{t / n * 1e6:.0f}"

    print(f"bare Jinja2 render:      {mb:.3f} s for {n} posts ({us(mb)} µs/post)")
    print(f"sandboxed Jinja2 render: {ms:.3f} s ({us(ms)} µs/post)")
    print(f"render_post + prepare:   {mo:.3f} s ({us(mo)} µs/post)")
    print(f"ratio: {mo / mb:.2f}x bare, {mo / ms:.2f}x sandboxed (goal: within 3x)")
    print()
    print(f"| what ({n} posts, median of {args.repeat} runs) | CPU s | µs per post | ratio |")
    print("|---|---:|---:|---:|")
    print(f"| bare Jinja2 render loop (baseline) | {mb:.3f} | {us(mb)} | 1.00 |")
    print(f"| the same templates, sandboxed, render only | {ms:.3f} | {us(ms)} | {ms / mb:.2f} |")
    print(f"| `render_post` + `rules.prepare` | {mo:.3f} | {us(mo)} | {mo / mb:.2f} |")
    print(f"\nPython {platform.python_version()}")


if __name__ == "__main__":
    main()
