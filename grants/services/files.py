"""Checking uploaded files by what they contain, not by what they are called.

A browser's content type and a file's name are whatever the sender says; the bytes are not. We
accept PDF, Word (doc, docx), Excel (xls, xlsx), JPEG and PNG, recognised by their signatures:
docx and xlsx are ZIP containers holding ``[Content_Types].xml`` and a ``word/`` or ``xl/`` part;
doc and xls are OLE2 compound files (D0 CF 11 E0 A1 B1 1A E1) whose directory names a
``WordDocument`` or a ``Workbook``/``Book`` stream. The name's extension must agree with the content.
No library: the project lock is fixed, and these few signatures are easy to check and to test.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

PDF, DOC, DOCX, XLS, XLSX, JPEG, PNG = "pdf", "doc", "docx", "xls", "xlsx", "jpeg", "png"

CONTENT_TYPES = {
    PDF: "application/pdf",
    DOC: "application/msword",
    DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    XLS: "application/vnd.ms-excel",
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    JPEG: "image/jpeg",
    PNG: "image/png",
}
EXTENSIONS = {
    ".pdf": PDF,
    ".doc": DOC,
    ".docx": DOCX,
    ".xls": XLS,
    ".xlsx": XLSX,
    ".jpg": JPEG,
    ".jpeg": JPEG,
    ".png": PNG,
}
OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ZIP_SIGNATURE = b"PK\x03\x04"
ACCEPTED = _("PDF, Word (doc, docx), Excel (xls, xlsx), JPG or PNG")


@dataclass(frozen=True)
class CheckedFile:
    kind: str
    content_type: str
    extension: str
    size: int
    sha256: str


def _sniff_zip(handle) -> str | None:
    try:
        with zipfile.ZipFile(handle) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    if any(name.startswith("word/") for name in names):
        return DOCX
    if any(name.startswith("xl/") for name in names):
        return XLSX
    return None


def _sniff_ole2(data: bytes) -> str | None:
    # Directory entries store stream names in UTF-16LE; a Word file has "WordDocument", an Excel
    # file "Workbook" (BIFF8) or "Book" (BIFF5).
    if "WordDocument".encode("utf-16-le") in data:
        return DOC
    if "Workbook".encode("utf-16-le") in data or "Book\x00".encode("utf-16-le") in data:
        return XLS
    return None


def sniff(handle) -> str | None:
    """The kind of file ``handle`` holds (one of the constants above), or None if not accepted."""
    handle.seek(0)
    head = handle.read(1024)
    kind = None
    if head.startswith(b"%PDF-"):
        kind = PDF
    elif head.startswith(PNG_SIGNATURE):
        kind = PNG
    elif head.startswith(b"\xff\xd8\xff"):
        kind = JPEG
    elif head.startswith(ZIP_SIGNATURE):
        handle.seek(0)
        kind = _sniff_zip(handle)
    elif head.startswith(OLE2_SIGNATURE):
        handle.seek(0)
        kind = _sniff_ole2(handle.read())
    handle.seek(0)
    return kind


def check_upload(uploaded_file, *, max_mb: int) -> CheckedFile:
    """Size, real type and extension of an upload; ``ValidationError`` in plain words if refused."""
    name = os.path.basename(uploaded_file.name or "")
    size = uploaded_file.size
    if size is None:
        uploaded_file.seek(0, os.SEEK_END)
        size = uploaded_file.tell()
    if not size:
        raise ValidationError(_("“%(name)s” is empty.") % {"name": name}, code="empty")
    if size > max_mb * 1024 * 1024:
        raise ValidationError(
            _("“%(name)s” is %(size)s MB; files may be at most %(max)d MB.")
            % {"name": name, "size": f"{size / 1024 / 1024:.1f}", "max": max_mb},
            code="too_large",
        )
    extension = os.path.splitext(name)[1].lower()
    expected = EXTENSIONS.get(extension)
    if expected is None:
        raise ValidationError(
            _("“%(name)s” is not an accepted type of file. Upload %(accepted)s.")
            % {"name": name, "accepted": ACCEPTED},
            code="type",
        )
    kind = sniff(uploaded_file)
    if kind != expected:
        raise ValidationError(
            _(
                "The content of “%(name)s” is not a real %(extension)s file. Save it again as "
                "%(accepted)s and upload that."
            )
            % {"name": name, "extension": extension.lstrip(".").upper(), "accepted": ACCEPTED},
            code="content",
        )
    digest = hashlib.sha256()
    uploaded_file.seek(0)
    for chunk in (
        uploaded_file.chunks()
        if hasattr(uploaded_file, "chunks")
        else iter(lambda: uploaded_file.read(65536), b"")
    ):
        digest.update(chunk)
    uploaded_file.seek(0)
    return CheckedFile(
        kind=kind,
        content_type=CONTENT_TYPES[kind],
        extension=".jpg" if kind == JPEG else f".{kind}",
        size=size,
        sha256=digest.hexdigest(),
    )
