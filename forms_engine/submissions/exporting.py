"""Exports of a form's submissions as CSV, XLSX, JSON or a ZIP of CSVs: the one entry point shared by the
caseworker screens (a streamed HTTP response) and `forms-engine submissions export`.

Everything streams: submissions are read from the database in batches (`submissions_for_export`) and
the file is handed on in chunks of about CHUNK_SIZE bytes, so memory stays bounded whatever the number
of submissions. Each format makes a single pass over the submissions, so they may come from a
generator. Cells come from `export.py` (columns from the definition, formulas neutralised); the JSON is
the published payload of `payload.py`.

- csv: one row per submission, UTF-8 with Excel's byte order mark, CRLF line ends.
- zip: that CSV plus one CSV per repeating section (a row per item). A ZIP's entries follow each other,
  so while the main CSV is written the repeat tables are spooled to temporary files on disk, then
  copied into the archive after it.
- xlsx: XlsxWriter in constant-memory mode (each sheet's rows go to a temporary file as they are
  written; sheets may be written in turns, so one pass fills the main sheet and the repeat sheets),
  with formulas, URLs and numbers never inferred from strings: every cell is a text cell, already
  neutralised as in the CSV (defence in depth: a cell is safe even copied out of Excel). XlsxWriter
  assembles the workbook in a file, so the finished file is on disk in a private temporary folder
  (deleted afterwards) while it is streamed out.
- json: a JSON array of submission payloads (the schema the webhook uses).
"""

from __future__ import annotations

import csv
import io
import json
import multiprocessing
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import IO, Any, NamedTuple

from sqlalchemy import Engine, Select, Text, func, select, type_coerce

from ..definitions.model import FormDefinition
from ..extensions import db
from .export import (
    BOM,
    LINE_END,
    SubmissionRecord,
    columns,
    neutralise,
    repeat_table_rows,
    repeat_tables,
    submission_row,
)
from .models import Submission, UploadedFile


class ExportFormat(NamedTuple):
    mimetype: str
    extension: str


EXPORT_FORMATS: dict[str, ExportFormat] = {
    "csv": ExportFormat("text/csv; charset=utf-8", "csv"),
    "xlsx": ExportFormat("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "json": ExportFormat("application/json", "json"),
    "zip": ExportFormat("application/zip", "zip"),
}
#: About how many bytes each chunk of an export holds (the last one may be smaller).
CHUNK_SIZE = 64 * 1024
#: Submissions read from the database at a time.
BATCH_SIZE = 1000
#: `progress` is called after every this many submissions (and at the end).
PROGRESS_STEP = 500
XLSX_OPTIONS = {
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}
MAIN_SHEET = "Submissions"
#: Excel's last row (1,048,576) less the header. A cell holds at most 32,767 characters: XlsxWriter
#: cuts longer text there (a designer's maxLength is at most 10,000; a text field without one is
#: bounded only by the request size). The CSV keeps every character.
XLSX_LAST_ROW = 1_048_575
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_FILE_NAME_FORBIDDEN = re.compile(r"[^A-Za-z0-9._-]+")

FilesFor = Callable[[SubmissionRecord], Sequence[UploadedFile]]
Progress = Callable[[int], None]


def export_filename(slug: str, format: str, now: datetime | None = None) -> str:
    """The download's file name: the form's slug and the time of the export in UTC,
    `badger-sett-development-licence-submissions-2026-11-22T143000Z.csv`."""
    moment = now or datetime.now(UTC)
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return f"{slug}-submissions-{moment:%Y-%m-%dT%H%M%SZ}.{EXPORT_FORMATS[format].extension}"


# -- reading submissions -----------------------------------------------------------------------------
@dataclass(slots=True)
class ExportedSubmission:
    """A stored submission as an export reads it: a plain record, not an ORM object (no session, no
    identity map, nothing to expunge), so that streaming 100,000 of them costs no more than one.
    `definition` is the snapshot of its definition version, read once per version and shared."""

    id: int
    reference: str
    form_slug: str
    form_version: str
    answers: dict[str, Any]
    submitted_at: datetime
    language: str
    definition: dict[str, Any]
    #: Its caseworking status, when the database has one (else None).
    status: str | None = None


def _status_column() -> Any:
    # The status arrives with migration 0005 (caseworking); before it there is nothing to filter on.
    return getattr(Submission, "status", None)


def _filtered(
    statement: Select[Any],
    form_slug: str,
    since: date | None,
    until: date | None,
    statuses: Sequence[str] | None,
) -> Select[Any]:
    statement = statement.where(Submission.form_slug == form_slug)
    if since is not None:
        statement = statement.where(Submission.submitted_at >= datetime.combine(since, time(), UTC))
    if until is not None and until < date.max:  # the last day has no day after it
        start_of_next = datetime.combine(until + timedelta(days=1), time(), UTC)
        statement = statement.where(Submission.submitted_at < start_of_next)
    status = _status_column()
    if statuses and status is not None:
        statement = statement.where(status.in_(list(statuses)))
    return statement


def _record_columns() -> list[Any]:
    status = _status_column()
    # The answers come as their JSON text, parsed in _records without the JSON type's extra layers
    # (psycopg parses JSON itself and gives a dict). `definition` (the snapshot, often larger than
    # everything else together) is left out: _batches reads it once per version.
    return [
        Submission.id,
        Submission.reference,
        Submission.form_slug,
        Submission.form_version,
        type_coerce(Submission.answers, Text).label("answers"),
        Submission.submitted_at,
        Submission.language,
        *([status] if status is not None else []),
    ]


def count_for_export(
    form_slug: str,
    since: date | None = None,
    until: date | None = None,
    statuses: Sequence[str] | None = None,
) -> int:
    """How many submissions `submissions_for_export` with the same arguments gives (one COUNT)."""
    statement = _filtered(select(func.count(Submission.id)), form_slug, since, until, statuses)
    return int(db.session.scalar(statement) or 0)


def submissions_for_export(
    form_slug: str,
    since: date | None = None,
    until: date | None = None,
    statuses: Sequence[str] | None = None,
    batch_size: int = BATCH_SIZE,
) -> Iterator[ExportedSubmission]:
    """The submissions of form `form_slug`, in the order they were stored, streamed from the database
    `batch_size` at a time (`yield_per`: a server-side cursor on PostgreSQL), never all in memory.

    `since` and `until` are days in UTC, both included. `statuses` keeps only submissions with one of
    these statuses; it is ignored while the database has no status column (before the caseworking
    migration 0005). Needs an application context when called; the rows are read on a connection of
    the export's own, so the generator may be consumed later, for instance by a streamed response."""
    return _records(db.engine, _export_statement(form_slug, since, until, statuses), batch_size)


def _export_statement(
    form_slug: str, since: date | None, until: date | None, statuses: Sequence[str] | None
) -> Select[Any]:
    statement = _filtered(select(*_record_columns()), form_slug, since, until, statuses)
    return statement.order_by(Submission.id)


def records_for_query(statement: Select[Any], batch_size: int = BATCH_SIZE) -> Iterator[ExportedSubmission]:
    """The submissions a query selects (its WHERE and ORDER BY are kept; its columns are replaced by
    those an export needs) as streamed records: for screens that build their own filtered query,
    such as `select(Submission).where(...)`."""
    statement = statement.with_only_columns(*_record_columns(), maintain_column_froms=True)
    return _records(db.engine, statement, batch_size)


Snapshots = dict[tuple[str, str], dict[str, Any]]


def _batches(engine: Engine, statement: Select[Any], batch_size: int) -> Iterator[tuple[Any, Snapshots]]:
    """(rows, snapshots) a batch at a time; snapshots maps (slug, version) to the definition snapshot
    of every version seen so far, read once each."""
    snapshots: Snapshots = {}
    with engine.connect() as connection:
        result = connection.execution_options(yield_per=batch_size).execute(statement)
        try:
            for rows in result.partitions():
                for row in rows:
                    key = (row.form_slug, row.form_version)
                    if key not in snapshots:
                        snapshots[key] = connection.execute(
                            select(Submission.definition)
                            .where(Submission.form_slug == key[0], Submission.form_version == key[1])
                            .limit(1)
                        ).scalar_one()
                yield rows, snapshots
        finally:
            result.close()


def _records(engine: Engine, statement: Select[Any], batch_size: int) -> Iterator[ExportedSubmission]:
    has_status = _status_column() is not None
    loads = json.loads
    for rows, snapshots in _batches(engine, statement, batch_size):
        for id_, reference, slug, version, answers, submitted_at, language, *rest in rows:
            yield ExportedSubmission(
                id_,
                reference,
                slug,
                version,
                loads(answers) if type(answers) is str else answers,
                submitted_at,
                language,
                snapshots[(slug, version)],
                rest[0] if has_status else None,
            )


# -- writing -----------------------------------------------------------------------------------------
class _Counter:
    """Counts the submissions written and reports them to `progress` every PROGRESS_STEP."""

    def __init__(self, progress: Progress | None) -> None:
        self.count = 0
        self.reported = 0
        self.progress = progress

    def step(self) -> None:
        self.count += 1
        if self.progress is not None and self.count - self.reported >= PROGRESS_STEP:
            self.report()

    def report(self) -> None:
        if self.progress is not None and self.count > self.reported:
            self.progress(self.count - self.reported)
        self.reported = self.count


def _csv_writer(out: IO[str]) -> Any:
    return csv.writer(out, lineterminator=LINE_END)


def _headers(names: Iterable[str]) -> list[str]:
    return [neutralise(name) for name in names]


def _csv_chunks(
    definition: FormDefinition,
    submissions: Iterable[SubmissionRecord],
    counter: _Counter,
    header: bool = True,
) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = _csv_writer(buffer)
    if header:
        buffer.write(BOM)
        writer.writerow(_headers(c.header for c in columns(definition)))
    rows: list[list[str]] = []
    for submission in submissions:
        rows.append(submission_row(definition, submission))
        counter.step()
        if len(rows) == 100:
            writer.writerows(rows)
            rows.clear()
            if buffer.tell() >= CHUNK_SIZE:
                yield buffer.getvalue().encode("utf-8")
                buffer.seek(0)
                buffer.truncate()
    writer.writerows(rows)
    yield buffer.getvalue().encode("utf-8")
    counter.report()


class _Spool:
    """A write-only, unseekable file that keeps what is written until it is taken: zipfile writes
    the archive into it (with data descriptors, since it cannot seek back) and the generator hands
    each piece on."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        self.size = 0
        return data


def _entry_name(text: str, taken: set[str]) -> str:
    name = _FILE_NAME_FORBIDDEN.sub("-", text).strip("-.") or "table"
    unique, number = name, 2
    while f"{unique}.csv" in taken:
        unique, number = f"{name}-{number}", number + 1
    taken.add(f"{unique}.csv")
    return f"{unique}.csv"


def _zip_chunks(
    definition: FormDefinition, submissions: Iterable[SubmissionRecord], counter: _Counter, now: datetime
) -> Iterator[bytes]:
    spool = _Spool()
    moment = now.astimezone(UTC)
    stamp = (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)
    tables = repeat_tables(definition)
    taken: set[str] = set()
    main_name = _entry_name("submissions", taken)
    names = [_entry_name(t.repeat_id, taken) for t in tables]

    def info(name: str) -> zipfile.ZipInfo:
        entry = zipfile.ZipInfo(name, date_time=stamp)
        entry.compress_type = zipfile.ZIP_DEFLATED
        return entry

    with tempfile.TemporaryDirectory(prefix="forms-engine-export-") as folder:
        spools = [
            open(Path(folder, f"repeat-{i}.csv"), "w+", encoding="utf-8", newline="")  # noqa: SIM115
            for i in range(len(tables))
        ]
        try:
            writers = [_csv_writer(f) for f in spools]
            for table, writer, file in zip(tables, writers, spools, strict=True):
                file.write(BOM)
                writer.writerow(_headers(c.header for c in table.columns))

            def with_repeats(items: Iterable[SubmissionRecord]) -> Iterator[SubmissionRecord]:
                for submission in items:
                    for table, writer in zip(tables, writers, strict=True):
                        writer.writerows(repeat_table_rows(table, definition, submission))
                    yield submission

            with zipfile.ZipFile(spool, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
                with archive.open(info(main_name), "w") as entry:
                    for chunk in _csv_chunks(definition, with_repeats(submissions), counter):
                        entry.write(chunk)
                        if spool.size:  # whatever the compressor has let out for about CHUNK_SIZE of text
                            yield spool.take()
                for name, file in zip(names, spools, strict=True):
                    file.seek(0)
                    with archive.open(info(name), "w") as entry:
                        while text := file.read(CHUNK_SIZE):
                            entry.write(text.encode("utf-8"))
                            if spool.size >= CHUNK_SIZE:
                                yield spool.take()
            yield spool.take()
        finally:
            for file in spools:
                file.close()


def _sheet_name(title: str, taken: set[str]) -> str:
    name = _SHEET_NAME_FORBIDDEN.sub(" ", title).strip().strip("'")[:31] or "Sheet"
    unique, number = name, 2
    while unique.lower() in taken:
        suffix = f" ({number})"
        unique, number = name[: 31 - len(suffix)] + suffix, number + 1
    taken.add(unique.lower())
    return unique


def _check_row(number: int) -> None:
    if number > XLSX_LAST_ROW:
        raise ValueError(
            f"an XLSX sheet holds at most {XLSX_LAST_ROW:,} rows under its header: export as CSV"
        )


def _xlsx_chunks(
    definition: FormDefinition, submissions: Iterable[SubmissionRecord], counter: _Counter
) -> Iterator[bytes]:
    import xlsxwriter

    with tempfile.TemporaryDirectory(prefix="forms-engine-export-") as folder:
        path = Path(folder, "export.xlsx")
        workbook = xlsxwriter.Workbook(str(path), {**XLSX_OPTIONS, "tmpdir": folder})
        try:
            bold = workbook.add_format({"bold": True})
            taken: set[str] = set()

            def sheet(name: str, headers: list[str]) -> Any:
                worksheet = workbook.add_worksheet(_sheet_name(name, taken))
                worksheet.set_column(0, max(len(headers) - 1, 0), 20)
                worksheet.freeze_panes(1, 0)
                for column, header in enumerate(_headers(headers)):
                    worksheet.write_string(0, column, header, bold)
                return worksheet

            main = sheet(MAIN_SHEET, [c.header for c in columns(definition)])
            tables = repeat_tables(definition)
            sheets = [sheet(t.title, [c.header for c in t.columns]) for t in tables]
            next_rows = [1] * len(tables)
            row_number = 1
            for submission in submissions:
                _check_row(row_number)
                write = main.write_string
                for column, text in enumerate(submission_row(definition, submission)):
                    if text:
                        write(row_number, column, text)
                row_number += 1
                for index, (table, worksheet) in enumerate(zip(tables, sheets, strict=True)):
                    for cells in repeat_table_rows(table, definition, submission):
                        _check_row(next_rows[index])
                        for column, text in enumerate(cells):
                            if text:
                                worksheet.write_string(next_rows[index], column, text)
                        next_rows[index] += 1
                counter.step()
        finally:
            workbook.close()
        counter.report()
        with open(path, "rb") as file:
            while chunk := file.read(CHUNK_SIZE):
                yield chunk


def _json_chunks(
    submissions: Iterable[SubmissionRecord], counter: _Counter, files_for: FilesFor | None
) -> Iterator[bytes]:
    """The same text as `payload.write_json`, in chunks."""
    from .payload import submission_payload

    buffer = io.StringIO()
    buffer.write("[")
    for submission in submissions:
        files = files_for(submission) if files_for is not None else ()
        buffer.write(",\n" if counter.count else "\n")
        # submission_payload reads only what SubmissionRecord declares.
        payload = submission_payload(submission, files)  # type: ignore[arg-type]
        buffer.write(json.dumps(payload, ensure_ascii=False))
        counter.step()
        if buffer.tell() >= CHUNK_SIZE:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    buffer.write("\n]\n" if counter.count else "]\n")
    yield buffer.getvalue().encode("utf-8")
    counter.report()


def _chunks(
    format: str,
    definition: FormDefinition,
    submissions: Iterable[SubmissionRecord],
    counter: _Counter,
    files_for: FilesFor | None,
) -> Iterator[bytes]:
    if format == "csv":
        return _csv_chunks(definition, submissions, counter)
    if format == "zip":
        return _zip_chunks(definition, submissions, counter, datetime.now(UTC))
    if format == "xlsx":
        return _xlsx_chunks(definition, submissions, counter)
    if format == "json":
        return _json_chunks(submissions, counter, files_for)
    raise ValueError(f"unknown export format {format!r}; known: {', '.join(EXPORT_FORMATS)}")


def export_chunks(
    format: str,
    definition: FormDefinition,
    submissions: Iterable[SubmissionRecord],
    files_for: FilesFor | None = None,
    progress: Progress | None = None,
) -> Iterator[bytes]:
    """The export as chunks of bytes, each submission pulled from `submissions` as it is needed: the
    body of a streamed HTTP response. `definition` gives the columns (normally the form's current
    version; each submission's answers are read with its own version). `files_for` gives a
    submission's uploaded file rows for the JSON payload's `files`. `progress` is called with the
    number of submissions written since its last call. Raises ValueError for an unknown format."""
    return _chunks(format, definition, submissions, _Counter(progress), files_for)


def export(
    format: str,
    definition: FormDefinition,
    submissions: Iterable[SubmissionRecord],
    out: IO[bytes],
    files_for: FilesFor | None = None,
    progress: Progress | None = None,
) -> int:
    """Write the export to the binary stream `out` (a file, stdout, a pipe: it need not be seekable)
    as `export_chunks` makes it. Returns the number of submissions written."""
    counter = _Counter(progress)
    for chunk in _chunks(format, definition, submissions, counter, files_for):
        out.write(chunk)
    out.flush()
    return counter.count


# -- on several processors ---------------------------------------------------------------------------
#: Formats `export_form` can split between processes: their parts are joined by plain concatenation.
PARALLEL_FORMATS = frozenset({"csv"})
#: Below this many submissions a second process costs more than it saves.
PARALLEL_MINIMUM = 20_000


def _id_ranges(statement: Select[Any], total: int, parts: int) -> list[tuple[int, int | None]]:
    """`parts` consecutive ranges of ids [low, high) holding about as many of the selected
    submissions each (the last one open-ended)."""
    ids = statement.with_only_columns(Submission.id).order_by(None).order_by(Submission.id)
    starts = []
    for part in range(parts):
        start = db.session.scalar(ids.offset(total * part // parts).limit(1))
        if start is not None and start not in starts:
            starts.append(start)
    return [(low, starts[i + 1] if i + 1 < len(starts) else None) for i, low in enumerate(starts)]


def _write_part(
    engine: Engine,
    statement: Select[Any],
    definition: FormDefinition,
    path: Path,
    done: Any,
) -> None:
    """In a forked process: the CSV rows (no header) of the submissions `statement` selects, into
    `path`; `done.value` counts them as they are written."""
    try:
        engine.dispose(close=False)  # the parent's pooled connections stay the parent's

        def count(number: int) -> None:
            done.value += number

        with open(path, "wb") as file:
            records = _records(engine, statement, BATCH_SIZE)
            for chunk in _csv_chunks(definition, records, _Counter(count), header=False):
                file.write(chunk)
    except BaseException as exc:
        path.with_suffix(".error").write_text(f"{type(exc).__name__}: {exc}", "utf-8")
        raise


def export_form(
    format: str,
    definition: FormDefinition,
    form_slug: str,
    out: IO[bytes],
    since: date | None = None,
    until: date | None = None,
    statuses: Sequence[str] | None = None,
    files_for: FilesFor | None = None,
    progress: Progress | None = None,
    processes: int = 1,
    total: int | None = None,
) -> int:
    """Export the submissions `submissions_for_export` selects to `out`, on up to `processes`
    processes for a large CSV (for the command line: a web worker should not fork). Each process
    is forked from this one, reads its own consecutive range of ids and writes its rows to a
    temporary file; this process writes the header, then each part in order as it is finished, so
    the result is the same bytes as one process makes. Returns the number of submissions written."""
    if total is None:
        total = count_for_export(form_slug, since, until, statuses)
    parallel = (
        processes > 1
        and format in PARALLEL_FORMATS
        and total >= PARALLEL_MINIMUM
        and "fork" in multiprocessing.get_all_start_methods()
    )
    if not parallel:
        records = submissions_for_export(form_slug, since, until, statuses)
        return export(format, definition, records, out, files_for, progress)
    statement = _export_statement(form_slug, since, until, statuses)
    ranges = _id_ranges(statement, total, processes)
    engine = db.engine
    context = multiprocessing.get_context("fork")
    counter = _Counter(progress)
    with tempfile.TemporaryDirectory(prefix="forms-engine-export-") as folder:
        parts = []
        for index, (low, high) in enumerate(ranges):
            part = statement.where(Submission.id >= low)
            if high is not None:
                part = part.where(Submission.id < high)
            path = Path(folder, f"part-{index}.csv")
            done = context.Value("q", 0, lock=False)
            process = context.Process(
                target=_write_part, args=(engine, part, definition, path, done), daemon=True
            )
            process.start()
            parts.append((process, path, done))
        try:
            for chunk in _csv_chunks(definition, (), _Counter(None)):
                out.write(chunk)
            for process, path, _ in parts:
                while process.is_alive():
                    process.join(0.2)
                    _report(counter, parts)
                if process.exitcode != 0:
                    error = path.with_suffix(".error")
                    reason = error.read_text("utf-8") if error.exists() else f"exit code {process.exitcode}"
                    raise RuntimeError(f"an export process failed: {reason}")
                with open(path, "rb") as file:
                    while chunk := file.read(CHUNK_SIZE):
                        out.write(chunk)
                path.unlink()
            _report(counter, parts)
        finally:
            for process, _, _ in parts:
                if process.is_alive():
                    process.kill()
                process.join()
    out.flush()
    counter.report()
    return counter.count


def _report(counter: _Counter, parts: list[tuple[Any, Path, Any]]) -> None:
    counter.count = sum(done.value for _, _, done in parts)
    if counter.count - counter.reported >= PROGRESS_STEP:
        counter.report()
