"""The "Related Publications" part of an event page.

For each publication: the title (often twice), a date line ("Thursday, February 8, 2024"),
"By: A; B", a summary, "Type: Analysis" and a topic line whose topics run together
("GenderHuman RightsJustice, Security & Rule of Law"). Some layouts put the type and the date on
one line before or after the title ("Analysis | March 3, 2024"): that line is never a title.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from campaign.eventpage.dates import DATE_LINE_RE, MONTHS
from campaign.eventpage.speakers import person_name
from campaign.models import Publication
from campaign.slug import slugify

TOPIC_BOUNDARY_RE = re.compile(r"(?<=[a-z)])(?=[A-Z])")
TYPE_DATE_RE = re.compile(r"^([A-Z][\w &/-]{1,30}?)\s*[|·•]\s*(.+)$")
DATE_TYPE_RE = re.compile(r"^(.+?)\s*[|·•]\s*([A-Z][\w &/-]{1,30})$")
BY_RE = re.compile(r"^by:?\s+", re.IGNORECASE)
SKIP = {"read more", "read more »", "learn more", "download", "read the report"}


def date_line(line: str) -> date | None:
    """The date when ``line`` is only a date (year included), else None."""
    m = DATE_LINE_RE.fullmatch(line.strip().rstrip("."))
    if not m:
        return None
    try:
        return date(int(m.group(3)), MONTHS[m.group(1).lower()], int(m.group(2)))
    except ValueError:
        return None


def type_and_date(line: str) -> tuple[str, date] | None:
    """``"Analysis | March 3, 2024"`` (or the other way round) → type and date."""
    m = TYPE_DATE_RE.match(line)
    if m and (d := date_line(m.group(2))):
        return m.group(1).strip(), d
    m = DATE_TYPE_RE.match(line)
    if m and (d := date_line(m.group(1))):
        return m.group(2).strip(), d
    return None


def split_topics(line: str) -> tuple[str, ...]:
    """A topic line whose topics run together → the topics.

    Splits at each lowercase-to-capital boundary with no space between, which keeps
    ``Justice, Security & Rule of Law`` whole: ``GenderHuman Rights`` → ``Gender``, ``Human Rights``.
    """
    return tuple(t.strip() for t in TOPIC_BOUNDARY_RE.split(line) if t.strip())


def _authors(text: str) -> tuple[str, ...]:
    names = re.split(r";|\s+and\s+", text)
    return tuple(n.strip() for n in names if n.strip())


def _by_line(line: str) -> bool:
    """ "By: …" always; "By …" only when people's names follow (not "By 2030, …")."""
    if line[:3].lower() == "by:":
        return True
    return all(person_name(a) for a in _authors(BY_RE.sub("", line)))


@dataclass
class _Pub:
    title: str
    date: date | None = None
    authors: tuple[str, ...] = ()
    type: str | None = None
    topics: tuple[str, ...] = ()
    summary: list[str] | None = None

    def has_body(self) -> bool:
        return bool(self.date or self.authors or self.summary or self.type)

    def build(self) -> Publication:
        summary = "\n".join(self.summary) if self.summary else None
        return Publication(
            slugify(self.title),
            self.title,
            None,
            self.date,
            self.authors,
            self.type,
            self.topics,
            summary,
        )


def read_publications(lines: list[str]) -> list[Publication]:
    """The publications in the lines after the "Related Publications" heading."""
    lines = [line for line in lines if line and line.lower() not in SKIP]

    before = bool(lines) and type_and_date(lines[0]) is not None  # "Type | date" above titles

    def title_starts(i: int) -> bool:
        if i + 1 >= len(lines):
            return False
        nxt = lines[i + 1]
        return (
            nxt == lines[i]
            or date_line(nxt) is not None
            or bool(BY_RE.match(nxt))
            or (not before and type_and_date(nxt) is not None)
        )

    pubs: list[_Pub] = []
    cur: _Pub | None = None
    pending: tuple[str, date] | None = None  # a "Type | date" line before its title
    state = "title"
    i = 0
    while i < len(lines):
        line = lines[i]
        td = type_and_date(line)
        if td is not None:
            if not before and cur is not None and state == "body" and not cur.type and not cur.date:
                cur.type, cur.date = td
            else:
                pending, state = td, "title"
            i += 1
            continue
        if state == "title" or cur is None:
            cur = _Pub(line)
            if pending:
                (cur.type, cur.date), pending = pending, None
            pubs.append(cur)
            if i + 1 < len(lines) and lines[i + 1] == line:
                i += 1  # the page repeats the title
            state = "body"
        elif state == "after-type":
            if title_starts(i):
                state = "title"
                continue
            cur.topics = split_topics(line)
            state = "title"
        else:
            low = line.lower()
            d = date_line(line)
            if d is not None and cur.date is None and not cur.summary:
                cur.date = d
            elif BY_RE.match(line) and not cur.authors and _by_line(line):
                cur.authors = _authors(BY_RE.sub("", line))
            elif low.startswith("type:"):
                cur.type = line[5:].strip() or None
                state = "after-type"
            elif cur.has_body() and title_starts(i):
                state = "title"
                continue
            else:
                cur.summary = [*(cur.summary or []), line]
        i += 1
    out: list[Publication] = []
    seen: set[str] = set()
    for p in pubs:
        built = p.build()
        if built.key not in seen:
            seen.add(built.key)
            out.append(built)
    return out
