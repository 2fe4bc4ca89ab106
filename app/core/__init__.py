"""Shared building blocks with no web imports: money, time, i18n, errors, database access, rate limits."""
