"""`forms-engine submissions export`: every format to stdout or a file, day filters, progress on
stderr, and clear errors for an unknown form or a bad date."""

from __future__ import annotations

import copy
import csv
import io
import json
import os
import pty
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import pytest
from click.testing import Result
from flask import Flask
from sqlalchemy import select

from forms_engine import form_registry
from forms_engine.definitions.model import FormDefinition, build_definition
from forms_engine.extensions import db
from forms_engine.submissions import exporting
from forms_engine.submissions.export import columns
from forms_engine.submissions.models import Submission, UploadedFile
from forms_engine.submissions.payload import submission_payload

from .test_export import BADGERS, HOSTILE, load_json
from .test_exports_formats import UNICODE, sheet_rows, store


def run(app: Flask, *args: str) -> Result:
    return app.test_cli_runner().invoke(args=["submissions", "export", *args])


def badgers(app: Flask) -> FormDefinition:
    definition = form_registry(app).get(BADGERS)
    assert definition is not None
    return definition


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_csv_goes_to_stdout_with_a_summary_on_stderr(app: Flask) -> None:
    references = store(app, badgers(app), [date(2024, 5, 1), date(2024, 5, 2)])
    result = run(app, "--form", BADGERS)

    assert result.exit_code == 0, result.output
    rows = csv_rows(result.stdout_bytes)
    assert rows[0] == [c.header for c in columns(badgers(app))]
    assert [r[0] for r in rows[1:]] == references
    assert UNICODE in rows[1]
    assert result.stderr.strip().splitlines()[-1] == (
        f"exported 2 submission(s) of '{BADGERS}' as csv to stdout"
    )


@pytest.mark.parametrize("format", ["csv", "zip", "xlsx", "json"])
def test_each_format_is_written_to_the_output_file_and_parses(
    app: Flask, tmp_path: Path, format: str
) -> None:
    definition = badgers(app)
    references = store(app, definition, [date(2024, 5, 1), date(2024, 5, 3)])
    folder = tmp_path / "exports"
    folder.mkdir()
    output = folder / f"export.{format}"
    result = run(app, "--form", BADGERS, "--format", format, "--output", str(output))

    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == b""
    assert list(folder.iterdir()) == [output]  # no partial file left beside it
    data = output.read_bytes()
    if format == "csv":
        rows = csv_rows(data)
        assert [r[0] for r in rows[1:]] == references
        assert UNICODE in rows[1]
    elif format == "zip":
        archive = zipfile.ZipFile(io.BytesIO(data))
        assert archive.namelist() == ["submissions.csv", "setts.csv"]
        assert [r[0] for r in csv_rows(archive.read("submissions.csv"))[1:]] == references
        assert len(csv_rows(archive.read("setts.csv"))) == 1 + 2 * 2
    elif format == "xlsx":
        archive = zipfile.ZipFile(io.BytesIO(data))
        main = sheet_rows(archive, 1)
        assert [r[0] for r in main[1:]] == references
        assert UNICODE in main[1]
        assert len(sheet_rows(archive, 2)) == 1 + 2 * 2
    else:
        payloads = json.loads(data)
        assert [p["reference"] for p in payloads] == references
        assert payloads[0]["answers"]["applicantName"] == UNICODE


def test_json_gives_each_file_its_sha256_as_the_webhook_payload_does(app: Flask) -> None:
    [reference] = store(app, badgers(app), [date(2024, 5, 1)])
    with app.app_context():
        submission = db.session.scalars(select(Submission).where(Submission.reference == reference)).one()
        [record] = submission.answers["surveyDocuments"]
        db.session.add(
            UploadedFile(
                id=record["id"],
                journey_id=submission.journey_id,
                submission_id=submission.id,
                component="surveyDocuments",
                filename=record["filename"],
                content_type=record["content_type"],
                size=record["size"],
                sha256="ab" * 32,
                storage_key="a-key",
            )
        )
        db.session.commit()
        expected = submission_payload(submission, db.session.scalars(select(UploadedFile)).all())
        db.session.remove()
    result = run(app, "--form", BADGERS, "--format", "json")
    assert result.exit_code == 0, result.output
    [payload] = json.loads(result.stdout_bytes)
    assert payload == expected
    assert [f["sha256"] for f in payload["files"]] == ["ab" * 32]


def test_formula_cells_are_neutralised_in_csv_and_xlsx(app: Flask, tmp_path: Path) -> None:
    definition = badgers(app)
    store(app, definition, [date(2024, 5, 1)], answers_override={"applicantName": HOSTILE})
    result = run(app, "--form", BADGERS)
    assert result.exit_code == 0, result.output
    assert "'" + HOSTILE in csv_rows(result.stdout_bytes)[1]

    output = tmp_path / "export.xlsx"
    assert run(app, "--form", BADGERS, "--format", "xlsx", "-o", str(output)).exit_code == 0
    row = sheet_rows(zipfile.ZipFile(output), 1)[1]
    assert "'" + HOSTILE in row
    assert HOSTILE not in row


def test_since_and_until_are_days_both_included(app: Flask) -> None:
    days = [date(2024, 5, 1), date(2024, 5, 2), date(2024, 5, 3), date(2024, 5, 4)]
    references = store(app, badgers(app), days)
    result = run(app, "--form", BADGERS, "--since", "2024-05-02", "--until", "2024-05-03")
    assert result.exit_code == 0, result.output
    assert [r[0] for r in csv_rows(result.stdout_bytes)[1:]] == references[1:3]
    result = run(app, "--form", BADGERS, "--since", "2024-05-04")
    assert [r[0] for r in csv_rows(result.stdout_bytes)[1:]] == references[3:]


def test_the_first_and_last_days_of_the_calendar_are_usable_bounds(app: Flask) -> None:
    references = store(app, badgers(app), [date(2024, 5, 1)])
    result = run(app, "--form", BADGERS, "--since", "0001-01-01", "--until", "9999-12-31")
    assert result.exit_code == 0, result.output
    assert [r[0] for r in csv_rows(result.stdout_bytes)[1:]] == references


def test_an_unknown_form_exits_1_with_a_message(app: Flask) -> None:
    result = run(app, "--form", "no-such-form")
    assert result.exit_code == 1
    assert result.stdout_bytes == b""
    assert "unknown form 'no-such-form'" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "2024-13-01"], "Invalid value for '--since'"),
        (["--until", "yesterday"], "Invalid value for '--until'"),
        (
            ["--since", "2024-05-02", "--until", "2024-05-01"],
            "--since 2024-05-02 is after --until 2024-05-01",
        ),
        (["--format", "ods"], "Invalid value for '--format'"),
    ],
)
def test_bad_dates_and_formats_are_usage_errors(app: Flask, args: list[str], message: str) -> None:
    result = run(app, "--form", BADGERS, *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout_bytes == b""


def test_a_form_no_longer_offered_is_exported_with_its_newest_submissions_definition(app: Flask) -> None:
    data = copy.deepcopy(load_json(BADGERS))
    data["slug"] = "withdrawn-badger-form"
    withdrawn = build_definition(data)
    references = store(app, withdrawn, [date(2024, 5, 1)])
    result = run(app, "--form", "withdrawn-badger-form")
    assert result.exit_code == 0, result.output
    assert [r[0] for r in csv_rows(result.stdout_bytes)[1:]] == references
    assert "not offered now" in result.stderr


def test_progress_without_a_terminal_prints_a_line_every_tenth(app: Flask) -> None:
    store(app, badgers(app), [date(2024, 5, 1)] * 3)
    quiet = run(app, "--form", BADGERS)
    assert "exported 3 of 3" not in quiet.stderr
    result = run(app, "--form", BADGERS, "--progress")
    assert result.exit_code == 0, result.output
    assert "exported 3 of 3" in result.stderr


def test_on_a_terminal_the_progress_bar_goes_to_stderr_and_the_file_to_stdout(
    app: Flask, tmp_path: Path
) -> None:
    """The real command in a process of its own, its stderr a terminal (a pseudo-terminal here)."""
    references = store(app, badgers(app), [date(2024, 5, d) for d in range(1, 8)])
    output = tmp_path / "export.csv"
    controller, terminal = pty.openpty()
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "FORMS_ENGINE_INSTANCE": str(tmp_path),
        "FORMS_ENGINE_ENV": "development",
    }
    command = [str(Path(sys.executable).parent / "forms-engine"), "submissions", "export", "--form", BADGERS]
    with open(output, "wb") as stdout:
        process = subprocess.Popen(command, stdout=stdout, stderr=terminal, env=env)
    os.close(terminal)
    shown = b""
    while True:
        try:
            data = os.read(controller, 4096)
        except OSError:  # the terminal closes when the process ends
            break
        if not data:
            break
        shown += data
    os.close(controller)
    assert process.wait(timeout=120) == 0, shown
    text = shown.decode("utf-8", "replace")
    assert "Exporting  [----" in text and "0/7" in text, text  # the bar, empty at first
    assert "Exporting  [####################################]  7/7" in text, text  # and full
    assert [r[0] for r in csv_rows(output.read_bytes())[1:]] == references
    assert "Exporting" not in output.read_text("utf-8-sig")


def test_jobs_share_a_large_csv_between_processes_with_the_same_result(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exporting, "PARALLEL_MINIMUM", 2)
    store(app, badgers(app), [date(2024, 5, d) for d in range(1, 6)])
    alone = run(app, "--form", BADGERS, "--jobs", "1")
    shared = run(app, "--form", BADGERS, "--jobs", "2")
    assert alone.exit_code == shared.exit_code == 0, shared.output
    assert shared.stdout_bytes == alone.stdout_bytes
    assert len(csv_rows(shared.stdout_bytes)) == 6
