"""Saved HTML event pages: the facts the markup states, then the page's main text.

A schema.org ``Event`` (JSON-LD or microdata, read by extruct) gives the name, start and end,
description and performers; OpenGraph gives the title and description when there is no Event.
The main text (selectolax: ``<main>``, else ``<article>``, else the body, without navigation,
headers, footers, scripts and forms) goes through the same reader as pasted text, one line per
block element.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from campaign.errors import CampaignError
from campaign.eventpage.reader import Hints
from campaign.eventpage.speakers import Person, person_name, split_role

HTML_RE = re.compile(r"<(?:!doctype\s+html|html|head|body|div|p|article|main)\b", re.IGNORECASE)
DROPPED = "script, style, noscript, template, svg, nav, aside, form, iframe, button"
BLOCKS = (
    "p, div, section, article, main, li, ul, ol, dl, dt, dd, h1, h2, h3, h4, h5, h6, tr, table, "
    "blockquote, figure, figcaption, address, br, hr"
)


def looks_like_html(text: str) -> bool:
    """True when ``text`` is a saved web page rather than text copied from one."""
    return bool(HTML_RE.search(text[:4000]))


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _text(value: Any) -> str | None:
    value = _first(value)
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value")
    if value is None:
        return None
    return " ".join(str(value).split()) or None


def _events(data: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    found = []
    for syntax in ("json-ld", "microdata"):
        for item in data.get(syntax, []):
            stack = [item, *(item.get("@graph", []) if isinstance(item, dict) else [])]
            for it in stack:
                kind = _first(it.get("@type")) if isinstance(it, dict) else None
                if isinstance(kind, str) and kind.endswith("Event"):
                    found.append(it)
    return found


def _moment(value: str | None) -> datetime | date | None:
    """A schema.org date or date-time: a datetime (aware when it has an offset) or a date."""
    if not value:
        return None
    value = value.strip()
    try:
        if "T" not in value and " " not in value:
            return date.fromisoformat(value[:10])
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _performers(event: dict[str, Any]) -> list[Person]:
    out = []
    raw = event.get("performer") or event.get("performers") or []
    for p in raw if isinstance(raw, list) else [raw]:
        name = _text(p)
        if not name or not person_name(name):
            continue
        role = _text(p.get("jobTitle")) if isinstance(p, dict) else None
        org = _text(p.get("affiliation") or p.get("worksFor")) if isinstance(p, dict) else None
        if role and not org:
            role, org = split_role(role)
        out.append(Person(name, role, org))
    return out


def _ancestors(node: Any) -> list[Any]:
    out = []
    while node.parent is not None:
        node = node.parent
        out.append(node)
    return out


def main_text(html: str) -> str:
    """The page's main text, one line per block element, blank lines between blocks."""
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(html)
    for node in tree.css(DROPPED):
        node.decompose()
    for node in tree.css("header, footer"):  # the site's, not an article's own
        if not any(a.tag in ("main", "article") for a in _ancestors(node)):
            node.decompose()
    root = tree.css_first("main") or tree.css_first("article") or tree.body
    if root is None:
        return ""
    for node in root.css(BLOCKS):
        node.insert_after("\n\n")
    return root.text(separator="", deep=True)


def read_html(html: str) -> tuple[str, Hints]:
    """A saved page → its main text and the facts its markup states."""
    import extruct

    try:
        data = extruct.extract(
            html, syntaxes=["json-ld", "microdata", "opengraph"], uniform=True, errors="ignore"
        )
    except Exception as e:
        raise CampaignError(
            f"cannot read the saved page's markup ({type(e).__name__}): save the page again, or "
            "copy its text into a plain-text file and import that"
        ) from e
    hints = Hints()
    events = _events(data)
    og = data.get("opengraph", [{}])
    og = og[0] if og else {}
    if events:
        ev = events[0]
        hints.title = _text(ev.get("name"))
        hints.description = _text(ev.get("description"))
        hints.start = _moment(_text(ev.get("startDate")))
        hints.end = _moment(_text(ev.get("endDate")))
        hints.people = _performers(ev)
    hints.title = hints.title or _text(og.get("og:title"))
    hints.description = hints.description or _text(og.get("og:description"))
    return main_text(html), hints
