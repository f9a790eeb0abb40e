"""Import an event page: its text (pasted, any layout) or the saved web page in, metadata YAML
out for a person to check.

:func:`parse_page` reads the page (:mod:`campaign.eventpage` does the reading) into an
:class:`ImportedPage`; :func:`to_yaml` writes the metadata YAML with every fact the page lacks
filled with a stated default marked ``# CONFIRM:``, and the lines it could not place listed at
the end as ``# not used: …``.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import replace

import yaml

from campaign import DEFAULT_HASHTAG
from campaign.errors import CampaignError
from campaign.eventpage.dates import ZONES
from campaign.eventpage.html import looks_like_html, read_html
from campaign.eventpage.publications import split_topics
from campaign.eventpage.reader import ImportedPage, read_page
from campaign.eventpage.speakers import split_role
from campaign.models import CampaignSettings
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


def _scalar(value: str) -> str:
    """``value`` as one YAML scalar, quoted only when YAML needs it (real Unicode kept)."""
    out = yaml.safe_dump(value, allow_unicode=True, width=1_000_000, default_flow_style=False)
    out = out.removesuffix("\n").removesuffix("\n...").rstrip("\n")
    return out


def _folded(text: str, indent: int) -> str:
    """``text`` (paragraphs separated by newlines) as a wrapped ``>-`` block at ``indent``."""
    paragraphs = [" ".join(p.split()) for p in text.split("\n") if p.strip()]
    wanted = "\n".join(paragraphs)
    body: list[str] = []
    for n, p in enumerate(paragraphs):
        if n:
            body.append("")
        body += textwrap.wrap(p, width=100 - indent, break_long_words=False, break_on_hyphens=False)
    block = ">-\n" + "\n".join(" " * indent + line if line else "" for line in body)
    try:
        if yaml.safe_load("x: " + block) == {"x": wanted}:
            return block
    except yaml.YAMLError:  # pragma: no cover - a safety net; quoted form below always loads
        pass
    return _scalar(wanted)


def _title_from_hashtag(hashtag: str) -> str:
    words = re.sub(r"(?<=[a-z])(?=[A-Z0-9])|_", " ", hashtag.lstrip("#")).split()
    return " ".join(
        w if i == 0 or w.lower() not in SMALL_WORDS else w.lower() for i, w in enumerate(words)
    )


def _line(indent: int, key: str, value: str | None, comment: str | None = None) -> str:
    text = " " * indent + f"{key}:" + (f" {value}" if value is not None else "")
    return text + (f"  # {comment}" if comment else "")


def _list(indent: int, key: str, values: tuple[str, ...]) -> list[str]:
    if not values:
        return [_line(indent, key, "[]")]
    return [_line(indent, key, None)] + [" " * (indent + 2) + f"- {_scalar(v)}" for v in values]


def to_yaml(page: ImportedPage) -> str:
    """Metadata YAML for ``page``, ready for `campaign load`, every filled-in fact marked CONFIRM."""
    defaults = CampaignSettings(name="-")
    cad = defaults.cadence
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
        _line(2, "name", _scalar(title), title_note),
        _line(
            2,
            "hashtag",
            _scalar(hashtag),
            None if page.hashtag else "CONFIRM: the page names no hashtag",
        ),
        _line(2, "timezone", _scalar(zone_name), zone_note),
        _line(
            2,
            "window_start",
            f"'{defaults.window_start:%H:%M}'",
            "posts go out only between these local times",
        ),
        _line(2, "window_end", f"'{defaults.window_end:%H:%M}'"),
        _line(2, "min_gap_minutes", str(defaults.min_gap_minutes)),
        _line(2, "tracking", None, "added to links to the campaign's own sites"),
        _line(4, "utm_source", "x"),
        _line(4, "utm_medium", "social"),
        _line(4, "utm_campaign", _scalar(slugify(_title_from_hashtag(hashtag)))),
        _line(2, "cadence", None, "where the planner puts each kind of post"),
        _line(4, "announcement_days_before", str(cad.announcement_days_before)),
        _line(4, "reminder_days_before", f"[{', '.join(map(str, cad.reminder_days_before))}]"),
        _line(4, "spotlight_days_before", f"[{', '.join(map(str, cad.spotlight_days_before))}]"),
        _line(4, "starting_minutes_before", str(cad.starting_minutes_before)),
        _line(4, "recap_days_after", str(cad.recap_days_after)),
        _line(4, "publications_days_after", str(cad.publications_days_after)),
        _line(4, "publications_every_days", str(cad.publications_every_days)),
        _line(4, "post_time", f"'{cad.post_time:%H:%M}'"),
        _line(2, "price_post", str(defaults.price_post), "US dollars X bills for a post"),
        _line(2, "price_post_with_link", f"{defaults.price_post_with_link:.2f}", "… with a link"),
        _line(2, "price_read", str(defaults.price_read), "… for each post collected"),
        _line(
            2,
            "collect_max_reads_per_day",
            str(defaults.collect_max_reads_per_day),
            "collecting stops for the day here; or unlimited",
        ),
        "",
        "event:",
        _line(2, "title", _scalar(title), title_note),
        _line(2, "start", f"{page.event_date.isoformat()} {start_time}", date_note),
        *_end(page),
        _line(2, "place", None, "CONFIRM: where it happens, if in person"),
        _line(2, "online_url", None, "CONFIRM: the link to watch online, if any"),
        _line(2, "registration_url", None, "CONFIRM: the registration link (https://…)"),
        _line(2, "url", None, "CONFIRM: the event page's address (https://…)"),
    ]
    if page.description:
        out.append(_line(2, "description", _folded(page.description, 4)))
    else:
        out.append(_line(2, "description", None, "CONFIRM: the page has no description"))

    out.append("")
    if not page.speakers:
        out.append(_line(0, "speakers", "[]", "CONFIRM: no speakers found on the page"))
    else:
        out.append(_line(0, "speakers", None, "X handles: CONFIRM each one, or leave it empty"))
    for s in page.speakers:
        out.append(_line(2, "- name", _scalar(s.name)))
        if s.role:
            out.append(_line(4, "role", _scalar(s.role)))
        if s.organisation:
            out.append(_line(4, "organisation", _scalar(s.organisation)))
        out.append(_line(4, "handle", None))
        if s.moderator:
            out.append(_line(4, "moderator", "true"))
        if s.part:
            out.append(_line(4, "part", _scalar(s.part)))

    out.append("")
    out.append(_line(0, "publications", None if page.publications else "[]"))
    for p in page.publications:
        out.append(_line(2, "- title", _scalar(p.title)))
        out.append(_line(4, "url", None, "CONFIRM: the publication's address (https://…)"))
        if p.date:
            out.append(_line(4, "date", p.date.isoformat()))
        out += _list(4, "authors", p.authors)
        if p.type:
            out.append(_line(4, "type", _scalar(p.type)))
        out += _list(4, "topics", p.topics)
        if p.summary:
            out.append(_line(4, "summary", _folded(p.summary, 6)))
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


def _end(page: ImportedPage) -> list[str]:
    if page.clock is None or page.clock.end is None or page.year_source == "none":
        return []
    return [_line(2, "end", f"{page.event_date.isoformat()} {page.clock.end:%H:%M}")]
