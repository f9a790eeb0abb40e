"""Exporting the conversation (all of it, or what a search matched) as CSV or JSONL.

CSV is written for spreadsheets: UTF-8 with a byte-order mark (so Excel reads it as UTF-8),
every field quoted where needed, newlines inside a post kept inside its quoted cell. Every cell
that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, also after leading
blanks (``= 1+1``, ``\t=1+1``; OWASP's rule, see :data:`FORMULA_STARTS`), gets a leading ``'``,
as spreadsheets expect for text, so it is shown as written instead of run as a formula (which
shows ``#NAME?`` at best and runs what a stranger wrote at worst).
JSONL writes one object per line: the tweet as X sent it, its ``author`` embedded (the shape
``twarc2 flatten`` writes, so ``campaign mentions import`` reads it back) and the review in
``__campaign``.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import IO, Any

import sqlite_utils

from campaign.mentions.privacy import Pseudonyms
from campaign.mentions.search import SELECT_COLUMNS, MentionFilter, _run, matching, row_to_dict

CSV_FIELDS = (
    "id",
    "created_at",
    "author_username",
    "author_name",
    "author_id",
    "text",
    "lang",
    "review_status",
    "note",
    "is_ours",
    "has_link",
    "replies_to_ours",
    "quotes_ours",
    "retweet_count",
    "reply_count",
    "like_count",
    "quote_count",
    "url",
    "removed_on_x",
)

_PAGE = 2_000


def _rows(
    db: sqlite_utils.Database, f: MentionFilter, extra: str = ""
) -> Iterator[tuple[Any, ...]]:
    """Every row matching ``f``, newest first, read in pages by id (keyset, not OFFSET)."""
    m = matching(f)
    tail = f"ORDER BY {m.key} DESC LIMIT {_PAGE}"
    before: int | None = None
    while True:
        more = (f"{m.key} < ?",) if before is not None else ()
        sql = m.sql(SELECT_COLUMNS + extra, authors=True, more=more, tail=tail)
        page = _run(db, sql, [*m.params, before] if before is not None else list(m.params))
        yield from page
        if len(page) < _PAGE:
            return
        before = int(page[-1][0])


def _with_codes(
    db: sqlite_utils.Database, rows: Iterator[tuple[Any, ...]]
) -> Iterator[tuple[tuple[Any, ...], dict[str, list[str]]]]:
    """Each row with its codes (``{field: [value, …]}``), read a page of rows at a time."""
    from campaign.mentions.coding import codes_for, flat

    page: list[tuple[Any, ...]] = []

    def flush() -> Iterator[tuple[tuple[Any, ...], dict[str, list[str]]]]:
        found = codes_for(db, [int(r[0]) for r in page])
        for r in page:
            yield r, flat(found.get(int(r[0]), {}))
        page.clear()

    for row in rows:
        page.append(row)
        if len(page) >= _PAGE:
            yield from flush()
    yield from flush()


def write_csv(
    db: sqlite_utils.Database, f: MentionFilter, out: IO[str], pseudo: Pseudonyms | None = None
) -> int:
    """Write the posts matching ``f`` as CSV to ``out`` (opened with ``newline=''``); one
    ``code:FIELD`` column per coding field (values joined with ``; ``). With ``pseudo`` the
    authors (and @handles in the text) are pseudonyms."""
    from campaign.mentions.coding import coded_fields

    fields = coded_fields(db)
    out.write("\ufeff")
    w = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    w.writerow([*CSV_FIELDS, *(f"code:{c}" for c in fields)])
    n = 0
    for row, codes in _with_codes(db, _rows(db, f)):
        d = row_to_dict(row)
        d.update(d.pop("metrics"))
        d["removed_on_x"] = d.pop("removed") or ""
        if pseudo is not None:
            d.update(pseudo.post(d))
        w.writerow(
            [_cell(d[k]) for k in CSV_FIELDS] + [_cell("; ".join(codes.get(c, []))) for c in fields]
        )
        n += 1
    return n


# OWASP's rule for CSV injection: a cell whose first character is one of these may be read as
# a formula (tab and carriage return too, and spreadsheets skip leading blanks before one), so
# it gets a leading ' and is shown as written. The full-width forms are read as formulas by
# some spreadsheets in East Asian locales.
FORMULA_STARTS = frozenset("=+-@\t\r＝＋－＠")
_BLANKS = " \t\r\n\u00a0\u3000"


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if (
        isinstance(value, str)
        and value
        and (value[0] in FORMULA_STARTS or value.lstrip(_BLANKS)[:1] in FORMULA_STARTS)
    ):
        # A cell starting like a formula would run as one in a spreadsheet: keep it as text.
        return "'" + value
    return "" if value is None else value


def write_jsonl(
    db: sqlite_utils.Database, f: MentionFilter, out: IO[str], pseudo: Pseudonyms | None = None
) -> int:
    """Write the posts matching ``f`` as JSON lines (raw tweet, author, review) to ``out``.
    With ``pseudo`` each line is the tweet's fields without its author's identity (see
    :meth:`~campaign.mentions.privacy.Pseudonyms.tweet`)."""
    n = 0
    for row, codes in _with_codes(db, _rows(db, f, ", m.raw, a.raw")):
        d = row_to_dict(row[:-2])
        d["codes"] = codes
        tweet = json.loads(row[-2])
        if pseudo is not None:
            tweet = pseudo.tweet(tweet, d.get("author_username"))
            d.update(pseudo.post(d))
        elif row[-1]:
            tweet["author"] = json.loads(row[-1])
        tweet["__campaign"] = {
            k: d[k]
            for k in (
                "review_status",
                "note",
                "is_ours",
                "replies_to_ours",
                "quotes_ours",
                "url",
                "removed",
                "codes",
            )
        }
        out.write(json.dumps(tweet, ensure_ascii=False))
        out.write("\n")
        n += 1
    return n
