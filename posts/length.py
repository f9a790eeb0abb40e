"""X's weighted length (twitter-text v3): URLs count 23, CJK and emoji 2, most Latin text 1.

The rules are twitter-text's, as ``twitter-text-parser`` implements them: text is NFC-normalised
and every line ending counts as one character; each URL counts 23; each emoji counts 2; any other
code point counts 1 in the Latin ranges (U+0000–U+10FF, U+2000–U+200D, U+2010–U+201F,
U+2032–U+2037) and 2 elsewhere (CJK, most symbols); © and ®, emoji inside those ranges, count 2.
Two things are done differently:

- **Emoji from the current Unicode table.** The library's emoji table dates from 2019, so a
  sequence built from newer emoji (a ZWJ sequence such as 🐦‍⬛, a skin tone on 🫶, a new flag or
  keycap) is split into pieces and counted 4 or 5 instead of 2. A single code point (🫠, 🪿) is
  right anyway, since it weighs 2 as a non-Latin character; only sequences need the table. So
  only text containing a character that joins code points into an emoji sequence (ZWJ,
  variation selectors, skin-tone modifiers, keycap, tags, regional indicators) is matched
  against the ``emoji`` package's current table, and each sequence counts 2.
- **Speed.** The library runs its URL expression over the whole text and its emoji expression
  (thousands of alternatives) at every position: about 1.5 ms a post. Here the URL expression
  (the library's own, for X's exact idea of a link) runs only on whitespace-separated tokens
  with a dot followed by a letter or digit, with the character before each token (the library's
  match depends on it), each distinct token once per process; characters are weighed with one
  precompiled class. ``tests/test_length.py`` checks the result equals the library's on generated
  text wherever the library's emoji table suffices.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from types import ModuleType
from typing import Any


def _twitter_text(name: str) -> ModuleType:
    """The module ``twitter_text.<name>``, without running the package's ``__init__``.

    That ``__init__`` imports the library's whole tweet parser, whose emoji table loads
    ``pkg_resources`` and compiles thousands of alternatives: about a quarter of a second at
    every start of the command line, for nothing we use (we need only its URL expression and
    its list of spaces). The submodules are loaded under a bare package module that is taken
    away again, so a later ``import twitter_text`` (the simulator's ``parse_tweet``) runs the
    real ``__init__`` and shares these same submodules.
    """
    full = f"twitter_text.{name}"
    if full in sys.modules or "twitter_text" in sys.modules:
        return importlib.import_module(full)
    spec = importlib.util.find_spec("twitter_text")
    assert spec is not None and spec.submodule_search_locations is not None
    sys.modules["twitter_text"] = importlib.util.module_from_spec(spec)  # not executed
    try:
        return importlib.import_module(full)
    finally:
        del sys.modules["twitter_text"]


spaces_group: str = _twitter_text("regexp.spaces_group").spaces_group
_extract: Any = None


def extract_urls_with_indices(text: str) -> list[dict[str, Any]]:
    """twitter-text's URLs of ``text`` (its expression is compiled on first use)."""
    global _extract
    if _extract is None:
        _extract = _twitter_text("extract_urls").extract_urls_with_indices
    found: list[dict[str, Any]] = _extract(text)
    return found


LIMIT = 280
URL_WEIGHT = 23

# Characters that only occur inside multi-code-point emoji sequences: ZWJ, variation selectors,
# keycap, regional indicators, skin-tone modifiers, tag characters (subdivision flags).
_JOINERS = re.compile(
    "[\u200d\ufe0e\ufe0f\u20e3\U0001f1e6-\U0001f1ff\U0001f3fb-\U0001f3ff\U000e0020-\U000e007f]"
)
# Characters that weigh 2: outside twitter-text v3's weight-1 ranges, plus the two emoji inside
# them (© and ®, which its emoji table counts as emoji).
HEAVY = re.compile(
    "[^\u0000-\u00a8\u00aa-\u00ad\u00af-\u10ff\u2000-\u200d\u2010-\u201f\u2032-\u2037]"
)
# The weight-2 characters that are parts of emoji sequences (ZWJ, weight 1, is checked apart).
_SEQUENCE_PARTS = frozenset(
    [chr(c) for c in (0xFE0E, 0xFE0F, 0x20E3)]
    + [chr(c) for c in range(0x1F1E6, 0x1F200)]
    + [chr(c) for c in range(0x1F3FB, 0x1F400)]
    + [chr(c) for c in range(0xE0020, 0xE0080)]
)
# X refuses three characters outright (twitter-text's invalid characters).
_REFUSED = frozenset("\ufffe\ufeff\uffff")
# A private-use character: weighs 2 like an emoji and is not part of any emoji sequence.
_STAND_IN = "\ue000"
# A token (between twitter-text's spaces: a URL never spans one) with a dot followed by a
# letter or digit: every domain has one (before its TLD).
_DOTTED = re.compile(f"(?<![^{spaces_group}])[^{spaces_group}]*\\.\\w[^{spaces_group}]*")


@dataclass(frozen=True)
class LengthCheck:
    """The weighted length of a text and whether X would accept it."""

    weighted_length: int
    valid: bool
    limit: int = LIMIT


def normalise(text: str) -> str:
    """What X counts: NFC, with every line ending one character."""
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


_DOT_WORD = re.compile(r"\.\w")
_TOKEN_REST = re.compile(f"[^{spaces_group}]*")
# twitter-text's spaces other than " " and "\n" (tests check this against its list).
_RARE_SPACE = re.compile(
    r"[\x09\x0B-\x0D\x85\xA0\u1680\u180E\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]"
)


@lru_cache(maxsize=8192)
def _token_urls(token: str) -> tuple[tuple[int, int, str], ...]:
    return tuple(
        (e["indices"][0], e["indices"][1], e["url"]) for e in extract_urls_with_indices(token)
    )


Span = tuple[int, int, str]  # a URL: start, end (code points), the URL as X reads it


def url_spans(text: str) -> list[Span]:
    """Every URL in ``text`` as X sees it: ``(start, end, url)`` in code-point indices."""
    if "." not in text:
        return []
    spans: list[tuple[int, int, str]] = []
    for start, end in _dotted_tokens(text):
        # With the space before it: the library's match depends on the preceding character.
        base = max(start - 1, 0)
        found = _token_urls(text[base:end])
        if found:
            spans.extend((base + s, base + e, url) for s, e, url in found)
    return spans


def _dotted_tokens(text: str) -> list[tuple[int, int]]:
    """The spans of the space-separated tokens that have a dot followed by a letter or digit."""
    if _RARE_SPACE.search(text):  # tabs, no-break spaces, …: the general (slower) expression
        return [m.span() for m in _DOTTED.finditer(text)]
    tokens: list[tuple[int, int]] = []
    end = -1
    for m in _DOT_WORD.finditer(text):
        at = m.start()
        if at < end:
            continue  # another dot in the same token
        start = max(text.rfind(" ", 0, at), text.rfind("\n", 0, at)) + 1
        end = _TOKEN_REST.match(text, at).end()  # type: ignore[union-attr]
        tokens.append((start, end))
    return tokens


def rewrite_urls(text: str, rewrite: Callable[[str], str]) -> tuple[str, list[Span]]:
    """``text`` with each URL replaced by ``rewrite(url)``, and the URLs of the result.

    Only the tokens whose URLs changed are looked at again, so this costs one scan of the text.
    ``rewrite`` must give the same answer for the same URL (tokens are remembered).
    """
    if "." not in text:
        return text, []
    out: list[str] = []
    spans: list[Span] = []
    pos = 0  # in text
    size = 0  # characters written to out
    for start, end in _dotted_tokens(text):
        base = max(start - 1, 0)
        done = _rewrite_token(text[base:end], start - base, rewrite)
        if done is None:
            continue  # no URL in this token
        new_token, found = done
        chunk = text[pos:start]
        out.append(chunk)
        size += len(chunk)
        offset = size - (start - base)
        spans.extend((offset + s, offset + e, url) for s, e, url in found)
        out.append(new_token)
        size += len(new_token)
        pos = end
    out.append(text[pos:])
    return "".join(out), spans


@lru_cache(maxsize=4096)
def _rewrite_token(
    chunk: str, lead: int, rewrite: Callable[[str], str]
) -> tuple[str, tuple[Span, ...]] | None:
    """One token (``chunk`` less its ``lead`` preceding character) with its URLs rewritten, and
    the URLs of the result relative to the chunk; ``None`` if it has no URL."""
    found = _token_urls(chunk)
    if not found:
        return None
    token = chunk[lead:]
    parts: list[str] = []
    at = 0
    for s, e, url in found:
        parts.append(token[at : s - lead])
        parts.append(rewrite(url))
        at = e - lead
    parts.append(token[at:])
    new_token = "".join(parts)
    if new_token != token:
        found = _token_urls(chunk[:lead] + new_token)
    return new_token, found


def is_normal(text: str) -> bool:
    """Whether ``text`` is already as X counts it (NFC, no carriage returns)."""
    return "\r" not in text and (text.isascii() or unicodedata.is_normalized("NFC", text))


def weigh(text: str, spans: Iterable[Span]) -> tuple[int, bool]:
    """The weighted length of normal ``text`` whose URLs are ``spans`` (see :func:`url_spans`),
    and whether it holds a character X refuses."""
    spans = list(spans)
    if text.isascii():
        return len(text) + sum(URL_WEIGHT - (end - start) for start, end, _ in spans), False
    heavy = HEAVY.findall(text)  # one pass finds the weight-2 characters, refused ones among them
    refused = not _REFUSED.isdisjoint(heavy)
    if "\u200d" in text or not _SEQUENCE_PARTS.isdisjoint(heavy):
        # An emoji sequence (or what may be one): weigh the text between URLs piece by piece.
        weight, pos = 0, 0
        for start, end, _ in spans:
            weight += plain_weight(text[pos:start]) + URL_WEIGHT
            pos = end
        return weight + plain_weight(text[pos:]), refused
    whole = len(text) + len(heavy)
    return whole + sum(URL_WEIGHT - plain_weight(text[s:e]) for s, e, _ in spans), refused


def refuses(text: str) -> bool:
    """Whether ``text`` holds a character X refuses outright."""
    return not _REFUSED.isdisjoint(text)


def _emoji_as_stand_ins(text: str) -> str:
    """``text`` with every emoji sequence of the current Unicode table as one stand-in character."""
    import emoji  # only text with an emoji sequence pays for the table

    found = emoji.emoji_list(text)
    if not found:
        return text
    parts: list[str] = []
    pos = 0
    for match in found:
        parts.append(text[pos : match["match_start"]])
        parts.append(_STAND_IN)
        pos = match["match_end"]
    parts.append(text[pos:])
    return "".join(parts)


def plain_weight(text: str) -> int:
    """The weight of text with no URL in it (with URLs: an over-estimate, never less)."""
    if text.isascii():
        return len(text)
    if _JOINERS.search(text):
        text = _emoji_as_stand_ins(text)
    return len(text) + len(HEAVY.findall(text))


@lru_cache(maxsize=4096)
def _parse(text: str) -> tuple[int, bool]:
    normal = normalise(text)
    weight, refused = weigh(normal, url_spans(normal))
    return weight, not refused


def weighted_length(text: str) -> int:
    """X's weighted length of ``text`` exactly as given (nothing added)."""
    return _parse(text)[0]


def check(text: str) -> LengthCheck:
    """The weighted length of ``text`` and whether X accepts it: not blank, at most 280."""
    length, chars_allowed = _parse(text)
    return LengthCheck(
        weighted_length=length,
        valid=chars_allowed and bool(text.strip()) and 0 < length <= LIMIT,
    )
