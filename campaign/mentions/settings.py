"""The one place the review tools (issue 16) read the stored campaign: its coding scheme, its
retention period and when it ends. A workspace of many campaigns changes only this module
(each function would take the campaign in question)."""

from __future__ import annotations

from datetime import datetime

import sqlite_utils

from campaign.fields import CodeField


def coding_scheme(db: sqlite_utils.Database) -> dict[str, CodeField]:
    """The campaign's coding scheme (empty when none is loaded or it declares none)."""
    from campaign.metadata import settings_for

    return dict(settings_for(db).coding)


def retention(db: sqlite_utils.Database) -> tuple[int | None, datetime | None]:
    """``(retention_days, when the campaign ends)``: the event's end, else its start; None
    for either when there is no campaign or no retention period."""
    from campaign.metadata import settings_for, stored

    days = settings_for(db).retention_days
    md = stored(db)
    if md is None:
        return days, None
    return days, md.event.end or md.event.start
