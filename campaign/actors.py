"""Who is acting, for the audit trails: the same name whichever door a person comes in by."""

from __future__ import annotations

import getpass
import os


def local_user() -> str:
    """``CAMPAIGN_USER`` if set, else the login name of the account running the tool."""
    user = os.environ.get("CAMPAIGN_USER")
    if user:
        return user
    try:
        return getpass.getuser()
    except OSError:
        return "unknown"
