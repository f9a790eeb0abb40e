"""The ``campaign:`` section: the campaign's settings, read from their table.

Each field of :class:`campaign.models.CampaignSettings` and :class:`campaign.models.Cadence` is
read by its kind (:mod:`campaign.fields`); what is left here are the rules between fields: the
posting window's order, and the post time inside the window.
"""

from __future__ import annotations

from datetime import time
from typing import Any

import yaml

from campaign.fields import table, yaml_keys
from campaign.metadata.problems import MISSING, Missing
from campaign.metadata.reading import Reader, YamlSection, read_field
from campaign.models import Cadence, CampaignSettings


def read_campaign(r: Reader, node: yaml.Node, at: int) -> CampaignSettings | Missing:
    """The campaign's settings from the ``campaign:`` section (at line ``at``)."""
    sec = r.section(node, "campaign", yaml_keys(CampaignSettings), "the campaign's settings", at)
    if sec is None:
        return MISSING
    values: dict[str, Any] = {}
    window_ok = True
    for f, spec in table(CampaignSettings):
        if f.name == "cadence":
            values[f.name] = _cadence(
                r,
                sec.get("cadence"),
                values["window_start"],
                values["window_end"],
                sec.lines.get("cadence", sec.line),
                window_ok,
            )
        else:
            values[f.name] = read_field(r, sec, f, spec)
        if f.name == "window_end":
            window_ok = _window_in_order(r, sec, values["window_start"], values["window_end"])
    if any(isinstance(v, Missing) for v in values.values()):
        return MISSING
    return CampaignSettings(**values)


def _window_in_order(r: Reader, sec: YamlSection, start: time, end: time) -> bool:
    if start < end:
        return True
    if sec.get("window_start") or sec.get("window_end"):
        bad = sec.get("window_end") or sec.get("window_start")
        assert bad is not None
        r.error(
            bad,
            sec.field("window_end"),
            f"the posting window ends at {end:%H:%M}, not after it starts at {start:%H:%M}: "
            "window_start must be earlier than window_end, e.g. '08:00' and '18:00'",
        )
    return False


def _cadence(
    r: Reader, node: yaml.Node | None, start: time, end: time, parent: int, window_ok: bool
) -> Cadence | Missing:
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
    sec = r.section(node, "campaign.cadence", yaml_keys(Cadence), "the posting cadence", parent)
    if sec is None:
        return MISSING
    given = {f.name: read_field(r, sec, f, spec, fill=False) for f, spec in table(Cadence)}
    post_time = given["post_time"]
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
        **{name: getattr(base, name) if value is None else value for name, value in given.items()}
    )
