"""The Spanish catalogue is complete and its committed .mo matches the .po."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

LOCALE = Path(__file__).resolve().parent.parent / "locale"


def _entries(po_path: Path) -> list[tuple[list[str], str | None, str, list[str]]]:
    """Return (flags, msgctxt, msgid, msgstrs) per entry of a .po file, header and obsolete ones
    left out."""
    entries = []
    for block in po_path.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith("#~")]
        if not any(line.startswith("msgid ") for line in lines):
            continue
        flags = [f.strip() for line in lines if line.startswith("#,") for f in line[2:].split(",")]
        fields: dict[str, str] = {}
        key = None
        for line in lines:
            match = re.match(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?) "(.*)"$', line)
            if match:
                key = match.group(1)
                fields[key] = match.group(2)
            elif line.startswith('"') and key:
                fields[key] += line[1:-1]
        if fields["msgid"] == "":
            continue
        msgstrs = [value for name, value in fields.items() if name.startswith("msgstr")]
        entries.append((flags, fields.get("msgctxt"), fields["msgid"], msgstrs))
    return entries


def test_every_spanish_message_is_translated_and_none_is_fuzzy():
    entries = _entries(LOCALE / "es" / "LC_MESSAGES" / "django.po")

    untranslated = [msgid for _, _context, msgid, msgstrs in entries if not all(msgstrs)]
    fuzzy = [msgid for flags, _context, msgid, _ in entries if "fuzzy" in flags]

    assert len(entries) > 100
    assert untranslated == []
    assert fuzzy == []


def test_the_compiled_spanish_catalogue_matches_the_po_file():
    with open(LOCALE / "es" / "LC_MESSAGES" / "django.mo", "rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    entries = _entries(LOCALE / "es" / "LC_MESSAGES" / "django.po")

    def unescape(text: str) -> str:
        return text.encode("latin-1", "backslashreplace").decode("unicode_escape")

    def compiled_text(context: str | None, msgid: str) -> str:
        if context is None:
            return compiled.gettext(unescape(msgid))
        return compiled.pgettext(unescape(context), unescape(msgid))

    stale = [
        msgid
        for _, context, msgid, msgstrs in entries
        if len(msgstrs) == 1 and compiled_text(context, msgid) != unescape(msgstrs[0])
    ]
    assert stale == [], "Run `make messages` to compile locale/es after editing the .po file."
