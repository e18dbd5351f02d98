"""Compile the ``.po`` translation catalogs into the ``.mo`` files Django reads, in pure Python (polib).

Django's ``compilemessages`` needs GNU gettext's ``msgfmt``, a system package that ``make run`` cannot
install; polib writes the same binary format. The ``.mo`` files are build products (git-ignored):
``make install`` and the test session compile the catalogs that are newer than their ``.mo``.
"""

from __future__ import annotations

from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
CATALOG_DIRS = (ROOT / "locale", ROOT / "commitments" / "locale")


def catalogs() -> list[Path]:
    """Every ``django.po`` of the project and of its app, sorted."""
    return sorted(po for folder in CATALOG_DIRS if folder.exists() for po in folder.glob("*/LC_MESSAGES/django.po"))


def compile_catalogs(*, force: bool = False) -> list[Path]:
    """Write ``django.mo`` beside each catalog whose ``.mo`` is missing or older; return those written.

    Fuzzy and untranslated entries are left out, as ``msgfmt`` leaves them, so they fall back to English.
    """
    written = []
    for po in catalogs():
        mo = po.with_suffix(".mo")
        if force or not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            polib.pofile(str(po)).save_as_mofile(str(mo))
            written.append(mo)
    return written
