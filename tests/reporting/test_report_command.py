"""`forms-engine register import|export` and `forms-engine report`, through Flask's CLI runner."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from forms_engine import form_registry
from forms_engine.extensions import db
from forms_engine.reporting.measures import build_report, table_rows
from forms_engine.reporting.models import PaperForm

from .conftest import SHIPPED_REGISTER

ENTRY = '{"title": "A form", "organisation": "EA", "annualVolume": 10, "status": "paper-only"'


def invoke(app: Flask, *args: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=list(args))
    return result.exit_code, result.output


def rows(app: Flask) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(PaperForm)) or 0)


def test_import_prints_the_counts_and_a_second_import_changes_nothing(app: Flask) -> None:
    total = len(json.loads(SHIPPED_REGISTER.read_text(encoding="utf-8"))["entries"])
    code, output = invoke(app, "register", "import", str(SHIPPED_REGISTER))
    assert code == 0, output
    assert output.splitlines() == [
        f"{SHIPPED_REGISTER}: {total} entries: {total} inserted, 0 updated, 0 unchanged"
    ]
    code, output = invoke(app, "register", "import", str(SHIPPED_REGISTER))
    assert (code, output.splitlines()) == (
        0,
        [f"{SHIPPED_REGISTER}: {total} entries: 0 inserted, 0 updated, {total} unchanged"],
    )
    assert rows(app) == total


def test_a_bad_file_prints_every_problem_with_its_line_and_imports_nothing(
    app: Flask, tmp_path: Path
) -> None:
    path = tmp_path / "register.json"
    path.write_text(
        '{\n  "entries": [\n'
        f'    {{"reference": "GOOD", {ENTRY[1:]}}},\n'
        f'    {{"reference": "BAD", {ENTRY[1:]}, "liveDate": "2024-02-30"}},\n'
        f'    {{"reference": "GOOD", {ENTRY[1:]}}}\n'
        "  ]\n}\n",
        encoding="utf-8",
    )
    code, output = invoke(app, "register", "import", str(path))
    assert code == 1
    assert output.splitlines() == [
        f"{path}:4: entry 'BAD': liveDate: '2024-02-30' is not a real date",
        f"{path}:5: entry 'GOOD': duplicate reference 'GOOD' (first at line 3)",
        f"{path}: 2 problem(s): nothing imported",
    ]
    assert rows(app) == 0


def test_entries_not_in_the_file_are_named_and_kept_unless_pruned(app: Flask, tmp_path: Path) -> None:
    both, one = tmp_path / "both.json", tmp_path / "one.json"
    both.write_text(
        f'{{"entries": [{{"reference": "A", {ENTRY[1:]}}}, {{"reference": "B", {ENTRY[1:]}}}]}}',
        encoding="utf-8",
    )
    one.write_text(f'{{"entries": [{{"reference": "A", {ENTRY[1:]}}}]}}', encoding="utf-8")
    assert invoke(app, "register", "import", str(both))[0] == 0
    code, output = invoke(app, "register", "import", str(one))
    assert output.splitlines() == [
        f"{one}: 1 entries: 0 inserted, 0 updated, 1 unchanged",
        "1 entries in the database are not in the file and were kept (--prune removes them): B",
    ]
    assert rows(app) == 2
    code, output = invoke(app, "register", "import", "--prune", str(one))
    assert code == 0
    assert output.splitlines() == [f"{one}: 1 entries: 0 inserted, 0 updated, 1 unchanged, 1 removed (B)"]
    assert rows(app) == 1


def test_if_empty_imports_only_into_an_empty_register(app: Flask, tmp_path: Path) -> None:
    one = tmp_path / "one.json"
    one.write_text(f'{{"entries": [{{"reference": "A", {ENTRY[1:]}}}]}}', encoding="utf-8")
    assert invoke(app, "register", "import", "--if-empty", str(one))[0] == 0
    code, output = invoke(app, "register", "import", "--if-empty", str(SHIPPED_REGISTER))
    assert (code, output.strip()) == (
        0,
        f"{SHIPPED_REGISTER}: not imported: the register in the database is not empty (--if-empty)",
    )
    assert rows(app) == 1


def test_a_csv_file_imports_too(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "register.csv"
    path.write_text(
        "reference,title,organisation,annualVolume,status\nC1,A form,MMO,5,paper-only\n", encoding="utf-8"
    )
    code, output = invoke(app, "register", "import", str(path))
    assert (code, output.strip()) == (0, f"{path}: 1 entries: 1 inserted, 0 updated, 0 unchanged")


def test_export_prints_the_register_in_either_format(app: Flask) -> None:
    invoke(app, "register", "import", str(SHIPPED_REGISTER))
    code, output = invoke(app, "register", "export")
    assert code == 0
    exported = json.loads(output)["entries"]
    shipped = json.loads(SHIPPED_REGISTER.read_text(encoding="utf-8"))["entries"]
    assert sorted(exported, key=lambda e: e["reference"]) == sorted(shipped, key=lambda e: e["reference"])
    code, output = invoke(app, "register", "export", "--format", "csv")
    table = list(csv.DictReader(io.StringIO(output, newline="")))
    assert len(table) == len(shipped)
    a24 = next(row for row in table if row["reference"] == "A24")
    assert (a24["organisation"], a24["status"], a24["definitionSlug"]) == (
        "NE",
        "live-digital",
        "badger-sett-development-licence",
    )


def test_report_prints_the_headline_figures_of_the_shipped_register(app: Flask) -> None:
    invoke(app, "register", "import", str(SHIPPED_REGISTER))
    # The report is as of the day (UTC) the command runs, which midnight may change while it runs.
    days = {datetime.now(UTC).date()}
    with app.app_context():
        report = build_report(form_registry(app))
    code, output = invoke(app, "report")
    days.add(datetime.now(UTC).date())
    assert code == 0, output
    lines = output.splitlines()
    share = report.group
    assert lines[0] in {
        f"Paper forms replaced by digital forms: Defra group, {day.isoformat()}" for day in days
    }
    assert lines[1] == "Target: 20.0% of in-scope paper forms by 2025-03-31"
    assert f"By count:  {share.replaced} of {share.in_scope} paper forms in scope" in output
    assert share.replaced == 3
    # Each organisation's line, and the forms that do not count with why.
    assert any(line.startswith("APHA ") for line in lines)
    assert any(line.startswith("Defra group ") for line in lines)
    assert (
        "  EA-WEX1 Register a waste exemption (EA): does not count, because definition "
        "'register-waste-exemption' is not published"
    ) in lines
    assert f"Live digital forms that do not count as replaced: {len(report.not_counted)}" in lines


def test_report_for_one_organisation(app: Flask) -> None:
    invoke(app, "register", "import", str(SHIPPED_REGISTER))
    code, output = invoke(app, "report", "--organisation", "rpa", "--format", "json")
    assert code == 0, output
    data = json.loads(output)
    assert data["organisation"] == "RPA"
    assert [s["scope"] for s in data["organisations"]] == ["RPA"]
    assert {f["organisation"] for f in data["forms"]} == {"RPA"}
    code, output = invoke(app, "report", "--organisation", "XYZ")
    assert code == 2 and "Invalid value for '--organisation'" in output


def test_report_json_and_csv_hold_the_report(app: Flask) -> None:
    invoke(app, "register", "import", str(SHIPPED_REGISTER))
    code, output = invoke(app, "report", "--format", "json", "--date", "2026-01-31")
    with app.app_context():
        report = build_report(form_registry(app), today=date(2026, 1, 31))
    data = json.loads(output)
    expected = report.as_json()
    del data["generated_at"], expected["generated_at"]
    assert data == expected
    code, output = invoke(app, "report", "--format", "csv", "--table", "forms", "--date", "2026-01-31")
    assert list(csv.reader(io.StringIO(output, newline=""))) == [
        table_rows(report)["forms"][0],
        *table_rows(report)["forms"][1],
    ]
    code, output = invoke(app, "report", "--format", "csv", "--date", "2026-01-31")
    assert code == 0
    assert output.splitlines()[0].startswith("Organisation,Paper forms in scope,Replaced,")


def test_report_on_an_empty_register_does_not_fail(app: Flask) -> None:
    code, output = invoke(app, "report")
    assert code == 0, output
    assert "By count:  0 of 0 paper forms in scope, No data (target not met)" in output
    assert "Trajectory: no pace (no paper forms in scope)" in output
