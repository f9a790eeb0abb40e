"""Metadata YAML written for a person to check, as ``campaign import-page`` does.

:func:`campaign_yaml` writes the ``campaign:`` section from the settings' table: every field
marked ``written``, at its default unless given, with the comment the table gives it (or the note
given instead). The line helpers are shared with the rest of the page's YAML.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import Any

import yaml

from campaign.fields import Params, Section, default, table, yaml_scalar
from campaign.models import CampaignSettings

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


def listing(indent: int, key: str, values: tuple[str, ...]) -> list[str]:
    """``key:`` and its texts as ``- item`` lines (``key: []`` for none)."""
    if not values:
        return [line(indent, key, "[]")]
    return [line(indent, key, None)] + [" " * (indent + 2) + f"- {scalar(v)}" for v in values]


def campaign_yaml(given: Mapping[str, Any], notes: Mapping[str, str | None]) -> list[str]:
    """The ``campaign:`` section's lines: the values ``given`` (by field name) and the other
    written fields at their defaults, each with its ``notes`` entry or else the table's comment."""
    return ["campaign:", *_record_lines(CampaignSettings, 2, given, notes)]


def _record_lines(
    record: type[Any], indent: int, given: Mapping[str, Any], notes: Mapping[str, str | None]
) -> list[str]:
    out: list[str] = []
    for f, spec in table(record):
        if not spec.written:
            continue
        value = given[f.name] if f.name in given else default(f)
        note = notes.get(f.name, spec.comment)
        kind = spec.kind
        if isinstance(kind, Section):
            out.append(line(indent, f.name, None, note))
            out += _record_lines(kind.record, indent + 2, {}, {})
        elif isinstance(kind, Params) and value:
            out.append(line(indent, f.name, None, note))
            out += [line(indent + 2, k, scalar(v)) for k, v in value.items()]
        else:
            out.append(line(indent, f.name, kind.to_yaml(value), note))
    return out
