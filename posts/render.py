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

Rendering is bounded, with a :class:`TemplateError` that says which limit: at most
:data:`RENDER_SECONDS` of time (checked as output is made and as ``range`` counts, and, on the
main thread, by a timer that interrupts any loop), at most :data:`MAX_OUTPUT` characters of
output, and a recursion (a macro calling itself) stopped where Python stops it.
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from campaign.errors import TemplateError
from campaign.models import CampaignSettings, Metadata, Publication, Speaker
from posts.length import HEAVY, LIMIT, plain_weight, weighted_length
from posts.rules import count_hashtag
from posts.templates import (
    SHORTEN_RE,
    SHORTEN_START,
    SUFFIX,
    RenderLimitError,
    check_deadline,
    check_kind,
    deadline,
    load,
    template_error,
)

RENDER_SECONDS = 2.0  # a post renders in milliseconds
MAX_OUTPUT = 20_000  # characters a template may write (a post is 280 weighted)

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
    check_kind(kind)
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


def trim(text: str, budget: int) -> str:
    """``text`` cut on a word to at most ``budget`` weighted characters, ending in an ellipsis.

    Weights are counted without looking for links (a link counts its full length, not 23), so the
    result may be shorter than needed but never longer. Less than :data:`MIN_SHORTENED` left:
    nothing.
    """
    heavy = 0 if text.isascii() else len(HEAVY.findall(text))
    if len(text) + heavy <= budget:
        return text
    room = budget - plain_weight(ELLIPSIS)
    if not heavy:
        cut = text.rfind(" ", 0, room + 1)  # every character weighs 1
    else:
        used, cut = 0, 0
        for i, ch in enumerate(text):
            used += 2 if HEAVY.match(ch) else 1
            if used > room:
                break
            if ch == " ":
                cut = i
    kept = text[: max(cut, 0)].rstrip(" ,;:–—-")
    if plain_weight(kept) < MIN_SHORTENED:
        return ""
    return kept + ELLIPSIS


_DOUBLE_STOP = re.compile(r"(?<!\.)\.\.(?!\.)")
_BLANK_LINES = re.compile(r"\n{3,}")
# Space other than a plain space or a line break: tidy makes it a plain space.
_ODD_SPACE = re.compile(
    "[\t\x0b\x0c\r\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
)  # every character str.split() splits on, but " " and "\n" (tests check the list)


def tidy(text: str) -> str:
    """Trailing spaces gone, runs of spaces inside lines and of blank lines collapsed, ends trimmed.

    A full stop doubled by a template (``… Ph.D.`` then ``.``) becomes one; an ellipsis stays.
    """
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if ".." in text:
        text = _DOUBLE_STOP.sub(".", text)
    if (
        "  " in text
        or " \n" in text
        or "\n " in text
        or text[:1] == " "
        or text[-1:] == " "
        or _ODD_SPACE.search(text)
    ):
        text = "\n".join(" ".join(line.split()) for line in text.split("\n"))
    if "\n\n\n" in text:
        text = _BLANK_LINES.sub("\n\n", text)
    return text.strip()


# Stands for a shortened piece while the rest is measured: keeps its line, weighs 1, and (like a
# space) ends any link next to it.
_MARK = "\x00"


def _resolve_shortened(text: str, settings: CampaignSettings) -> str:
    """``text`` with each ``shorten``-ed piece trimmed to the room the rest of the post leaves."""
    if SHORTEN_START not in text:
        return tidy(text)
    fixed = tidy(SHORTEN_RE.sub(_MARK, text))
    marks = fixed.count(_MARK)
    rest = fixed.replace(_MARK, "")
    reserve = 0 if count_hashtag(rest, settings.hashtag) else 1 + weighted_length(settings.hashtag)
    room = LIMIT - (weighted_length(fixed) - marks) - reserve

    def fit(match: re.Match[str]) -> str:
        nonlocal room
        limit = int(match.group(1)) if match.group(1) else room
        piece = trim(match.group(2), max(0, min(limit, room)))
        room -= plain_weight(piece)
        return piece

    return tidy(SHORTEN_RE.sub(fit, text))


def _bounded_output(chunks: Iterator[str]) -> str:
    """The text of a render, refused past MAX_OUTPUT characters or the deadline."""
    parts: list[str] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > MAX_OUTPUT:
            raise RenderLimitError(
                f"it writes more than {MAX_OUTPUT:,} characters (a post is 280): make it shorter"
            )
        parts.append(chunk)
        check_deadline()
    return "".join(parts)


@contextmanager
def _time_limit() -> Iterator[None]:
    """Give the render RENDER_SECONDS. On the main thread a timer also interrupts a loop
    that writes nothing; elsewhere the checks in output and ``range`` end it."""
    token = deadline.set(time.monotonic() + RENDER_SECONDS)
    timer = threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")
    previous: Any = None
    if timer:

        def _expired(signum: int, frame: Any) -> None:
            check_deadline()

        previous = signal.signal(signal.SIGALRM, _expired)
        signal.setitimer(signal.ITIMER_REAL, RENDER_SECONDS + 0.05)
    try:
        yield
    finally:
        if timer:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        deadline.reset(token)


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
        with _time_limit():
            raw = _bounded_output(tpl.generate(context))
    except RecursionError as e:
        raise TemplateError(
            f"template {name}: it calls itself without end (a macro or a recursive loop): "
            "give the recursion a way to stop"
        ) from e
    except MemoryError as e:
        raise TemplateError(f"template {name}: it makes too much text to hold") from e
    except (JinjaError, TemplateError, TypeError, ValueError, ArithmeticError) as e:
        raise template_error(e, name) from e
    text = _resolve_shortened(raw, settings)
    if not text:
        raise TemplateError(
            f"template {name} produced no text for this post: give it text that does not depend "
            "only on optional facts"
        )
    return text
