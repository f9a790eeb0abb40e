"""The ``event:``, ``speakers:``, ``publications:`` and ``approval:`` sections, read from their tables.

Each field of :class:`campaign.models.Event`, :class:`campaign.models.Speaker` and
:class:`campaign.models.Publication` is read by its kind (:mod:`campaign.fields`); what is left
here: the event ends after it starts, and each speaker and publication gets a stable key (the slug
of its name or title) that no other one has.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

import yaml

from campaign.fields import table, yaml_keys
from campaign.metadata.problems import MISSING, Missing
from campaign.metadata.reading import Reader, YamlSection, line_of, read_field
from campaign.models import Approval, Event, Publication, Speaker
from campaign.slug import slugify

R = TypeVar("R", Speaker, Publication)


def read_event(r: Reader, node: yaml.Node, at: int) -> Event | Missing:
    """The event from the ``event:`` section (at line ``at``); times in the reader's zone."""
    sec = r.section(node, "event", yaml_keys(Event), "the event's details", at)
    if sec is None:
        return MISSING
    values: dict[str, Any] = {}
    for f, spec in table(Event):
        values[f.name] = read_field(r, sec, f, spec)
        if f.name == "end":
            start, end = values["start"], values["end"]
            if isinstance(start, datetime) and end is not None and end <= start:
                enode = sec.get("end")
                assert enode is not None
                r.error(
                    enode, sec.field("end"), "the event ends before it starts: check start and end"
                )
    if any(isinstance(v, Missing) for v in values.values()):
        return MISSING
    return Event(**values)


def read_approval(r: Reader, node: yaml.Node | None, at: int) -> Approval:
    """The optional ``approval:`` section (at line ``at``); absent, every rule at its default."""
    if node is None:
        return Approval()
    sec = r.section(node, "approval", yaml_keys(Approval), "the approval rules", at)
    if sec is None:
        return Approval()
    values = {f.name: read_field(r, sec, f, spec) for f, spec in table(Approval)}
    if any(isinstance(v, Missing) for v in values.values()):
        return Approval()
    return Approval(**values)


def read_speakers(r: Reader, node: yaml.Node | None) -> tuple[Speaker, ...]:
    """The speakers listed under ``speakers:``, in order."""
    return _listed(r, node, "speakers", Speaker, "name", "one speaker")


def read_publications(r: Reader, node: yaml.Node | None) -> tuple[Publication, ...]:
    """The publications listed under ``publications:``, in order."""
    return _listed(r, node, "publications", Publication, "title", "one publication")


def _listed(
    r: Reader, node: yaml.Node | None, path: str, record: type[R], keyed_by: str, what: str
) -> tuple[R, ...]:
    out: list[R] = []
    seen: dict[str, int] = {}
    for i, item in r.items(node, path):
        sec = r.section(item, f"{path}[{i}]", yaml_keys(record), what)
        if sec is None:
            continue
        values = {
            f.name: read_field(r, sec, f, spec) for f, spec in table(record) if spec.kind.in_yaml
        }
        if isinstance(values[keyed_by], Missing):
            continue
        key = _new_key(r, sec, keyed_by, values[keyed_by], seen)
        if key is None:
            continue
        out.append(record(key=key, **values))
    return tuple(out)


def _new_key(
    r: Reader, sec: YamlSection, field: str, text: str, seen: dict[str, int]
) -> str | None:
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
    seen[key] = line_of(node)
    return key
