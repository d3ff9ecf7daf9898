"""The paper-form register file: the shipped illustrative register, checks reported by line, the
one-transaction idempotent import, and export back to JSON and CSV."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from forms_engine import form_registry
from forms_engine.caseworker.models import ORGANISATIONS, AuditEvent
from forms_engine.definitions.loader import FormRegistry
from forms_engine.extensions import db
from forms_engine.reporting import register
from forms_engine.reporting.measures import build_report
from forms_engine.reporting.models import PAPER_FORM_STATUSES, PaperCount, PaperForm
from forms_engine.reporting.register import (
    DEFAULT_REGISTER,
    RegisterError,
    RegisterProblem,
    definition_warnings,
    export_register,
    import_register,
    json_lines,
    load_register,
    parse_register_csv,
    parse_register_json,
    register_schema,
)

from .conftest import BADGER, EXAMPLES, LAND, POULTRY, SHIPPED_REGISTER, add_paper_count, example

ENTRY = {"title": "A form", "organisation": "EA", "annualVolume": 10, "status": "paper-only"}


def entries_file(*entries: dict[str, Any]) -> str:
    """A register with one entry a line: entry n (from 0) is on line n + 3."""
    lines = ",\n".join("    " + json.dumps(entry) for entry in entries)
    return '{\n  "entries": [\n' + lines + "\n  ]\n}\n"


def problems_of(text: str, parse: Any = parse_register_json) -> list[tuple[int, str]]:
    with pytest.raises(RegisterError) as caught:
        parse(text, "r.json")
    return [(p.line, p.message) for p in caught.value.problems]


def count_rows() -> int:
    return int(db.session.scalar(select(func.count()).select_from(PaperForm)) or 0)


# -- the shipped register ---------------------------------------------------------------------------


def test_the_shipped_register_is_marked_illustrative_and_checks_cleanly() -> None:
    assert SHIPPED_REGISTER == DEFAULT_REGISTER
    data = json.loads(SHIPPED_REGISTER.read_text(encoding="utf-8"))
    assert data["illustrative"] is True
    assert "ILLUSTRATIVE" in data["description"] and "not real" in data["description"].lower()
    entries = load_register(SHIPPED_REGISTER)
    assert 55 <= len(entries) <= 65
    assert {e.organisation for e in entries} == set(ORGANISATIONS)
    assert {e.status for e in entries} == set(PAPER_FORM_STATUSES)
    assert any(e.annual_volume == 0 for e in entries)
    assert any(e.withdrawn_date is not None for e in entries)


def test_the_shipped_register_links_the_example_forms_as_live_and_agrees_with_them() -> None:
    entries = {e.definition_slug: e for e in load_register(SHIPPED_REGISTER) if e.definition_slug}
    for slug in (POULTRY, BADGER, LAND):
        paper = example(slug)["paperForm"]
        entry = entries[slug]
        assert (entry.reference, entry.title, entry.organisation) == (
            paper["reference"],
            paper["title"],
            paper["organisation"],
        )
        assert entry.status == "live-digital"
        assert entry.live_date is not None and entry.live_date < date.today()
    assert definition_warnings(entries.values(), FormRegistry.from_directory(EXAMPLES)) == []


def test_the_form_registry_does_not_take_the_register_for_a_form_definition() -> None:
    registry = FormRegistry.from_directory(EXAMPLES)
    assert registry.unavailable == {}
    assert set(registry.forms) == {POULTRY, BADGER, LAND}


def test_the_shipped_register_imports_and_its_live_forms_that_do_not_count_say_why(app: Flask) -> None:
    with app.app_context():
        result = import_register(load_register(SHIPPED_REGISTER))
        assert len(result.inserted) == count_rows() == len(load_register(SHIPPED_REGISTER))
        report = build_report(form_registry(app))
    replaced = {f.definition_slug for f in report.forms if f.counts_as_replaced}
    assert replaced == {POULTRY, BADGER, LAND}
    not_counted = report.not_counted
    assert len(not_counted) >= 3
    assert all(f.reasons for f in not_counted)
    assert any("is not published" in reason for f in not_counted for reason in f.reasons)
    assert report.group.in_scope == len([f for f in report.forms if f.status != "retired"])


def test_the_schema_lists_the_organisations_and_statuses_the_engine_knows() -> None:
    entry = register_schema()["$defs"]["entry"]["properties"]
    assert tuple(entry["organisation"]["enum"]) == ORGANISATIONS
    assert tuple(entry["status"]["enum"]) == PAPER_FORM_STATUSES


# -- problems, by line ------------------------------------------------------------------------------


def test_every_problem_is_reported_with_its_line() -> None:
    text = entries_file(
        {"reference": "OK1", **ENTRY},  # line 3
        {"reference": "ok1", **ENTRY},  # 4: the same reference in other letters
        {"reference": "ORG", **ENTRY, "organisation": "XYZ"},  # 5
        {"reference": "D1", **ENTRY, "liveDate": "2024-02-30"},  # 6
        {"reference": "D2", **ENTRY, "liveDate": "01/02/2024"},  # 7
        {"reference": "V1", **ENTRY, "annualVolume": -1},  # 8
        {"reference": "T1", "organisation": "EA", "annualVolume": 1, "status": "paper-only"},  # 9
        {"reference": "X1", **ENTRY, "colour": "red"},  # 10
        {"reference": "L1", **ENTRY, "status": "live-digital", "definitionSlug": "l-one"},  # 11
        {"reference": "W1", **ENTRY, "liveDate": "2024-05-01", "withdrawnDate": "2024-04-01"},  # 12
        {"reference": "S1", **ENTRY, "definitionSlug": "same"},  # 13
        {"reference": "S2", **ENTRY, "definitionSlug": "same"},  # 14
        {"reference": "N1", **ENTRY, "withdrawnDate": "2024-04-01"},  # 15
        {"reference": "ST", **ENTRY, "status": "live"},  # 16
    )
    assert problems_of(text) == [
        (4, "entry 'ok1': duplicate reference 'ok1' (first at line 3)"),
        (
            5,
            "entry 'ORG': organisation: unknown organisation 'XYZ' "
            "(use one of APHA, EA, NE, RPA, MMO, Defra)",
        ),
        (6, "entry 'D1': liveDate: '2024-02-30' is not a real date"),
        (7, "entry 'D2': liveDate: '01/02/2024' is not a date in the form YYYY-MM-DD"),
        (8, "entry 'V1': annualVolume: -1 is less than the minimum of 0"),
        (9, "entry 'T1': missing 'title'"),
        (10, "entry 'X1': unknown property 'colour'"),
        (11, "entry 'L1': a live-digital entry needs a liveDate (when it went live)"),
        (12, "entry 'W1': withdrawnDate 2024-04-01 must be after liveDate 2024-05-01"),
        (
            14,
            "entry 'S2': definition 'same' is already linked to 'S1' (line 13); "
            "one definition replaces one paper form",
        ),
        (15, "entry 'N1': withdrawnDate needs a liveDate (a form is withdrawn after it went live)"),
        (
            16,
            "entry 'ST': status: unknown status 'live' "
            "(use one of paper-only, in-development, live-digital, retired)",
        ),
    ]


def test_a_problem_in_a_field_is_reported_on_the_fields_own_line() -> None:
    entry = {"reference": "A1", **ENTRY, "status": "live-digital", "liveDate": "2024-13-01"}
    text = json.dumps({"description": "x", "entries": [entry]}, indent=2)
    line = text.splitlines().index('      "liveDate": "2024-13-01"') + 1
    assert problems_of(text) == [(line, "entry 'A1': liveDate: '2024-13-01' is not a real date")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '{\n  "entries": [\n    {,}\n  ]\n}',
            [(3, "invalid JSON (column 6): Expecting property name enclosed in double quotes")],
        ),
        ("[]", [(1, "the register must be a JSON object with an 'entries' list")]),
        (
            '{\n  "rows": []\n}',
            [(1, "missing 'entries'"), (1, "unknown property 'rows'")],
        ),
        ('{\n  "entries": {}\n}', [(2, "{} is not of type 'array'")]),
        ('{\n  "entries": [\n    "A24"\n  ]\n}', [(3, "entry: 'A24' is not of type 'object'")]),
    ],
)
def test_a_file_of_the_wrong_shape_is_reported(text: str, expected: list[tuple[int, str]]) -> None:
    assert sorted(problems_of(text)) == sorted(expected)


def test_a_missing_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(RegisterError) as caught:
        load_register(tmp_path / "none.json")
    assert caught.value.lines() == [f"{tmp_path / 'none.json'}:1: file not found"]


def test_json_lines_finds_the_line_of_each_value() -> None:
    text = '{\n  "a": [1,\n    {"b": "x\\n}"},\n    [] ],\n  "c": {}\n}'
    lines = json_lines(text)
    assert lines[()] == 1
    assert lines[("a",)] == 2 and lines[("a", 0)] == 2
    assert lines[("a", 1)] == 3 and lines[("a", 1, "b")] == 3
    assert lines[("a", 2)] == 4
    assert lines[("c",)] == 5


def test_a_csv_register_is_checked_with_its_own_line_numbers() -> None:
    text = (
        "reference,title,organisation,annualVolume,status,liveDate\n"
        'C1,"A title\non two lines",EA,10,paper-only,\n'  # lines 2-3
        "C2,Fine,EA,lots,paper-only,\n"  # 4
        "C3,Fine,EA,1,live-digital,2024-02-31\n"  # 5
        'C1,Again,NE,"1,200",paper-only,\n'  # 6
    )
    assert problems_of(text, parse_register_csv) == [
        (4, "entry 'C2': annualVolume: 'lots' is not of type 'integer'"),
        (5, "entry 'C3': liveDate: '2024-02-31' is not a real date"),
        (6, "entry 'C1': duplicate reference 'C1' (first at line 2)"),
    ]


def test_a_csv_register_with_unknown_or_missing_columns_is_refused() -> None:
    assert problems_of("reference,title,organisation,status,colour\n", parse_register_csv) == [
        (1, "unknown columns: 'colour'"),
        (1, "missing columns: 'annualVolume'"),
    ]


def test_a_csv_register_reads_like_the_json_one() -> None:
    text = (
        "reference,title,organisation,annualVolume,status,definitionSlug,liveDate,withdrawnDate,notes\n"
        'C1,A form,EA,"1,200",live-digital,a-form,2024-02-01,,Some notes\n'
        "C2,Other,NE,0,paper-only,,,,\n"
    )
    first, second = parse_register_csv(text)
    assert first == register.RegisterEntry(
        "C1", "A form", "EA", 1200, "live-digital", "a-form", date(2024, 2, 1), None, "Some notes", 2
    )
    assert (second.reference, second.definition_slug, second.live_date, second.notes, second.line) == (
        "C2",
        None,
        None,
        "",
        3,
    )


def test_definition_warnings_name_an_entry_linked_to_another_forms_definition() -> None:
    text = entries_file({"reference": "NOT-A24", **ENTRY, "definitionSlug": BADGER})
    (entry,) = parse_register_json(text)
    assert definition_warnings([entry], FormRegistry.from_directory(EXAMPLES)) == [
        RegisterProblem(3, f"entry 'NOT-A24': definition '{BADGER}' is for paper form 'A24'"),
        RegisterProblem(3, f"entry 'NOT-A24': definition '{BADGER}' belongs to NE, not EA"),
    ]


# -- importing --------------------------------------------------------------------------------------


def test_importing_twice_changes_nothing_the_second_time(any_db_app: Flask) -> None:
    entries = load_register(SHIPPED_REGISTER)
    with any_db_app.app_context():
        first = import_register(entries, actor="cli:test")
        stamps = dict(db.session.execute(select(PaperForm.reference, PaperForm.updated_at)).all())
        second = import_register(load_register(SHIPPED_REGISTER), actor="cli:test")
        assert (len(first.inserted), first.updated, first.unchanged) == (len(entries), [], [])
        assert (second.inserted, second.updated, len(second.unchanged)) == ([], [], len(entries))
        assert dict(db.session.execute(select(PaperForm.reference, PaperForm.updated_at)).all()) == stamps
        assert count_rows() == len(entries)
        # One audit event, for the import that changed something.
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "register-import")).all()
        assert [(e.actor_email, e.detail["inserted"]) for e in events] == [("cli:test", len(entries))]


def test_a_changed_entry_is_updated_and_entries_not_in_the_file_are_kept_unless_pruned(
    any_db_app: Flask,
) -> None:
    one = {"reference": "R1", **ENTRY}
    two = {"reference": "R2", **ENTRY, "organisation": "NE"}
    with any_db_app.app_context():
        import_register(parse_register_json(entries_file(one, two)))
        r2 = db.session.scalars(select(PaperForm).filter_by(reference="R2")).one()
        add_paper_count(r2, date(2025, 1, 1), 5)
        db.session.commit()
        changed = {**one, "annualVolume": 99, "status": "live-digital", "liveDate": "2025-01-02"}
        result = import_register(parse_register_json(entries_file(changed)))
        assert (result.inserted, result.updated, result.unchanged) == ([], ["R1"], [])
        assert (result.not_in_file, result.removed) == (["R2"], [])
        r1 = db.session.scalars(select(PaperForm).filter_by(reference="R1")).one()
        assert (r1.annual_volume, r1.status, r1.live_date) == (99, "live-digital", date(2025, 1, 2))
        assert count_rows() == 2
        pruned = import_register(parse_register_json(entries_file(changed)), prune=True)
        assert (pruned.unchanged, pruned.removed, pruned.not_in_file) == (["R1"], ["R2"], [])
        assert count_rows() == 1
        assert db.session.scalar(select(func.count()).select_from(PaperCount)) == 0


def test_an_import_that_fails_part_way_leaves_nothing_behind(
    any_db_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    with any_db_app.app_context():
        import_register(parse_register_json(entries_file({"reference": "KEEP", **ENTRY})))

        def fail(*args: object, **kwargs: object) -> None:
            db.session.flush()  # the new rows reach the database before the failure
            raise RuntimeError("disk full")

        monkeypatch.setattr("forms_engine.caseworker.audit.record", fail)
        entries = load_register(SHIPPED_REGISTER)
        with pytest.raises(RuntimeError):
            import_register(
                [*entries, *parse_register_json(entries_file({"reference": "KEEP", **ENTRY, "title": "New"}))]
            )
        db.session.remove()
        rows = db.session.execute(select(PaperForm.reference, PaperForm.title)).all()
        assert rows == [("KEEP", "A form")]


# -- exporting --------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_an_export_reads_back_as_the_same_register(app: Flask, fmt: str) -> None:
    entries = load_register(SHIPPED_REGISTER)
    with app.app_context():
        import_register(entries)
        text = export_register(fmt)  # type: ignore[arg-type]
        parse = parse_register_csv if fmt == "csv" else parse_register_json
        again = parse(text, "export")
        assert import_register(again).unchanged == [e.reference for e in again]

    def key(entry: register.RegisterEntry) -> tuple[Any, ...]:
        return (*register.RegisterEntry.values(entry).values(), entry.reference)

    assert sorted(map(key, again), key=str) == sorted(map(key, entries), key=str)


def test_the_json_export_says_where_it_came_from(app: Flask) -> None:
    with app.app_context():
        import_register(parse_register_json(entries_file({"reference": "E1", **ENTRY, "notes": "Ça va"})))
        data = json.loads(export_register("json", today=date(2026, 1, 2)))
    assert data == {
        "description": "Paper-form register exported from the forms-engine database on 2026-01-02.",
        "entries": [{"reference": "E1", **ENTRY, "notes": "Ça va"}],
    }
