"""What a file is, judged by its content (magic bytes), never by its name or the type a browser declared.

A small table of signatures for the types a form may accept. PDF, PNG and JPEG have fixed leading bytes.
DOCX and XLSX are both ZIP archives: they are told apart (and from other archives, and from macro-enabled
documents) by the main part's content type in `[Content_Types].xml`. CSV and TXT are text: UTF-8 with no
NUL bytes. General-purpose sniffing libraries were tried and could not tell a DOCX from an XLSX or a
plain ZIP reliably, which is why this is a table.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

#: Largest `[Content_Types].xml` read from an archive: real ones are a few kilobytes.
CONTENT_TYPES_LIMIT = 256 * 1024


@dataclass(frozen=True, slots=True)
class FileType:
    """A type a form can accept: its key in definitions, the name users see, and its media type."""

    key: str
    label: str
    media_type: str
    extensions: tuple[str, ...]
    #: "a" or "an", for "The selected file must be a PDF".
    article: str = "a"


FILE_TYPES: dict[str, FileType] = {
    t.key: t
    for t in (
        FileType("pdf", "PDF", "application/pdf", (".pdf",)),
        FileType("jpeg", "JPG", "image/jpeg", (".jpg", ".jpeg")),
        FileType("png", "PNG", "image/png", (".png",)),
        FileType(
            "docx",
            "DOCX",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            (".docx",),
        ),
        FileType(
            "xlsx",
            "XLSX",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            (".xlsx",),
            article="an",
        ),
        FileType("csv", "CSV", "text/csv", (".csv",)),
        FileType("txt", "TXT", "text/plain", (".txt",)),
    )
}

#: What `sniff` can say a file is besides the keys above: text (CSV or TXT), or nothing it knows.
TEXT = "text"

_OOXML_MAIN_TYPES = {
    b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": "docx",
    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": "xlsx",
}
_CONTENT_TYPE_ATTRIBUTE = re.compile(rb"""ContentType\s*=\s*["']([^"']+)["']""")


def sniff(data: bytes) -> str | None:
    """What `data` is: a key of FILE_TYPES (other than csv and txt), TEXT, or None when unknown."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"PK\x03\x04"):
        return _sniff_ooxml(data)
    if _is_text(data):
        return TEXT
    return None


def _sniff_ooxml(data: bytes) -> str | None:
    """'docx' or 'xlsx' for an Office Open XML document; None for any other archive.

    Only the archive's directory and its small `[Content_Types].xml` are read, so a ZIP bomb costs
    nothing here. Macro-enabled documents (.docm, .xlsm) declare other main types and are not matched.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            info = archive.getinfo("[Content_Types].xml")
            if info.file_size > CONTENT_TYPES_LIMIT:
                return None
            content_types = archive.read(info)
    except (zipfile.BadZipFile, KeyError, OSError, RuntimeError, NotImplementedError, ValueError):
        return None
    found = {
        _OOXML_MAIN_TYPES[match]
        for match in _CONTENT_TYPE_ATTRIBUTE.findall(content_types)
        if match in _OOXML_MAIN_TYPES
    }
    return found.pop() if len(found) == 1 else None


def _is_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def matches(kind: str | None, key: str) -> bool:
    """Whether content sniffed as `kind` is acceptable as the type `key` (csv and txt are text)."""
    if key in ("csv", "txt"):
        return kind == TEXT
    return kind == key


def named_type(filename: str) -> FileType | None:
    """The type a file's name claims by its extension, if it is one of ours."""
    lowered = filename.lower()
    for file_type in FILE_TYPES.values():
        if lowered.endswith(file_type.extensions):
            return file_type
    return None


def accepted_type(data: bytes, accept: tuple[str, ...] | list[str], filename: str = "") -> FileType | None:
    """The accepted type `data` is, by content; None when it is none of them.

    The name can only make things worse: a file whose extension names another type than its content
    (a PNG renamed `.pdf`) is refused, as whoever opens it later would be misled. For text, which
    could be CSV or TXT, the name chooses which of the accepted two to record.
    """
    kind = sniff(data)
    claimed = named_type(filename)
    if claimed is not None and not matches(kind, claimed.key):
        return None
    candidates = [FILE_TYPES[key] for key in accept if key in FILE_TYPES and matches(kind, key)]
    if not candidates:
        return None
    lowered = filename.lower()
    for candidate in candidates:
        if lowered.endswith(candidate.extensions):
            return candidate
    return candidates[0]
