"""Metadata YAML written for a person to check, as ``campaign import-page`` does.

Each section is written from its record's table: :func:`section_yaml` for ``campaign:`` and
``event:``, :func:`item_yaml` for each speaker and publication. A field is written when it has a
value of its own, or always when the table marks it ``written`` (for a person to check or fill
in), with the table's comment beside it (or a note given instead).
"""

from __future__ import annotations

import dataclasses
import textwrap
from collections.abc import Mapping
from typing import Any

import yaml

from campaign.fields import Params, Prose, Section, Texts, default, table, yaml_scalar

scalar = yaml_scalar


def folded(text: str, indent: int) -> str:
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
    return scalar(wanted)


def line(indent: int, key: str, value: str | None, comment: str | None = None) -> str:
    """One ``key: value  # comment`` line at ``indent``."""
    text = " " * indent + f"{key}:" + (f" {value}" if value is not None else "")
    return text + (f"  # {comment}" if comment else "")


def listing(
    indent: int, key: str, values: tuple[str, ...], comment: str | None = None
) -> list[str]:
    """``key:`` and its texts as ``- item`` lines (``key: []`` for none)."""
    if not values:
        return [line(indent, key, "[]", comment)]
    return [line(indent, key, None, comment)] + [
        " " * (indent + 2) + f"- {scalar(v)}" for v in values
    ]


def section_yaml(
    record: type[Any],
    indent: int,
    values: Mapping[str, Any],
    notes: Mapping[str, str | None] | None = None,
) -> list[str]:
    """The lines of a section of record ``record`` at ``indent``, from the ``values`` given by
    field name (the others at their defaults); ``notes`` replace the table's comments."""
    return _lines(record, indent, values, notes or {}, item=False)


def item_yaml(obj: Any, indent: int) -> list[str]:
    """Record ``obj`` as one ``- `` item of a list whose items' keys are at ``indent``."""
    return _lines(type(obj), indent, _values(obj), {}, item=True)


def _values(obj: Any) -> dict[str, Any]:
    return {f.name: getattr(obj, f.name) for f, _ in table(type(obj))}


def _at_default(f: dataclasses.Field[Any], value: Any) -> bool:
    """``value`` is field ``f``'s default, or empty text: nothing of its own to write."""
    try:
        return bool(value == default(f) or value == "")
    except KeyError:  # a required field has no default
        return False


def _lines(
    record: type[Any],
    indent: int,
    values: Mapping[str, Any],
    notes: Mapping[str, str | None],
    *,
    item: bool,
) -> list[str]:
    out: list[str] = []
    for f, spec in table(record):
        kind = spec.kind
        value = values[f.name] if f.name in values else default(f)
        if not kind.in_yaml or not (spec.written or spec.required or not _at_default(f, value)):
            continue
        note = notes.get(f.name, spec.comment)
        # The first line of a list item carries its "- ", two columns left of its other keys.
        key, at = (f"- {f.name}", indent - 2) if item and not out else (f.name, indent)
        if isinstance(kind, Section):
            out.append(line(at, key, None, note))
            out += _lines(kind.record, indent + 2, _values(value), {}, item=False)
        elif isinstance(kind, Params) and value:
            out.append(line(at, key, None, note))
            out += [line(indent + 2, k, scalar(v)) for k, v in value.items()]
        elif isinstance(kind, Texts):
            out += listing(at, key, value, note)
        elif value is None:
            out.append(line(at, key, None, note))
        elif isinstance(kind, Prose):
            out.append(line(at, key, folded(value, indent + 2), note))
        else:
            out.append(line(at, key, kind.to_yaml(value), note))
    return out
