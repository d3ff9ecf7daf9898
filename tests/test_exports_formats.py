"""Exports in every format (CSV, ZIP of CSVs, XLSX, JSON) through the one entry point the screens and
the command share: each parses, matches the building blocks of export.py and payload.py, keeps
formulas neutralised and Unicode intact, and streams (into a pipe, and chunk by chunk as a generator).
Submissions are read from the database as streamed records, filtered by day and status."""

from __future__ import annotations

import copy
import csv
import hashlib
import io
import json
import os
import re
import threading
import tracemalloc
import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from xml.etree import ElementTree

import pytest
from flask import Flask

from forms_engine import form_registry
from forms_engine.definitions.model import FormDefinition, build_definition
from forms_engine.extensions import db
from forms_engine.submissions import exporting
from forms_engine.submissions.export import columns, write_csv, write_repeat_csv
from forms_engine.submissions.exporting import (
    EXPORT_FORMATS,
    ExportedSubmission,
    count_for_export,
    export,
    export_chunks,
    export_filename,
    submissions_for_export,
)
from forms_engine.submissions.models import JourneyState, Submission
from forms_engine.submissions.payload import payload_problems, write_json

from .test_export import BADGERS, HOSTILE, POULTRY, example_answers, load, load_json, make_submission

SHEET_NS = {"s": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
UNICODE = "Siân Gwenllïan Ó Briain, Dvořák 象 🦡"


def badger_submissions(count: int = 3) -> tuple[FormDefinition, list[Submission]]:
    """Badger licence submissions with 1, 2, 3 … sett items, a hostile answer and Welsh letters."""
    definition = load(BADGERS)
    made = []
    for number in range(count):
        items = [{"settName": [f"Sett {number}-{i}"]} for i in range(1 + number % 3)]
        items[0] = {"settName": [HOSTILE]}
        answers = example_answers(definition, {"applicantName": [UNICODE]}, items)
        made.append(
            make_submission(
                definition,
                answers,
                reference=f"K7MP-3QXR-{number:04d}",
                submitted_at=datetime(2024, 5, 1, tzinfo=UTC) + timedelta(minutes=number),
            )
        )
    return definition, made


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def expected_csv(definition: FormDefinition, submissions: list[Any]) -> bytes:
    out = io.StringIO(newline="")
    write_csv(definition, submissions, out, bom=True)
    return out.getvalue().encode("utf-8")


def exported(format: str, definition: FormDefinition, submissions: list[Any]) -> bytes:
    out = io.BytesIO()
    assert export(format, definition, submissions, out) == len(submissions)
    return out.getvalue()


# -- formats -------------------------------------------------------------------------------------------
def test_the_formats_have_their_media_types_and_file_names() -> None:
    assert set(EXPORT_FORMATS) == {"csv", "xlsx", "json", "zip"}
    mimetype, extension = EXPORT_FORMATS["xlsx"]
    assert mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert extension == "xlsx"
    assert EXPORT_FORMATS["csv"].mimetype == "text/csv; charset=utf-8"
    moment = datetime(2026, 11, 22, 14, 30, 5, tzinfo=UTC)
    assert export_filename(BADGERS, "csv", moment) == f"{BADGERS}-submissions-2026-11-22T143005Z.csv"
    assert export_filename(BADGERS, "zip", moment).endswith(".zip")


def test_an_unknown_format_is_refused() -> None:
    definition, submissions = badger_submissions(1)
    with pytest.raises(ValueError, match="unknown export format 'ods'"):
        export("ods", definition, submissions, io.BytesIO())


def test_csv_is_the_one_row_per_submission_table_with_a_byte_order_mark() -> None:
    definition, submissions = badger_submissions()
    data = exported("csv", definition, submissions)

    assert data == expected_csv(definition, submissions)
    rows = csv_rows(data)
    assert rows[0] == [c.header for c in columns(definition)]
    assert [r[0] for r in rows[1:]] == ["K7MP-3QXR-0000", "K7MP-3QXR-0001", "K7MP-3QXR-0002"]
    by_header = dict(zip(rows[0], rows[1], strict=True))
    assert by_header["Applicant's name"] == UNICODE
    assert by_header["Sett 1: Sett name or number"] == "'" + HOSTILE
    assert data.count(b"\r\n") == len(rows)


def test_zip_holds_the_main_csv_and_one_csv_per_repeating_section() -> None:
    definition, submissions = badger_submissions()
    archive = zipfile.ZipFile(io.BytesIO(exported("zip", definition, submissions)))

    assert archive.testzip() is None
    assert archive.namelist() == ["submissions.csv", "setts.csv"]
    assert archive.read("submissions.csv") == expected_csv(definition, submissions)
    repeat = io.StringIO(newline="")
    write_repeat_csv(definition, "setts", submissions, repeat, bom=True)
    assert archive.read("setts.csv") == repeat.getvalue().encode("utf-8")
    items = csv_rows(archive.read("setts.csv"))
    assert items[0][:2] == ["Reference", "Item number"]
    assert [(r[0], r[1]) for r in items[1:]] == [
        ("K7MP-3QXR-0000", "1"),
        ("K7MP-3QXR-0001", "1"),
        ("K7MP-3QXR-0001", "2"),
        ("K7MP-3QXR-0002", "1"),
        ("K7MP-3QXR-0002", "2"),
        ("K7MP-3QXR-0002", "3"),
    ]
    assert items[1][2] == "'" + HOSTILE


def test_a_form_without_repeats_zips_only_its_main_csv() -> None:
    definition = load(POULTRY)
    submissions = [make_submission(definition, example_answers(definition))]
    archive = zipfile.ZipFile(io.BytesIO(exported("zip", definition, submissions)))
    assert archive.namelist() == ["submissions.csv"]


def sheet_rows(archive: zipfile.ZipFile, number: int) -> list[list[str]]:
    """A worksheet's cells as text, row by row, read with the standard library; every cell must be a
    text cell (inline string) and none a formula."""
    root = ElementTree.fromstring(archive.read(f"xl/worksheets/sheet{number}.xml"))
    assert root.find(".//s:f", SHEET_NS) is None
    rows = []
    for row in root.iterfind(".//s:sheetData/s:row", SHEET_NS):
        cells: dict[int, str] = {}
        for cell in row.iterfind("s:c", SHEET_NS):
            assert cell.get("t") == "inlineStr", cell.attrib
            letters = re.match(r"[A-Z]+", cell.get("r", ""))
            assert letters is not None
            index = 0
            for letter in letters.group():
                index = index * 26 + ord(letter) - 64
            cells[index - 1] = "".join(t.text or "" for t in cell.iterfind(".//s:t", SHEET_NS))
        rows.append([cells.get(i, "") for i in range(max(cells) + 1)] if cells else [])
    return rows


def test_xlsx_has_a_sheet_of_submissions_and_one_per_repeat_all_text_and_neutralised() -> None:
    definition, submissions = badger_submissions()
    archive = zipfile.ZipFile(io.BytesIO(exported("xlsx", definition, submissions)))

    workbook = archive.read("xl/workbook.xml").decode()
    assert re.findall(r'<sheet name="([^"]+)"', workbook) == ["Submissions", "Setts affected"]
    expected = csv_rows(expected_csv(definition, submissions))
    main = sheet_rows(archive, 1)
    width = len(expected[0])
    assert [r + [""] * (width - len(r)) for r in main] == expected
    assert main[1][
        columns(definition).index(next(c for c in columns(definition) if c.key == "setts.1.settName"))
    ] == ("'" + HOSTILE)
    assert UNICODE in main[1]
    repeat = io.StringIO(newline="")
    write_repeat_csv(definition, "setts", submissions, repeat, bom=True)
    items = csv_rows(repeat.getvalue().encode("utf-8"))
    setts = sheet_rows(archive, 2)
    assert [r + [""] * (len(items[0]) - len(r)) for r in setts] == items


def test_xlsx_keeps_text_that_looks_like_a_number_a_url_or_a_formula_as_text() -> None:
    definition = load(POULTRY)
    answers = example_answers(definition)
    texts = {"0012345": "0012345", "https://example.org": "https://example.org", "=1+2": "'=1+2"}
    names = [c.name for _, c in definition.questions() if c.type == "TextField"][: len(texts)]
    for name, text in zip(names, texts, strict=True):
        answers[name] = text
    archive = zipfile.ZipFile(
        io.BytesIO(exported("xlsx", definition, [make_submission(definition, answers)]))
    )
    row = sheet_rows(archive, 1)[1]
    assert set(texts.values()) <= set(row)
    assert b"hyperlink" not in archive.read("xl/worksheets/sheet1.xml").lower()


def test_json_is_the_payload_array_of_write_json_and_valid_against_the_published_schema() -> None:
    definition, submissions = badger_submissions()
    data = exported("json", definition, submissions)

    out = io.StringIO()
    write_json(submissions, out)
    assert data == out.getvalue().encode("utf-8")
    payloads = json.loads(data)
    assert [p["reference"] for p in payloads] == ["K7MP-3QXR-0000", "K7MP-3QXR-0001", "K7MP-3QXR-0002"]
    assert all(payload_problems(p) == [] for p in payloads)
    assert payloads[0]["answers"]["applicantName"] == UNICODE
    assert json.loads(exported("json", definition, [])) == []


def test_progress_is_reported_in_steps_and_adds_up_to_the_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exporting, "PROGRESS_STEP", 2)
    definition, submissions = badger_submissions(5)
    for format in EXPORT_FORMATS:
        steps: list[int] = []
        export(format, definition, submissions, io.BytesIO(), progress=steps.append)
        assert steps == [2, 2, 1], format


# -- streaming -----------------------------------------------------------------------------------------
def many(definition: FormDefinition, count: int, pulled: list[int]) -> Iterator[ExportedSubmission]:
    """`count` submissions made one at a time (as the database gives them: records sharing one
    definition snapshot), each with its own applicant name, counting how many were pulled."""
    answers = example_answers(definition, items=[{}, {}])
    snapshot = dict(definition.source)
    for number in range(count):
        pulled[0] = number + 1
        yield ExportedSubmission(
            id=number,
            reference=f"M{number // 10000:03d}-{number % 10000:04d}-TEST",
            form_slug=definition.slug,
            form_version=definition.version,
            answers={**answers, "applicantName": hashlib.sha256(str(number).encode()).hexdigest()},
            submitted_at=datetime(2024, 5, 1, tzinfo=UTC) + timedelta(seconds=number),
            language="en",
            definition=snapshot,
        )


@pytest.mark.parametrize("format", sorted(EXPORT_FORMATS))
def test_chunks_come_while_the_submissions_are_still_being_pulled(format: str) -> None:
    definition = load(BADGERS)
    pulled = [0]
    chunks = export_chunks(format, definition, many(definition, 2000, pulled))
    first = next(chunks)
    if format == "xlsx":  # the workbook is assembled on disk first, then streamed in chunks
        assert pulled[0] == 2000
    else:
        assert 0 < pulled[0] < 2000
    sizes = [len(first)] + [len(c) for c in chunks]
    assert len(sizes) > 3
    assert max(sizes) <= exporting.CHUNK_SIZE * 4


@pytest.mark.parametrize("format", sorted(EXPORT_FORMATS))
def test_an_export_writes_into_an_unseekable_pipe(format: str) -> None:
    definition, submissions = badger_submissions()
    read_end, write_end = os.pipe()
    received: list[bytes] = []

    def drain() -> None:
        with os.fdopen(read_end, "rb") as pipe:
            received.append(pipe.read())

    reader = threading.Thread(target=drain)
    reader.start()
    with os.fdopen(write_end, "wb") as pipe:
        assert not pipe.seekable()
        export(format, definition, submissions, pipe)
    reader.join()
    assert comparable(format, received[0]) == comparable(format, exported(format, definition, submissions))
    if format in ("zip", "xlsx"):
        assert zipfile.ZipFile(io.BytesIO(received[0])).testzip() is None


def comparable(format: str, data: bytes) -> Any:
    """An export as two exports of the same submissions should match: the bytes, except that an
    XLSX workbook's docProps/core.xml records the second it was created (two exports a second apart
    differ there), so an XLSX is compared member by member with that time taken out."""
    if format != "xlsx":
        return data
    archive = zipfile.ZipFile(io.BytesIO(data))
    members = {name: archive.read(name) for name in archive.namelist()}
    core = members.pop("docProps/core.xml").decode("utf-8")
    created = re.sub(r"<dcterms:(created|modified)[^>]*>[^<]*</dcterms:\1>", "", core)
    assert created != core, "the workbook's creation time is where it was expected"
    return members, created


def test_five_thousand_submissions_export_as_csv_and_zip_in_bounded_memory() -> None:
    definition = load(BADGERS)
    for format, least in (("csv", 2_000_000), ("zip", 200_000)):
        pulled = [0]
        tracemalloc.start()
        try:
            size = sum(len(c) for c in export_chunks(format, definition, many(definition, 5000, pulled)))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert pulled[0] == 5000
        assert size > least, format
        assert peak < 2_000_000, (format, peak)


# -- reading from the database ---------------------------------------------------------------------------
def store(
    app: Flask,
    definition: FormDefinition,
    days: list[date],
    answers_override: dict[str, Any] | None = None,
    **extra: Any,
) -> list[str]:
    """Store a submission sent at noon UTC on each day (with its journey; `extra` sets columns such as
    the status); returns the references."""
    answers = example_answers(definition, {"applicantName": [UNICODE]}, [{}, {}])
    answers.update(answers_override or {})
    references = []
    with app.app_context():
        for number, day in enumerate(days):
            reference = f"D{number:03d}-{day:%m%d}-TEST"
            db.session.add(
                JourneyState(id=f"j-{reference}", form_slug=definition.slug, form_version=definition.version)
            )
            db.session.flush()
            submission = make_submission(
                definition,
                answers,
                reference=reference,
                submitted_at=datetime(day.year, day.month, day.day, 12, tzinfo=UTC),
            )
            submission.journey_id = f"j-{reference}"
            for name, value in extra.items():
                setattr(submission, name, value)
            db.session.add(submission)
            references.append(reference)
        db.session.commit()
    return references


def test_submissions_are_read_as_records_in_the_order_stored_filtered_by_day(any_db_app: Flask) -> None:
    definition = form_registry(any_db_app).get(BADGERS)
    assert definition is not None
    days = [date(2024, 5, d) for d in (3, 1, 2, 2, 5)]
    references = store(any_db_app, definition, days)
    store(any_db_app, form_registry(any_db_app).get(POULTRY), [date(2024, 5, 2)])  # type: ignore[arg-type]

    with any_db_app.app_context():
        records = list(submissions_for_export(BADGERS, batch_size=2))
        assert [r.reference for r in records] == references
        first = records[0]
        assert isinstance(first, ExportedSubmission)
        assert first.answers["applicantName"] == UNICODE
        assert len(first.answers["setts"]) == 2
        assert first.definition == dict(definition.source)
        assert all(r.definition is first.definition for r in records)  # read once per version
        assert first.submitted_at.replace(tzinfo=UTC) == datetime(2024, 5, 3, 12, tzinfo=UTC)

        def selected(since: date | None, until: date | None) -> list[str]:
            found = [r.reference for r in submissions_for_export(BADGERS, since, until)]
            assert count_for_export(BADGERS, since, until) == len(found)
            return found

        assert selected(date(2024, 5, 2), date(2024, 5, 2)) == references[2:4]
        assert selected(date(2024, 5, 3), None) == [references[0], references[4]]
        assert selected(None, date(2024, 5, 1)) == [references[1]]
        assert selected(date(2024, 6, 1), None) == []

        out = io.BytesIO()
        assert export("csv", definition, submissions_for_export(BADGERS), out) == 5
        stored = list(
            db.session.scalars(
                db.select(Submission).where(Submission.form_slug == BADGERS).order_by(Submission.id)
            )
        )
        assert out.getvalue() == expected_csv(definition, stored)


def test_submissions_on_an_older_version_carry_their_own_snapshot(app: Flask) -> None:
    current = form_registry(app).get(BADGERS)
    assert current is not None
    data = load_json(BADGERS)
    data["pages"][0]["title"] = "An older title"
    older = build_definition(copy.deepcopy(data))
    store(app, older, [date(2024, 1, 1)])
    store(app, current, [date(2024, 1, 2)])
    with app.app_context():
        records = list(submissions_for_export(BADGERS))
    assert [r.form_version for r in records] == [older.version, current.version]
    assert records[0].definition == dict(older.source)
    assert csv_rows(exported("csv", current, records))[1][2] == older.version


def test_statuses_filter_when_the_database_has_them(app: Flask) -> None:
    definition = form_registry(app).get(BADGERS)
    assert definition is not None
    if not hasattr(Submission, "status"):  # before the caseworking migration: the filter is ignored
        store(app, definition, [date(2024, 1, 1)])
        with app.app_context():
            assert len(list(submissions_for_export(BADGERS, statuses=["done"]))) == 1
        return
    new = store(app, definition, [date(2024, 1, 1)])
    store(app, definition, [date(2024, 1, 2)], status="done")
    with app.app_context():
        assert [r.reference for r in submissions_for_export(BADGERS, statuses=["new"])] == new
        assert [r.status for r in submissions_for_export(BADGERS, statuses=["new", "done"])] == [
            "new",
            "done",
        ]
        assert count_for_export(BADGERS, statuses=["rejected"]) == 0


def test_a_large_csv_shared_between_processes_is_the_same_file(
    any_db_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exporting, "PARALLEL_MINIMUM", 2)
    definition = form_registry(any_db_app).get(BADGERS)
    assert definition is not None
    store(any_db_app, definition, [date(2024, 5, d) for d in (1, 2, 3, 4, 5, 6, 7)])
    with any_db_app.app_context():
        alone, shared = io.BytesIO(), io.BytesIO()
        assert exporting.export_form("csv", definition, BADGERS, alone) == 7
        steps: list[int] = []
        count = exporting.export_form(
            "csv", definition, BADGERS, shared, since=date(2024, 5, 2), progress=steps.append, processes=3
        )
        assert count == 6 and sum(steps) == 6
        assert shared.getvalue() == expected_csv(
            definition, list(submissions_for_export(BADGERS, date(2024, 5, 2)))
        )
        again = io.BytesIO()
        assert exporting.export_form("csv", definition, BADGERS, again, processes=2) == 7
        assert again.getvalue() == alone.getvalue()


def test_a_failing_export_process_is_reported(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exporting, "PARALLEL_MINIMUM", 2)
    definition = form_registry(app).get(BADGERS)
    assert definition is not None
    store(app, definition, [date(2024, 5, 1), date(2024, 5, 2)])

    def broken(*args: Any, **kwargs: Any) -> Iterator[Any]:
        raise OSError("disk full")

    monkeypatch.setattr(exporting, "_records", broken)  # in the forked processes only
    with app.app_context(), pytest.raises(RuntimeError, match="an export process failed: OSError: disk full"):
        exporting.export_form("csv", definition, BADGERS, io.BytesIO(), processes=2)


def test_a_screens_own_query_is_streamed_as_records_keeping_its_filter_and_order(app: Flask) -> None:
    definition = form_registry(app).get(BADGERS)
    assert definition is not None
    references = store(app, definition, [date(2024, 5, d) for d in (1, 2, 3)])
    with app.app_context():
        query = (
            db.select(Submission)
            .where(
                Submission.form_slug == BADGERS, Submission.submitted_at >= datetime(2024, 5, 2, tzinfo=UTC)
            )
            .order_by(Submission.id.desc())
        )
        records = list(exporting.records_for_query(query))
    assert [r.reference for r in records] == references[:0:-1]
    assert all(isinstance(r, ExportedSubmission) for r in records)


def test_an_xlsx_sheet_that_would_pass_excels_last_row_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exporting, "XLSX_LAST_ROW", 2)
    definition, submissions = badger_submissions(3)  # 3 submissions, 6 sett rows
    with pytest.raises(ValueError, match="at most 2 rows under its header: export as CSV"):
        export("xlsx", definition, submissions, io.BytesIO())
    exported("xlsx", definition, submissions[:1])
