"""Seller-written product descriptions: rich text, sanitized with nh3 on the way in (images allowed)."""

from __future__ import annotations

import nh3

TAGS = {
    "p", "br", "strong", "b", "em", "i", "u", "s", "ul", "ol", "li", "h3", "h4", "blockquote",
    "table", "thead", "tbody", "tr", "th", "td", "img", "a", "span",
}  # fmt: skip
ATTRIBUTES = {
    "img": {"src", "alt", "width", "height"},
    "a": {"href", "title"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
MAX_CHARS = 50_000


def sanitize_description(html: str) -> str:
    """Keep formatting and pictures; drop scripts, styles, event handlers, iframes and javascript: URLs.
    Images may only come from http(s) or our own paths; every link opens safely (rel=noopener nofollow)."""
    return nh3.clean(
        html[:MAX_CHARS],
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes={"http", "https"},
        link_rel="noopener nofollow ugc",
        strip_comments=True,
    )
