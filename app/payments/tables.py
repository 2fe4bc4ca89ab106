"""Payments (issue 6): tables are added by the payments work."""
