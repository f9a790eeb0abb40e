"""The metadata reference (docs/metadata.md), written from the fields' table.

``python -m campaign.metadata.reference > docs/metadata.md`` writes it again after a field
changes; a test checks the file is up to date.
"""

from __future__ import annotations

from typing import Any

from campaign.fields import Section, default, table
from campaign.models import Approval, Cadence, CampaignSettings, Event, Publication, Speaker

SECTIONS: tuple[tuple[str, type[Any], str], ...] = (
    ("campaign", CampaignSettings, "The campaign itself."),
    ("campaign.cadence", Cadence, "When the planner places each kind of post."),
    ("event", Event, "The event the campaign is about."),
    ("speakers", Speaker, "A list: each item one speaker."),
    ("publications", Publication, "A list: each item one related publication."),
    ("approval", Approval, "Optional: the team's approval rules (see docs/team.md)."),
)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def reference() -> str:
    """Every key of the metadata YAML, section by section: its kind, default and meaning."""
    out = [
        "# Metadata reference",
        "",
        "<!-- Written by `python -m campaign.metadata.reference > docs/metadata.md` from the",
        "     fields declared in campaign/models.py: edit those, not this file. -->",
        "",
        "Every key `campaign load` accepts, section by section. The bundled sample,",
        "`campaign/data/policing-in-conflict.yaml`, shows them in use.",
    ]
    for name, record, about in SECTIONS:
        out += ["", f"## `{name}`", "", about, "", "| Key | Value | Default | What it is |"]
        out.append("|---|---|---|---|")
        for f, spec in table(record):
            if not spec.kind.in_yaml:
                continue
            if spec.required:
                shown = "required"
            elif isinstance(spec.kind, Section):
                shown = ""
            else:
                value = default(f)
                shown = "none" if value is None or value in ((), {}) else spec.kind.to_yaml(value)
                shown = f"`{shown}`" if shown != "none" else shown
            out.append(
                f"| `{f.name}` | {_cell(spec.kind.describe())} | {_cell(shown)} | {_cell(spec.help)} |"
            )
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    print(reference(), end="")
