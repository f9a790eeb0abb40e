"""The stored form: the validated document as JSON, in the same shape as the YAML.

Each record is written and read back field by field from its table (:mod:`campaign.fields`),
so a new field is stored with no change here; a campaign stored before a field existed reads
back with that field at its default.
"""

from __future__ import annotations

from typing import Any

from campaign.clock import zone
from campaign.fields import from_json, to_json
from campaign.models import Approval, CampaignSettings, Event, Metadata, Publication, Speaker


def to_dict(md: Metadata) -> dict[str, Any]:
    """``md`` as plain JSON-ready data in the YAML's shape, every default filled in."""
    return {
        "campaign": to_json(md.campaign),
        "event": to_json(md.event),
        "speakers": [to_json(s) for s in md.speakers],
        "publications": [to_json(p) for p in md.publications],
        "approval": to_json(md.approval),
    }


def from_dict(data: dict[str, Any]) -> Metadata:
    """The inverse of :func:`to_dict` (trusted data: it was validated before it was stored)."""
    campaign = from_json(CampaignSettings, data["campaign"])
    tz = zone(campaign.timezone)
    return Metadata(
        campaign=campaign,
        event=from_json(Event, data["event"], tz),
        speakers=tuple(from_json(Speaker, s, tz) for s in data["speakers"]),
        publications=tuple(from_json(Publication, p, tz) for p in data["publications"]),
        approval=from_json(Approval, data.get("approval", {})),
    )
