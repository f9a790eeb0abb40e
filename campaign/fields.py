"""Fields declared once: a record's fields are the table that every other step reads.

The records of :mod:`campaign.models` (the campaign's settings, its cadence, the event, a speaker,
a publication) declare each field on one line with :func:`setting`: its name and type (the
annotation), its kind (how its values are read, bounded, stored and written), its default, a
line of help, and the comment the YAML that ``campaign import-page`` writes puts beside it::

    min_gap_minutes: int = setting(Whole(0, 24 * 60), default=30, help="…")

From that one line, :mod:`campaign.metadata` accepts the key in the YAML and validates its value,
:func:`to_json` and :func:`from_json` store and restore it, the import-page writer writes it
(:mod:`campaign.metadata.writer`) and docs/metadata.md describes it
(:mod:`campaign.metadata.reference`). So adding a field is adding its line, plus whatever a rule
between fields needs (the window's order, the post time inside the window:
:mod:`campaign.metadata.settings`).

This module is a leaf (it imports no other part of the tool at load time), so the models can use
it; the kinds call the metadata reader they are given to read YAML.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, tzinfo
from typing import TYPE_CHECKING, Any, TypeVar, dataclass_transform, overload

if TYPE_CHECKING:
    import yaml

    from campaign.metadata.reading import Reader

T = TypeVar("T")

_SPEC = "campaign.fields.spec"


# --------------------------------------------------------------------------------------------
# Kinds: how one field's values are read from YAML, stored as JSON and written as YAML


class Kind:
    """A field's kind; subclasses say how to read (with their bounds), store and write values."""

    in_yaml = True  # False for a value the tool derives (a speaker's key), never written by hand

    def read(self, r: Reader, node: yaml.Node, field: str) -> Any:
        """The value of ``node``, or the reader's MISSING after it recorded the problem."""
        raise NotImplementedError

    def when_empty(self, r: Reader, node: yaml.Node, field: str) -> None:
        """The key is written with no value: record a problem if that is a mistake."""

    def finish(self, value: Any) -> Any:
        """The field's value from what :meth:`read` returned (when not absent)."""
        return value

    def to_json(self, value: Any) -> Any:
        return value

    def from_json(self, data: Any, tz: tzinfo | None) -> Any:
        return data

    def to_yaml(self, value: Any) -> str:
        return str(value)

    def describe(self) -> str:
        """What a value of this kind is, for the settings reference (its docstring's first line)."""
        return (type(self).__doc__ or "").strip().splitlines()[0].rstrip(".")


def yaml_scalar(value: str) -> str:
    """``value`` as one YAML scalar, quoted only when YAML needs it (real Unicode kept)."""
    import yaml

    out = yaml.safe_dump(value, allow_unicode=True, width=1_000_000, default_flow_style=False)
    return out.removesuffix("\n").removesuffix("\n...").rstrip("\n")


class Text(Kind):
    """Text (one line, or a folded `>-` block)."""

    def read(self, r: Reader, node: yaml.Node, field: str) -> Any:
        return r.text(node, field)

    def to_yaml(self, value: Any) -> str:
        return yaml_scalar(str(value))


class Prose(Text):
    """Text, often paragraphs (best as a folded `>-` block)."""


class Hashtag(Text):
    """A hashtag: # then letters, digits or _, in quotes."""

    def read(self, r: Reader, node: yaml.Node, field: str) -> Any:
        return r.hashtag(node, field)

    def when_empty(self, r: Reader, node: yaml.Node, field: str) -> None:
        r.empty_hashtag(node, field)


class Name(Text):
    """A short name: lower-case letters, digits and -, e.g. policing-in-conflict."""

    def read(self, r: Reader, node: yaml.Node, field: str) -> Any:
        import re

        raw = r.text(node, field)
        if isinstance(raw, str) and not re.fullmatch(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?", raw):
            suggestion = slug_of(raw) or "my-event"
            return r.error(
                node,
                field,
                f"{raw!r} is not a short name: use only lower-case letters, digits and - "
                f"(not at either end), e.g. {suggestion}",
            )
        return raw


def slug_of(text: str) -> str:
    """``text`` as a short name: lower case, each run of other characters one -, e.g. the
    hashtag #Policing_InConflict gives ``policing-inconflict``."""
    import re

    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:64].strip("-")


class Zone(Text):
    """An IANA time zone name, e.g. America/New_York."""

    def read(self, r: Reader, node: yaml.Node, field: str) -> Any:
        return r.timezone(node, field)


class Url(Text):
    """A full web address (http or https)."""

    def read(self, r: Reader, node: yaml.Node, field: str) -> Any:
        return r.url(node, field)


class Handle(Text):
    """An X handle, with or without the @ (empty: none)."""

    def read(self, r: Reader, node: yaml.Node, field: str) -> Any:
        return r.handle(node, field)


class Flag(Kind):
    """true or false."""

    def read(self, r: Reader, node: yaml.Node, field: str) -> Any:
        return r.boolean(node, field)

    def to_yaml(self, value: Any) -> str:
        return "true" if value else "false"


class Whole(Kind):
    """A whole number from ``minimum`` up to ``maximum`` (no upper bound when ``None``)."""

    def __init__(self, minimum: int = 0, maximum: int | None = None) -> None:
        self.minimum = minimum
        self.maximum = maximum

    def read(self, r: Reader, node: yaml.Node, field: str) -> Any:
        return r.integer(node, field, self.minimum, self.maximum)

    def describe(self) -> str:
        if self.maximum is None:
            return f"A whole number, {self.minimum} or more"
        return f"A whole number from {self.minimum} to {self.maximum}"


class Days(Kind):
    """A list of days from 0 to 366 (or one number alone)."""

    def read(self, r: Reader, node: yaml.Node, field: str) -> Any:
        return r.days(node, field)

    def to_json(self, value: Any) -> Any:
        return list(value)

    def from_json(self, data: Any, tz: tzinfo | None) -> Any:
        return tuple(data)

    def to_yaml(self, value: Any) -> str:
        return f"[{', '.join(map(str, value))}]"


class DayRange(Days):
    """Two days from 0 to 366, the larger first: [first, last]."""

    def read(self, r: Reader, node: yaml.Node, field: str) -> Any:
        return r.day_range(node, field)

    def from_json(self, data: Any, tz: tzinfo | None) -> Any:
        return (data[0], data[1])


class Price(Kind):
    """US dollars from 0 to 100 (a leading $ is allowed)."""

    def read(self, r: Reader, node: yaml.Node, field: str) -> Any:
        return r.price(node, field)

    def to_yaml(self, value: Any) -> str:
        text = repr(float(value))
        return text if len(text.partition(".")[2]) >= 2 else f"{value:.2f}"  # 0.015, 0.20


class ReadBudget(Kind):
    """A number of posts, 100 or more (one request's worth), or unlimited."""

    def read(self, r: Reader, node: yaml.Node, field: str) -> Any:
        return r.read_budget(node, field)

    def finish(self, value: Any) -> Any:
        return value or None  # the reader's 0 stands for unlimited

    def to_yaml(self, value: Any) -> str:
        return "unlimited" if value is None else str(value)


class TimeOfDay(Kind):
    """A 24-hour time of day, HH:MM."""

    def read(self, r: Reader, node: yaml.Node, field: str) -> Any:
        return r.time_of_day(node, field)

    def to_json(self, value: Any) -> Any:
        assert isinstance(value, time)
        return value.strftime("%H:%M")

    def from_json(self, data: Any, tz: tzinfo | None) -> Any:
        return time.fromisoformat(data)

    def to_yaml(self, value: Any) -> str:
        return f"'{value:%H:%M}'"


class Day(Kind):
    """A date, YYYY-MM-DD."""

    def read(self, r: Reader, node: yaml.Node, field: str) -> Any:
        return r.day(node, field)

    def to_json(self, value: Any) -> Any:
        assert isinstance(value, date)
        return value.isoformat()

    def from_json(self, data: Any, tz: tzinfo | None) -> Any:
        return date.fromisoformat(data)

    def to_yaml(self, value: Any) -> str:
        return str(self.to_json(value))


class Moment(Day):
    """A date and time (campaign zone unless it has an offset)."""

    def read(self, r: Reader, node: yaml.Node, field: str) -> Any:
        return r.moment(node, field, r.tz)

    def from_json(self, data: Any, tz: tzinfo | None) -> Any:
        return datetime.fromisoformat(data).astimezone(tz)

    def to_yaml(self, value: Any) -> str:
        return f"{value:%Y-%m-%d %H:%M}"


class Texts(Kind):
    """A list of texts (or one text alone)."""

    def read(self, r: Reader, node: yaml.Node, field: str) -> Any:
        return r.texts(node, field)

    def to_json(self, value: Any) -> Any:
        return list(value)

    def from_json(self, data: Any, tz: tzinfo | None) -> Any:
        return tuple(data)


class TimesOfDay(Texts):
    """A list of 24-hour times of day, HH:MM (or one alone)."""

    def read(self, r: Reader, node: yaml.Node, field: str) -> Any:
        import yaml

        if isinstance(node, yaml.ScalarNode):
            found = [r.time_of_day(node, field)]
        else:
            found = [r.time_of_day(item, f"{field}[{i}]") for i, item in r.items(node, field)]
        return tuple(sorted({t for t in found if isinstance(t, time)}))

    def to_json(self, value: Any) -> Any:
        return [t.strftime("%H:%M") for t in value]

    def from_json(self, data: Any, tz: tzinfo | None) -> Any:
        return tuple(time.fromisoformat(t) for t in data)

    def to_yaml(self, value: Any) -> str:
        return "[" + ", ".join(f"'{t:%H:%M}'" for t in value) + "]"


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Weekdays(Texts):
    """A list of days of the week: mon, tue, wed, thu, fri, sat, sun."""

    def read(self, r: Reader, node: yaml.Node, field: str) -> Any:
        days: list[str] = []
        for i, item, text in r.text_items(node, field):
            day = text.strip().lower()[:3]
            if day not in WEEKDAYS:
                r.error(item, f"{field}[{i}]", f"{text!r} is not a day: write mon, tue, … sun")
                continue
            days.append(day)
        return tuple(d for d in WEEKDAYS if d in days)

    def to_yaml(self, value: Any) -> str:
        return "[" + ", ".join(value) + "]"


class NotifyUrls(Texts):
    """A list of Apprise URLs (slack://…, mailto://…, json://…), each checked."""

    def read(self, r: Reader, node: yaml.Node, field: str) -> Any:
        from campaign.notify import NotifyError, Target, check

        urls: list[str] = []
        for i, item, url in r.text_items(node, field):
            try:
                check(Target(url.strip()))
            except NotifyError as e:  # never echoes the URL whole: it may hold a secret
                r.error(item, f"{field}[{i}]", str(e).removeprefix("the notifier "))
                continue
            urls.append(url.strip())
        return tuple(urls)


class Sites(Texts):
    """A list of site names (www.usip.org), kept in lower case."""

    def read(self, r: Reader, node: yaml.Node, field: str) -> Any:
        return r.sites(node, field)


class Params(Kind):
    """Lines of `name: value` link parameters."""

    def read(self, r: Reader, node: yaml.Node, field: str) -> Any:
        return r.params(node, field)

    def to_json(self, value: Any) -> Any:
        return dict(value)

    def from_json(self, data: Any, tz: tzinfo | None) -> Any:
        return dict(data)


class Section(Kind):
    """A nested record (``cadence``): its own section of keys, its own table of fields."""

    def __init__(self, record: type[Any]) -> None:
        self.record = record

    def read(self, r: Reader, node: yaml.Node, field: str) -> Any:
        raise NotImplementedError("a section is read by its own reader, with its context")

    def to_json(self, value: Any) -> Any:
        return to_json(value)

    def from_json(self, data: Any, tz: tzinfo | None) -> Any:
        return from_json(self.record, data, tz)

    def describe(self) -> str:
        return "A section of its own (below)"


CHOICES = ("single", "multiple", "text")
CODE_NAME_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_-"


@dataclasses.dataclass(frozen=True)
class CodeField:
    """One field of a coding scheme: its name, ``single`` / ``multiple`` choice or free
    ``text``, and its values (none for text)."""

    name: str
    choice: str = "single"
    values: tuple[str, ...] = ()


class Coding(Kind):
    """Fields for coding posts, each a list of values (one choice) or `choice:` and `values:`."""

    def read(self, r: Reader, node: yaml.Node, field: str) -> Any:
        from campaign.metadata.reading import AnyKeys

        sec = r.section(node, field, AnyKeys(), "a coding scheme (one field a line)")
        if sec is None:
            return {}
        scheme: dict[str, CodeField] = {}
        for name, vnode in sec.values.items():
            where = sec.field(name)
            key = name.strip().lower()
            if not key or any(c not in CODE_NAME_CHARS for c in key):
                r.error(
                    vnode, where, f"{name!r} is not a usable field name: use letters, digits, _ -"
                )
                continue
            one = self._field(r, vnode, where, key)
            if one is not None:
                scheme[key] = one
        return scheme

    @staticmethod
    def _field(r: Reader, node: yaml.Node, where: str, name: str) -> CodeField | None:
        import yaml

        if isinstance(node, yaml.SequenceNode):  # stance: [supports, opposes]
            return CodeField(name, "single", _unique(r.texts(node, where)))
        sec = r.section(node, where, ("choice", "values"), "a list of values, or choice and values")
        if sec is None:
            return None
        choice = "single"
        if sec.get("choice") is not None:
            text = r.text(sec.values["choice"], sec.field("choice"))
            if isinstance(text, str) and text.lower() not in CHOICES:
                r.error(
                    sec.values["choice"],
                    sec.field("choice"),
                    f"{text!r} is not a choice: write one of {', '.join(CHOICES)}",
                )
                return None
            choice = text.lower() if isinstance(text, str) else choice
        values = (
            _unique(r.texts(sec.values["values"], sec.field("values"))) if sec.get("values") else ()
        )
        if choice != "text" and not values:
            r.error(
                node, where, "has no values: add `values: [...]`, or `choice: text` for free text"
            )
            return None
        return CodeField(name, choice, () if choice == "text" else values)

    def to_json(self, value: Any) -> Any:
        return {k: {"choice": f.choice, "values": list(f.values)} for k, f in value.items()}

    def from_json(self, data: Any, tz: tzinfo | None) -> Any:
        return {
            k: CodeField(k, str(v.get("choice", "single")), tuple(v.get("values", ())))
            for k, v in data.items()
        }

    def to_yaml(self, value: Any) -> str:
        return (
            "{"
            + ", ".join(
                f"{k}: {{choice: {f.choice}, values: [{', '.join(yaml_scalar(v) for v in f.values)}]}}"
                for k, f in value.items()
            )
            + "}"
        )


def _unique(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v.strip() for v in values if v.strip()))


class Slug(Kind):
    """Derived by the tool (a stable key made from another field), not written in the YAML."""

    in_yaml = False


# --------------------------------------------------------------------------------------------
# The table


@dataclasses.dataclass(frozen=True)
class Spec:
    """What the table says about one field besides its name, type and default."""

    kind: Kind
    help: str
    comment: str | None = None  # beside the key in the YAML import-page writes
    # Import-page writes it even at its default (or empty), for a person to check or fill in;
    # it writes every other field only when it has a value of its own.
    written: bool = False
    required: bool = False


@overload
def setting(kind: Kind, *, help: str, comment: str | None = None, written: bool = False) -> Any: ...
@overload
def setting(
    kind: Kind, *, default: T, help: str, comment: str | None = None, written: bool = False
) -> T: ...
@overload
def setting(
    kind: Kind,
    *,
    default_factory: Callable[[], T],
    help: str,
    comment: str | None = None,
    written: bool = False,
) -> T: ...
def setting(
    kind: Kind, *, help: str, comment: str | None = None, written: bool = False, **default: Any
) -> Any:
    """One field of a :func:`record`: its kind, ``default=`` (or ``default_factory=``; none
    when the field is required), help and YAML comment."""
    spec = Spec(kind, help, comment, written, required=not default)
    return dataclasses.field(metadata={_SPEC: spec}, **default)


@dataclass_transform(frozen_default=True, field_specifiers=(setting,))
def record(cls: type[T]) -> type[T]:
    """A frozen dataclass whose fields are declared with :func:`setting`."""
    return dataclasses.dataclass(frozen=True)(cls)


def spec(f: dataclasses.Field[Any]) -> Spec:
    s = f.metadata[_SPEC]
    assert isinstance(s, Spec), f.name
    return s


def table(cls: type[Any]) -> Iterator[tuple[dataclasses.Field[Any], Spec]]:
    """The fields of record ``cls`` in order, each with its :class:`Spec`."""
    for f in dataclasses.fields(cls):
        yield f, spec(f)


def yaml_keys(cls: type[Any]) -> tuple[str, ...]:
    """The keys the YAML section of record ``cls`` may hold, in order."""
    return tuple(f.name for f, s in table(cls) if s.kind.in_yaml)


def default(f: dataclasses.Field[Any]) -> Any:
    """The default value of field ``f`` (a fresh one for a factory)."""
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    if f.default is dataclasses.MISSING:
        raise KeyError(f.name)
    return f.default


def to_json(obj: Any) -> dict[str, Any]:
    """Record ``obj`` as JSON-ready data in the YAML's shape, every field filled in."""
    out: dict[str, Any] = {}
    for f, s in table(type(obj)):
        value = getattr(obj, f.name)
        out[f.name] = None if value is None else s.kind.to_json(value)
    return out


def from_json(cls: type[T], data: dict[str, Any], tz: tzinfo | None = None) -> T:
    """The inverse of :func:`to_json`; a field the data lacks (stored before the field existed)
    takes its default, a required one is a KeyError."""
    values: dict[str, Any] = {}
    for f, s in table(cls):
        if f.name not in data:
            values[f.name] = default(f)
        elif data[f.name] is None:
            values[f.name] = None
        else:
            values[f.name] = s.kind.from_json(data[f.name], tz)
    return cls(**values)
