"""Audit log now; review queues and the sensitive-word filter come with their issues."""
