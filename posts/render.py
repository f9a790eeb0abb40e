"""Turning a template and the campaign's facts into a post's text.

:func:`context` builds what a template sees; :func:`render_post` renders a kind (or a named
variant), trims any ``shorten``-ed piece to the room the rest leaves (counting the hashtag the
rules will add), and tidies the whitespace: no trailing spaces, at most one blank line.

What a template sees (every name is always defined; optional facts are ``None`` or empty):

- ``campaign``: name, hashtag, timezone, …; ``event``: title, start, end, place, online_url,
  registration_url, url, description (times are aware: format them with ``datefmt``);
- ``speakers`` (everyone, in page order), ``panelists`` (not the moderator), ``moderator``
  (a speaker or ``None``), ``publications``;
- ``speaker`` (spotlight), ``publication`` (publication), ``days_before`` (reminder), else ``None``;
- ``index``: the post's place among posts of its kind (0, 1, …), to vary wording;
- ``link``: the event's registration link, else its page, else ``None``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from campaign.errors import TemplateError
from campaign.models import CampaignSettings, Metadata, Publication, Speaker
from posts.length import LIMIT, weighted_length
from posts.rules import count_hashtag
from posts.templates import KINDS, SHORTEN_RE, SUFFIX, load, template_error

# Below this many weighted characters a trimmed summary says nothing: leave it out instead.
MIN_SHORTENED = 40
ELLIPSIS = "…"


def context(
    md: Metadata,
    kind: str,
    *,
    item: Speaker | Publication | None = None,
    days_before: int | None = None,
    index: int = 0,
) -> dict[str, Any]:
    """What the template for a ``kind`` post sees (see the module doc)."""
    if kind not in KINDS:
        raise TemplateError(f"unknown kind of post {kind!r}: use one of {', '.join(KINDS)}")
    moderators = [s for s in md.speakers if s.moderator]
    event = md.event
    return {
        "campaign": md.campaign,
        "event": event,
        "speakers": list(md.speakers),
        "panelists": [s for s in md.speakers if not s.moderator],
        "moderator": moderators[0] if moderators else None,
        "publications": list(md.publications),
        "speaker": item if isinstance(item, Speaker) else None,
        "publication": item if isinstance(item, Publication) else None,
        "days_before": days_before,
        "index": index,
        "link": event.registration_url or event.url,
    }


def _char_weight(ch: str) -> int:
    """twitter-text v3 weight of one code point (emoji sequences over-counted: safe for trimming)."""
    cp = ord(ch)
    if cp <= 4351 or 8192 <= cp <= 8205 or 8208 <= cp <= 8223 or 8242 <= cp <= 8247:
        return 1
    return 2


def trim(text: str, budget: int) -> str:
    """``text`` cut on a word to at most ``budget`` weighted characters, ending in an ellipsis."""
    if weighted_length(text) <= budget:
        return text
    room = budget - _char_weight(ELLIPSIS)
    used = 0
    cut = 0
    for i, ch in enumerate(text):
        used += _char_weight(ch)
        if used > room:
            break
        if ch.isspace():
            cut = i
    kept = text[:cut].rstrip(" ,;:–—-")
    if not kept or sum(_char_weight(c) for c in kept) < MIN_SHORTENED:
        return ""
    return kept + ELLIPSIS


_DOUBLE_STOP = re.compile(r"(?<!\.)\.\.(?!\.)")


def tidy(text: str) -> str:
    """Trailing spaces gone, runs of spaces inside lines and of blank lines collapsed, ends trimmed.

    A full stop doubled by a template (``… Ph.D.`` then ``.``) becomes one; an ellipsis stays.
    """
    lines = [" ".join(_DOUBLE_STOP.sub(".", line).split()) for line in text.splitlines()]
    out: list[str] = []
    for line in lines:
        if not line and (not out or not out[-1]):
            continue
        out.append(line)
    return "\n".join(out).strip()


def _resolve_shortened(text: str, settings: CampaignSettings) -> str:
    if not SHORTEN_RE.search(text):
        return tidy(text)
    fixed = tidy(SHORTEN_RE.sub("", text))
    reserve = 0 if count_hashtag(fixed, settings.hashtag) else 1 + weighted_length(settings.hashtag)
    room = LIMIT - weighted_length(fixed) - reserve

    def fit(match: Any) -> str:
        nonlocal room
        limit = int(match.group(1)) if match.group(1) else room
        piece = trim(match.group(2), max(0, min(limit, room - 1)))  # 1: the space before it
        room -= weighted_length(piece) + 1 if piece else 0
        return piece

    return tidy(SHORTEN_RE.sub(fit, text))


def render_post(
    kind: str,
    context: Mapping[str, Any],
    settings: CampaignSettings,
    templates_dir: str | os.PathLike[str] | None = None,
    *,
    template: str | None = None,
) -> str:
    """The text of a ``kind`` post from its template (``template`` names a variant file).

    The result is ready for :func:`posts.rules.prepare`, which adds the hashtag and tracking and
    checks the length. Raises :class:`TemplateError` naming the template file and line.
    """
    from jinja2 import TemplateError as JinjaError

    name = template or kind + SUFFIX
    tpl = load(name, templates_dir)
    try:
        raw = tpl.render(context)
    except (JinjaError, TemplateError, TypeError, ValueError, ArithmeticError) as e:
        raise template_error(e, name) from e
    text = _resolve_shortened(raw, settings)
    if not text:
        raise TemplateError(
            f"template {name} produced no text for this post: give it text that does not depend "
            "only on optional facts"
        )
    return text
