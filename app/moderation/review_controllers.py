"""Platform moderation: the product review queue, sensitive words, category management."""

ROUTES: list = []
