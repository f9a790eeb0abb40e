"""The campaign tool: metadata and store (this package), posts (``posts``), publishing (``scheduler``)."""

__version__ = "0.1.0"
DEFAULT_HASHTAG = "#PolicingInConflict"
