"""Numbers, dates and ids read from a request. Anything out of range (an id SQLite cannot hold,
a page past any collection, a date no campaign has) is a 400 page, before anything changes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from flask import abort, request
from werkzeug.routing import IntegerConverter

from campaign.clock import EARLIEST, LATEST

MAX_ID = 2**63 - 1  # the largest integer SQLite stores
MAX_PAGE = 100_000


class IdConverter(IntegerConverter):
    """``<int:…>`` in the console's routes: an id SQLite can hold (a larger one is a 404)."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def _number(text: str, what: str, largest: int) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(largest)):
        abort(400, description=f"{what} must be a whole number from 1 to {largest}, not {text!r}")
    value = int(text)
    if not 1 <= value <= largest:
        abort(400, description=f"{what} must be a whole number from 1 to {largest}, not {text!r}")
    return value


def page_number() -> int:
    """The ``page`` of a list (1 when absent)."""
    text = request.args.get("page", "").strip()
    return _number(text, "the page", MAX_PAGE) if text else 1


def ids(values: Iterable[str]) -> list[int]:
    """Ticked ids from a form; one that is not an id refuses the whole form."""
    return [_number(v.strip(), "an id", MAX_ID) for v in values]


def optional_id(text: str | None) -> int | None:
    """One id from a form field, or None when the field is absent or empty."""
    return _number(text.strip(), "an id", MAX_ID) if text and text.strip() else None


def day(text: str | None, default: date) -> date:
    """A calendar day written YYYY-MM-DD (``default`` when absent), within the years a
    campaign can be about."""
    if not text:
        return default
    try:
        value = date.fromisoformat(text)
    except ValueError:
        abort(400, description=f"cannot read the date {text!r}: write it as YYYY-MM-DD")
    if not EARLIEST.date() <= value <= LATEST.date():
        abort(
            400,
            description=f"the date {text} is out of range: pick a day from "
            f"{EARLIEST.year} to {LATEST.year}",
        )
    return value
