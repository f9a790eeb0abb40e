"""What X does to a posted text: every link becomes a ``https://t.co/<10 chars>`` link, and the
text's entities (links, hashtags, mentions) are listed with their positions."""

from __future__ import annotations

import random
import re
import string
from typing import Any

# Links the way people type them: with a scheme, or starting with www.
URL_RE = re.compile(r"(?:https?://|www\.)[^\s<>\"]+", re.IGNORECASE)
TRAILING = ".,;:!?)]}'\"…"
HASHTAG_RE = re.compile(r"(?<![\w&#])[#＃](\w*[^\W\d_]\w*)")
MENTION_RE = re.compile(r"(?<![\w@])[@＠](\w{1,15})", re.ASCII)
TCO_ALPHABET = string.ascii_letters + string.digits


def _trim(url: str) -> str:
    """A link without the punctuation that ends the sentence around it."""
    while url and url[-1] in TRAILING:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url


def find_urls(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, url)`` for every link in ``text`` (string indices)."""
    found = []
    for m in URL_RE.finditer(text):
        url = _trim(m.group(0))
        if "." not in url.split("//", 1)[-1]:
            continue
        found.append((m.start(), m.start() + len(url), url))
    return found


def display_url(url: str) -> str:
    """How X shows a link: no scheme, cut to 23 characters with an ellipsis."""
    bare = re.sub(r"^https?://", "", url, flags=re.IGNORECASE)
    return bare if len(bare) <= 23 else bare[:22] + "…"


def shorten(text: str, rng: random.Random) -> tuple[str, list[dict[str, Any]]]:
    """``text`` with each link replaced by a fresh t.co link, and the link entities."""
    out: list[str] = []
    urls: list[dict[str, Any]] = []
    pos = 0
    length = 0
    for start, end, url in find_urls(text):
        out.append(text[pos:start])
        length += start - pos
        expanded = url if "://" in url else "http://" + url
        tco = "https://t.co/" + "".join(rng.choice(TCO_ALPHABET) for _ in range(10))
        urls.append(
            {
                "start": length,
                "end": length + len(tco),
                "url": tco,
                "expanded_url": expanded,
                "display_url": display_url(expanded),
            }
        )
        out.append(tco)
        length += len(tco)
        pos = end
    out.append(text[pos:])
    return "".join(out), urls


def entities(text: str, urls: list[dict[str, Any]], user_ids: dict[str, str]) -> dict[str, Any]:
    """X's ``entities`` for an already rewritten ``text``: urls, hashtags, mentions (those that
    name a known user carry its id)."""
    ent: dict[str, Any] = {}
    if urls:
        ent["urls"] = urls
    link_spans = [(u["start"], u["end"]) for u in urls]

    def outside_links(i: int) -> bool:
        return not any(s <= i < e for s, e in link_spans)

    tags = [
        {"start": m.start(), "end": m.end(), "tag": m.group(1)}
        for m in HASHTAG_RE.finditer(text)
        if outside_links(m.start())
    ]
    if tags:
        ent["hashtags"] = tags
    mentions = []
    for m in MENTION_RE.finditer(text):
        if not outside_links(m.start()):
            continue
        mention: dict[str, Any] = {"start": m.start(), "end": m.end(), "username": m.group(1)}
        uid = user_ids.get(m.group(1).lower())
        if uid is not None:
            mention["id"] = uid
        mentions.append(mention)
    if mentions:
        ent["mentions"] = mentions
    return ent
