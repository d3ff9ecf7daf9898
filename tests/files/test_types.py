"""What a file is, by its content: signatures, Office documents told apart inside their archive, text."""

from __future__ import annotations

import io
import zipfile

import pytest

from forms_engine.files.types import TEXT, accepted_type, sniff

from ..helpers import EXAMPLE_PDF

PNG = b"\x89PNG\r\n\x1a\n" + bytes(20)
JPEG = b"\xff\xd8\xff\xe0" + bytes(20)
WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
EXCEL_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
WORD_MACROS = "application/vnd.ms-word.document.macroEnabled.main+xml"


def archive(*parts: tuple[str, str], padding: int = 0) -> bytes:
    """A ZIP with the given (name, text) parts, optionally after a large first part."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zipped:
        if padding:
            zipped.writestr("docProps/app.xml", "x" * padding)
        for name, text in parts:
            zipped.writestr(name, text)
    return buffer.getvalue()


def office(main_type: str, part: str, padding: int = 0) -> bytes:
    types = f'<Types><Override PartName="/{part}" ContentType="{main_type}"/></Types>'
    return archive(("[Content_Types].xml", types), (part, "<x/>"), padding=padding)


DOCX = office(WORD_MAIN, "word/document.xml")
XLSX = office(EXCEL_MAIN, "xl/workbook.xml")


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (EXAMPLE_PDF, "pdf"),
        (PNG, "png"),
        (JPEG, "jpeg"),
        (DOCX, "docx"),
        (XLSX, "xlsx"),
        # The parts that tell them apart far from the start, where sniffing the first bytes fails.
        (office(WORD_MAIN, "word/document.xml", padding=50_000), "docx"),
        (office(EXCEL_MAIN, "xl/workbook.xml", padding=50_000), "xlsx"),
        (office(WORD_MACROS, "word/document.xml"), None),
        (archive(("notes.txt", "hello")), None),
        (b"PK\x03\x04 not really an archive", None),
        (b"name,count\nbadger,3\n", TEXT),
        ("Cymraeg: ŵ ŷ “quotes”\n".encode(), TEXT),
        (b"\xef\xbb\xbfwith a byte order mark", TEXT),
        (b"text with a \x00 NUL", None),
        ("Latin-1: caf\xe9".encode("latin-1"), None),
        (b"GIF89a" + bytes(10), None),
        (b"", TEXT),
    ],
    ids=[
        "pdf",
        "png",
        "jpeg",
        "docx",
        "xlsx",
        "docx parts late",
        "xlsx parts late",
        "docm",
        "plain zip",
        "broken zip",
        "csv",
        "utf-8",
        "bom",
        "nul",
        "latin-1",
        "gif",
        "empty",
    ],
)
def test_a_file_is_known_by_its_content(data: bytes, kind: str | None) -> None:
    assert sniff(data) == kind


@pytest.mark.parametrize(
    ("data", "filename", "accept", "expected"),
    [
        (EXAMPLE_PDF, "report.pdf", ["pdf"], "pdf"),
        (EXAMPLE_PDF, "report", ["pdf"], "pdf"),
        (EXAMPLE_PDF, "REPORT.PDF", ["pdf", "png"], "pdf"),
        (PNG, "map.pdf", ["pdf", "png"], None),
        (PNG, "map.png", ["pdf"], None),
        (DOCX, "letter.xlsx", ["docx", "xlsx"], None),
        (XLSX, "sheet.xlsx", ["docx"], None),
        (XLSX, "sheet.xlsx", ["docx", "xlsx"], "xlsx"),
        (b"a,b\n1,2\n", "data.csv", ["csv", "txt"], "csv"),
        (b"a,b\n1,2\n", "notes.txt", ["csv", "txt"], "txt"),
        (b"a,b\n1,2\n", "data", ["csv"], "csv"),
        (b"a,b\n1,2\n", "data.pdf", ["csv", "pdf"], None),
        (EXAMPLE_PDF, "report.txt", ["pdf", "txt"], None),
    ],
)
def test_an_accepted_type_is_judged_by_content_and_a_name_claiming_another_type_is_refused(
    data: bytes, filename: str, accept: list[str], expected: str | None
) -> None:
    found = accepted_type(data, accept, filename)
    assert (found.key if found else None) == expected
