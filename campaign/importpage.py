"""Import an event page: its text (pasted, any layout) or the saved web page in, metadata YAML
out for a person to check.

:func:`parse_page` reads the page (:mod:`campaign.eventpage` does the reading) into an
:class:`ImportedPage`; :func:`to_yaml` writes the metadata YAML with every fact the page lacks
filled with a stated default marked ``# CONFIRM:``, and the lines it could not place listed at
the end as ``# not used: …``.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, time

from campaign import DEFAULT_HASHTAG
from campaign.errors import CampaignError
from campaign.eventpage.dates import ZONES
from campaign.eventpage.html import looks_like_html, read_html
from campaign.eventpage.publications import split_topics
from campaign.eventpage.reader import ImportedPage, read_page
from campaign.eventpage.speakers import split_role
from campaign.metadata.writer import item_yaml, section_yaml
from campaign.metadata.writer import line as _line
from campaign.models import CampaignSettings, Event
from campaign.slug import slugify

__all__ = ["ImportedPage", "decode_page", "parse_page", "split_role", "split_topics", "to_yaml"]

SMALL_WORDS = {"a", "an", "and", "as", "at", "by", "for", "in", "of", "on", "or", "the", "to"}
HASHTAG_RE = re.compile(r"#?[^\W\d]\w{0,98}")

DEFAULT_TIME = "10:00"


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


def parse_page(text: str, year: int | None = None, hashtag: str | None = None) -> ImportedPage:
    """Read an event page: its text, or a saved web page (HTML is recognised by its tags).

    ``year`` is the event's year when the page gives only month and day; without it the next
    time that day comes round is assumed (and :func:`to_yaml` asks a person to confirm it).
    ``hashtag`` is the campaign's hashtag when the page names none.
    """
    if looks_like_html(text):
        body, hints = read_html(text)
        page = read_page(body, year, hints, html=True)
    else:
        page = read_page(text, year)
    if hashtag and page.hashtag is None:
        if not HASHTAG_RE.fullmatch(hashtag):
            raise CampaignError(
                f"--hashtag {hashtag!r} is not a hashtag: letters, digits and _ after the #, "
                "starting with a letter, e.g. --hashtag '#PeaceTech2027'"
            )
        page = replace(page, hashtag="#" + hashtag.lstrip("#"), hashtag_source="option")
    return page


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
    if page.clock and page.clock.zone in ZONES:
        zone_name = ZONES[page.clock.zone]
        zone_note = f"CONFIRM: from the page's {page.clock.zone!r}; the event's own IANA zone"
    start_time = f"{page.clock.start:%H:%M}" if page.clock else DEFAULT_TIME
    date_note = _date_note(page)

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
                "start": datetime.combine(page.event_date, time.fromisoformat(start_time)),
                "end": _end(page),
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
    if page.not_used:
        out += ["", "# Lines of the page the importer could not place: check nothing is missing."]
        out += [f"# not used: {_shown(line)}" for line in page.not_used]
    return "\n".join(out) + "\n"


def _shown(line: str, width: int = 110) -> str:
    return line if len(line) <= width else line[: width - 1].rstrip() + "…"


def _date_note(page: ImportedPage) -> str:
    """The CONFIRM note for the event's start: what the page did not say."""
    if page.year_source == "none":
        return "CONFIRM: the page gives no date; this is a placeholder four weeks ahead"
    if page.clock is None:
        time_note = f"the time {DEFAULT_TIME} is a default; the page gives none"
        return {
            "page": f"CONFIRM: {time_note}",
            "option": f"CONFIRM: year from --year; the time {DEFAULT_TIME} is a default",
            "default": f"CONFIRM: the page gives no year (assumed the next {page.event_date:%B} "
            f"{page.event_date.day}) and no time ({DEFAULT_TIME} assumed)",
        }[page.year_source]
    return {
        "page": "CONFIRM: the date and time as the page gives them",
        "option": "CONFIRM: year from --year; the time as the page gives it",
        "default": f"CONFIRM: the page gives no year (assumed the next {page.event_date:%B} "
        f"{page.event_date.day})",
    }[page.year_source]


def _end(page: ImportedPage) -> datetime | None:
    """When the event ends, if the page says (and gives a date)."""
    if page.clock is None or page.clock.end is None or page.year_source == "none":
        return None
    return datetime.combine(page.event_date, page.clock.end)
