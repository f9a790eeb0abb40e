"""Reading an event page's text, whatever its layout, into an :class:`ImportedPage`.

The page is read line by line. Each line is placed as one of: the title (the first heading-like
line, before any paragraph), the event's date or time, the hashtag's call to action, a group
label ("Speakers:", "Opening Remarks", "PANEL I: …", "Moderator: …": never a speaker, but the
part it names goes to the speakers listed under it), a speaker (a name line, or one line with the
role), a speaker's role line, or a paragraph of the description (before the speakers). Anything
else is kept in ``not_used`` so a person can see what was dropped. The "Related Publications"
part is read by :mod:`campaign.eventpage.publications`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from campaign.eventpage.dates import (
    AGENDA_RE,
    DAY_RE,
    POSTED_RE,
    ZONES,
    Clock,
    date_line,
    find_when,
    read_clock,
)
from campaign.eventpage.publications import read_publications
from campaign.eventpage.speakers import Person, part_of, read_person, role_and_organisation
from campaign.models import Publication, Speaker
from campaign.slug import slugify

HASHTAG_USING_RE = re.compile(r"\busing\s+(#\w+)", re.IGNORECASE)
HASHTAG_ANY_RE = re.compile(r"(?<![\w&#])(#[^\W\d]\w*)")
CALL_TO_ACTION_RE = re.compile(
    r"^(continue|join|follow|share|tweet|be part of) (the|in the|your|our)?\s*"
    r"(conversation|discussion|questions|thoughts)\b",
    re.IGNORECASE,
)
ABBREVIATIONS = {"jr.", "sr.", "inc.", "ltd.", "co.", "corp.", "esq.", "st.", "dr.", "ret."}
BULLET_RE = re.compile(r"^(?:[•·▪●○◦►▸‣∙*✓-]|\d{1,2}[.)])\s+")
PUBLICATION_HEADINGS = {
    "related publications",
    "publications",
    "related reading",
    "related research",
    "further reading",
    "related content",
    "related analysis",
    "recommended reading",
    "related resources",
}
END_OF_PUBLICATIONS = {"view all publications", "see all publications", "more publications"}
GROUPS = {
    "speakers",
    "speaker",
    "featured speakers",
    "speakers and panelists",
    "panelists",
    "panellists",
    "panel",
    "featuring",
    "participants",
    "discussants",
    "presenters",
    "our speakers",
    "event speakers",
    "confirmed speakers",
    "about the speakers",
    "speaker bios",
    "agenda",
    "program",
    "programme",
    "event program",
    "schedule",
}
# "Meet the Speakers", "Confirmed speakers include:", "Our panellists"
GROUP_RE = re.compile(r"\b(?:speakers|panell?ists|participants|presenters|discussants)\b")
PANEL_RE = re.compile(
    r"^(?:panel|session|part|segment|roundtable)\s+(?:[ivx]+|\d+|one|two|three|four)\b"
    r"|^(?:fireside chat|in conversation|panel discussion|q\s*&\s*a|questions and answers)\b",
    re.IGNORECASE,
)
PART_PREFIXES = (
    "opening remarks",
    "welcoming remarks",
    "welcome remarks",
    "closing remarks",
    "concluding remarks",
    "keynote",
)
BY_LABEL_RE = re.compile(
    r"^(moderated by|facilitated by|hosted by|in conversation with)\s+(.+)$", re.IGNORECASE
)
US_RE = re.compile(
    r"\bU\.S\.|\bUSIP\b|\bUnited States\b|\bWashington\b|\bAmerican\b|\b(?:ET|EST|EDT)\b"
)
# Headings after which paragraphs describe the event again (after a list of speakers, say).
ABOUT_HEADINGS = {"about this event", "about the event", "overview", "event description"}
# Headings of the event's facts: read elsewhere (dates) or left to a person (the place).
FACT_HEADINGS = {
    "date and time",
    "date & time",
    "location",
    "venue",
    "where",
    "when",
    "date",
    "time",
}
PLACE_HEADINGS = {"location", "venue", "where"}
# One-word lines of a site's furniture that are never a title.
FURNITURE = {"events", "event", "home", "share", "menu", "search", "past event", "upcoming event"}


@dataclass(frozen=True)
class ImportedPage:
    """What an event page says, before anyone has checked it.

    ``year_source`` says where the event's year came from: ``"page"``, ``"option"`` (``--year``),
    ``"default"`` (the next time that day comes round) or ``"none"`` (the page gives no date).
    ``clock`` is the time the page gives (None: none given); ``not_used`` the lines not placed;
    ``hashtag_source`` is ``"page"`` or ``"option"`` (``--hashtag``).
    """

    hashtag: str | None
    event_date: date
    year_source: str
    title: str | None
    description: str | None
    speakers: tuple[Speaker, ...]
    publications: tuple[Publication, ...]
    us_looking: bool
    clock: Clock | None = None
    not_used: tuple[str, ...] = ()
    hashtag_source: str = "page"


@dataclass
class Hints:
    """Facts a saved HTML page states outright (schema.org, OpenGraph); they win over the text."""

    title: str | None = None
    description: str | None = None
    start: datetime | date | None = None  # a datetime is aware when the page gave an offset
    end: datetime | date | None = None
    people: list[Person] = field(default_factory=list)


def clean(text: str) -> list[str]:
    """The page's lines, with Windows line ends, odd spaces and runs of spaces made plain."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    text = text.replace("\u00a0", " ").replace("\u200b", "")
    return [" ".join(line.split()) for line in text.split("\n")]


def ends_sentence(line: str) -> bool:
    """True if ``line`` ends like a sentence, not like an abbreviation (``Jr.``, ``Ph.D.``)."""
    if not line.endswith((".", "!", "?")):
        return False
    last = line.split()[-1].lower()
    return not ("." in last[:-1] or last in ABBREVIATIONS or re.fullmatch(r"[a-z]\.", last))


def _prose(line: str) -> bool:
    return ends_sentence(line) or len(line.split()) > 15


@dataclass(frozen=True)
class _Label:
    part: str | None
    moderator: bool
    inline: str | None  # speakers written on the label's line


def _label(line: str) -> _Label | None:
    if ends_sentence(line) or "#" in line:
        return None
    m = BY_LABEL_RE.match(line)
    if m:
        by = part_of(m.group(1)) or "moderator"  # the one "in conversation with" leads
        return _Label(None if by == "moderator" else by, by == "moderator", m.group(2))
    head, colon, rest = line.partition(":")
    norm = " ".join(head.lower().split())
    if len(norm.split()) > 8:
        return None
    if PANEL_RE.match(norm):
        return _Label(None, False, None)  # after the colon: the panel's title
    inline = (rest.strip() or None) if colon else None
    if norm in GROUPS or (len(norm.split()) <= 5 and GROUP_RE.search(norm)):
        return _Label(None, False, inline)
    part = part_of(norm)
    if part is None and len(norm.split()) <= 6:
        part = next((part_of(p) for p in PART_PREFIXES if norm.startswith(p)), None)
    if part is None:
        return None
    return _Label(None if part == "moderator" else part, part == "moderator", inline)


def _heading_like(line: str) -> bool:
    words = line.split()
    return (
        2 <= len(words) <= 15
        and not ends_sentence(line)
        and "#" not in line
        and line.lower() not in FURNITURE
        and not re.search(r"[›»]| > ", line)  # a breadcrumb trail
        and not POSTED_RE.search(line)
        and not DAY_RE.search(line)
        and not line.endswith(":")
    )


def _merge(people: list[Person]) -> list[Speaker]:
    """Speakers once each (by the key of their name), facts from a later mention filling gaps."""
    merged: dict[str, Person] = {}
    for p in people:
        key = slugify(p.name)
        if key in merged:
            old = merged[key]
            merged[key] = replace(
                old,
                role=old.role or p.role,
                organisation=old.organisation or p.organisation,
                part=old.part or p.part,
                moderator=old.moderator or p.moderator,
            )
        else:
            merged[key] = p
    return [
        Speaker(k, p.name, p.role, p.organisation, None, p.moderator, p.part)
        for k, p in merged.items()
    ]


def _from_markup(hints: Hints, text_clock: Clock | None) -> tuple[date, Clock | None]:
    """The day and time a page's markup states, in the zone its text names when it names one."""
    start, end = hints.start, hints.end
    abbreviation = text_clock.zone if text_clock else None
    if not isinstance(start, datetime):
        assert isinstance(start, date)
        return start, text_clock
    if start.tzinfo is not None and abbreviation in ZONES:
        zone = ZoneInfo(ZONES[abbreviation])
        start = start.astimezone(zone)
        end = end.astimezone(zone) if isinstance(end, datetime) and end.tzinfo else end
    elif start.tzinfo is not None and start.utcoffset() == timedelta(0):
        abbreviation = "UTC"
    finish = end.time() if isinstance(end, datetime) and end.date() == start.date() else None
    if finish is None and text_clock and text_clock.start == start.time():
        finish = text_clock.end  # the markup gives no end; the text does
    return start.date(), Clock(start.time().replace(second=0, microsecond=0), finish, abbreviation)


def read_page(
    text: str, year: int | None = None, hints: Hints | None = None, *, html: bool = False
) -> ImportedPage:
    """Read an event page's text (see the module doc). ``hints`` come from a saved HTML page;
    ``html`` says the lines came from one (then a role may sit a blank line below its name)."""
    hints = hints or Hints()
    lines = clean(text)
    low = [line.lower().rstrip(":") for line in lines]
    for end in END_OF_PUBLICATIONS:
        if end in low:
            lines = lines[: low.index(end)]
            low = low[: len(lines)]
    pub_lines: list[str] = []
    at = next((i for i, x in enumerate(low) if x in PUBLICATION_HEADINGS), None)
    if at is not None:
        lines, pub_lines = lines[:at], lines[at + 1 :]
    lines = [BULLET_RE.sub("", line) for line in lines]

    when = find_when(lines, year)
    joined = "\n".join(lines)
    m = HASHTAG_USING_RE.search(joined) or HASHTAG_ANY_RE.search(joined)
    hashtag = m.group(1) if m else None

    title: str | None = None
    blocks: list[list[str]] = [[]]  # the description's paragraphs
    not_used: list[str] = []
    people: list[Person] = []
    open_person: Person | None = None  # a name line whose role lines may follow
    roles: list[str] = []
    context = _Label(None, False, None)
    place_next = False
    structure = False  # a label or a speaker seen: paragraphs after it are not the description

    def close() -> None:
        nonlocal open_person, roles
        if open_person is not None:
            role, organisation = role_and_organisation(roles)
            people.append(replace(open_person, role=role, organisation=organisation))
        open_person, roles = None, []

    def add(person: Person, *, ends_at_name: bool) -> None:
        nonlocal open_person
        close()
        if person.part is None and not person.moderator:
            person = replace(person, part=context.part, moderator=context.moderator)
        if ends_at_name:
            open_person = person
        else:
            people.append(person)

    for i, line in enumerate(lines):
        if not line:
            if blocks[-1]:
                blocks.append([])
            if not html:
                close()
            continue
        if i in when.used:
            close()
            continue
        body = line
        agenda = AGENDA_RE.match(line)
        if agenda and read_clock(line):
            body = line[agenda.end() :].strip()
        if not body or date_line(line) or (read_clock(line) and len(body.split()) <= 1):
            close()
            continue
        if HASHTAG_ANY_RE.search(line) and (
            CALL_TO_ACTION_RE.match(line)
            or HASHTAG_USING_RE.search(line)
            or len(line.split()) <= 12
        ):
            close()  # the call to use the hashtag: read above, not part of the description
            continue
        if place_next:  # the line under "Location": for a person to copy (never a speaker)
            place_next = False
            not_used.append(line)
            continue
        heading = body.lower().rstrip(":")
        if heading in ABOUT_HEADINGS or heading in FACT_HEADINGS:
            close()
            structure = structure and heading not in ABOUT_HEADINGS
            place_next = heading in PLACE_HEADINGS
            continue
        label = _label(body)
        if label is not None and open_person is not None and not label.inline:
            following = next((x for x in lines[i + 1 :] if x), None)
            if following is None or read_person(BULLET_RE.sub("", following)) is None:
                # "Name / Senior Fellow, … / Moderator": the part of the speaker above
                open_person = replace(open_person, part=label.part, moderator=label.moderator)
                continue
        if label is not None:
            close()
            structure = True
            context = _Label(label.part, label.moderator, None)
            if label.inline:
                found = [read_person(x) for x in label.inline.split(";")]
                for item in found:
                    if item is not None:
                        add(item[0], ends_at_name=item[1])
                if not any(found):
                    not_used.append(line)
            continue
        if (
            title is None
            and not structure
            and not any(blocks)
            and not people
            and _heading_like(line)
            and not _prose(line)
        ):
            title = line
            continue
        read = None if _prose(body) else read_person(body)
        if read is not None:
            structure = True
            add(read[0], ends_at_name=read[1])
            continue
        if open_person is not None and len(roles) < 3 and not _prose(line):
            roles.append(line)
            continue
        close()
        if not structure and _prose(line):
            blocks[-1].append(line)
        else:
            not_used.append(line)
    close()

    paragraphs = [" ".join(b) for b in blocks if b]
    speakers = _merge(people or hints.people)
    day, year_source, clock = when.day, when.year_source, when.clock
    if hints.start is not None:
        (day, clock), year_source = _from_markup(hints, clock), "page"
    return ImportedPage(
        hashtag=hashtag,
        event_date=day,
        year_source=year_source,
        title=hints.title or title,
        description="\n".join(paragraphs) or hints.description or None,
        speakers=tuple(speakers),
        publications=tuple(read_publications(pub_lines)),
        us_looking=bool(US_RE.search("\n".join(lines))),
        clock=clock,
        not_used=tuple(not_used),
    )
