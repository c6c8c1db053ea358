"""Named what-if scenarios (issue 14)."""
