"""Reading the YAML's composed nodes into values, recording every problem on the way.

PyYAML's composed nodes, not its constructed values: they give line numbers, catch keys written
twice, and keep times of day as typed (YAML 1.1 reads ``10:00`` as the number 600). A
:class:`Reader` holds the primitive readers (text, a whole number within bounds, a price, a time
of day…) that the kinds of :mod:`campaign.fields` call, and :func:`read_field` reads one field of
a record's table from its section.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime, time, tzinfo
from typing import Any, TypeVar
from urllib.parse import urlsplit

import yaml

from campaign import DEFAULT_HASHTAG
from campaign.clock import UTC, skipped, zone
from campaign.errors import CampaignError
from campaign.fields import Spec, default
from campaign.metadata.problems import MISSING, Missing, Problem

HASHTAG_RE = re.compile(r"#\w+")
HANDLE_RE = re.compile(r"[A-Za-z0-9_]{1,15}")
TIME_RE = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
HOST_RE = re.compile(
    r"(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)
TRACKING_KEY_RE = re.compile(r"[A-Za-z0-9_.\-]+")

T = TypeVar("T")


def is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"


def line_of(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def kind_of(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a section of keys"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return f"the value {node.value!r}"


class YamlSection:
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
        return None if node is None or is_null(node) else node


class Reader:
    """Turns composed YAML nodes into model values, recording every problem on the way."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[Problem] = []
        self.tz: tzinfo = UTC  # the campaign's zone, once its settings are read

    def error(self, node: yaml.Node | int, field: str, message: str) -> Missing:
        line = node if isinstance(node, int) else line_of(node)
        self.problems.append(Problem(self.source, line, field, message))
        return MISSING

    # -- structure ---------------------------------------------------------------------------

    def section(
        self, node: yaml.Node, path: str, allowed: Sequence[str], what: str, at: int | None = None
    ) -> YamlSection | None:
        if not isinstance(node, yaml.MappingNode):
            self.error(
                node,
                path or "the file",
                f"should be {what} (lines of `key: value`), but it is {kind_of(node)}",
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
            lines[key] = line_of(key_node)
        return YamlSection(node, path, values, lines, at or line_of(node))

    def items(self, node: yaml.Node | None, path: str) -> Iterator[tuple[int, yaml.Node]]:
        """The items of a list (1-based numbers); nothing for an absent or empty one."""
        if node is None:
            return
        if not isinstance(node, yaml.SequenceNode):
            self.error(
                node,
                path,
                f"should be a list (one `- ` item per entry), but it is {kind_of(node)}",
            )
            return
        yield from enumerate(node.value, start=1)

    def required(
        self, sec: YamlSection, key: str, read: Callable[[yaml.Node, str], T | Missing]
    ) -> T | Missing:
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
        self, sec: YamlSection, key: str, read: Callable[[yaml.Node, str], T | Missing]
    ) -> T | None:
        node = sec.get(key)
        if node is None:
            return None
        value = read(node, sec.field(key))
        return None if isinstance(value, Missing) else value

    # -- scalars -----------------------------------------------------------------------------

    def scalar(self, node: yaml.Node, field: str, what: str) -> str | Missing:
        if not isinstance(node, yaml.ScalarNode):
            return self.error(node, field, f"should be {what}, but it is {kind_of(node)}")
        return str(node.value).strip()

    def text(self, node: yaml.Node, field: str) -> str | Missing:
        value = self.scalar(node, field, "text")
        if isinstance(value, str) and not value:
            return self.error(node, field, "is empty: write the text, or remove the line")
        return value

    def integer(
        self, node: yaml.Node, field: str, minimum: int = 0, maximum: int | None = None
    ) -> int | Missing:
        raw = self.scalar(node, field, "a whole number")
        if isinstance(raw, Missing):
            return raw
        if not re.fullmatch(r"[-+]?\d+", raw.replace("_", "")):
            return self.error(node, field, f"{raw!r} is not a whole number: write e.g. 30")
        value = int(raw.replace("_", ""))
        if value < minimum:
            return self.error(node, field, f"is {value}, but it must be {minimum} or more")
        if maximum is not None and value > maximum:
            return self.error(node, field, f"is {value}, but it must be {maximum} or less")
        return value

    def price(self, node: yaml.Node, field: str) -> float | Missing:
        """US dollars as a plain number (``0.015``; a leading $ is allowed), 0 up to 100."""
        raw = self.scalar(node, field, "a price in US dollars")
        if isinstance(raw, Missing):
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

    def read_budget(self, node: yaml.Node, field: str) -> int | Missing:
        """Reads a day: a whole number of at least one page (100), or ``unlimited``."""
        if isinstance(node, yaml.ScalarNode) and str(node.value).strip().lower() == "unlimited":
            return 0  # 0 stands for "no limit" here; the caller turns it into None
        raw = self.scalar(node, field, "a whole number of posts")
        if isinstance(raw, Missing):
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

    def boolean(self, node: yaml.Node, field: str) -> bool | Missing:
        raw = self.scalar(node, field, "true or false")
        if isinstance(raw, Missing):
            return raw
        if node.tag != "tag:yaml.org,2002:bool":
            return self.error(node, field, f"{raw!r} is not true or false: write true or false")
        return raw.lower() in ("true", "yes", "on", "y")

    def time_of_day(self, node: yaml.Node, field: str) -> time | Missing:
        raw = self.scalar(node, field, "a time of day")
        if isinstance(raw, Missing):
            return raw
        m = TIME_RE.fullmatch(raw)
        if not m:
            return self.error(
                node, field, f"{raw!r} is not a time of day: write 24-hour HH:MM, e.g. '08:00'"
            )
        return time(int(m.group(1)), int(m.group(2)))

    def day(self, node: yaml.Node, field: str) -> date | Missing:
        raw = self.scalar(node, field, "a date")
        if isinstance(raw, Missing):
            return raw
        try:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
                raise ValueError(raw)
            return date.fromisoformat(raw)
        except ValueError:
            return self.error(
                node, field, f"{raw!r} is not a date: write it as YYYY-MM-DD, e.g. 2024-02-08"
            )

    def moment(self, node: yaml.Node, field: str, tz: tzinfo) -> datetime | Missing:
        raw = self.scalar(node, field, "a date and time")
        if isinstance(raw, Missing):
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

    def url(self, node: yaml.Node, field: str) -> str | Missing:
        raw = self.scalar(node, field, "a web address")
        if isinstance(raw, Missing):
            return raw
        if not raw:
            return self.error(node, field, "is empty: write the address, or remove the line")
        example = "e.g. https://www.usip.org/events/..."
        try:
            parts = urlsplit(raw)
        except ValueError:  # e.g. a lone [ or ] in the site name ("Invalid IPv6 URL")
            return self.error(
                node, field, f"{raw!r} is not a web address that can be read: {example}"
            )
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

    def hashtag(self, node: yaml.Node, field: str) -> str | Missing:
        raw = self.scalar(node, field, "a hashtag")
        if isinstance(raw, Missing):
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

    def timezone(self, node: yaml.Node, field: str) -> str | Missing:
        raw = self.text(node, field)
        if isinstance(raw, Missing):
            return raw
        try:
            zone(raw)
        except CampaignError as e:
            return self.error(node, field, str(e))
        return raw

    def handle(self, node: yaml.Node, field: str) -> str | Missing:
        if isinstance(node, yaml.ScalarNode) and not str(node.value).strip():
            return MISSING  # `handle: ''` is no handle, as `handle:` is
        raw = self.scalar(node, field, "an X handle")
        if isinstance(raw, Missing):
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
            if is_null(item):
                self.error(item, f"{field}[{i}]", "is empty: write the text, or remove the line")
                continue
            value = self.text(item, f"{field}[{i}]")
            if isinstance(value, str):
                yield i, item, value

    def texts(self, node: yaml.Node, field: str) -> tuple[str, ...]:
        return tuple(value for _, _, value in self.text_items(node, field))

    # -- composite values ----------------------------------------------------------------------

    def empty_hashtag(self, node: yaml.Node, field: str) -> None:
        self.error(
            node,
            field,
            "is empty: in YAML an unquoted # starts a comment, so write it in quotes, "
            f"e.g. hashtag: '{DEFAULT_HASHTAG}'",
        )

    def params(self, node: yaml.Node, field: str) -> dict[str, str] | Missing:
        """Link parameters: ``name: value`` lines, any names a link may carry."""
        sec = self.section(node, field, AnyKeys(), "link tracking parameters")
        if sec is None:
            return MISSING
        params: dict[str, str] = {}
        for key, vnode in sec.values.items():
            if not TRACKING_KEY_RE.fullmatch(key):
                self.error(
                    vnode,
                    sec.field(key),
                    f"{key!r} is not a usable link parameter name: use letters, digits, _ . -",
                )
                continue
            if is_null(vnode):
                self.error(vnode, sec.field(key), "is empty: give the value, e.g. utm_source: x")
                continue
            value = self.text(vnode, sec.field(key))
            if isinstance(value, str):
                params[key] = value
        return params

    def sites(self, node: yaml.Node, field: str) -> tuple[str, ...]:
        """Site names (a list, or one alone), in lower case; a wrong one is reported and left out."""
        found: list[str] = []
        for i, item, host in self.text_items(node, field):
            if not HOST_RE.fullmatch(host):
                self.error(
                    item,
                    f"{field}[{i}]",
                    f"{host!r} is not a site name: write only the name, e.g. www.usip.org",
                )
            else:
                found.append(host.lower())
        return tuple(found)

    def days(self, node: yaml.Node, field: str) -> tuple[int, ...] | Missing:
        """Numbers of days (0 to 366): a list, or one number alone."""
        if isinstance(node, yaml.ScalarNode):
            one = self.integer(node, field, 0, 366)
            return one if isinstance(one, Missing) else (one,)
        found = []
        for i, item in self.items(node, field):
            v = self.integer(item, f"{field}[{i}]", 0, 366)
            if isinstance(v, int):
                found.append(v)
        return tuple(found)

    def day_range(self, node: yaml.Node, field: str) -> tuple[int, int] | Missing:
        """Two numbers of days before the event, the larger first."""
        if not isinstance(node, yaml.SequenceNode) or len(node.value) != 2:
            return self.error(
                node,
                field,
                "should be two numbers, the first and the last day before the event, e.g. [10, 2]",
            )
        first = self.integer(node.value[0], f"{field}[1]", 0, 366)
        last = self.integer(node.value[1], f"{field}[2]", 0, 366)
        if not (isinstance(first, int) and isinstance(last, int)):
            return MISSING
        if first < last:
            return self.error(
                node,
                field,
                f"[{first}, {last}] starts nearer the event than it ends: write the "
                f"larger number first, e.g. [{last}, {first}]",
            )
        return (first, last)


class AnyKeys(tuple[str, ...]):
    """An ``allowed`` list that allows every key (for free-form sections such as tracking)."""

    def __contains__(self, key: object) -> bool:
        return True


def read_field(
    r: Reader, sec: YamlSection, f: dataclasses.Field[Any], spec: Spec, *, fill: bool = True
) -> Any:
    """Field ``f`` of a record from its YAML section: the value read, else (absent, or wrong
    and reported) its default, or ``None`` without ``fill``; MISSING for a required one."""
    kind = spec.kind
    if spec.required:
        return r.required(sec, f.name, lambda n, field: kind.read(r, n, field))
    node = sec.values.get(f.name)
    if node is not None and is_null(node):
        kind.when_empty(r, node, sec.field(f.name))
    value = r.optional(sec, f.name, lambda n, field: kind.read(r, n, field))
    if value is not None:
        return kind.finish(value)
    return default(f) if fill else None
