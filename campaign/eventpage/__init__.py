"""Reading event pages as they really are: pasted text in any layout, or saved HTML.

:mod:`~campaign.eventpage.reader` places each line of a page; :mod:`~campaign.eventpage.speakers`
knows people's names and parts, :mod:`~campaign.eventpage.dates` days and times,
:mod:`~campaign.eventpage.publications` the related publications and
:mod:`~campaign.eventpage.html` saved web pages. :mod:`campaign.importpage` writes the YAML.
"""
