"""What gets said: templates, rendering, X's length rules, the planner and the queue."""

import campaign  # noqa: F401  # first: it imports sqlite-utils without numpy
