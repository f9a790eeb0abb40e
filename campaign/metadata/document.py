"""Reading a metadata file: the YAML parsed, every section validated, every problem reported.

The file has five top-level sections: ``campaign`` (:mod:`campaign.metadata.settings`),
``event``, ``speakers``, ``publications`` and the optional ``approval``
(:mod:`campaign.metadata.event`); the bundled sample
(``campaign/data/policing-in-conflict.yaml``) documents every key.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from campaign.clock import show, zone
from campaign.errors import ConfigError
from campaign.metadata.event import read_approval, read_event, read_publications, read_speakers
from campaign.metadata.problems import InvalidMetadata, Missing, Problem
from campaign.metadata.reading import Reader
from campaign.metadata.settings import read_campaign
from campaign.models import CampaignSettings, Metadata

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "policing-in-conflict.yaml"

TOP_KEYS = ("campaign", "event", "speakers", "publications", "approval")


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
    r = Reader(source)
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
    settings = r.required(top, "campaign", lambda n, f: read_campaign(r, n, top.lines["campaign"]))
    # The campaign's zone is valid here: a bad one was reported and replaced by UTC.
    if isinstance(settings, CampaignSettings):
        r.tz = zone(settings.timezone)
    event = r.required(top, "event", lambda n, f: read_event(r, n, top.lines["event"]))
    speakers = read_speakers(r, top.get("speakers"))
    publications = read_publications(r, top.get("publications"))
    approval = read_approval(r, top.get("approval"), top.lines.get("approval", 1))
    if r.problems or isinstance(settings, Missing) or isinstance(event, Missing):
        raise InvalidMetadata(source, r.problems)
    return Metadata(settings, event, speakers, publications, approval)


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
