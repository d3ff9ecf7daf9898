"""CSV export of submissions: headers from the definition, repeats as numbered columns and as a table of
items, formula neutralising, round trips through a CSV reader, streaming in bounded memory, and
submissions made on an older definition version."""

from __future__ import annotations

import copy
import csv
import io
import json
import tracemalloc
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from forms_engine.definitions.model import FormDefinition, build_definition
from forms_engine.journey import RepeatSection, journey_for
from forms_engine.journey.repeats import done_key
from forms_engine.submissions.export import (
    answers_csv,
    columns,
    csv_chunks,
    format_time,
    neutralise,
    repeat_rows,
    repeat_tables,
    submission_row,
    write_csv,
    write_repeat_csv,
)
from forms_engine.submissions.models import Submission

FORM_DEFINITIONS = Path(__file__).resolve().parent.parent / "form_definitions"
EXAMPLE_SLUGS = sorted(p.stem for p in FORM_DEFINITIONS.glob("*.json"))
BADGERS = "badger-sett-development-licence"
RPA = "register-land-rural-payments"
POULTRY = "register-poultry-fewer-than-50-birds"
HOSTILE = '=HYPERLINK("http://x","y")'
SUBMITTED_AT = datetime(2024, 5, 1, 9, 30, 15, tzinfo=UTC)


def load_json(slug: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FORM_DEFINITIONS / f"{slug}.json").read_text("utf-8"))
    return data


def load(slug: str) -> FormDefinition:
    return build_definition(load_json(slug))


def example_answers(
    definition: FormDefinition,
    overrides: Mapping[str, list[str]] | None = None,
    items: list[Mapping[str, list[str]]] | None = None,
) -> dict[str, Any]:
    """The answers a citizen answering every page with its example (or `overrides`) would send; a
    repeat gets one item per entry of `items` (each entry overriding that item's examples)."""
    journey = journey_for(definition)
    overrides = overrides or {}
    items = items if items is not None else [{}]
    answers: dict[str, Any] = {}

    def answer(page: Any, so_far: Mapping[str, Any], extra: Mapping[str, list[str]]) -> dict[str, Any]:
        example = page.example()
        data = {**example, **{k: v for k, v in {**overrides, **extra}.items() if k in example}}
        result = page.validate(data, so_far)
        assert result.is_valid, (page.page.id, result.errors)
        return dict(result.answers)

    for _ in range(len(journey.pages) + 1):
        step = journey.first_incomplete_page(answers)
        if step is None or step.page.exit:
            break
        if isinstance(step, RepeatSection):
            made = []
            for extra in items:
                item: dict[str, Any] = {}
                for page in step.pages:
                    item.update(answer(page, {**answers, **item}, extra))
                made.append(item)
            answers[step.repeat.id] = made
            answers[done_key(step.repeat.id)] = True
        else:
            answers.update(answer(step, answers, {}))
    return journey.answers_on_path(answers)


def make_submission(
    definition: FormDefinition,
    answers: dict[str, Any],
    reference: str = "K7MP-3QXR-ZD4T",
    submitted_at: datetime = SUBMITTED_AT,
    language: str = "en",
) -> Submission:
    """A submission as stored (not added to any database)."""
    return Submission(
        reference=reference,
        journey_id=f"journey-{reference}",
        form_slug=definition.slug,
        form_version=definition.version,
        definition=copy.deepcopy(dict(definition.source)),
        answers=answers,
        submitted_at=submitted_at,
        language=language,
    )


def read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def as_dict(definition: FormDefinition, submission: Submission) -> dict[str, str]:
    return dict(
        zip([c.header for c in columns(definition)], submission_row(definition, submission), strict=True)
    )


# -- headers -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("slug", EXAMPLE_SLUGS)
def test_headers_of_each_example_form_are_stable_unique_and_follow_the_pages(slug: str) -> None:
    definition = load(slug)
    headers = [c.header for c in columns(definition)]

    assert headers == [c.header for c in columns(load(slug))]
    assert len(headers) == len(set(headers))
    assert headers[:4] == ["Reference", "Submitted at (ISO 8601 UTC)", "Form version", "Language"]
    repeated = {page_id for r in definition.repeats.values() for page_id in r.page_ids}
    expected = []
    for page in definition.pages:
        if page.id in repeated:
            continue
        expected.extend(c.label for c in page.questions)
    plain = [c.header for c in columns(definition) if c.component is not None and c.repeat is None]
    assert plain == expected
    numbered = sum(
        r.max_items * sum(len(definition.page_by_id(p).questions) for p in r.page_ids)  # type: ignore[union-attr]
        for r in definition.repeats.values()
    )
    assert len(headers) == 4 + len(expected) + numbered


def test_headers_do_not_depend_on_the_answers_present() -> None:
    definition = load(RPA)
    full = make_submission(definition, example_answers(definition))
    empty = make_submission(definition, {})

    assert (
        len(submission_row(definition, full))
        == len(submission_row(definition, empty))
        == len(columns(definition))
    )
    assert submission_row(definition, empty)[4:] == [""] * (len(columns(definition)) - 4)


def test_questions_sharing_a_title_get_their_component_names_in_the_header() -> None:
    data = load_json(POULTRY)
    for page in data["pages"]:
        for component in page["components"]:
            if component["name"] in ("keeperName", "businessName"):
                component["shortTitle"] = "Name"
            if component["name"] == "cphNumber":
                component["shortTitle"] = "Reference"
    headers = [c.header for c in columns(build_definition(data))]

    assert "Name (keeperName)" in headers
    assert "Name (businessName)" in headers
    assert "Name" not in headers
    assert headers.count("Reference") == 1
    assert "Reference (cphNumber)" in headers
    assert len(headers) == len(set(headers))


def test_a_question_without_a_short_title_is_headed_by_its_title() -> None:
    headers = [c.header for c in columns(load(BADGERS))]

    assert "Ecologist's full name" in headers


# -- repeats -------------------------------------------------------------------------------------------
def test_a_repeat_with_two_items_fills_numbered_columns_and_leaves_the_rest_up_to_its_maximum_empty() -> None:
    definition = load(BADGERS)
    answers = example_answers(
        definition,
        items=[
            {"settName": ["Main sett"], "entrancesAffected": ["4"]},
            {"settName": ["Outlier 2"], "entrancesAffected": ["1"]},
        ],
    )
    row = as_dict(definition, make_submission(definition, answers))

    assert row["Sett 1: Sett name or number"] == "Main sett"
    assert row["Sett 1: Number of entrances affected"] == "4"
    assert row["Sett 2: Sett name or number"] == "Outlier 2"
    assert row["Sett 2: Number of entrances affected"] == "1"
    assert row["Sett 1: Sett activity"] != ""
    maximum = definition.repeats["setts"].max_items
    assert maximum == 20
    for number in range(3, maximum + 1):
        for label in ("Sett name or number", "Sett activity", "Number of entrances affected"):
            assert row[f"Sett {number}: {label}"] == ""
    assert f"Sett {maximum + 1}: Sett name or number" not in row


def test_a_repeat_has_a_second_table_with_one_row_per_item() -> None:
    definition = load(BADGERS)
    answers = example_answers(definition, items=[{"settName": ["Main sett"]}, {"settName": ["Outlier 2"]}])
    submission = make_submission(definition, answers)
    (table,) = repeat_tables(definition)

    assert table.repeat_id == "setts"
    assert [c.header for c in table.columns] == [
        "Reference",
        "Item number",
        "Sett name or number",
        "Sett activity",
        "Number of entrances affected",
    ]
    rows = repeat_rows(definition, "setts", submission)
    assert [row[:3] for row in rows] == [
        ["K7MP-3QXR-ZD4T", "1", "Main sett"],
        ["K7MP-3QXR-ZD4T", "2", "Outlier 2"],
    ]

    out = io.StringIO(newline="")
    other = make_submission(definition, answers, reference="AAAA-BBBB-CCCC")
    assert write_repeat_csv(definition, "setts", iter([submission, other]), out) == 4
    lines = read_csv(out.getvalue())
    assert lines[0] == [c.header for c in table.columns]
    assert [line[:2] for line in lines[1:]] == [
        ["K7MP-3QXR-ZD4T", "1"],
        ["K7MP-3QXR-ZD4T", "2"],
        ["AAAA-BBBB-CCCC", "1"],
        ["AAAA-BBBB-CCCC", "2"],
    ]


def test_forms_without_repeats_have_no_repeat_tables() -> None:
    assert repeat_tables(load(POULTRY)) == []
    with pytest.raises(KeyError):
        repeat_rows(load(POULTRY), "setts", make_submission(load(POULTRY), {}))


# -- cells ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (HOSTILE, "'" + HOSTILE),
        ("=1+1", "'=1+1"),
        ("+44 20 7946 0000", "'+44 20 7946 0000"),
        ("-1+2", "'-1+2"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("\n=1", "'\n=1"),
        ("  =1+1", "'  =1+1"),
        ("\uff1dSUM(1)", "'\uff1dSUM(1)"),
        ("-", "'-"),
        ("-12.5", "-12.5"),
        ("-3", "-3"),
        ("12", "12"),
        ("1e-05", "1e-05"),
        ("a=b", "a=b"),
        ("Plain text, with a comma", "Plain text, with a comma"),
        ("", ""),
    ],
)
def test_cells_a_spreadsheet_would_run_as_formulas_are_neutralised_and_numbers_kept(
    text: str, expected: str
) -> None:
    assert neutralise(text) == expected


def test_a_hostile_answer_comes_out_of_the_csv_as_text() -> None:
    definition = load(POULTRY)
    submission = make_submission(definition, example_answers(definition, {"keeperName": [HOSTILE]}))

    header, row = read_csv(answers_csv(submission).decode("utf-8-sig"))

    assert row[header.index("Your name")] == "'" + HOSTILE
    assert not any(cell.startswith(("=", "+", "@")) for cell in row)


def test_quotes_newlines_and_commas_round_trip_through_a_csv_reader() -> None:
    definition = load(BADGERS)
    awkward = 'He said "no, not there",\nthen left; ok'
    answers = example_answers(definition, {"justification": [awkward], "siteName": ['Field "A", north']})
    submission = make_submission(definition, answers)

    header, row = read_csv(answers_csv(submission).decode("utf-8-sig"))

    assert row[header.index("Why interference is necessary")] == awkward
    assert row[header.index("Site name")] == 'Field "A", north'
    assert len(row) == len(header)


def test_the_csv_for_one_submission_has_a_byte_order_mark_and_crlf_line_ends() -> None:
    definition = load(POULTRY)
    data = answers_csv(make_submission(definition, example_answers(definition)))

    assert data.startswith(b"\xef\xbb\xbf")
    assert data.count(b"\r\n") == 2
    assert data.endswith(b"\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")
    header, row = read_csv(data.decode("utf-8-sig"))
    assert header[0] == "Reference"
    assert row[:4] == ["K7MP-3QXR-ZD4T", "2024-05-01T09:30:15Z", definition.version, "en"]


def test_answers_are_exported_as_text_and_file_uploads_as_file_names() -> None:
    definition = load(BADGERS)
    answers = example_answers(definition)
    answers["surveyDocuments"] = [
        {"id": "f1", "filename": "survey report.pdf", "size": 2048, "content_type": "application/pdf"},
        {"id": "f2", "filename": "site-map.png", "size": 1024, "content_type": "image/png"},
    ]
    row = as_dict(definition, make_submission(definition, answers))

    assert row["Survey report and site map"] == "survey report.pdf; site-map.png"
    assert row["Applicant's address"] == "1 Example Street, York, YO1 7HH"
    assert row["Artificial sett"] in ("Yes", "No")
    assert row["Applicant's declaration"] == "Yes"


def test_answers_on_pages_the_citizen_did_not_visit_are_empty_cells() -> None:
    definition = load(RPA)
    answers = example_answers(definition)
    skipped = [c.name for _, c in definition.questions() if c.name not in answers]
    assert skipped, "the example path of the RLE1 form skips conditional pages"
    submission = make_submission(definition, answers)
    names = [c.component for c in columns(definition)]
    row = dict(zip(names, submission_row(definition, submission), strict=True))

    for name in skipped:
        assert row[name] == ""
    assert any(row[name] for name in answers)


def test_submitted_at_is_iso_8601_in_utc() -> None:
    assert format_time(datetime(2024, 1, 2, 3, 4, 5)) == "2024-01-02T03:04:05Z"
    assert format_time(datetime(2024, 7, 1, 10, 0, 0, 999, tzinfo=timezone(timedelta(hours=1)))) == (
        "2024-07-01T09:00:00Z"
    )


# -- streaming -----------------------------------------------------------------------------------------
class CountingSink:
    """A text stream that keeps nothing but how much was written to it."""

    def __init__(self) -> None:
        self.chars = 0
        self.writes = 0

    def write(self, text: str) -> int:
        self.chars += len(text)
        self.writes += 1
        return len(text)


def test_ten_thousand_submissions_stream_through_write_csv_in_bounded_memory() -> None:
    definition = load(BADGERS)
    answers = example_answers(definition, items=[{}, {}, {}])
    source = copy.deepcopy(dict(definition.source))
    made = 0

    def generate(count: int) -> Iterator[Submission]:
        nonlocal made
        for number in range(count):
            made += 1
            digits = f"{number:012d}"
            yield Submission(
                reference=f"{digits[:4]}-{digits[4:8]}-{digits[8:]}",
                journey_id=f"j{number}",
                form_slug=definition.slug,
                form_version=definition.version,
                definition=source,
                answers={**answers, "justification": f"Reason number {number}, " + "x" * 200},
                submitted_at=SUBMITTED_AT + timedelta(seconds=number),
                language="en",
            )

    # Warm the caches so the measure is of the rows, not of building the definition's columns once.
    write_csv(definition, generate(1), CountingSink())
    sink = CountingSink()
    tracemalloc.start()
    try:
        written = write_csv(definition, generate(10_000), sink)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert written == 10_000
    assert made == 10_001
    assert sink.writes == 10_001
    assert sink.chars > 4_000_000
    assert peak < sink.chars / 20, (peak, sink.chars)


def test_csv_chunks_are_pulled_from_the_submissions_one_at_a_time() -> None:
    definition = load(POULTRY)
    answers = example_answers(definition)
    pulled = []

    def generate() -> Iterator[Submission]:
        for number in range(3):
            pulled.append(number)
            yield make_submission(definition, answers, reference=f"AAAA-BBBB-CCC{number}")

    chunks = csv_chunks(definition, generate())
    assert next(chunks).startswith("Reference,")
    assert pulled == []
    assert next(chunks).startswith("AAAA-BBBB-CCC0,")
    assert pulled == [0]


# -- definition versions -------------------------------------------------------------------------------
def older_poultry() -> dict[str, Any]:
    """The poultry form as it was before: the housing question was titled differently, a list item
    read differently, there was an extra question and no open-water question."""
    data = load_json(POULTRY)
    for page in data["pages"]:
        for component in page["components"]:
            if component["name"] == "housing":
                component["shortTitle"] = "How birds are housed"
    for lst in data["lists"]:
        for item in lst["items"]:
            item["text"] = {
                "en": f"Old {item['text']['en'] if isinstance(item['text'], dict) else item['text']}"
            }
    data["pages"] = [p for p in data["pages"] if p["id"] != "open-water"]
    data["pages"].insert(
        1,
        {
            "id": "herd-mark",
            "path": "/herd-mark",
            "title": "Flock mark",
            "components": [
                {"id": "flockMarkField", "type": "TextField", "name": "flockMark", "title": "Flock mark"}
            ],
        },
    )
    return data


def test_a_submission_on_an_older_version_is_exported_with_its_own_definition() -> None:
    current = load(POULTRY)
    old = build_definition(older_poultry())
    assert old.version != current.version
    answers = example_answers(old, {"flockMark": ["FM-1"]})
    submission = make_submission(old, answers)

    header, row = read_csv(answers_csv(submission).decode("utf-8-sig"))
    cells = dict(zip(header, row, strict=True))

    assert "How birds are housed" in header
    assert "Open water nearby" not in header
    assert cells["Flock mark"] == "FM-1"
    assert cells["Form version"] == old.version
    assert cells["How birds are housed"].startswith("Old ")


def test_an_export_of_several_versions_uses_the_newest_columns_and_matches_answers_by_name() -> None:
    current = load(POULTRY)
    old = build_definition(older_poultry())
    old_submission = make_submission(old, example_answers(old), reference="OLDD-OLDD-OLDD")
    new_submission = make_submission(current, example_answers(current), reference="NEWW-NEWW-NEWW")
    out = io.StringIO(newline="")

    assert write_csv(current, [old_submission, new_submission], out) == 2
    header, old_row, new_row = read_csv(out.getvalue())
    old_cells = dict(zip(header, old_row, strict=True))
    new_cells = dict(zip(header, new_row, strict=True))

    assert header == [c.header for c in columns(current)]
    assert "Flock mark" not in header
    # Answered on the old version under the same name, shown with the old version's list text.
    assert old_cells["Housing"].startswith("Old ")
    assert not new_cells["Housing"].startswith("Old ")
    assert old_cells["Open water nearby"] == ""
    assert new_cells["Open water nearby"] in ("Yes", "No")
    assert old_cells["Your name"] == new_cells["Your name"] != ""
    assert old_cells["Form version"] == old.version
    assert new_cells["Form version"] == current.version


def test_items_past_the_maximum_of_the_exported_definition_stay_in_the_repeat_table() -> None:
    data = load_json(BADGERS)
    data["repeats"][0]["max"] = 2
    newer = build_definition(data)
    older = load(BADGERS)
    names = [{"settName": [f"Sett {n}"]} for n in range(1, 4)]
    submission = make_submission(older, example_answers(older, items=names))

    row = as_dict(newer, submission)
    rows = repeat_rows(newer, "setts", submission)

    assert row["Sett 2: Sett name or number"] == "Sett 2"
    assert "Sett 3: Sett name or number" not in row
    assert [r[1:3] for r in rows] == [["1", "Sett 1"], ["2", "Sett 2"], ["3", "Sett 3"]]
