"""Import from a pasted event page: the page's text in, metadata YAML for a person to check out.

The page format is USIP's event page as copied from a browser: paragraphs of description (one
of them "On December 6, USIP hosted …"), "Continue the conversation … using #Tag.", the speakers
as blocks of a name line and a role line ("Name, moderator" marks the moderator), then "Related
Publications": for each, the title (often twice), a date line ("Thursday, February 8, 2024"),
"By: A; B", a summary, "Type: Analysis" and a topic line whose topics run together
("GenderHuman RightsJustice, Security & Rule of Law"), up to "View All Publications".

:func:`parse_page` reads it into an :class:`ImportedPage`; :func:`to_yaml` writes the metadata
YAML with every fact the page lacks filled with a stated default marked ``# CONFIRM:``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from campaign import DEFAULT_HASHTAG
from campaign.clock import now
from campaign.errors import CampaignError
from campaign.metadata.writer import item_yaml, section_yaml
from campaign.metadata.writer import line as _line
from campaign.models import CampaignSettings, Event, Publication, Speaker
from campaign.slug import slugify

__all__ = ["ImportedPage", "decode_page", "parse_page", "split_role", "split_topics", "to_yaml"]

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
_WEEKDAY = r"(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day"
DATE_LINE_RE = re.compile(
    rf"(?:{_WEEKDAY},?\s+)?({_MONTH})\.?\s+(\d{{1,2}}),?\s+(\d{{4}})", re.IGNORECASE
)
EVENT_DATE_RE = re.compile(
    rf"\bOn\s+(?:{_WEEKDAY},?\s+)?({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}}))?",
    re.IGNORECASE,
)
HOSTING_RE = re.compile(
    r"\b(host|hosts|hosted|hosting|convene|convenes|convened|hold|holds|held|meet|meets|met|"
    r"gather|gathers|join|joins|discuss|discussion|conversation|event|panel|webinar)\b",
    re.IGNORECASE,
)
HASHTAG_USING_RE = re.compile(r"\busing\s+(#\w+)", re.IGNORECASE)
HASHTAG_ANY_RE = re.compile(r"(?<![\w&#])(#[^\W\d]\w*)")
CALL_TO_ACTION_RE = re.compile(r"^(continue|join|follow) the conversation\b", re.IGNORECASE)
MODERATOR_RE = re.compile(
    r"^(?:moderator:\s*(?P<a>.+)|(?P<b>.+?),?\s*\(?\bmoderator\)?\.?)$", re.IGNORECASE
)
ABBREVIATIONS = {"jr.", "sr.", "inc.", "ltd.", "co.", "corp.", "esq.", "st.", "dr.", "ret."}
HEADINGS = {"speakers", "panelists", "featuring", "speakers and panelists", "participants"}
# After the last comma of a role line, these are not an organisation.
NOT_ORGANISATIONS = {"jr", "sr", "ph.d", "phd", "inc", "ltd", "llc", "emeritus", "emerita", "ret"}
US_RE = re.compile(
    r"\bU\.S\.|\bUSIP\b|\bUnited States\b|\bWashington\b|\bAmerican\b|\b(?:ET|EST|EDT)\b"
)
TOPIC_BOUNDARY_RE = re.compile(r"(?<=[a-z)])(?=[A-Z])")
SMALL_WORDS = {"a", "an", "and", "as", "at", "by", "for", "in", "of", "on", "or", "the", "to"}

DEFAULT_TIME = "10:00"
DEFAULT_DAYS_AHEAD = 28  # with no date on the page at all: four weeks from today


@dataclass(frozen=True)
class ImportedPage:
    """What an event page says, before anyone has checked it.

    ``year_source`` says where the event's year came from: ``"page"``, ``"option"`` (``--year``),
    ``"default"`` (the next time that day comes round) or ``"none"`` (the page gives no date).
    """

    hashtag: str | None
    event_date: date
    year_source: str
    title: str | None
    description: str | None
    speakers: tuple[Speaker, ...]
    publications: tuple[Publication, ...]
    us_looking: bool


def decode_page(data: bytes, source: str = "the page") -> str:
    """Page text from a file's bytes: UTF-8 (with or without BOM), UTF-16 with its BOM (what
    Windows Notepad calls "Unicode"), else Windows-1252. Empty or binary data is refused."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return _not_empty(data.decode("utf-16"), source)
        except UnicodeDecodeError:
            pass
    if b"\x00" in data:
        raise CampaignError(
            f"{source} is not text (a PDF, a Word document or an image?): copy the event "
            "page's text into a plain-text file and import that"
        )
    try:
        return _not_empty(data.decode("utf-8-sig"), source)
    except UnicodeDecodeError:
        try:
            return _not_empty(data.decode("cp1252"), source)
        except UnicodeDecodeError as e:
            raise CampaignError(
                f"cannot read {source} as text: save the page as UTF-8 text and try again"
            ) from e


def _not_empty(text: str, source: str) -> str:
    if not text.strip():
        raise CampaignError(f"{source} is empty: paste the event page's text into it and save it")
    return text


# --------------------------------------------------------------------------------------------
# Lines and blocks


def _clean(text: str) -> list[str]:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    text = text.replace("\u00a0", " ").replace("\u200b", "")
    return [" ".join(line.split()) for line in text.split("\n")]


def _blocks(lines: list[str]) -> list[list[str]]:
    out: list[list[str]] = []
    current: list[str] = []
    for line in lines:
        if line:
            current.append(line)
        elif current:
            out.append(current)
            current = []
    if current:
        out.append(current)
    return out


def _ends_sentence(line: str) -> bool:
    """True if ``line`` ends like a sentence, not like an abbreviation (``Jr.``, ``Ph.D.``)."""
    if not line.endswith((".", "!", "?")):
        return False
    last = line.split()[-1].lower()
    return not ("." in last[:-1] or last in ABBREVIATIONS or re.fullmatch(r"[a-z]\.", last))


def _name_like(line: str) -> bool:
    if "#" in line or CALL_TO_ACTION_RE.match(line):
        return False
    m = MODERATOR_RE.match(line)
    bare = (m.group("a") or m.group("b")) if m else line
    words = bare.split()
    capitalised = sum(1 for w in words if w[0].isupper())
    return 0 < len(words) <= 8 and 2 * capitalised >= len(words) and not _ends_sentence(bare)


def _role_like(line: str) -> bool:
    return "#" not in line and len(line.split()) <= 25 and not _ends_sentence(line)


def _speaker_block(block: list[str]) -> list[tuple[str, str | None, str | None]] | None:
    """The speakers in one block as (name line, role line, organisation line), or None."""
    if len(block) == 1:
        return [(block[0], None, None)] if _name_like(block[0]) else None
    if len(block) == 2:
        if _name_like(block[0]) and _role_like(block[1]):
            return [(block[0], block[1], None)]
        return None
    if len(block) % 2 == 0 and all(
        _name_like(n) and _role_like(r) for n, r in zip(block[::2], block[1::2], strict=True)
    ):
        return [(n, r, None) for n, r in zip(block[::2], block[1::2], strict=True)]
    if len(block) == 3 and _name_like(block[0]) and _role_like(block[1]) and _role_like(block[2]):
        return [(block[0], block[1], block[2])]
    return None


def split_role(line: str) -> tuple[str, str | None]:
    """``"President and CEO, U.S. Institute of Peace"`` → role and organisation.

    Split at the last comma when what follows reads as an organisation (starts with a capital
    or a digit and is not a suffix such as ``Jr.`` or ``Inc.``); otherwise it is all role.
    """
    head, sep, tail = line.rpartition(",")
    head, tail = head.strip(), tail.strip()
    if (
        not sep
        or not head
        or not tail
        or not (tail[0].isupper() or tail[0].isdigit())
        or tail.rstrip(".").lower() in NOT_ORGANISATIONS
    ):
        return line.strip(), None
    return head, tail


def _speaker(name_line: str, role_line: str | None, org_line: str | None) -> Speaker:
    m = MODERATOR_RE.match(name_line)
    moderator = m is not None
    name = ((m.group("a") or m.group("b")) if m else name_line).strip().rstrip(",").strip()
    role: str | None
    organisation: str | None
    if org_line is not None:
        role, organisation = role_line, org_line
    elif role_line:
        role, organisation = split_role(role_line)
    else:
        role = organisation = None
    return Speaker(slugify(name), name, role or None, organisation, None, moderator)


# --------------------------------------------------------------------------------------------
# Publications


def _date_line(line: str) -> date | None:
    m = DATE_LINE_RE.fullmatch(line.strip().rstrip("."))
    if not m:
        return None
    try:
        return date(int(m.group(3)), MONTHS[m.group(1).lower()], int(m.group(2)))
    except ValueError:
        return None


def split_topics(line: str) -> tuple[str, ...]:
    """A topic line whose topics run together → the topics.

    Splits at each lowercase-to-capital boundary with no space between, which keeps
    ``Justice, Security & Rule of Law`` whole: ``GenderHuman Rights`` → ``Gender``, ``Human Rights``.
    """
    return tuple(t.strip() for t in TOPIC_BOUNDARY_RE.split(line) if t.strip())


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


def _publications(lines: list[str]) -> list[Publication]:
    lines = [line for line in lines if line]

    def title_starts(i: int) -> bool:
        if i + 1 >= len(lines):
            return False
        nxt = lines[i + 1]
        return nxt == lines[i] or _date_line(nxt) is not None or nxt.lower().startswith("by:")

    pubs: list[_Pub] = []
    cur: _Pub | None = None
    state = "title"
    i = 0
    while i < len(lines):
        line = lines[i]
        if state == "title" or cur is None:
            cur = _Pub(line)
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
            d = _date_line(line)
            if d is not None and cur.date is None and not cur.summary:
                cur.date = d
            elif low.startswith("by:"):
                names = line[3:].split(";")
                cur.authors = tuple(n.strip() for n in names if n.strip())
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


# --------------------------------------------------------------------------------------------
# The page


def _next_occurrence(month: int, day: int, today: date) -> date:
    for year in range(today.year, today.year + 9):
        try:
            candidate = date(year, month, day)
        except ValueError:  # 29 February in a common year
            continue
        if candidate >= today:
            return candidate
    raise CampaignError(f"there is no day {day} in month {month}: check the event date")


def _event_date(text: str, year: int | None) -> tuple[date, str]:
    today = now().date()
    found = list(EVENT_DATE_RE.finditer(text))

    # A description can mention other dates ("On August 15, 2021, the Taliban …"): prefer the
    # one that introduces the event itself.
    def same_line_end(at: int) -> int:
        end = text.find("\n", at)
        return min(len(text) if end < 0 else end, at + 120)

    hosting = [f for f in found if HOSTING_RE.search(text, f.end(), same_line_end(f.end()))]
    m = hosting[0] if hosting else found[0] if found else None
    if m is None:
        return today + timedelta(days=DEFAULT_DAYS_AHEAD), "none"
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
    return _next_occurrence(month, day, today), "default"


def parse_page(text: str, year: int | None = None) -> ImportedPage:
    """Read an event page's text (format: see the module docstring).

    ``year`` is the event's year when the page gives only month and day; without it the next
    time that day comes round is assumed (and :func:`to_yaml` asks a person to confirm it).
    """
    lines = _clean(text)
    low = [line.lower() for line in lines]
    if "view all publications" in low:
        lines = lines[: low.index("view all publications")]
        low = low[: len(lines)]
    pub_lines: list[str] = []
    if "related publications" in low:
        at = low.index("related publications")
        lines, pub_lines = lines[:at], lines[at + 1 :]

    blocks = _blocks(lines)
    # The speakers are the run of name/role blocks at the end of the first part.
    speaker_rows: list[tuple[str, str | None, str | None]] = []
    cut = len(blocks)
    while cut > 0:
        block = blocks[cut - 1]
        if len(block) == 1 and block[0].lower().rstrip(":") in HEADINGS:
            cut -= 1
            break
        rows = _speaker_block(block)
        if rows is None:
            break
        speaker_rows[:0] = rows
        cut -= 1
    intro = blocks[:cut]

    title: str | None = None
    if (
        len(intro) >= 2
        and len(intro[0]) == 1
        and len(intro[0][0].split()) <= 15
        and not _ends_sentence(intro[0][0])
        and "#" not in intro[0][0]
    ):
        title = intro[0][0]
        intro = intro[1:]

    intro_text = "\n".join(" ".join(b) for b in intro)
    m = HASHTAG_USING_RE.search(intro_text) or HASHTAG_ANY_RE.search(intro_text)
    hashtag = m.group(1) if m else None
    paragraphs = [
        " ".join(b)
        for b in intro
        if not (CALL_TO_ACTION_RE.match(b[0]) or (len(b) == 1 and HASHTAG_USING_RE.search(b[0])))
        and not (len(b) == 1 and b[0].lower().rstrip(":") in HEADINGS)
    ]
    event_date, year_source = _event_date("\n".join(lines), year)

    speakers: list[Speaker] = []
    seen: set[str] = set()
    for row in speaker_rows:
        s = _speaker(*row)
        if s.key not in seen:
            seen.add(s.key)
            speakers.append(s)

    return ImportedPage(
        hashtag=hashtag,
        event_date=event_date,
        year_source=year_source,
        title=title,
        description="\n".join(paragraphs) or None,
        speakers=tuple(speakers),
        publications=tuple(_publications(pub_lines)),
        us_looking=bool(US_RE.search("\n".join(lines))),
    )


# --------------------------------------------------------------------------------------------
# YAML out


def _title_from_hashtag(hashtag: str) -> str:
    words = re.sub(r"(?<=[a-z])(?=[A-Z0-9])|_", " ", hashtag.lstrip("#")).split()
    return " ".join(
        w if i == 0 or w.lower() not in SMALL_WORDS else w.lower() for i, w in enumerate(words)
    )


def to_yaml(page: ImportedPage) -> str:
    """Metadata YAML for ``page``, ready for `campaign load`, every filled-in fact marked CONFIRM."""
    hashtag = page.hashtag or DEFAULT_HASHTAG
    if page.title:
        title, title_note = page.title, None
    elif page.hashtag:
        title, title_note = (
            _title_from_hashtag(page.hashtag),
            "CONFIRM: made from the hashtag; write the event's real title",
        )
    else:
        title, title_note = "Untitled event", "CONFIRM: the page has no title; write it"
    zone_name = "America/New_York" if page.us_looking else "UTC"
    zone_note = (
        "CONFIRM: the page looks like a US event; use the event's own IANA time zone"
        if page.us_looking
        else "CONFIRM: the page names no place; use the event's IANA zone, e.g. Europe/London"
    )
    date_note = {
        "page": f"CONFIRM: the time {DEFAULT_TIME} is a default; the page gives none",
        "option": f"CONFIRM: year from --year; the time {DEFAULT_TIME} is a default",
        "default": f"CONFIRM: the page gives no year (assumed the next {page.event_date:%B} "
        f"{page.event_date.day}) and no time ({DEFAULT_TIME} assumed)",
        "none": "CONFIRM: the page gives no date; this is a placeholder four weeks ahead",
    }[page.year_source]

    out = [
        "# Campaign metadata imported from an event page by `campaign import-page`.",
        "# Check every line marked CONFIRM: those facts are not on the page and were filled",
        "# with defaults. Then save this file and run `campaign load FILE`.",
        "",
        "campaign:",
        *section_yaml(
            CampaignSettings,
            2,
            {
                "name": title,
                "hashtag": hashtag,
                "timezone": zone_name,
                "tracking": {
                    "utm_source": "x",
                    "utm_medium": "social",
                    "utm_campaign": slugify(_title_from_hashtag(hashtag)),
                },
            },
            {
                "name": title_note,
                "hashtag": None if page.hashtag else "CONFIRM: the page names no hashtag",
                "timezone": zone_note,
            },
        ),
        "",
        "event:",
        *section_yaml(
            Event,
            2,
            {
                "title": title,
                "start": datetime.combine(page.event_date, time.fromisoformat(DEFAULT_TIME)),
                "description": page.description,
            },
            {
                "title": title_note,
                "start": date_note,
                "description": None if page.description else "CONFIRM: the page has no description",
            },
        ),
        "",
    ]
    if not page.speakers:
        out.append(_line(0, "speakers", "[]", "CONFIRM: no speakers found on the page"))
    else:
        out.append(_line(0, "speakers", None, "X handles: CONFIRM each one, or leave it empty"))
    for s in page.speakers:
        out += item_yaml(s, 4)

    out.append("")
    out.append(_line(0, "publications", None if page.publications else "[]"))
    for p in page.publications:
        out += item_yaml(p, 4)
    return "\n".join(out) + "\n"
