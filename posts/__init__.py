"""What gets said: templates, rendering, X's length rules, the planner and the queue."""
