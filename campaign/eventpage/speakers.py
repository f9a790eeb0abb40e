"""People on event pages: names (honorifics kept but recognised), parts, roles and organisations.

A speaker is written as a name line with role lines under it, or on one line: "Name, Role,
Organisation", "Name — Role", "Name | Role". A part in the event ("moderator", "opening
remarks", "keynote", …) may follow the name (", moderator", "(moderator)") or come from the
label of the group the speaker is listed under ("Opening Remarks:"). Labels are never speakers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

HONORIFICS = {
    "amb", "ambassador", "rep", "representative", "sen", "senator", "dr", "prof", "professor",
    "rev", "reverend", "col", "colonel", "gen", "general", "lt", "ltc", "maj", "major", "capt",
    "captain", "adm", "admiral", "h.e", "sheikh", "sheikha", "hon", "honorable",
    "honourable", "mr", "mrs", "ms", "mx", "sir", "dame", "lord", "baroness", "judge",
    "justice", "rabbi", "imam", "fr", "father", "sister", "bishop", "gov", "governor", "mayor",
    "dean", "brig", "sgt", "cmdr",
}  # fmt: skip
SUFFIXES = {"jr", "sr", "ii", "iii", "iv", "ph.d", "phd", "md", "m.d", "esq", "obe", "cbe", "kc", "qc", "ret"}  # fmt: skip
PARTICLES = {
    "de", "da", "del", "della", "der", "den", "van", "von", "bin", "binti", "ibn", "al", "el",
    "la", "le", "du", "dos", "das", "di", "y", "ter", "ten", "zu", "st",
}  # fmt: skip
# Words that are not in people's names: headings, institutions, posts.
NOT_NAMES = {
    "about", "academy", "activist", "address", "addresses", "adviser", "advisor", "advocate",
    "affairs", "agency", "agenda", "all", "analysis", "analyst", "and", "answers", "assembly",
    "assistant", "associate", "association", "attorney", "auditorium", "author", "avenue",
    "bank", "blog", "board", "book", "break", "building", "calendar", "campus", "candidate",
    "capitol", "center", "centre", "ceo", "chair", "chairman", "chairwoman", "chat", "chief",
    "city", "closing", "co-founder", "coffee", "college", "commission", "commissioner",
    "committee", "company", "conference", "congress", "consultant", "contact", "conversation",
    "coordinator", "corporation", "correspondent", "council", "counsel", "county", "court",
    "date", "day", "department", "deputy", "details", "development", "dialogue",
    "director", "directors", "discussant", "discussion", "district", "donate", "economist",
    "editor", "embassy", "envoy", "event", "events", "executive", "expert", "experts",
    "featured", "featuring", "fellow", "film", "fireside", "floor", "for", "former", "forum",
    "foundation", "founder", "free", "fund", "global", "group", "head", "home", "hotel",
    "house", "hydrologist", "in-person", "initiative", "inspector", "institute", "institution",
    "international", "introduction", "introductions", "journalist", "justice", "keynote", "lab",
    "launch", "lead", "leader", "leaders", "lecture", "lecturer", "live", "location", "lunch",
    "manager", "media", "member", "menu", "minister", "ministry", "mission", "moderator",
    "moderators", "more", "national", "nations", "network", "networking", "news", "office",
    "officer", "online", "opening", "organiser", "organizer", "overview", "panel", "panelists",
    "panellists", "parliament", "partner", "peace", "plaza", "policy", "president", "press",
    "principal", "professor", "program", "programme", "programs", "project", "province",
    "publications", "questions", "rapporteur", "read", "reception", "region", "register",
    "registration", "related", "relations", "remarks", "report", "research", "researcher",
    "road", "room", "rsvp", "school", "scientist", "search", "secretary", "security", "senate",
    "senior", "series", "session", "share", "society", "speaker", "speakers", "special",
    "specialist", "square", "staff", "states", "strategist", "street", "student", "studies",
    "subscribe", "suite", "summary", "summit", "symposium", "team", "the", "tickets", "time",
    "today", "trust", "union", "united", "university", "venue", "vice", "video", "view",
    "virtual", "watch", "webinar", "welcome", "welcoming", "with", "workshop",
}  # fmt: skip
NAME_WORD_RE = re.compile(r"^(?:[A-Z]\.)+$|^[^\W\d_][\w'’.-]*$")

# A part in the event, as written beside a name or as a group's label → the part recorded.
PARTS = [
    (re.compile(r"^(?:moderator|moderated by|moderating|co-moderator)s?$", re.I), "moderator"),
    (re.compile(r"^(?:facilitator|facilitated by)s?$", re.I), "facilitator"),
    (re.compile(r"^(?:co-?)?host(?:s|ed by)?$", re.I), "host"),
    (re.compile(r"^keynote(?: speaker| address| remarks| conversation)?s?$", re.I), "keynote"),
    (re.compile(r"^(?:opening|introductory) remarks$", re.I), "opening remarks"),
    (
        re.compile(r"^welcom(?:e|ing)(?: remarks)?(?: and introductions?)?$", re.I),
        "welcoming remarks",
    ),
    (re.compile(r"^(?:closing|concluding) remarks$", re.I), "closing remarks"),
]


def part_of(text: str) -> str | None:
    """The part ``text`` names ("Opening Remarks" → "opening remarks"), or None."""
    text = " ".join(text.strip(" :.()").split())
    for pattern, part in PARTS:
        if pattern.match(text):
            return part
    return None


def _word(w: str) -> str:
    return w.lower().strip(".,()’'")


def person_name(text: str) -> str | None:
    """``text`` as a person's name (honorifics and suffixes kept), or None if it is not one."""
    text = text.strip().rstrip(",").strip()
    if not text or len(text) > 80 or any(c in text for c in '#@:;|/“”"!?&'):
        return None
    # "Rep. Jane Doe (R-VA)", "Gen. John Roe (ret.)": a party-state or (ret.) is kept.
    core = re.sub(r"\s*\((?:[DRI]-[A-Z][A-Za-z.]{1,6}|ret\.?)\)$", "", text)
    if "(" in core or ")" in core:
        return None
    words = core.split()
    if len(words) > 1 and words[0].lower() == "the" and _word(words[1]) in HONORIFICS:
        words = words[1:]  # "The Honorable Jane Doe"
    while words and _word(words[0]) in HONORIFICS:
        words = words[1:]
    honoured = len(words) < len(core.split()) - (core.lower().startswith("the "))
    while words and _word(words[-1].rstrip(",")) in SUFFIXES:
        words = words[:-1]
    words = [w.rstrip(",") for w in words]
    if not (2 if not honoured else 1) <= len(words) <= 5:
        return None
    for w in words:
        low = _word(w)
        if low in NOT_NAMES or any(c.isdigit() for c in w):
            return None
        if low in PARTICLES or re.match(r"^(?:al|el|bin|ibn)-[^\W\d_]", w):
            continue
        if not NAME_WORD_RE.match(w) or not w[0].isupper() or (w.isupper() and len(w) > 3):
            return None
    if _word(words[-1]) in PARTICLES:
        return None
    return text


@dataclass(frozen=True)
class Person:
    """A speaker as read: name, role and organisation, part in the event, moderator or not."""

    name: str
    role: str | None = None
    organisation: str | None = None
    part: str | None = None
    moderator: bool = False


NOT_ORGANISATIONS = {"jr", "sr", "ph.d", "phd", "inc", "ltd", "llc", "emeritus", "emerita", "ret"}
ORG_WORDS = re.compile(
    r"\b(Institute|Institution|University|Center|Centre|Council|Foundation|Ministry|Department|"
    r"Office|Commission|Bank|Agency|Network|Initiative|Forum|School|College|Academy|Association|"
    r"Society|Group|Lab|Union|Nations|Court|Embassy|Parliament|Trust|Fund|Corporation|Company|"
    r"Press|Times|Post|News|Program|Programme|Project|Alliance|Coalition|Partners|Service)\b"
)


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


def role_and_organisation(lines: list[str]) -> tuple[str | None, str | None]:
    """The role lines under a name → role and organisation.

    One line splits at its last sensible comma; a second line that names an institution is the
    organisation of the first; other lines are further roles ("Former U.S.
    Ambassador to Ukraine"), joined to the role with "; ".
    """
    lines = [x.strip() for x in lines if x.strip()]
    if not lines:
        return None, None
    if len(lines) == 2 and ORG_WORDS.search(lines[1]) and not re.match(r"(?i)former\b", lines[1]):
        return lines[0], lines[1]
    role, organisation = split_role(lines[0])
    if len(lines) > 1:
        role = "; ".join([role, *lines[1:]])
    return role or None, organisation


_SEPARATORS = re.compile(r"\s+[—–|-]\s+|,\s*|\s+\((?=[^)]*\)\s*$)|:\s+")


def read_person(line: str) -> tuple[Person, bool] | None:
    """A line that starts with a person's name → the person, and whether the line ends at the
    name and its part (so role lines may follow). None when the line does not start with one."""
    line = line.strip()
    cuts = [0, *[m.start() for m in _SEPARATORS.finditer(line)], len(line)]
    for cut in sorted(set(cuts[1:]), reverse=True):
        name = person_name(line[:cut])
        if name is None:
            continue
        rest = line[cut:]
        # Suffixes after a comma belong to the name: "Jane Roe, Jr., Director"
        while True:
            m = re.match(r"^,\s*(Jr|Sr|Ph\.?D|M\.?D|Esq|II|III|IV)\.?(?=,|\s|$)", rest)
            if not m:
                break
            name, rest = name + rest[: m.end()], rest[m.end() :]
        rest = rest.strip()
        part: str | None = None
        pm = re.match(r"^\(([^)]*)\)\s*", rest)
        if pm and part_of(pm.group(1)):
            part, rest = part_of(pm.group(1)), rest[pm.end() :]
        rest = re.sub(r"^(?:[—–|,:-]\s*)", "", rest).strip()
        if part is None and rest:
            head, _, tail = rest.partition(",")
            if part_of(head):
                part, rest = part_of(head), tail.strip()
        if part is None and "," in rest:
            head, _, tail = rest.rpartition(",")
            if part_of(tail):
                part, rest = part_of(tail), head.strip()
        if part is None:
            pm = re.search(r"\(([^)]*)\)$", rest)
            if pm and part_of(pm.group(1)):
                part, rest = part_of(pm.group(1)), rest[: pm.start()].strip()
        role, organisation = split_role(rest) if rest else (None, None)
        if part and role and not organisation and ORG_WORDS.search(role):
            role, organisation = None, role  # "Name | Host, New England Climate Forum"
        moderator = part == "moderator"
        person = Person(
            name.strip().rstrip(","),
            role or None,
            organisation,
            None if moderator else part,
            moderator,
        )
        return person, not rest
    return None
