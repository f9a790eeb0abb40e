"""The web console (``campaign web``): calendar, queue and composer, inbox, report and status.

Server-rendered pages over the same database the daemon uses; :func:`create_app` builds the app.
"""

from campaign.web.app import create_app

__all__ = ["create_app"]
