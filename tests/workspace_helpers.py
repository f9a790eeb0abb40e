"""Campaign YAML files for workspace tests: the bundled sample under another hashtag and date."""

from __future__ import annotations

from pathlib import Path

SAMPLE = Path(__file__).resolve().parent.parent / "campaign" / "data" / "policing-in-conflict.yaml"


def event_yaml(
    folder: Path,
    hashtag: str,
    *,
    slug: str | None = None,
    account: str | None = None,
    day: str = "2026-12-20",
    name: str | None = None,
) -> Path:
    """A copy of the sample with ``hashtag``, its event on ``day``, and the optional
    ``slug``/``account`` lines under ``campaign:``; written to ``folder``."""
    text = SAMPLE.read_text(encoding="utf-8")
    text = text.replace("'#PolicingInConflict'", f"'{hashtag}'", 1)
    text = text.replace("2026-12-06", day)
    extra = ""
    if slug is not None:
        extra += f"  slug: {slug}\n"
    if account is not None:
        extra += f"  account: {account}\n"
    if name is not None:
        text = text.replace("  name: Policing in Conflict-Affected Settings", f"  name: {name}", 1)
    text = text.replace("campaign:\n", "campaign:\n" + extra, 1)
    path = folder / f"{(slug or hashtag.lstrip('#')).lower()}-{account or 'default'}.yaml"
    path.write_text(text, encoding="utf-8")
    return path
