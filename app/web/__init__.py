"""Shared web glue: sessions, auth, guards, locale, security headers, errors, templates. Imports no domain."""
