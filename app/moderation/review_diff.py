"""Pure functions behind the product review page: what changed between the last approved snapshot and the
product now (field by field, the description as a text diff, images, specs and SKUs), and sensitive words
marked in a text. No database: unit-tested on plain dicts (see review_services.product_snapshot for the shape)."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from markupsafe import Markup, escape

from app.core.i18n import N_

FIELDS = (
    ("title", N_("Title")),
    ("subtitle", N_("Subtitle")),
    ("category", N_("Category")),
    ("brand", N_("Brand")),
)


@dataclass(frozen=True)
class FieldChange:
    name: str
    label: str  # msgid
    before: str
    after: str


@dataclass(frozen=True)
class SkuChange:
    kind: str  # added | removed | changed
    label: str  # the spec values ("颜色: 红 / 尺码: M") or the code
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    changes: list[str] = field(default_factory=list)  # names of changed attributes: price_fen, list_price_fen, code


@dataclass(frozen=True)
class SpecChange:
    name: str
    added: list[str]
    removed: list[str]
    kind: str  # added | removed | changed


@dataclass(frozen=True)
class ProductDiff:
    is_new: bool
    fields: list[FieldChange] = field(default_factory=list)
    description: list[tuple[str, str]] = field(default_factory=list)  # (equal|insert|delete, text)
    description_changed: bool = False
    images_added: list[dict[str, Any]] = field(default_factory=list)
    images_removed: list[dict[str, Any]] = field(default_factory=list)
    images_reordered: bool = False
    specs: list[SpecChange] = field(default_factory=list)
    skus: list[SkuChange] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (
            self.is_new
            or self.fields
            or self.description_changed
            or self.images_added
            or self.images_removed
            or self.images_reordered
            or self.specs
            or self.skus
        )

    @property
    def description_html(self) -> Markup:
        return render_text_diff(self.description)


# ---------------------------------------------------------------- description as text
_BLOCKS = {"p", "br", "li", "h3", "h4", "tr", "blockquote", "ul", "ol", "table"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            src = dict(attrs).get("src") or ""
            self.parts.append(f"\n[img {src}]\n")
        elif tag in _BLOCKS:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" | ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(html: str) -> str:
    """The readable text of a description: one line per block, images as [img src], blank lines collapsed."""
    parser = _Text()
    parser.feed(html or "")
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    return "\n".join(line for line in lines if line)


_TOKEN = re.compile(r"[A-Za-z0-9_]+|\s+|.", re.DOTALL)


def text_diff(before: str, after: str) -> list[tuple[str, str]]:
    """Character-level for Chinese, word-level for Latin text: [(equal|insert|delete, text)], adjacent runs of
    the same kind merged."""
    a, b = _TOKEN.findall(before or ""), _TOKEN.findall(after or "")
    out: list[tuple[str, str]] = []

    def add(kind: str, text: str) -> None:
        if not text:
            return
        if out and out[-1][0] == kind:
            out[-1] = (kind, out[-1][1] + text)
        else:
            out.append((kind, text))

    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            add("equal", "".join(a[i1:i2]))
        else:
            add("delete", "".join(a[i1:i2]))
            add("insert", "".join(b[j1:j2]))
    return out


def render_text_diff(segments: list[tuple[str, str]]) -> Markup:
    """Escape every piece first, then mark it: <del> for removed text, <ins> for added text."""
    html = []
    for kind, text in segments:
        safe = escape(text)
        if kind == "insert":
            html.append(Markup('<ins class="diff-ins">%s</ins>') % safe)
        elif kind == "delete":
            html.append(Markup('<del class="diff-del">%s</del>') % safe)
        else:
            html.append(safe)
    return Markup("").join(html)


# ---------------------------------------------------------------- the whole product
def _label(snapshot: dict[str, Any], name: str) -> str:
    if name == "category":
        return str(snapshot.get("category_label") or snapshot.get("category_id") or "")
    if name == "brand":
        return str(snapshot.get("brand") or "")
    return str(snapshot.get(name) or "")


def _sku_key(sku: dict[str, Any]) -> str:
    values = sku.get("spec_values") or {}
    if values:
        return " / ".join(f"{k}: {v}" for k, v in sorted(values.items()))
    return str(sku.get("code") or "")


SKU_ATTRS = ("price_fen", "list_price_fen", "code")


def _sku_changes(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[SkuChange]:
    """SKUs are matched by their spec values (what a buyer picks); without specs by code; a product with one
    SKU on each side is the same SKU whatever its code."""
    if len(old) == 1 and len(new) == 1 and not old[0].get("spec_values") and not new[0].get("spec_values"):
        before, after = {"": old[0]}, {"": new[0]}
    else:
        before = {_sku_key(s): s for s in old}
        after = {_sku_key(s): s for s in new}
    changes = []
    for key, sku in after.items():
        label = key or _sku_key(sku)
        if key not in before:
            changes.append(SkuChange("added", label, None, sku))
            continue
        diff = [attr for attr in SKU_ATTRS if before[key].get(attr) != sku.get(attr)]
        if diff:
            changes.append(SkuChange("changed", label, before[key], sku, diff))
    for key, sku in before.items():
        if key not in after:
            changes.append(SkuChange("removed", key or _sku_key(sku), sku, None))
    return changes


def _spec_changes(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[SpecChange]:
    before = {s.get("name"): list(s.get("values") or []) for s in old if isinstance(s, dict)}
    after = {s.get("name"): list(s.get("values") or []) for s in new if isinstance(s, dict)}
    changes = []
    for name, values in after.items():
        if name not in before:
            changes.append(SpecChange(str(name), values, [], "added"))
        else:
            added = [v for v in values if v not in before[name]]
            removed = [v for v in before[name] if v not in values]
            if added or removed:
                changes.append(SpecChange(str(name), added, removed, "changed"))
    for name, values in before.items():
        if name not in after:
            changes.append(SpecChange(str(name), [], values, "removed"))
    return changes


def build_diff(before: dict[str, Any] | None, after: dict[str, Any]) -> ProductDiff:
    """What a moderator needs to look at: `before` is the last approved snapshot (None: never approved)."""
    if before is None:
        return ProductDiff(is_new=True)
    fields = [
        FieldChange(name, label, _label(before, name), _label(after, name))
        for name, label in FIELDS
        if (before.get(f"{name}_id", before.get(name)) != after.get(f"{name}_id", after.get(name)))
        or _label(before, name) != _label(after, name)
    ]
    old_text = html_to_text(before.get("description_html") or "")
    new_text = html_to_text(after.get("description_html") or "")
    old_images = [i for i in before.get("images") or []]
    new_images = [i for i in after.get("images") or []]
    old_keys = [i.get("key") for i in old_images]
    new_keys = [i.get("key") for i in new_images]
    kept_old = [k for k in old_keys if k in new_keys]
    kept_new = [k for k in new_keys if k in old_keys]
    return ProductDiff(
        is_new=False,
        fields=fields,
        description=text_diff(old_text, new_text) if old_text != new_text else [],
        description_changed=old_text != new_text,
        images_added=[i for i in new_images if i.get("key") not in old_keys],
        images_removed=[i for i in old_images if i.get("key") not in new_keys],
        images_reordered=kept_old != kept_new,
        specs=_spec_changes(before.get("specs") or [], after.get("specs") or []),
        skus=_sku_changes(before.get("skus") or [], after.get("skus") or []),
    )


# ---------------------------------------------------------------- sensitive words
def highlight(text: str, words: list[str], *, css: str = "word-flag") -> Markup:
    """The text escaped, with each occurrence of the words (case-insensitive, longest first) in <mark>."""
    words = sorted({w for w in words if w}, key=len, reverse=True)
    if not words or not text:
        return escape(text or "")
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    out, last = [], 0
    for m in pattern.finditer(text):
        out.append(escape(text[last : m.start()]))
        out.append(Markup('<mark class="%s">%s</mark>') % (css, m.group(0)))
        last = m.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)
