"""Uploaded evidence documents: which files are accepted, checked by content and by name.

An upload must be one of a short, documented list of document types (docs/operations.md,
"Uploads"): its extension and its first bytes must both say that type, and it must be no larger
than ``MAX_UPLOAD_MB``. Anything a browser would run or render as a page (HTML, SVG, XML,
scripts) is refused, also when renamed. The validators are on the model field, so the admin and
any other form refuse a bad file beside the field.

Only new uploads are checked: a file already stored was checked when it came in, and a restored
database may name files that are not (yet) on this machine.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation, ValidationError
from django.core.files.utils import validate_file_name
from django.utils.translation import gettext

# How many leading bytes the signatures need (WebP: 12; the HTML test reads more, below).
_HEAD = 512

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old Word and Excel files (Compound File Binary)
ZIP = b"PK\x03\x04"


def _starts(*signatures: bytes) -> Callable[[bytes, object], bool]:
    return lambda head, file: head.startswith(signatures)


def _webp(head: bytes, file) -> bool:
    return head[:4] == b"RIFF" and head[8:12] == b"WEBP"


def _zip_check(file, inspect: Callable[[zipfile.ZipFile], bool]) -> bool:
    """``inspect(archive)`` for a readable zip; False for anything else, never an exception."""
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as archive:  # closing it leaves the upload open
            return inspect(archive)
    except (KeyError, zipfile.BadZipFile, zlib.error, OSError, ValueError, RuntimeError):  # RuntimeError: encrypted
        return False


def _ooxml(folder: str) -> Callable[[bytes, object], bool]:
    """Office Open XML (docx, xlsx, pptx): a zip with [Content_Types].xml and the part folder.
    Only the archive's directory is read; nothing is decompressed."""

    def inspect(archive: zipfile.ZipFile) -> bool:
        names = archive.namelist()
        return "[Content_Types].xml" in names and any(n.startswith(folder) for n in names)

    return lambda head, file: head.startswith(ZIP) and _zip_check(file, inspect)


def _odf(mimetype: str) -> Callable[[bytes, object], bool]:
    """OpenDocument (odt, ods, odp): a zip whose ``mimetype`` member says the type."""

    def inspect(archive: zipfile.ZipFile) -> bool:
        with archive.open("mimetype") as member:
            return member.read(len(mimetype) + 1).strip() == mimetype.encode()  # a bounded read

    return lambda head, file: head.startswith(ZIP) and _zip_check(file, inspect)


# Markup a browser would render or run if it ever sniffed a "plain text" file.
_MARKUP = (b"<!doctype", b"<html", b"<head", b"<body", b"<script", b"<svg", b"<?xml", b"<iframe", b"<object")


def _plain_text(head: bytes, file) -> bool:
    """UTF-8 text without NUL bytes, not starting with HTML, SVG or XML markup."""
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").lower().startswith(_MARKUP):
        return False
    file.seek(0)
    data = file.read()
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# extension -> (what it is, in the error message; the content check)
ALLOWED_TYPES: dict[str, tuple[str, Callable[[bytes, object], bool]]] = {
    "pdf": ("PDF", _starts(b"%PDF-")),
    "png": ("PNG image", _starts(b"\x89PNG\r\n\x1a\n")),
    "jpg": ("JPEG image", _starts(b"\xff\xd8\xff")),
    "jpeg": ("JPEG image", _starts(b"\xff\xd8\xff")),
    "gif": ("GIF image", _starts(b"GIF87a", b"GIF89a")),
    "webp": ("WebP image", _webp),
    "docx": ("Word document", _ooxml("word/")),
    "xlsx": ("Excel workbook", _ooxml("xl/")),
    "pptx": ("PowerPoint presentation", _ooxml("ppt/")),
    "odt": ("OpenDocument text", _odf("application/vnd.oasis.opendocument.text")),
    "ods": ("OpenDocument spreadsheet", _odf("application/vnd.oasis.opendocument.spreadsheet")),
    "odp": ("OpenDocument presentation", _odf("application/vnd.oasis.opendocument.presentation")),
    "doc": ("Word 97-2003 document", _starts(OLE2)),
    "xls": ("Excel 97-2003 workbook", _starts(OLE2)),
    "txt": ("plain text", _plain_text),
    "csv": ("CSV text", _plain_text),
}

ALLOWED_LIST = ", ".join(sorted(ALLOWED_TYPES))


def _is_new_upload(value) -> bool:
    # A FieldFile holding a file just uploaded is not yet committed to storage.
    return bool(value) and not getattr(value, "_committed", True)


def validate_document_size(value) -> None:
    """No larger than MAX_UPLOAD_MB."""
    if not _is_new_upload(value):
        return
    limit = settings.MAX_UPLOAD_MB * 1024 * 1024
    if value.size > limit:
        raise ValidationError(
            gettext("This file is %(size).1f MB; the largest accepted is %(limit)s MB."),
            code="file_too_large",
            params={"size": value.size / 1024 / 1024, "limit": settings.MAX_UPLOAD_MB},
        )


def validate_document_type(value) -> None:
    """The extension is on the allowed list and the content is what the extension says."""
    if not _is_new_upload(value):
        return
    name = value.name.rsplit("/", 1)[-1]
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ALLOWED_TYPES:
        raise ValidationError(
            gettext("Files of type “.%(extension)s” are not accepted. Accepted: %(allowed)s."),
            code="file_type_not_allowed",
            params={"extension": extension or gettext("(none)"), "allowed": ALLOWED_LIST},
        )
    label, matches = ALLOWED_TYPES[extension]
    file = value.file
    position = file.tell()
    try:
        file.seek(0)
        head = file.read(_HEAD)
        ok = matches(head, file)
    finally:
        file.seek(position)
    if not ok:
        raise ValidationError(
            gettext("This file is named .%(extension)s but its content is not a %(label)s file."),
            code="file_content_mismatch",
            params={"extension": extension, "label": label},
        )


DOCUMENT_VALIDATORS = [validate_document_size, validate_document_type]


def unsafe_document_name(name: str) -> str | None:
    """Why a stored document name (a path under MEDIA_ROOT) is not safe, or None if it is.

    For names that come from outside the upload form (a restored dump): absolute paths and
    ``..`` would point anywhere on the machine (``../../etc/passwd``).
    """
    if "\x00" in name:
        return "holds a NUL byte"
    try:
        validate_file_name(name, allow_relative_path=True)
    except SuspiciousFileOperation:
        return "is outside MEDIA_ROOT (an absolute path or one with '..')"
    return None
