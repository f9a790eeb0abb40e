"""Bounds on the files a person gives the tool: a campaign's YAML and a pasted event page are
small, so a file that is not (``/dev/zero``, a YAML bomb, a document nested 50,000 deep) is
refused with a plain message before it can use the machine's memory or stack."""

from __future__ import annotations

import os
from typing import BinaryIO

import yaml

from campaign.errors import CampaignError

MAX_YAML_BYTES = 1024 * 1024  # a campaign's metadata is a few kilobytes
MAX_PAGE_BYTES = 1024 * 1024  # an event page's text is a few kilobytes
MAX_YAML_DEPTH = 32  # the metadata nests four levels deep
MAX_YAML_ALIASES = 100  # the metadata needs none; many are a "billion laughs" bomb


class TooLargeError(CampaignError):
    "A file is larger or deeper than the tool reads"


def read_bounded(
    source: str | os.PathLike[str] | BinaryIO, limit: int, what: str, expected: str
) -> bytes:
    """At most ``limit`` bytes of ``source`` (a path or an open binary file), named ``what``
    in messages; more is refused without reading further, as not being ``expected``."""
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as fh:
            data = fh.read(limit + 1)
    else:
        data = source.read(limit + 1)
    if len(data) > limit:
        raise TooLargeError(
            f"{what} is larger than {limit // 1024:,} KiB: that is not {expected}; "
            "check that you gave the right file"
        )
    return data


def check_yaml_shape(text: str, source: str) -> None:
    """Refuse YAML ``text`` that is too long, nests deeper than :data:`MAX_YAML_DEPTH` or uses
    more than :data:`MAX_YAML_ALIASES` aliases, reading its events (which needs no recursion)
    before anything builds it. A syntax error is left for the real reading to report."""
    if len(text) > MAX_YAML_BYTES:
        raise TooLargeError(
            f"{source} is larger than {MAX_YAML_BYTES // 1024:,} KiB: that is not a campaign's "
            "metadata; check that you gave the right file"
        )
    depth = aliases = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_YAML_DEPTH:
                    line = event.start_mark.line + 1 if event.start_mark else 0
                    raise TooLargeError(
                        f"{source}, line {line}: the YAML nests more than {MAX_YAML_DEPTH} "
                        "levels deep; campaign metadata nests only a few (see the sample, "
                        "campaign/data/policing-in-conflict.yaml)"
                    )
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            elif isinstance(event, yaml.AliasEvent):
                aliases += 1
                if aliases > MAX_YAML_ALIASES:
                    raise TooLargeError(
                        f"{source}: the YAML uses more than {MAX_YAML_ALIASES} aliases (*name); "
                        "write the values out instead"
                    )
    except yaml.YAMLError:
        return
