"""Uploaded media from LocalStorage at /media/ (only when STORAGE_BACKEND=local; with S3, browsers load
images from the bucket's public URL or a CDN in front of it).

Keys are content-addressed, so a URL's bytes never change: cached for a year, `immutable`. The router opts
out of the session and CSRF middleware: an image request needs neither, must not cost a session lookup,
and must not carry a Set-Cookie (which would stop shared caches from storing it)."""

from __future__ import annotations

from pathlib import Path

from litestar import Router
from litestar.datastructures import CacheControlHeader
from litestar.static_files import create_static_files_router

from app.core.storage import media_root, media_url

MEDIA_CACHE = CacheControlHeader(public=True, max_age=31536000, immutable=True)


def media_router(root: Path | None = None) -> Router:
    root = root or media_root()
    root.mkdir(parents=True, exist_ok=True)  # the static router wants the folder to exist
    url = media_url()
    path = url.rstrip("/") if url.startswith("/") and url != "/" else "/media"  # an absolute URL is a CDN's
    return create_static_files_router(
        path=path,
        directories=[root],
        name="media",
        cache_control=MEDIA_CACHE,
        include_in_schema=False,
        # keys of the session middleware's exclude_opt_key and CSRFConfig.exclude_from_csrf_key (defaults)
        opt={"skip_session": True, "exclude_from_csrf": True},
    )
