"""Every translatable string in templates and code must be in both catalogs, translated."""

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "gettext": None, "N_": None, "ngettext": (1, 2)}


def _source_msgids() -> set[str]:
    found: set[str] = set()
    for folder, method in (("app", "python"), ("templates", "jinja2")):
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / folder,
            method_map=[("**.py" if method == "python" else "**.html", method)],
            options_map={"**.html": {"extensions": "jinja2.ext.i18n"}},
            keywords=KEYWORDS,
        ):
            found.add(message[0] if isinstance(message, tuple) else message)
    return found


def _catalog(locale: str) -> dict[str, object]:
    with (ROOT / "app" / "locale" / locale / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return {m.id if isinstance(m.id, str) else m.id[0]: m.string for m in read_po(fh) if m.id}


def _untranslated(locale: str) -> list[str]:
    catalog = _catalog(locale)
    missing = []
    for msgid in sorted(_source_msgids()):
        string = catalog.get(msgid)
        if not string or (isinstance(string, tuple) and not all(string)):
            missing.append(msgid)
    return missing


def test_every_string_is_translated_in_chinese():
    assert _untranslated("zh_CN") == [], "run `make extract` and translate the new strings"


def test_every_string_is_present_in_english():
    assert _untranslated("en") == [], "run `make extract` and fill the English catalog"
