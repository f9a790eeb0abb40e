"""Campaign metadata: the YAML file people edit, validated into :class:`campaign.models.Metadata`,
saved to the store and read back.

The file has four top-level sections: ``campaign``, ``event``, ``speakers`` and
``publications``; the bundled sample (``campaign/data/policing-in-conflict.yaml``) documents every
key. Validation collects every problem, each naming the file, the line and the field, what is
wrong and how to fix it, and raises them together as one :class:`InvalidMetadata`.

Every field is declared once, in the records of :mod:`campaign.models` (see
:mod:`campaign.fields`); the modules here read that table:

- :mod:`~campaign.metadata.problems`: a problem (file, line, field) and the error listing them;
- :mod:`~campaign.metadata.reading`: the YAML's nodes read into values, one field at a time;
- :mod:`~campaign.metadata.settings`: the ``campaign:`` section and its cadence;
- :mod:`~campaign.metadata.event`: the event, its speakers and its publications;
- :mod:`~campaign.metadata.document`: a whole file parsed, and its one-line summary;
- :mod:`~campaign.metadata.serialise`: the document as JSON and back;
- :mod:`~campaign.metadata.store`: the loaded campaign saved in and read from the database;
- :mod:`~campaign.metadata.writer`: YAML written back (for ``campaign import-page``).
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from campaign.metadata.document import SAMPLE, parse_file, parse_text, summary
    from campaign.metadata.problems import InvalidMetadata, Problem
    from campaign.metadata.serialise import from_dict, to_dict
    from campaign.metadata.store import require, save, settings_for, stored

# Where each name lives: imported on first use, so a command that only reads the stored
# campaign (``settings_for``) does not load the YAML reader.
_HOME = {
    "SAMPLE": "document",
    "parse_file": "document",
    "parse_text": "document",
    "summary": "document",
    "InvalidMetadata": "problems",
    "Problem": "problems",
    "from_dict": "serialise",
    "to_dict": "serialise",
    "require": "store",
    "save": "store",
    "settings_for": "store",
    "stored": "store",
}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(f"{__name__}.{_HOME[name]}"), name)


__all__ = [
    "SAMPLE",
    "InvalidMetadata",
    "Problem",
    "from_dict",
    "parse_file",
    "parse_text",
    "require",
    "save",
    "settings_for",
    "stored",
    "summary",
    "to_dict",
]
