"""After `make extract`: English msgstr = msgid where empty; Chinese msgstr from app/locale/pending/*.json
({"msgid": "译文"} or, for plurals, {"msgid": ["译文"]}), which are deleted once merged. Lists what is
still untranslated. Run by `make extract`; the JSON files let several people translate without editing the
same .po file at once."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

LOCALE = Path(__file__).resolve().parent.parent / "app" / "locale"


def _po(locale: str) -> Path:
    return LOCALE / locale / "LC_MESSAGES" / "messages.po"


def _load(path: Path):
    with path.open("rb") as fh:
        return read_po(fh, locale=path.parent.parent.name)


def _save(path: Path, catalog) -> None:
    with path.open("wb") as fh:
        write_po(fh, catalog, width=120, omit_header=False, sort_output=True, include_previous=False)


def main() -> int:
    en = _load(_po("en"))
    for message in en:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            if not all(message.string or ()):
                message.string = message.id
        elif not message.string:
            message.string = message.id
    _save(_po("en"), en)

    pending_files = sorted((LOCALE / "pending").glob("*.json"))
    pending: dict[str, object] = {}
    for path in pending_files:
        pending.update(json.loads(path.read_text(encoding="utf-8")))
    zh = _load(_po("zh_CN"))
    missing = []
    for message in zh:
        if not message.id:
            continue
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        if key in pending:
            value = pending[key]
            message.string = (
                tuple(value) if isinstance(message.id, tuple) else (value[0] if isinstance(value, list) else value)
            )
        if not (all(message.string) if isinstance(message.id, tuple) else message.string):
            missing.append(key)
    _save(_po("zh_CN"), zh)
    for path in pending_files:
        path.unlink()
    for key in missing:
        print(f"untranslated (zh_CN): {key!r}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
