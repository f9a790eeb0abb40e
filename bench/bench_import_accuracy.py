"""Per-field accuracy of `campaign import-page` over the corpus of event pages in tests/pages/.

    .venv/bin/python bench/bench_import_accuracy.py [--code DIR] [--pages DIR] [--verbose]

Each page ``NAME.txt`` or ``NAME.html`` there has ``NAME.expected.yaml``: the facts a person
reading the page writes down (title, hashtag, date, time, zone, speakers with role, organisation
and part, publications), and the options to import it with (``--year``, ``--hashtag``).

Scores: names, publications: found and expected in common, out of all found or expected
(a name too many counts against as a name missed). Roles, organisations, parts: per expected
speaker, right when the speaker found under that name has that value. Title, hashtag, date,
time, zone: per page. ``--code DIR`` reads the pages with the code in DIR instead (an older
checkout, to compare: ``git archive REV | tar -x -C DIR``).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
FIELDS = (
    "names",
    "roles",
    "organisations",
    "parts",
    "title",
    "hashtag",
    "date",
    "time",
    "zone",
    "publications",
)
ZONES = {"ET": "America/New_York", "EST": "America/New_York", "EDT": "America/New_York"}


def facts(page: Any) -> dict[str, Any]:
    """What the importer read, in the shape of an expected file."""
    clock = getattr(page, "clock", None)  # older code has no time
    try:
        from campaign.eventpage.dates import ZONES as zones
    except ImportError:
        zones = ZONES
    return {
        "title": page.title,
        "hashtag": page.hashtag,
        "date": page.event_date if page.year_source != "none" else None,
        "time": f"{clock.start:%H:%M}" if clock else None,
        "zone": zones.get(clock.zone) if clock and clock.zone else None,
        "speakers": [
            {
                "name": s.name,
                "role": s.role,
                "organisation": s.organisation,
                "part": "moderator" if s.moderator else getattr(s, "part", None),
            }
            for s in page.speakers
        ],
        "publications": [
            {"title": p.title, "date": p.date, "authors": list(p.authors), "type": p.type}
            for p in page.publications
        ],
    }


def corpus(pages: Path) -> list[tuple[Path, dict[str, Any]]]:
    """Each page with its expected facts, by name."""
    out = []
    for expected in sorted(pages.glob("*.expected.yaml")):
        stem = expected.name.removesuffix(".expected.yaml")
        page = next(p for ext in ("txt", "html") if (p := pages / f"{stem}.{ext}").exists())
        out.append((page, yaml.safe_load(expected.read_text(encoding="utf-8"))))
    return out


def read(parse: Any, page: Path, expected: dict[str, Any]) -> dict[str, Any]:
    options = expected.get("options") or {}
    text = page.read_text(encoding="utf-8")
    try:
        parsed = parse(text, options.get("year"), options.get("hashtag"))
    except TypeError:  # older code: no --hashtag
        parsed = parse(text, options.get("year"))
    return facts(parsed)


def score(expected: dict[str, Any], found: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """(right, out of) for each field of one page."""
    out: dict[str, tuple[int, int]] = {}
    for key in ("title", "hashtag", "date", "time", "zone"):
        out[key] = (int(expected.get(key) == found.get(key)), 1)
    want = {s["name"]: s for s in expected.get("speakers") or []}
    got = {s["name"]: s for s in found["speakers"]}
    out["names"] = (len(want.keys() & got.keys()), len(want.keys() | got.keys()))
    for field, key in (("roles", "role"), ("organisations", "organisation"), ("parts", "part")):
        right = sum(1 for n, s in want.items() if n in got and got[n][key] == s.get(key))
        out[field] = (right, len(want))

    def pub(p: dict[str, Any]) -> tuple[Any, ...]:
        return (p["title"], p.get("date"), tuple(p.get("authors") or ()), p.get("type"))

    want_p = {pub(p) for p in expected.get("publications") or []}
    got_p = {pub(p) for p in found["publications"]}
    out["publications"] = (len(want_p & got_p), len(want_p | got_p))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--code", type=Path, help="read with the code in this checkout instead")
    ap.add_argument("--pages", type=Path, default=ROOT / "tests" / "pages")
    ap.add_argument("--verbose", action="store_true", help="show each page's misses")
    args = ap.parse_args()
    if args.code:
        sys.path.insert(0, str(args.code.resolve()))
    parse = importlib.import_module("campaign.importpage").parse_page
    totals: Counter[str] = Counter()
    rights: Counter[str] = Counter()
    pages = corpus(args.pages)
    for page, expected in pages:
        found = read(parse, page, expected)
        for field, (right, total) in score(expected, found).items():
            rights[field] += right
            totals[field] += total
            if args.verbose and right < total:
                print(f"{page.name}: {field} {right}/{total}", file=sys.stderr)
    print(f"{len(pages)} pages ({', '.join(p.name for p, _ in pages)})")
    print("| field | right | out of | accuracy |")
    print("|---|---:|---:|---:|")
    for field in FIELDS:
        share = rights[field] / totals[field] if totals[field] else 1.0
        print(f"| {field} | {rights[field]} | {totals[field]} | {share:.0%} |")
    overall = sum(rights.values()) / sum(totals.values())
    print(f"| all fields | {sum(rights.values())} | {sum(totals.values())} | {overall:.1%} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
