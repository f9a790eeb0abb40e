"""The event's day, time and zone as pages write them.

Dates: "December 6", "Thursday, February 8, 2024", "Sat, Mar 14", "July 27, 2018" on a line of its
own, "Date: Monday, September 12, 2016", "On March 19, 2019, … hosted". Times: "9:00am EST",
"10:00 – 11:30 a.m. ET", "Time: 5:00am - 7:15am", "14:00–15:30 CET", "noon". The event's own
date wins over a posting date ("Posted March 1, 2019"): a labelled date first, then the one a
sentence says the event happens on, then a date on a line of its own, then any "On <date>".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time, timedelta

from campaign.clock import now
from campaign.errors import CampaignError

MONTHS = {
    name: i
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sept", "sep"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_WEEKDAY = r"(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day|Mon|Tues?|Wed|Thur?s?|Fri|Sat|Sun)\.?"
_DAY = rf"(?:{_WEEKDAY},?\s+)?\b({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}}))?"
DAY_RE = re.compile(_DAY, re.IGNORECASE)
# A publication's date line: weekday optional, year required.
DATE_LINE_RE = re.compile(
    rf"(?:{_WEEKDAY},?\s+)?({_MONTH})\.?\s+(\d{{1,2}}),?\s+(\d{{4}})", re.IGNORECASE
)
EVENT_DATE_RE = re.compile(rf"\bOn\s+{_DAY}", re.IGNORECASE)
HOSTING_RE = re.compile(
    r"\b(host|hosts|hosted|hosting|convene|convenes|convened|hold|holds|held|meet|meets|met|"
    r"gather|gathers|join|joins|discuss|discussion|conversation|event|panel|webinar)\b",
    re.IGNORECASE,
)
LABEL_RE = re.compile(
    r"^(?:event\s+)?(date(?:\s*(?:&|and)\s*time)?|when|time)\s*:\s*(.*)$", re.IGNORECASE
)
POSTED_RE = re.compile(r"\b(posted|published|updated|last updated)\b", re.IGNORECASE)

# Zone abbreviations pages use, to the IANA zone the campaign needs.
ZONES = {
    "ET": "America/New_York",
    "EST": "America/New_York",
    "EDT": "America/New_York",
    "CT": "America/Chicago",
    "CST": "America/Chicago",
    "CDT": "America/Chicago",
    "MT": "America/Denver",
    "MST": "America/Denver",
    "MDT": "America/Denver",
    "PT": "America/Los_Angeles",
    "PST": "America/Los_Angeles",
    "PDT": "America/Los_Angeles",
    "GMT": "Europe/London",
    "BST": "Europe/London",
    "UTC": "UTC",
    "CET": "Europe/Brussels",
    "CEST": "Europe/Brussels",
    "EAT": "Africa/Nairobi",
}
_ZONE = "|".join(sorted(ZONES, key=len, reverse=True))
_CLOCK = r"(\d{1,2})(?::([0-5]\d))?\s*(?:((?i:a|p))\.?\s?(?i:m)\b\.?)?"
TIME_RE = re.compile(
    rf"(?<![\d:.,/])(?:{_CLOCK}|((?i:noon)))"
    rf"(?:\s*(?:–|—|-|(?i:to|until))\s*(?:{_CLOCK}|((?i:noon))))?"
    rf"(?:\s*\(?\b({_ZONE})\b\)?)?"
)
AGENDA_RE = re.compile(rf"^\s*(?:{TIME_RE.pattern})\s*(?:[|:·•–—-]\s*)?")


@dataclass(frozen=True)
class Clock:
    """A time of day read from the page, with its end and zone abbreviation when given."""

    start: time
    end: time | None = None
    zone: str | None = None  # the abbreviation as written: "EST"


def _hour(h: str, m: str | None, ap: str | None) -> time | None:
    hour, minute = int(h), int(m or 0)
    if ap:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ap.lower() == "p" else 0)
    elif hour > 23:
        return None
    return time(hour, minute)


def read_clock(text: str) -> Clock | None:
    """The first time (or time range) in ``text``: a bare number is not a time."""
    for m in TIME_RE.finditer(text):
        h1, m1, ap1, noon1, h2, m2, ap2, noon2, zone = m.groups()
        if noon1:
            start: time | None = time(12, 0)
        else:
            if not (m1 or ap1 or noon2 or (h2 and (m2 or ap2))):
                continue
            if not ap1 and ap2 and h2:
                # "10:00 – 11:30 a.m.": the start shares the end's half of the day unless it
                # would come after the end ("11:30 – 1 p.m.").
                ap1 = ap2
                if int(h1) % 12 > int(h2) % 12:
                    ap1 = "a" if ap2.lower() == "p" else "p"
            start = _hour(h1, m1, ap1)
        end: time | None = None
        if noon2:
            end = time(12, 0)
        elif h2:
            end = _hour(h2, m2, ap2)
        if start is None:
            continue
        return Clock(start, end, zone)
    return None


def _next_occurrence(month: int, day: int, today: date) -> date:
    for year in range(today.year, today.year + 9):
        try:
            candidate = date(year, month, day)
        except ValueError:  # 29 February in a common year
            continue
        if candidate >= today:
            return candidate
    raise CampaignError(f"there is no day {day} in month {month}: check the event date")


def _day(m: re.Match[str], year: int | None) -> tuple[date, str]:
    month, day = MONTHS[m.group(1).lower()], int(m.group(2))
    try:
        if m.group(3):
            return date(int(m.group(3)), month, day), "page"
        if year is not None:
            return date(year, month, day), "option"
    except ValueError as e:
        raise CampaignError(
            f"the page's event date, {m.group(0)!r}, is not a real day in that year: "
            "check the page or --year"
        ) from e
    return _next_occurrence(month, day, now().date()), "default"


def date_line(line: str) -> re.Match[str] | None:
    """The date when ``line`` is a date on its own (times, a zone and separators may follow)."""
    m = DAY_RE.match(line.strip())
    if m is None:
        return None
    rest = TIME_RE.sub("", line.strip()[m.end() :])
    return m if re.fullmatch(r"[\s,|·•/@–—-]*(?:at|from)?[\s,|·•/@–—-]*", rest, re.I) else None


@dataclass(frozen=True)
class When:
    """The event's day (with where its year came from: see ImportedPage) and time."""

    day: date
    year_source: str
    clock: Clock | None
    used: frozenset[int]  # the lines that said it


DEFAULT_DAYS_AHEAD = 28  # with no date on the page at all: four weeks from today


def find_when(lines: list[str], year: int | None) -> When:
    """The event's day and time from the page's lines (publications left out)."""
    used: set[int] = set()
    day_match: re.Match[str] | None = None
    day_line = -1
    clock: Clock | None = None

    def pick(i: int, m: re.Match[str]) -> None:
        nonlocal day_match, day_line
        if day_match is None:
            day_match, day_line = m, i

    # 1. "Date: …", "When: …", "Time: …" (possibly on one line: "Date: … / Time: …")
    for i, line in enumerate(lines):
        for part in re.split(r"\s+/\s+|\s{2,}|\s+\|\s+", line):
            lm = LABEL_RE.match(part.strip())
            if not lm:
                continue
            used.add(i)
            dm = DAY_RE.search(lm.group(2))
            if dm and lm.group(1).lower() != "time":
                pick(i, dm)
            c = read_clock(lm.group(2)[dm.end() :] if dm else lm.group(2))
            if c and clock is None:
                clock = c
    # 2. a sentence saying the event happens on a day
    if day_match is None:
        text = "\n".join(lines)
        starts = [0]
        for line in lines:
            starts.append(starts[-1] + len(line) + 1)
        found = [
            m
            for m in EVENT_DATE_RE.finditer(text)
            if not POSTED_RE.search(text[max(0, m.start() - 20) : m.start()])
        ]

        def line_end(at: int) -> int:
            end = text.find("\n", at)
            return min(len(text) if end < 0 else end, at + 120)

        hosting = [f for f in found if HOSTING_RE.search(text, f.end(), line_end(f.end()))]
        # 3. a date on a line of its own (not a posting date)
        alone = [
            (i, m)
            for i, line in enumerate(lines)
            if (m := date_line(line)) and not POSTED_RE.search(line)
        ]
        if hosting:
            m = hosting[0]
            pick(next(i for i, s in enumerate(starts) if s > m.start()) - 1, m)
        elif alone:
            pick(*alone[0])
            used.add(alone[0][0])
        elif found:
            m = found[0]
            pick(next(i for i, s in enumerate(starts) if s > m.start()) - 1, m)
    if day_match is None:
        day, source = now().date() + timedelta(days=DEFAULT_DAYS_AHEAD), "none"
    else:
        day, source = _day(day_match, year)
    # Time: a labelled one, else on the date's line, else in the text, else the programme's first.
    if clock is None and day_match is not None:
        clock = read_clock(lines[day_line][day_match.end() :] if day_line >= 0 else "")
    if clock is None:
        for line in lines:
            if AGENDA_RE.match(line) or POSTED_RE.search(line):
                continue
            clock = read_clock(line)
            if clock:
                break
    if clock is None:
        for line in lines:
            if AGENDA_RE.match(line) and (c := read_clock(line)):
                clock = Clock(c.start, None, c.zone)  # the first item's end is not the event's
                break
    return When(day, source, clock, frozenset(used))


def zone_name(clock: Clock | None) -> str | None:
    """The IANA zone for the abbreviation a page wrote beside the time, if any."""
    return ZONES.get(clock.zone) if clock and clock.zone else None
