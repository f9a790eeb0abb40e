"""Posts from a spreadsheet: ``campaign posts import FILE.csv``, and the console's import.

Columns (the header row names them, in any order): ``text`` and ``at`` (ISO 8601 with an offset,
or local ``YYYY-MM-DD HH:MM`` in the campaign's zone), and optionally ``image`` (a file, relative
to the CSV's folder), ``alt`` (its alt text), ``campaign`` (the campaign's name, slug or hashtag)
and ``reply_to`` (the row number of an earlier row, as the spreadsheet numbers it: the header is
row 1), for threads. UTF-8 with or without a byte-order mark, as Excel and Google Sheets save it.

All or nothing: every row is checked first (text through :func:`posts.rules.prepare`, so length,
hashtag and duplicates within the file and against the queue; the time; the image and its alt
text; the thread), and any bad row refuses the whole file, listing every bad row and why.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import sqlite_utils

from campaign.clock import now, parse_when
from campaign.errors import CampaignError
from posts import media, queue

COLUMNS = ("text", "at", "image", "alt", "campaign", "reply_to")
REQUIRED = ("text", "at")
MAX_ROWS = 5_000  # a campaign's year of posts many times over; more is a wrong file
MAX_BYTES = 10 * 1024 * 1024


class ImportRefused(CampaignError):
    "The file has bad rows: nothing was imported"

    def __init__(self, problems: Sequence[RowProblem], rows: int) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  {p}" for p in problems)
        n = len({p.row for p in problems})
        super().__init__(
            f"{n} of {rows} rows cannot be imported, so nothing was imported; fix them and "
            f"import the file again:\n{lines}"
        )


@dataclass(frozen=True)
class RowProblem:
    """Why one row (spreadsheet numbering: the header is row 1) cannot be imported."""

    row: int
    line: int  # the file's line the row starts on (a text with line breaks spans several)
    why: str

    def __str__(self) -> str:
        where = f"row {self.row}" + (f" (line {self.line})" if self.line != self.row else "")
        return f"{where}: {self.why}"


@dataclass
class Row:
    """One row checked and ready to insert."""

    row: int
    text: str
    weighted_length: int
    at: datetime
    images: list[media.Image] = field(default_factory=list)
    reply_to_row: int | None = None


@dataclass(frozen=True)
class Checked:
    """A file checked: its rows ready to insert (all of them good)."""

    rows: list[Row]


def decode(data: bytes, name: str) -> str:
    """``data`` as text (UTF-8, with or without a BOM), or a refusal saying how to save it."""
    if len(data) > MAX_BYTES:
        raise CampaignError(f"{name} is over 10 MB: split it into smaller files")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise CampaignError(
            f"{name} is not UTF-8 text (byte {e.start + 1}): save it as 'CSV UTF-8' in Excel, "
            "or download it as CSV from Google Sheets"
        ) from None


def check(
    db: sqlite_utils.Database,
    text: str,
    *,
    folder: Path | None = None,
    images: Callable[[str], bytes] | None = None,
) -> Checked:
    """Every row of the CSV ``text`` checked, or :class:`ImportRefused` listing each bad row.

    Image names are read from ``folder`` (the CSV's own folder), or through ``images`` (the
    console: the files uploaded with the CSV, by name).
    """
    from campaign.metadata import settings_for
    from campaign.slug import slugify
    from posts.editing import _aware, event_domains, stored_metadata
    from posts.rules import prepare

    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise CampaignError("the file is empty: its first row must name the columns") from None
    except csv.Error as e:
        raise CampaignError(f"the first row cannot be read as CSV: {e}") from None
    names = [h.strip().lower() for h in header]
    unknown = [h for h in names if h not in COLUMNS]
    missing = [c for c in REQUIRED if c not in names]
    if unknown or missing or len(set(names)) != len(names):
        said = []
        if missing:
            said.append(f"no column {' or '.join(missing)}")
        if unknown:
            said.append(f"unknown column {', '.join(repr(u) for u in unknown)}")
        if len(set(names)) != len(names):
            said.append("a column named twice")
        raise CampaignError(
            f"the header row has {'; '.join(said)}: name the columns {', '.join(COLUMNS)} "
            "(text and at are required)"
        )
    meta = stored_metadata(db)
    settings = settings_for(db)
    domains = event_domains(meta)
    campaign_names = {settings.name.casefold(), slugify(settings.name), settings.hashtag.casefold()}
    from posts.rules import duplicate_key

    # The duplicate rule, by key: each row is looked up instead of compared with every post
    # (prepare() then refuses a clash with its own words, given the one post it clashes with).
    others = {duplicate_key(t, settings.hashtag): t for t in queue.other_texts(db)}
    problems: list[RowProblem] = []
    rows: list[Row] = []
    seen_rows: set[int] = set()
    row_no = 1
    line = reader.line_num + 1
    moment = now()
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            problems.append(RowProblem(row_no + 1, line, f"cannot be read as CSV ({e})"))
            break
        row_no += 1
        start, line = line, reader.line_num + 1
        if row_no - 1 > MAX_ROWS:
            raise CampaignError(f"the file has more than {MAX_ROWS:,} rows: split it")
        if not any(v.strip() for v in values):
            continue  # a blank row, as spreadsheets leave at the end
        if len(values) > len(names):
            seen_rows.add(row_no)  # its replies are not refused for it as well
            problems.append(
                RowProblem(row_no, start, f"has {len(values)} cells for {len(names)} columns")
            )
            continue
        cell = dict(zip(names, [*values, *[""] * (len(names) - len(values))], strict=True))
        why: list[str] = []

        def bad(reason: str, why: list[str] = why) -> None:
            why.append(reason)

        # The time.
        at: datetime | None = None
        if not cell["at"].strip():
            bad("no time in the at column: give one, e.g. 2026-12-06 09:00")
        else:
            try:
                at = _aware(parse_when(cell["at"], settings.timezone, strict=True), "the time")
            except CampaignError as e:
                bad(str(e))
            if at is not None and at < moment:
                bad(f"the time {cell['at'].strip()} has already passed: give a later one")
        # The campaign.
        named = cell.get("campaign", "").strip()
        if (
            named
            and named.casefold() not in campaign_names
            and slugify(named) not in campaign_names
        ):
            bad(f"the campaign {named!r} is not this campaign ({settings.name}): leave it empty")
        # The text.
        final, length = "", 0
        try:
            prepared = prepare(cell["text"], settings, event_url_domains=domains)
            final, length = prepared.text, prepared.weighted_length
            clash = others.get(duplicate_key(final, settings.hashtag))
            if clash is not None:
                prepare(cell["text"], settings, others=[clash], event_url_domains=domains)
        except CampaignError as e:
            bad(str(e))
        # The image.
        image_name = cell.get("image", "").strip()
        alt = cell.get("alt", "")
        attached: list[media.Image] = []
        if image_name:
            try:
                if images is not None:
                    attached.append(media.check_image(image_name, images(image_name), alt))
                else:
                    base = folder or Path.cwd()
                    attached.append(media.read_image(base / image_name, alt))
            except CampaignError as e:
                bad(str(e))
        elif alt.strip():
            bad("alt text but no image: give the image in the image column, or clear the alt")
        # The thread.
        reply_row: int | None = None
        parent = cell.get("reply_to", "").strip()
        if parent:
            if not parent.isdigit():
                bad(f"reply_to {parent!r} is not a row number: give the row of the post it answers")
            elif int(parent) not in seen_rows:
                bad(
                    f"reply_to {parent} is not an earlier row of this file: a reply comes after "
                    "the post it answers"
                )
            else:
                reply_row = int(parent)
        seen_rows.add(row_no)
        if why:
            problems += [RowProblem(row_no, start, w) for w in why]
            continue
        assert at is not None
        others[duplicate_key(final, settings.hashtag)] = final
        rows.append(Row(row_no, final, length, at, attached, reply_row))
    if problems:
        raise ImportRefused(problems, row_no - 1)
    if not rows:
        raise CampaignError("the file has no rows below its header: nothing to import")
    return Checked(rows)


def read_file(path: str | Path) -> str:
    """The CSV file at ``path`` as text (see :func:`decode`)."""
    p = Path(path)
    try:
        return decode(p.read_bytes(), p.name)
    except FileNotFoundError:
        raise CampaignError(f"there is no file {path}: check the name and folder") from None
    except IsADirectoryError:
        raise CampaignError(f"{path} is a folder, not a CSV file") from None
    except OSError as e:
        raise CampaignError(f"cannot read {path}: {e.strerror or e}") from None


def insert(
    db: sqlite_utils.Database, checked: Checked, *, actor: str, by: str | None = None
) -> list[int]:
    """Insert every checked row as a draft, in one transaction; the new ids in file order."""
    from campaign.store import immediate
    from posts.editing import MANUAL_KIND

    ids: dict[int, int] = {}
    with immediate(db):
        for row in checked.rows:
            new = queue.NewPost(
                MANUAL_KIND,
                row.text,
                row.weighted_length,
                row.at,
                hand_edited=True,
                reply_to_post_id=ids[row.reply_to_row] if row.reply_to_row else None,
                created_by=by,
            )
            post_id = queue.insert_draft(db, new, actor, f"imported from row {row.row}")
            if row.images:
                media.replace(db, post_id, row.images)
            ids[row.row] = post_id
    return list(ids.values())
