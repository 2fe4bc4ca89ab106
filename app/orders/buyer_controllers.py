"""Routes for issue 6 (being built)."""

ROUTES: list = []
