"""The reader's notifications under "me"."""

ROUTES: list = []
