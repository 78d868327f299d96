"""Compile and check the translation catalogues without GNU gettext.

``python -m shoumi.config.i18n compile`` writes every ``django.mo`` beside
its ``django.po`` (the compiled files are committed, so a fresh machine
needs no gettext tools). ``check`` exits non-zero when a message lacks a
Chinese translation, is marked fuzzy, or when a ``.mo`` file is out of date.
Extracting new messages still uses Django's ``makemessages``, which needs
GNU gettext on the developer's machine.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polib

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"


def catalogue_paths() -> list[Path]:
    return sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po"))


def compile_catalogues() -> list[Path]:
    """Write a .mo file for every .po file and return the written paths."""
    written = []
    for po_path in catalogue_paths():
        mo_path = po_path.with_suffix(".mo")
        polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
        written.append(mo_path)
    return written


def catalogue_problems() -> list[str]:
    """Return one line per untranslated or fuzzy message and per stale .mo file."""
    problems: list[str] = []
    for po_path in catalogue_paths():
        catalogue = polib.pofile(str(po_path))
        for entry in catalogue:
            if entry.obsolete:
                continue
            if "fuzzy" in entry.flags:
                problems.append(f"{po_path}: fuzzy: {entry.msgid!r}")
            elif not entry.translated():
                problems.append(f"{po_path}: untranslated: {entry.msgid!r}")
        mo_path = po_path.with_suffix(".mo")
        if not mo_path.exists():
            problems.append(f"{mo_path}: missing; run `make messages`")
            continue
        compiled = {
            (entry.msgctxt, entry.msgid): entry.msgstr for entry in polib.mofile(str(mo_path))
        }
        expected = {
            (entry.msgctxt, entry.msgid): entry.msgstr
            for entry in catalogue
            if entry.translated() and not entry.obsolete and entry.msgid_plural == ""
        }
        for key, text in expected.items():
            if compiled.get(key) != text:
                problems.append(f"{mo_path}: out of date for {key[1]!r}; run `make messages`")
                break
    return problems


def main(argv: list[str]) -> int:
    if argv == ["compile"]:
        for path in compile_catalogues():
            print(f"wrote {path}")
        return 0
    if argv == ["check"]:
        problems = catalogue_problems()
        for line in problems:
            print(line, file=sys.stderr)
        return 1 if problems else 0
    print("usage: python -m shoumi.config.i18n compile|check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
