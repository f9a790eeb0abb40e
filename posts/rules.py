"""The rules every post obeys before it is queued, applied in one place: :func:`prepare`.

1. Tracking parameters (``settings.tracking``) are added to links to the campaign's own sites
   (``settings.tracked_domains``, or the event's domains when that list is empty). Existing query
   parameters stay as they are; links to other sites are never touched.
2. The campaign hashtag appears exactly once (compared case-insensitively): appended when absent;
   a post that has it twice or more is refused, never silently changed.
3. X's weighted length is at most 280, counted on the text as it will be sent.
4. No two posts in a campaign have the same text (X refuses duplicates): compared
   case-insensitively with whitespace collapsed.

:func:`prepare` is idempotent: preparing prepared text gives the same text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit

from campaign.errors import RuleError
from campaign.models import CampaignSettings
from posts.length import (
    LIMIT,
    LengthCheck,
    Span,
    check,
    is_normal,
    plain_weight,
    refuses,
    rewrite_urls,
    url_spans,
    weigh,
)

__all__ = [
    "Prepared",
    "add_tracking",
    "count_hashtag",
    "domain_of",
    "duplicate_key",
    "ensure_hashtag",
    "prepare",
]


@dataclass(frozen=True)
class Prepared:
    """A post's text exactly as it will be sent, and its weighted length."""

    text: str
    weighted_length: int


@lru_cache(maxsize=4096)
def domain_of(url: str) -> str | None:
    """The host of ``url`` in lower case without a leading ``www.``, or ``None``."""
    raw = url.strip()
    if not raw:
        return None
    if "://" not in raw:
        raw = "//" + raw
    try:
        host = urlsplit(raw).hostname
    except ValueError:
        return None
    if not host:
        return None
    host = host.lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def _is_tracked(host: str, domains: Iterable[str]) -> bool:
    return any(host == d or host.endswith("." + d) for d in domains)


@lru_cache(maxsize=4096)
def _with_params(url: str, params: tuple[tuple[str, str], ...]) -> str:
    """``url`` with each of ``params`` it lacks appended to its query (existing ones kept as they are)."""
    base, hash_mark, fragment = url.partition("#")
    path, _, query = base.partition("?")
    have = {k for k, _ in parse_qsl(query, keep_blank_values=True)}
    missing = {k: v for k, v in params if k not in have}
    if not missing:
        return url
    extra = urlencode(missing)
    joined = (query + ("" if query.endswith("&") else "&") + extra) if query else extra
    return path + "?" + joined + hash_mark + fragment


def _tracker(params: Mapping[str, str], domains: Iterable[str]) -> Callable[[str], str] | None:
    """What to do to each URL: add ``params`` to those on ``domains``; ``None`` when nothing to do."""
    return _make_tracker(tuple(params.items()), tuple(domains))


@lru_cache(maxsize=64)
def _make_tracker(
    pairs: tuple[tuple[str, str], ...], domains: tuple[str, ...]
) -> Callable[[str], str] | None:
    wanted = frozenset(d for d in (_bare(d) for d in domains) if d)
    if not pairs or not wanted:
        return None

    def track(url: str) -> str:
        host = domain_of(url)
        if host is None or not _is_tracked(host, wanted):
            return url
        return _with_params(url, pairs)

    return track


def add_tracking(text: str, params: Mapping[str, str], domains: Iterable[str]) -> str:
    """``text`` with ``params`` added to every link whose host is one of ``domains`` (or under one)."""
    track = _tracker(params, domains)
    return text if track is None else rewrite_urls(text, track)[0]


def _bare(domain: str) -> str:
    """A configured domain (``usip.org``, ``www.usip.org`` or a whole URL) as a bare host."""
    return domain_of(domain) or ""


# The only characters outside ASCII that a case-insensitive pattern matches to ASCII letters
# (İ ı ~ i, ſ ~ s, the Kelvin sign ~ k): tests check this list against the re module.
_CASE_ODD = re.compile("[\u0130\u0131\u017f\u212a]")


def _may_hold(text: str, hashtag: str) -> bool:
    """A quick test: could ``text`` hold ``hashtag`` in any case? (False: it certainly does not.)"""
    word = _tag_word(hashtag)
    if not word.isascii() or _CASE_ODD.search(text):
        return _tag_finder(hashtag).search(text) is not None
    return word in text.lower()


@lru_cache(maxsize=64)
def _tag_word(hashtag: str) -> str:
    """The tag's word in lower case: a quick test before the exact count."""
    return hashtag.lstrip("#＃").lower()


@lru_cache(maxsize=64)
def _tag_finder(hashtag: str) -> re.Pattern[str]:
    """The tag's word anywhere, in any case, matched as :func:`_hashtag_pattern` matches it."""
    return re.compile(re.escape(hashtag.lstrip("#＃")), re.IGNORECASE)


@lru_cache(maxsize=64)
def _hashtag_pattern(hashtag: str) -> re.Pattern[str]:
    tag = hashtag.lstrip("#＃")
    # A whole hashtag: not glued to a word or another tag before, not continued by a word after.
    # (The look-behind comes after the "#" so the search can jump from "#" to "#".)
    return re.compile(rf"[#＃](?<![\w#＃&][#＃]){re.escape(tag)}(?!\w)", re.IGNORECASE)


def _mask_urls(text: str, spans: Sequence[Span] | None = None) -> str:
    """``text`` with every link blanked out (a ``#`` inside a link is not a hashtag)."""
    spans = url_spans(text) if spans is None else spans
    if not spans:
        return text
    parts: list[str] = []
    pos = 0
    for start, end, _ in spans:
        parts.append(text[pos:start])
        parts.append(" " * (end - start))
        pos = end
    parts.append(text[pos:])
    return "".join(parts)


def count_hashtag(text: str, hashtag: str, spans: Sequence[Span] | None = None) -> int:
    """How many times ``hashtag`` appears in ``text`` as a hashtag (case-insensitive, links aside).

    ``spans``: the URLs of ``text`` when already known (:func:`posts.length.url_spans`).
    """
    if not _may_hold(text, hashtag):
        return 0  # the common case, and no need to look for links
    return len(_hashtag_pattern(hashtag).findall(_mask_urls(text, spans)))


def ensure_hashtag(text: str, hashtag: str, spans: Sequence[Span] | None = None) -> str:
    """``text`` with ``hashtag`` exactly once: appended if absent, refused if there twice or more."""
    found = count_hashtag(text, hashtag, spans)
    if found == 1:
        return text
    if found > 1:
        raise RuleError(
            f"the hashtag {hashtag} appears {found} times in this post: "
            "keep it once (the tool adds it when it is missing)"
        )
    body = text.rstrip()
    # A post written as several lines gets the hashtag on a line of its own.
    return body + ("\n" if "\n" in body else " ") + hashtag


def duplicate_key(text: str, hashtag: str | None = None) -> str:
    """What two posts are compared by: case-folded, whitespace collapsed, ``hashtag`` left out.

    Leaving the hashtag out makes a text clash with a stored post that differs only by it.
    """
    if hashtag:
        text = _hashtag_pattern(hashtag).sub(" ", text)
    return " ".join(text.split()).casefold()


def _excerpt(text: str, width: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _measure(final: str, tracked: str, spans: Sequence[Span]) -> LengthCheck:
    """``check(final)`` for ``final`` = ``tracked`` (URLs ``spans``) + maybe a space and the hashtag.

    The hashtag, after a space or line break, cannot be part of a URL, so the URLs already found
    are reused rather than found again; anything unusual is counted from scratch.
    """
    tail = final[len(tracked) :]
    if not final.startswith(tracked) or "." in tail or not is_normal(final):
        return check(final)
    length, refused = weigh(tracked, spans)
    length += plain_weight(tail)
    return LengthCheck(length, not refused and not refuses(tail) and 0 < length <= LIMIT)


# C0 and C1 control characters and DEL, except tab and line breaks: pasted from a word processor
# or a terminal, they are invisible here, garble `posts show` and do not show on X as typed.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _tracked(
    body: str, settings: CampaignSettings, event_url_domains: Iterable[str]
) -> tuple[str, list[Span]]:
    """``body`` with tracking added to the links it should have, and its links' spans."""
    domains = settings.tracked_domains or tuple(event_url_domains)
    track = _tracker(settings.tracking, domains)
    if track is None:
        return body, list(url_spans(body))
    tracked, spans = rewrite_urls(body, track)
    return tracked, list(spans)


def completed(
    text: str,
    settings: CampaignSettings,
    *,
    event_url_domains: Iterable[str] = (),
    hashtag: bool = True,
) -> str:
    """``text`` with the tracking and the hashtag :func:`prepare` adds, without its checks (what a
    refused text would have been sent as, to count it); the bare text if even that is refused."""
    body = text.strip()
    try:
        tracked, spans = _tracked(body, settings, event_url_domains)
        return ensure_hashtag(tracked, settings.hashtag, spans) if hashtag else tracked
    except RuleError:
        return body


def prepare(
    text: str,
    settings: CampaignSettings,
    *,
    others: Iterable[str] = (),
    event_url_domains: Iterable[str] = (),
    hashtag: bool = True,
) -> Prepared:
    """Exactly what will be sent for ``text``, or a :class:`RuleError` saying what to change.

    ``others`` are the texts of the campaign's other posts (for the duplicate rule);
    ``event_url_domains`` are the event's sites, tracked when ``settings.tracked_domains`` is empty.
    ``hashtag=False``: the hashtag is not added (a reply, or a thread's later post, unless the
    campaign says otherwise); one typed in is kept, but not twice.
    """
    body = text.strip()
    if not body:
        raise RuleError("the post has no text: write what it should say")
    if not duplicate_key(body, settings.hashtag).strip("#@.,;:!?-–— "):
        raise RuleError(
            f"the post is only the hashtag {settings.hashtag}: write what it should say (the "
            "hashtag is added for you)"
        )
    control = _CONTROL.search(body)
    if control is not None:
        raise RuleError(
            f"the post contains an invisible control character (U+{ord(control.group()):04X}) "
            f"at character {control.start() + 1}: remove it (it often comes from pasting); "
            "what X would show is not what you see"
        )
    tracked, spans = _tracked(body, settings, event_url_domains)
    if hashtag:
        final = ensure_hashtag(tracked, settings.hashtag, spans)
    else:
        if count_hashtag(tracked, settings.hashtag, spans) > 1:
            ensure_hashtag(tracked, settings.hashtag, spans)  # the refusal, in its words
        final = tracked
    result = _measure(final, tracked, spans)
    if result.weighted_length > LIMIT:
        added = []
        if final != tracked:
            added.append("adding the hashtag")
        if tracked != body:
            added.append("tracking to links")
        after = f" after {' and '.join(added)}" if added else ""
        raise RuleError(
            f"{result.weighted_length}/{LIMIT} weighted characters{after}: shorten the text by "
            f"{result.weighted_length - LIMIT} (links count 23, emoji and CJK characters 2)"
        )
    if not result.valid:
        raise RuleError(
            "the post contains a character X refuses (U+FFFE, U+FEFF or U+FFFF): remove it"
        )
    key: str | None = None
    for other in others:
        key = key or duplicate_key(final, settings.hashtag)
        if duplicate_key(other, settings.hashtag) == key:
            raise RuleError(
                f"the campaign already has a post with this text (“{_excerpt(other)}”): "
                "X refuses duplicates, so change the wording"
            )
    return Prepared(text=final, weighted_length=result.weighted_length)
