"""Campaign metadata: the YAML file people edit, validated into :class:`campaign.models.Metadata`,
saved to the store and read back.

The file has four top-level sections: ``campaign``, ``event``, ``speakers`` and
``publications``; the bundled sample (``campaign/data/policing-in-conflict.yaml``) documents every
key. Validation collects every problem, each naming the file, the line and the field, what is
wrong and how to fix it, and raises them together as one :class:`InvalidMetadata`.

The YAML is read from PyYAML's composed nodes, not its constructed values: that gives line numbers,
catches keys written twice, and keeps times of day as typed (YAML 1.1 reads ``10:00`` as the
number 600).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import sqlite_utils
import yaml

from campaign import DEFAULT_HASHTAG
from campaign.clock import UTC, now, show, skipped, to_db, zone
from campaign.errors import CampaignError, ConfigError
from campaign.models import Cadence, CampaignSettings, Event, Metadata, Publication, Speaker
from campaign.slug import slugify
from campaign.store import immediate

__all__ = [
    "SAMPLE",
    "InvalidMetadata",
    "Problem",
    "from_dict",
    "parse_file",
    "parse_text",
    "require",
    "save",
    "stored",
    "summary",
    "to_dict",
]

SAMPLE = Path(__file__).resolve().parent / "data" / "policing-in-conflict.yaml"

TOP_KEYS = ("campaign", "event", "speakers", "publications")
CAMPAIGN_KEYS = (
    "name",
    "hashtag",
    "timezone",
    "window_start",
    "window_end",
    "min_gap_minutes",
    "tracking",
    "tracked_domains",
    "cadence",
    "query",
    "collect_every_minutes",
    "daily_cap",
    "overdue_limit_minutes",
    "price_post",
    "price_post_with_link",
    "price_read",
    "collect_max_reads_per_day",
    "notify",
)
CADENCE_KEYS = (
    "announcement_days_before",
    "reminder_days_before",
    "spotlight_days_before",
    "starting_minutes_before",
    "recap_days_after",
    "publications_days_after",
    "publications_every_days",
    "post_time",
)
EVENT_KEYS = (
    "title",
    "start",
    "end",
    "place",
    "online_url",
    "registration_url",
    "url",
    "description",
)
SPEAKER_KEYS = ("name", "role", "organisation", "handle", "moderator")
PUBLICATION_KEYS = ("title", "url", "date", "authors", "type", "topics", "summary")

HASHTAG_RE = re.compile(r"#\w+")
HANDLE_RE = re.compile(r"[A-Za-z0-9_]{1,15}")
TIME_RE = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
HOST_RE = re.compile(
    r"(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)
TRACKING_KEY_RE = re.compile(r"[A-Za-z0-9_.\-]+")

T = TypeVar("T")

_DEFAULTS = CampaignSettings(name="-")  # every setting the YAML may leave out, at its default


# --------------------------------------------------------------------------------------------
# Problems


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a metadata file: where (file, line, field), what, and how to fix it."""

    source: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.source}, line {self.line}"
        return (
            f"{where}, {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class InvalidMetadata(ConfigError):
    """Metadata with one or more problems; ``problems`` lists them all, in file order."""

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        self.source = source
        self.problems = sorted(problems, key=lambda p: p.line)
        n = len(self.problems)
        head = f"{source} has {n} problem{'s' if n != 1 else ''}; fix {'them' if n != 1 else 'it'} and load it again:"
        super().__init__("\n".join([head, *(f"  - {p}" for p in self.problems)]))


class _Missing:
    """Marks a value that is absent or could not be read (its problem is already recorded)."""


MISSING = _Missing()


# --------------------------------------------------------------------------------------------
# Reading nodes


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a section of keys"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return f"the value {node.value!r}"


class _Section:
    """A YAML mapping already checked for unknown and repeated keys."""

    def __init__(
        self,
        node: yaml.MappingNode,
        path: str,
        values: dict[str, yaml.Node],
        lines: dict[str, int],
        line: int,
    ) -> None:
        self.node = node
        self.path = path
        self.values = values
        self.lines = lines  # the line of each key
        self.line = line  # the line of the section's own key, where missing keys are reported

    def field(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def get(self, key: str) -> yaml.Node | None:
        node = self.values.get(key)
        return None if node is None or _is_null(node) else node


class _Reader:
    """Turns composed YAML nodes into model values, recording every problem on the way."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[Problem] = []

    def error(self, node: yaml.Node | int, field: str, message: str) -> _Missing:
        line = node if isinstance(node, int) else _line(node)
        self.problems.append(Problem(self.source, line, field, message))
        return MISSING

    # -- structure ---------------------------------------------------------------------------

    def section(
        self, node: yaml.Node, path: str, allowed: Sequence[str], what: str, at: int | None = None
    ) -> _Section | None:
        if not isinstance(node, yaml.MappingNode):
            self.error(
                node,
                path or "the file",
                f"should be {what} (lines of `key: value`), but it is {_kind(node)}",
            )
            return None
        values: dict[str, yaml.Node] = {}
        lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.error(key_node, path or "the file", "a key must be a plain word")
                continue
            key = str(key_node.value)
            field = f"{path}.{key}" if path else key
            if key in values:
                self.error(
                    key_node,
                    field,
                    f"`{key}` is written twice (first at line {lines[key]}): keep one",
                )
                continue
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
                hint = f"did you mean `{close[0]}`?" if close else ""
                where = f"in `{path}`" if path else "at the top of the file"
                self.error(
                    key_node,
                    field,
                    f"unknown key `{key}` {where}"
                    + (f"; {hint}" if hint else f"; the keys allowed are: {', '.join(allowed)}"),
                )
                continue
            values[key] = value_node
            lines[key] = _line(key_node)
        return _Section(node, path, values, lines, at or _line(node))

    def items(self, node: yaml.Node | None, path: str) -> Iterator[tuple[int, yaml.Node]]:
        """The items of a list (1-based numbers); nothing for an absent or empty one."""
        if node is None:
            return
        if not isinstance(node, yaml.SequenceNode):
            self.error(
                node,
                path,
                f"should be a list (one `- ` item per entry), but it is {_kind(node)}",
            )
            return
        yield from enumerate(node.value, start=1)

    def required(
        self, sec: _Section, key: str, read: Callable[[yaml.Node, str], T | _Missing]
    ) -> T | _Missing:
        node = sec.get(key)
        field = sec.field(key)
        if node is None:
            if key in sec.values:
                return self.error(
                    sec.values[key], field, f"is empty: `{key}` is required, give it a value"
                )
            parent = f"under `{sec.path}:`" if sec.path else "at the top of the file"
            return self.error(sec.line, field, f"is missing: add `{key}: ...` {parent}")
        return read(node, field)

    def optional(
        self, sec: _Section, key: str, read: Callable[[yaml.Node, str], T | _Missing]
    ) -> T | None:
        node = sec.get(key)
        if node is None:
            return None
        value = read(node, sec.field(key))
        return None if isinstance(value, _Missing) else value

    # -- scalars -----------------------------------------------------------------------------

    def scalar(self, node: yaml.Node, field: str, what: str) -> str | _Missing:
        if not isinstance(node, yaml.ScalarNode):
            return self.error(node, field, f"should be {what}, but it is {_kind(node)}")
        return str(node.value).strip()

    def text(self, node: yaml.Node, field: str) -> str | _Missing:
        value = self.scalar(node, field, "text")
        if isinstance(value, str) and not value:
            return self.error(node, field, "is empty: write the text, or remove the line")
        return value

    def integer(
        self, node: yaml.Node, field: str, minimum: int = 0, maximum: int | None = None
    ) -> int | _Missing:
        raw = self.scalar(node, field, "a whole number")
        if isinstance(raw, _Missing):
            return raw
        if not re.fullmatch(r"[-+]?\d+", raw.replace("_", "")):
            return self.error(node, field, f"{raw!r} is not a whole number: write e.g. 30")
        value = int(raw.replace("_", ""))
        if value < minimum:
            return self.error(node, field, f"is {value}, but it must be {minimum} or more")
        if maximum is not None and value > maximum:
            return self.error(node, field, f"is {value}, but it must be {maximum} or less")
        return value

    def price(self, node: yaml.Node, field: str) -> float | _Missing:
        """US dollars as a plain number (``0.015``; a leading $ is allowed), 0 up to 100."""
        raw = self.scalar(node, field, "a price in US dollars")
        if isinstance(raw, _Missing):
            return raw
        digits = raw.removeprefix("$").strip()
        if not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)", digits):
            return self.error(
                node, field, f"{raw!r} is not a price: write US dollars as a number, e.g. 0.015"
            )
        value = float(digits)
        if value < 0:
            return self.error(node, field, f"is {raw}, but a price cannot be below 0")
        if value > 100:
            return self.error(
                node, field, f"is {raw}, which is more than $100 a post: write dollars, not cents"
            )
        return value

    def read_budget(self, node: yaml.Node, field: str) -> int | _Missing:
        """Reads a day: a whole number of at least one page (100), or ``unlimited``."""
        if isinstance(node, yaml.ScalarNode) and str(node.value).strip().lower() == "unlimited":
            return 0  # 0 stands for "no limit" here; the caller turns it into None
        raw = self.scalar(node, field, "a whole number of posts")
        if isinstance(raw, _Missing):
            return raw
        if not re.fullmatch(r"[-+]?\d+", raw.replace("_", "").replace(",", "")):
            return self.error(
                node,
                field,
                f"{raw!r} is not a number of posts: write e.g. 10000, or unlimited for no limit",
            )
        value = int(raw.replace("_", "").replace(",", ""))
        if value < 100:
            return self.error(
                node,
                field,
                f"is {value}, but one request reads up to 100 posts: write 100 or more "
                "(or unlimited for no limit)",
            )
        return value

    def boolean(self, node: yaml.Node, field: str) -> bool | _Missing:
        raw = self.scalar(node, field, "true or false")
        if isinstance(raw, _Missing):
            return raw
        if node.tag != "tag:yaml.org,2002:bool":
            return self.error(node, field, f"{raw!r} is not true or false: write true or false")
        return raw.lower() in ("true", "yes", "on", "y")

    def time_of_day(self, node: yaml.Node, field: str) -> time | _Missing:
        raw = self.scalar(node, field, "a time of day")
        if isinstance(raw, _Missing):
            return raw
        m = TIME_RE.fullmatch(raw)
        if not m:
            return self.error(
                node, field, f"{raw!r} is not a time of day: write 24-hour HH:MM, e.g. '08:00'"
            )
        return time(int(m.group(1)), int(m.group(2)))

    def day(self, node: yaml.Node, field: str) -> date | _Missing:
        raw = self.scalar(node, field, "a date")
        if isinstance(raw, _Missing):
            return raw
        try:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
                raise ValueError(raw)
            return date.fromisoformat(raw)
        except ValueError:
            return self.error(
                node, field, f"{raw!r} is not a date: write it as YYYY-MM-DD, e.g. 2024-02-08"
            )

    def moment(self, node: yaml.Node, field: str, tz: tzinfo) -> datetime | _Missing:
        raw = self.scalar(node, field, "a date and time")
        if isinstance(raw, _Missing):
            return raw
        example = "e.g. 2026-12-06 10:00 (in the campaign's time zone) or 2026-12-06T10:00-05:00"
        if not re.search(r"\d[T ]\d", raw):
            return self.error(node, field, f"{raw!r} has no time of day: write {example}")
        try:
            dt = datetime.fromisoformat(raw)
        except ValueError:
            return self.error(node, field, f"{raw!r} is not a date and time: write {example}")
        if not 2006 <= dt.year <= 2100:  # a typo; the far end of the calendar overflows
            return self.error(node, field, f"{raw!r} is in the year {dt.year}: check the year")
        if dt.tzinfo is None:
            local = dt.replace(tzinfo=tz)
            if skipped(local):
                return self.error(
                    node,
                    field,
                    f"{raw} does not exist in {tz} (the clocks skip it for daylight saving): "
                    "pick a time outside the skipped hour",
                )
            return local
        return dt.astimezone(tz)

    def url(self, node: yaml.Node, field: str) -> str | _Missing:
        raw = self.scalar(node, field, "a web address")
        if isinstance(raw, _Missing):
            return raw
        if not raw:
            return self.error(node, field, "is empty: write the address, or remove the line")
        parts = urlsplit(raw)
        example = "e.g. https://www.usip.org/events/..."
        if parts.scheme not in ("http", "https"):
            return self.error(
                node,
                field,
                f"{raw!r} is not a full web address: it must start with https:// or http://, {example}",
            )
        host = parts.hostname or ""
        if (
            any(c.isspace() for c in raw)
            or not host
            or not (HOST_RE.fullmatch(host) or host == "localhost")
        ):
            return self.error(
                node,
                field,
                f"{raw!r} has no valid site name after {parts.scheme}:// (or contains spaces): {example}",
            )
        return raw

    def hashtag(self, node: yaml.Node, field: str) -> str | _Missing:
        raw = self.scalar(node, field, "a hashtag")
        if isinstance(raw, _Missing):
            return raw
        if not raw.startswith("#"):
            return self.error(
                node,
                field,
                f"{raw!r} does not start with #: write it in quotes with the #, e.g. '#{raw or 'PolicingInConflict'}'",
            )
        if not HASHTAG_RE.fullmatch(raw):
            return self.error(
                node,
                field,
                f"{raw!r} is not a hashtag: after the # use only letters, digits and _ (no spaces or punctuation)",
            )
        if raw[1:].isdigit():
            return self.error(
                node, field, f"{raw!r} has only digits after the #: X does not link it; add letters"
            )
        return raw

    def timezone(self, node: yaml.Node, field: str) -> str | _Missing:
        raw = self.text(node, field)
        if isinstance(raw, _Missing):
            return raw
        try:
            zone(raw)
        except CampaignError as e:
            return self.error(node, field, str(e))
        return raw

    def handle(self, node: yaml.Node, field: str) -> str | _Missing:
        raw = self.scalar(node, field, "an X handle")
        if isinstance(raw, _Missing):
            return raw
        bare = raw.removeprefix("@")
        if not HANDLE_RE.fullmatch(bare):
            return self.error(
                node,
                field,
                f"{raw!r} is not an X handle: up to 15 letters, digits or _, e.g. usip or '@usip'",
            )
        return bare

    def text_items(self, node: yaml.Node, field: str) -> Iterator[tuple[int, yaml.Node, str]]:
        """The texts of a list (or one text alone), each with its number from 1 and its node;
        an item that is not readable text is recorded as a problem and left out."""
        if isinstance(node, yaml.ScalarNode):
            value = self.text(node, field)
            if isinstance(value, str):
                yield 1, node, value
            return
        for i, item in self.items(node, field):
            if _is_null(item):
                self.error(item, f"{field}[{i}]", "is empty: write the text, or remove the line")
                continue
            value = self.text(item, f"{field}[{i}]")
            if isinstance(value, str):
                yield i, item, value

    def texts(self, node: yaml.Node, field: str) -> tuple[str, ...]:
        return tuple(value for _, _, value in self.text_items(node, field))


# --------------------------------------------------------------------------------------------
# The document


def _campaign(r: _Reader, node: yaml.Node, at: int) -> CampaignSettings | _Missing:
    sec = r.section(node, "campaign", CAMPAIGN_KEYS, "the campaign's settings", at)
    if sec is None:
        return MISSING
    name = r.required(sec, "name", r.text)
    hashtag_node = sec.values.get("hashtag")
    if hashtag_node is not None and _is_null(hashtag_node):
        r.error(
            hashtag_node,
            sec.field("hashtag"),
            "is empty: in YAML an unquoted # starts a comment, so write it in quotes, "
            f"e.g. hashtag: '{DEFAULT_HASHTAG}'",
        )
    hashtag = r.optional(sec, "hashtag", r.hashtag) or _DEFAULTS.hashtag
    tz_name = r.optional(sec, "timezone", r.timezone)
    if tz_name is None and sec.get("timezone") is not None:
        tz_name = "UTC"  # already reported; carry on with a zone that works
    tz_name = tz_name or _DEFAULTS.timezone
    w_start = r.optional(sec, "window_start", r.time_of_day)
    w_end = r.optional(sec, "window_end", r.time_of_day)
    start = w_start or _DEFAULTS.window_start
    end = w_end or _DEFAULTS.window_end
    window_ok = start < end
    if not window_ok and (sec.get("window_start") or sec.get("window_end")):
        bad = sec.get("window_end") or sec.get("window_start")
        assert bad is not None
        r.error(
            bad,
            sec.field("window_end"),
            f"the posting window ends at {end:%H:%M}, not after it starts at {start:%H:%M}: "
            "window_start must be earlier than window_end, e.g. '08:00' and '18:00'",
        )
    gap = r.optional(sec, "min_gap_minutes", lambda n, f: r.integer(n, f, 0, 24 * 60))
    tracking: dict[str, str] = {}
    tnode = sec.get("tracking")
    if tnode is not None:
        tsec = r.section(
            tnode,
            "campaign.tracking",
            _AnyKeys(),
            "link tracking parameters",
            sec.lines["tracking"],
        )
        if tsec is not None:
            for key, vnode in tsec.values.items():
                if not TRACKING_KEY_RE.fullmatch(key):
                    r.error(
                        vnode,
                        tsec.field(key),
                        f"{key!r} is not a usable link parameter name: use letters, digits, _ . -",
                    )
                    continue
                if _is_null(vnode):
                    r.error(vnode, tsec.field(key), "is empty: give the value, e.g. utm_source: x")
                    continue
                value = r.text(vnode, tsec.field(key))
                if isinstance(value, str):
                    tracking[key] = value
    domains: list[str] = []
    dnode = sec.get("tracked_domains")
    if dnode is not None:
        for i, item, host in r.text_items(dnode, sec.field("tracked_domains")):
            if not HOST_RE.fullmatch(host):
                r.error(
                    item,
                    f"{sec.field('tracked_domains')}[{i}]",
                    f"{host!r} is not a site name: write only the name, e.g. www.usip.org",
                )
            else:
                domains.append(host.lower())
    cadence = _cadence(
        r, sec.get("cadence"), start, end, sec.lines.get("cadence", sec.line), window_ok
    )
    query = r.optional(sec, "query", r.text)
    every = r.optional(sec, "collect_every_minutes", lambda n, f: r.integer(n, f, 1))
    cap = r.optional(sec, "daily_cap", lambda n, f: r.integer(n, f, 1))
    overdue = r.optional(sec, "overdue_limit_minutes", lambda n, f: r.integer(n, f, 0))
    price_post = r.optional(sec, "price_post", r.price)
    price_link = r.optional(sec, "price_post_with_link", r.price)
    price_read = r.optional(sec, "price_read", r.price)
    reads = r.optional(sec, "collect_max_reads_per_day", r.read_budget)
    notify = _notify(r, sec)
    if isinstance(name, _Missing) or isinstance(cadence, _Missing):
        return MISSING
    return CampaignSettings(
        name=name,
        hashtag=hashtag,
        timezone=tz_name,
        window_start=start,
        window_end=end,
        min_gap_minutes=_DEFAULTS.min_gap_minutes if gap is None else gap,
        tracking=tracking,
        tracked_domains=tuple(domains),
        cadence=cadence,
        query=query,
        collect_every_minutes=every or _DEFAULTS.collect_every_minutes,
        daily_cap=cap or _DEFAULTS.daily_cap,
        overdue_limit_minutes=_DEFAULTS.overdue_limit_minutes if overdue is None else overdue,
        price_post=_DEFAULTS.price_post if price_post is None else price_post,
        price_post_with_link=_DEFAULTS.price_post_with_link if price_link is None else price_link,
        price_read=_DEFAULTS.price_read if price_read is None else price_read,
        collect_max_reads_per_day=_DEFAULTS.collect_max_reads_per_day
        if reads is None
        else (reads or None),
        notify=notify,
    )


def _notify(r: _Reader, sec: _Section) -> tuple[str, ...]:
    """``notify:``: Apprise URLs for alerts, each checked (and never echoed whole: it may hold
    a secret)."""
    from campaign.notify import NotifyError, Target, check

    node = sec.get("notify")
    if node is None:
        return ()
    urls: list[str] = []
    for i, item, url in r.text_items(node, sec.field("notify")):
        try:
            check(Target(url.strip()))
        except NotifyError as e:
            r.error(item, f"{sec.field('notify')}[{i}]", str(e).removeprefix("the notifier "))
            continue
        urls.append(url.strip())
    return tuple(urls)


class _AnyKeys(tuple[str, ...]):
    """An ``allowed`` list that allows every key (for free-form sections such as tracking)."""

    def __contains__(self, key: object) -> bool:
        return True


def _cadence(
    r: _Reader, node: yaml.Node | None, start: time, end: time, parent: int, window_ok: bool
) -> Cadence | _Missing:
    base = Cadence()
    if node is None:
        if window_ok and not start <= base.post_time <= end:
            r.error(
                parent,
                "campaign.cadence.post_time",
                f"the default posting time {base.post_time:%H:%M} is outside the posting window "
                f"{start:%H:%M}-{end:%H:%M}: add `cadence:` with a `post_time:` inside the window",
            )
        return base
    sec = r.section(node, "campaign.cadence", CADENCE_KEYS, "the posting cadence", parent)
    if sec is None:
        return MISSING

    def days(key: str) -> int | None:
        return r.optional(sec, key, lambda n, f: r.integer(n, f, 0, 366))

    announcement = days("announcement_days_before")
    reminders: tuple[int, ...] | None = None
    rnode = sec.get("reminder_days_before")
    if rnode is not None:
        if isinstance(rnode, yaml.ScalarNode):
            one = r.integer(rnode, sec.field("reminder_days_before"), 0, 366)
            reminders = None if isinstance(one, _Missing) else (one,)
        else:
            found = []
            for i, item in r.items(rnode, sec.field("reminder_days_before")):
                v = r.integer(item, f"{sec.field('reminder_days_before')}[{i}]", 0, 366)
                if isinstance(v, int):
                    found.append(v)
            reminders = tuple(found)
    spotlight: tuple[int, int] | None = None
    snode = sec.get("spotlight_days_before")
    if snode is not None:
        field = sec.field("spotlight_days_before")
        if not isinstance(snode, yaml.SequenceNode) or len(snode.value) != 2:
            r.error(
                snode,
                field,
                "should be two numbers, the first and the last day before the event, e.g. [10, 2]",
            )
        else:
            first = r.integer(snode.value[0], f"{field}[1]", 0, 366)
            last = r.integer(snode.value[1], f"{field}[2]", 0, 366)
            if isinstance(first, int) and isinstance(last, int):
                if first < last:
                    r.error(
                        snode,
                        field,
                        f"[{first}, {last}] starts nearer the event than it ends: write the "
                        f"larger number first, e.g. [{last}, {first}]",
                    )
                else:
                    spotlight = (first, last)
    starting = r.optional(sec, "starting_minutes_before", lambda n, f: r.integer(n, f, 0, 24 * 60))
    recap = days("recap_days_after")
    pubs_after = days("publications_days_after")
    pubs_every = r.optional(sec, "publications_every_days", lambda n, f: r.integer(n, f, 1, 366))
    post_time = r.optional(sec, "post_time", r.time_of_day)
    pt = post_time or base.post_time
    if window_ok and not start <= pt <= end:
        where = sec.get("post_time") or sec.line
        r.error(
            where,
            sec.field("post_time"),
            f"{pt:%H:%M}{'' if post_time else ' (the default)'} is outside the posting window "
            f"{start:%H:%M}-{end:%H:%M}: choose a time inside it",
        )
    return Cadence(
        announcement_days_before=base.announcement_days_before
        if announcement is None
        else announcement,
        reminder_days_before=base.reminder_days_before if reminders is None else reminders,
        spotlight_days_before=spotlight or base.spotlight_days_before,
        starting_minutes_before=base.starting_minutes_before if starting is None else starting,
        recap_days_after=base.recap_days_after if recap is None else recap,
        publications_days_after=base.publications_days_after if pubs_after is None else pubs_after,
        publications_every_days=pubs_every or base.publications_every_days,
        post_time=pt,
    )


def _event(r: _Reader, node: yaml.Node, at: int, tz: tzinfo) -> Event | _Missing:
    sec = r.section(node, "event", EVENT_KEYS, "the event's details", at)
    if sec is None:
        return MISSING
    title = r.required(sec, "title", r.text)
    start = r.required(sec, "start", lambda n, f: r.moment(n, f, tz))
    end = r.optional(sec, "end", lambda n, f: r.moment(n, f, tz))
    if isinstance(start, datetime) and end is not None and end <= start:
        enode = sec.get("end")
        assert enode is not None
        r.error(enode, sec.field("end"), "the event ends before it starts: check start and end")
    place = r.optional(sec, "place", r.text)
    online = r.optional(sec, "online_url", r.url)
    registration = r.optional(sec, "registration_url", r.url)
    page = r.optional(sec, "url", r.url)
    description = r.optional(sec, "description", r.text)
    if isinstance(title, _Missing) or isinstance(start, _Missing):
        return MISSING
    return Event(
        title=title,
        start=start,
        end=end,
        place=place,
        online_url=online,
        registration_url=registration,
        url=page,
        description=description,
    )


def _new_key(r: _Reader, sec: _Section, field: str, text: str, seen: dict[str, int]) -> str | None:
    """The stable key (slug) of a speaker's name or a publication's title, or ``None`` after
    reporting that an earlier entry (its line in ``seen``) has the same key."""
    key = slugify(text)
    node = sec.values[field]
    if key in seen:
        r.error(
            node,
            sec.field(field),
            f"{text!r} is listed twice (also at line {seen[key]}): remove one of them",
        )
        return None
    seen[key] = _line(node)
    return key


def _speakers(r: _Reader, node: yaml.Node | None) -> tuple[Speaker, ...]:
    out: list[Speaker] = []
    seen: dict[str, int] = {}
    for i, item in r.items(node, "speakers"):
        sec = r.section(item, f"speakers[{i}]", SPEAKER_KEYS, "one speaker")
        if sec is None:
            continue
        name = r.required(sec, "name", r.text)
        role = r.optional(sec, "role", r.text)
        organisation = r.optional(sec, "organisation", r.text)
        handle_node = sec.get("handle")
        handle = None
        if handle_node is not None and str(handle_node.value).strip():
            handle = r.optional(sec, "handle", r.handle)
        moderator = r.optional(sec, "moderator", r.boolean)
        if isinstance(name, _Missing):
            continue
        key = _new_key(r, sec, "name", name, seen)
        if key is None:
            continue
        out.append(Speaker(key, name, role, organisation, handle, bool(moderator)))
    return tuple(out)


def _publications(r: _Reader, node: yaml.Node | None) -> tuple[Publication, ...]:
    out: list[Publication] = []
    seen: dict[str, int] = {}
    for i, item in r.items(node, "publications"):
        sec = r.section(item, f"publications[{i}]", PUBLICATION_KEYS, "one publication")
        if sec is None:
            continue
        title = r.required(sec, "title", r.text)
        url = r.optional(sec, "url", r.url)
        day = r.optional(sec, "date", r.day)
        authors = r.optional(sec, "authors", r.texts) or ()
        kind = r.optional(sec, "type", r.text)
        topics = r.optional(sec, "topics", r.texts) or ()
        summary_text = r.optional(sec, "summary", r.text)
        if isinstance(title, _Missing):
            continue
        key = _new_key(r, sec, "title", title, seen)
        if key is None:
            continue
        out.append(Publication(key, title, url, day, authors, kind, topics, summary_text))
    return tuple(out)


def _yaml_error(source: str, e: yaml.YAMLError) -> InvalidMetadata:
    mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
    line = int(mark.line) + 1 if mark is not None else 1
    problem = str(getattr(e, "problem", None) or e).strip()
    hint = "check the indentation and the quotes on this line and the one above"
    if "'@'" in problem or "'`'" in problem:
        hint = (
            "a value starting with @ or ` must be in quotes, e.g. handle: '@usip' (or drop the @)"
        )
    elif "\\t" in problem or "tab" in problem:
        hint = "indent with spaces, not tabs"
    elif "mapping values are not allowed" in problem:
        hint = "a value containing ': ' must be in quotes, e.g. title: 'Ask the Experts: ...'"
    column = f" (column {int(mark.column) + 1})" if mark is not None else ""
    return InvalidMetadata(
        source, [Problem(source, line, "", f"the YAML cannot be read{column}: {problem}; {hint}")]
    )


def parse_text(text: str, source: str = "<text>") -> Metadata:
    """Validate metadata YAML ``text``; ``source`` names it in messages (usually the file name).

    Raises :class:`InvalidMetadata` (a :class:`ConfigError`) listing every problem found.
    """
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as e:
        raise _yaml_error(source, e) from e
    r = _Reader(source)
    if root is None:
        r.error(
            1,
            "",
            "the file is empty: start from the sample, campaign/data/policing-in-conflict.yaml",
        )
        raise InvalidMetadata(source, r.problems)
    top = r.section(root, "", TOP_KEYS, "the metadata", 1)
    if top is None:
        raise InvalidMetadata(source, r.problems)
    settings = r.required(top, "campaign", lambda n, f: _campaign(r, n, top.lines["campaign"]))
    # The campaign's zone is valid here: a bad one was reported and replaced by UTC.
    tz: tzinfo = zone(settings.timezone) if isinstance(settings, CampaignSettings) else UTC
    event = r.required(top, "event", lambda n, f: _event(r, n, top.lines["event"], tz))
    speakers = _speakers(r, top.get("speakers"))
    publications = _publications(r, top.get("publications"))
    if r.problems or isinstance(settings, _Missing) or isinstance(event, _Missing):
        raise InvalidMetadata(source, r.problems)
    return Metadata(settings, event, speakers, publications)


def parse_file(path: str | Path) -> Metadata:
    """Read and validate the metadata file at ``path`` (see :func:`parse_text`)."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError as e:
        raise ConfigError(
            f"cannot read {p}: there is no such file; check the name, or start from the sample "
            "campaign/data/policing-in-conflict.yaml"
        ) from e
    except OSError as e:
        raise ConfigError(f"cannot read {p}: {e.strerror}") from e
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise InvalidMetadata(
            str(p),
            [
                Problem(
                    str(p), line, "", "is not UTF-8 text: save the file as UTF-8 and load it again"
                )
            ],
        ) from e
    return parse_text(text, str(path))


# --------------------------------------------------------------------------------------------
# The stored form: the validated document as JSON, in the same shape as the YAML


def _hm(t: time) -> str:
    return t.strftime("%H:%M")


def to_dict(md: Metadata) -> dict[str, Any]:
    """``md`` as plain JSON-ready data in the YAML's shape, every default filled in."""
    c, cad, e = md.campaign, md.campaign.cadence, md.event
    return {
        "campaign": {
            "name": c.name,
            "hashtag": c.hashtag,
            "timezone": c.timezone,
            "window_start": _hm(c.window_start),
            "window_end": _hm(c.window_end),
            "min_gap_minutes": c.min_gap_minutes,
            "tracking": dict(c.tracking),
            "tracked_domains": list(c.tracked_domains),
            "cadence": {
                "announcement_days_before": cad.announcement_days_before,
                "reminder_days_before": list(cad.reminder_days_before),
                "spotlight_days_before": list(cad.spotlight_days_before),
                "starting_minutes_before": cad.starting_minutes_before,
                "recap_days_after": cad.recap_days_after,
                "publications_days_after": cad.publications_days_after,
                "publications_every_days": cad.publications_every_days,
                "post_time": _hm(cad.post_time),
            },
            "query": c.query,
            "collect_every_minutes": c.collect_every_minutes,
            "daily_cap": c.daily_cap,
            "overdue_limit_minutes": c.overdue_limit_minutes,
            "price_post": c.price_post,
            "price_post_with_link": c.price_post_with_link,
            "price_read": c.price_read,
            "collect_max_reads_per_day": c.collect_max_reads_per_day,
            "notify": list(c.notify),
        },
        "event": {
            "title": e.title,
            "start": e.start.isoformat(),
            "end": e.end.isoformat() if e.end else None,
            "place": e.place,
            "online_url": e.online_url,
            "registration_url": e.registration_url,
            "url": e.url,
            "description": e.description,
        },
        "speakers": [
            {
                "key": s.key,
                "name": s.name,
                "role": s.role,
                "organisation": s.organisation,
                "handle": s.handle,
                "moderator": s.moderator,
            }
            for s in md.speakers
        ],
        "publications": [
            {
                "key": p.key,
                "title": p.title,
                "url": p.url,
                "date": p.date.isoformat() if p.date else None,
                "authors": list(p.authors),
                "type": p.type,
                "topics": list(p.topics),
                "summary": p.summary,
            }
            for p in md.publications
        ],
    }


def from_dict(data: dict[str, Any]) -> Metadata:
    """The inverse of :func:`to_dict` (trusted data: it was validated before it was stored)."""
    c, e = data["campaign"], data["event"]
    cad = c["cadence"]
    tz = zone(c["timezone"])

    def hm(s: str) -> time:
        return time.fromisoformat(s)

    def moment(s: str | None) -> datetime | None:
        return datetime.fromisoformat(s).astimezone(tz) if s else None

    start = moment(e["start"])
    assert start is not None
    return Metadata(
        campaign=CampaignSettings(
            name=c["name"],
            hashtag=c["hashtag"],
            timezone=c["timezone"],
            window_start=hm(c["window_start"]),
            window_end=hm(c["window_end"]),
            min_gap_minutes=c["min_gap_minutes"],
            tracking=dict(c["tracking"]),
            tracked_domains=tuple(c["tracked_domains"]),
            cadence=Cadence(
                announcement_days_before=cad["announcement_days_before"],
                reminder_days_before=tuple(cad["reminder_days_before"]),
                spotlight_days_before=(
                    cad["spotlight_days_before"][0],
                    cad["spotlight_days_before"][1],
                ),
                starting_minutes_before=cad["starting_minutes_before"],
                recap_days_after=cad["recap_days_after"],
                publications_days_after=cad["publications_days_after"],
                publications_every_days=cad["publications_every_days"],
                post_time=hm(cad["post_time"]),
            ),
            query=c["query"],
            collect_every_minutes=c["collect_every_minutes"],
            daily_cap=c["daily_cap"],
            overdue_limit_minutes=c["overdue_limit_minutes"],
            # Absent from campaigns stored before prices existed: the defaults.
            price_post=c.get("price_post", _DEFAULTS.price_post),
            price_post_with_link=c.get("price_post_with_link", _DEFAULTS.price_post_with_link),
            price_read=c.get("price_read", _DEFAULTS.price_read),
            collect_max_reads_per_day=c.get(
                "collect_max_reads_per_day", _DEFAULTS.collect_max_reads_per_day
            ),
            notify=tuple(c.get("notify", ())),
        ),
        event=Event(
            title=e["title"],
            start=start,
            end=moment(e["end"]),
            place=e["place"],
            online_url=e["online_url"],
            registration_url=e["registration_url"],
            url=e["url"],
            description=e["description"],
        ),
        speakers=tuple(
            Speaker(s["key"], s["name"], s["role"], s["organisation"], s["handle"], s["moderator"])
            for s in data["speakers"]
        ),
        publications=tuple(
            Publication(
                p["key"],
                p["title"],
                p["url"],
                date.fromisoformat(p["date"]) if p["date"] else None,
                tuple(p["authors"]),
                p["type"],
                tuple(p["topics"]),
                p["summary"],
            )
            for p in data["publications"]
        ),
    )


def save(db: sqlite_utils.Database, md: Metadata, source_file: str | None) -> None:
    """Store ``md`` as the database's campaign (row 1), replacing what was loaded before.

    Speakers and publications are upserted by key and those no longer in ``md`` are deleted, so
    loading the same file again changes nothing and never duplicates.
    """
    doc = json.dumps(to_dict(md), ensure_ascii=False, sort_keys=False)
    c = md.campaign
    with immediate(db):
        db.execute(
            "INSERT INTO campaign (id, name, hashtag, timezone, metadata, source_file, loaded_at) "
            "VALUES (1, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET name = excluded.name, "
            "hashtag = excluded.hashtag, timezone = excluded.timezone, "
            "metadata = excluded.metadata, source_file = excluded.source_file, "
            "loaded_at = excluded.loaded_at",
            [c.name, c.hashtag, c.timezone, doc, source_file, to_db(now())],
        )
        for pos, s in enumerate(md.speakers):
            db.execute(
                "INSERT INTO speakers (key, name, role, organisation, handle, moderator, position) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET name = excluded.name, "
                "role = excluded.role, organisation = excluded.organisation, "
                "handle = excluded.handle, moderator = excluded.moderator, "
                "position = excluded.position",
                [s.key, s.name, s.role, s.organisation, s.handle, int(s.moderator), pos],
            )
        db.execute(
            "DELETE FROM speakers WHERE key NOT IN (SELECT value FROM json_each(?))",
            [json.dumps([s.key for s in md.speakers])],
        )
        for pos, p in enumerate(md.publications):
            db.execute(
                "INSERT INTO publications (key, title, url, date, authors, type, topics, summary, "
                "position) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET "
                "title = excluded.title, url = excluded.url, date = excluded.date, "
                "authors = excluded.authors, type = excluded.type, topics = excluded.topics, "
                "summary = excluded.summary, position = excluded.position",
                [
                    p.key,
                    p.title,
                    p.url,
                    p.date.isoformat() if p.date else None,
                    json.dumps(list(p.authors), ensure_ascii=False),
                    p.type,
                    json.dumps(list(p.topics), ensure_ascii=False),
                    p.summary,
                    pos,
                ],
            )
        db.execute(
            "DELETE FROM publications WHERE key NOT IN (SELECT value FROM json_each(?))",
            [json.dumps([p.key for p in md.publications])],
        )


def stored(db: sqlite_utils.Database) -> Metadata | None:
    """The campaign loaded into ``db``, or ``None`` if nothing has been loaded yet."""
    row = db.execute("SELECT metadata FROM campaign WHERE id = 1").fetchone()
    if row is None:
        return None
    try:
        return from_dict(json.loads(row[0]))
    except (ValueError, KeyError, TypeError, IndexError, CampaignError) as e:
        raise ConfigError(
            "the campaign stored in this database cannot be read (it may come from another "
            "version of the tool): load its YAML file again with `campaign load FILE`"
        ) from e


def require(db: sqlite_utils.Database) -> Metadata:
    """The loaded campaign, or a :class:`CampaignError` saying how to load one."""
    md = stored(db)
    if md is None:
        raise CampaignError(
            "no campaign loaded: run `campaign load FILE` first "
            "(the sample: campaign/data/policing-in-conflict.yaml)"
        )
    return md


def summary(md: Metadata) -> str:
    """One line about a campaign, e.g. for ``campaign load``."""
    n_s, n_p = len(md.speakers), len(md.publications)
    mods = sum(1 for s in md.speakers if s.moderator)
    return (
        f"{md.campaign.name} ({md.campaign.hashtag}): event {show(md.event.start, md.campaign.timezone)}, "
        f"{n_s} speaker{'s' if n_s != 1 else ''}"
        + (f" ({mods} moderator{'s' if mods != 1 else ''})" if mods else "")
        + f", {n_p} publication{'s' if n_p != 1 else ''}"
    )
