"""`forms-engine import pdf`: fillable PDFs built by the tests themselves (tests/designer/pdfs.py) drafted
into native definitions that validate, render and complete, with a report of what needs a designer's eye."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from forms_engine.definitions.loader import validate_definition_data
from forms_engine.designer.importers.pdf import Finding, ImportResult, PdfImportError, import_pdf, pdf_command
from forms_engine.extensions import db
from tests.conftest import make_app
from tests.helpers import BrowserClient, definitions, submit, walk_to_check_answers

from .pdfs import FormPdf, encrypted, without_fields

#: One row of boxes on an A4 page, from the top: (left, bottom, right, top).
ROW = 24


def box(
    row: int, left: float = 72, width: float = 200, height: float = 16
) -> tuple[float, float, float, float]:
    top = 800 - row * ROW
    return (left, top - height, left + width, top)


def tick(row: int, left: float = 72) -> tuple[float, float, float, float]:
    return box(row, left, 12, 12)


def sample_pdf() -> bytes:
    """Two pages with every kind of field, added out of their visual order on purpose."""
    pdf = FormPdf(pages=2, title="IRA82 Register your birds", Author="Animal and Plant Health Agency")
    # Page 2 first, bottom up.
    pdf.signature("applicant_signature", box(20), page=1, tooltip="Signature")
    pdf.checkbox("vat_registered", tick(6), page=1)
    pdf.checkbox("Purpose_Meat", tick(4), page=1, tooltip="Meat")
    pdf.checkbox("Purpose_Eggs", tick(3), page=1, tooltip="Eggs")
    pdf.text(
        "notes",
        box(1, height=60),
        page=1,
        tooltip="Anything else we should know?",
        multiline=True,
        max_len=500,
    )
    pdf.text("office_use", box(22), page=1, read_only=True)
    pdf.text("total_birds", box(23), page=1, calculate_script="AFSimple_Calculate('SUM', ['a', 'b']);")
    pdf.text("hidden_ref", box(24), page=1, hidden=True)
    pdf.push_button("print_form", box(25), page=1, script="this.print();")
    # Page 1, out of order; last name is on the same row as first name, a little lower.
    pdf.choice(
        "breed",
        [f"Breed {n}" for n in range(1, 10)],
        box(12),
        tooltip="Main breed",
        combo=False,
    )
    pdf.choice(
        "county",
        ["", "Select one", ("DEV", "Devon"), ("KEN", "Kent"), ("CON", "Cornwall")],
        box(11),
        tooltip="County where the birds are kept",
    )
    pdf.radio_group(
        "housing",
        [("free_range", tick(9)), ("covered_run", tick(9, 200)), ("indoors", tick(9, 330))],
        tooltip="How are your birds housed?",
        required=True,
    )
    pdf.checkbox("species.geese", tick(7))
    pdf.checkbox("species.ducks", tick(6), tooltip="Ducks")
    pdf.checkbox("species.chickens", tick(5), tooltip="Chickens")
    pdf.parent_tooltip("species", "Which birds do you keep?")
    pdf.text("Text12", box(3))
    pdf.text("email_address", box(2), tooltip="Email address")
    pdf.text("applicant_last_name", box(1, left=300, height=15), required=True)
    pdf.text("applicant_first_name", box(1), tooltip="First name", required=True, max_len=40)
    return pdf.build()


def typed_pdf() -> bytes:
    """Fields whose names ask for typed answers and groups of boxes that make one answer."""
    pdf = FormPdf(title="Apply for a licence")
    pdf.text("applicant_address_line_1", box(1), tooltip="Building and street", required=True)
    pdf.text("applicant_address_line_2", box(2))
    pdf.text("applicant_town", box(3), required=True)
    pdf.text("applicant_postcode", box(4), required=True)
    pdf.text("dob_day", box(5, width=30))
    pdf.text("dob_month", box(5, left=110, width=30))
    pdf.text("dob_year", box(5, left=150, width=50))
    pdf.text("phone", box(6), tooltip="Telephone number", required=True)
    pdf.text("ni_number", box(7), tooltip="National Insurance number")
    pdf.text(
        "birds",
        box(8),
        tooltip="How many birds?",
        format_script='AFNumber_Format(0, 0, 0, 0, "", true); AFRange_Validate(true, 1, true, 49);',
    )
    pdf.text("since", box(9), tooltip="Keeping birds since", format_script='AFDate_FormatEx("mm/yyyy");')
    pdf.text("site_postcode", box(10), tooltip="Postcode of the site")
    pdf.choice("uses", ["Eggs", "Meat", "Pets"], box(11), tooltip="Uses", combo=False, multi_select=True)
    pdf.checkbox("declaration", tick(12), tooltip="I confirm the information is true", required=True)
    return pdf.build()


@pytest.fixture(scope="module")
def sample() -> ImportResult:
    return import_pdf(sample_pdf())


def pages_by_name(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {page["components"][0]["name"]: page["components"][0] for page in definition["pages"]}


def list_items(definition: dict[str, Any], component: dict[str, Any]) -> list[tuple[str, str]]:
    lists = {lst["id"]: lst for lst in definition["lists"]}
    return [(item["value"], item["text"]) for item in lists[component["list"]]["items"]]


def findings(result: ImportResult, field: str, level: str | None = None) -> list[str]:
    return [f.message for f in result.report if f.field == field and (level is None or f.level == level)]


def only_field(**kwargs: Any) -> tuple[dict[str, Any], ImportResult]:
    """Import a one-page PDF with one text field; return its component and the result."""
    pdf = FormPdf(title="One question")
    pdf.text(kwargs.pop("name", "answer"), box(1), **kwargs)
    result = import_pdf(pdf.build())
    return result.definition["pages"][0]["components"][0], result


# -- the draft ------------------------------------------------------------------------------------


def test_the_draft_of_a_fillable_pdf_is_a_valid_definition(sample: ImportResult) -> None:
    assert validate_definition_data(sample.definition) == []
    assert sample.definition["slug"] == "ira82-register-your-birds"
    assert sample.definition["title"] == "IRA82 Register your birds"
    assert sample.definition["paperForm"] == {
        "reference": "IRA82",
        "title": "IRA82 Register your birds",
        "organisation": "APHA",
    }


def test_questions_follow_the_paper_page_by_page_top_to_bottom_then_left_to_right(
    sample: ImportResult,
) -> None:
    names = [page["components"][0]["name"] for page in sample.definition["pages"]]
    assert names == [
        "applicantFirstName",
        "applicantLastName",
        "emailAddress",
        "text12",
        "species",
        "housing",
        "county",
        "breed",
        "notes",
        "purpose",
        "vatRegistered",
    ]


def test_each_question_has_a_page_of_its_own_with_a_path_from_the_field_name(sample: ImportResult) -> None:
    for page in sample.definition["pages"]:
        assert len(page["components"]) == 1
        assert page["title"] == page["components"][0]["title"]
    paths = [page["path"] for page in sample.definition["pages"]]
    assert paths[:3] == ["/applicant-first-name", "/applicant-last-name", "/email-address"]
    assert len(set(paths)) == len(paths)


def test_text_fields_keep_their_tooltip_maximum_length_and_required_flag(sample: ImportResult) -> None:
    first = pages_by_name(sample.definition)["applicantFirstName"]
    assert first["type"] == "TextField"
    assert first["title"] == "First name"
    assert first["options"]["maxLength"] == 40
    assert "optional" not in first


def test_a_field_without_a_tooltip_is_labelled_from_its_name_and_reported(sample: ImportResult) -> None:
    last = pages_by_name(sample.definition)["applicantLastName"]
    assert last["title"] == "Applicant last name"
    assert "no tooltip: label 'Applicant last name' made from the field name" in findings(
        sample, "applicant_last_name", "warning"
    )


def test_a_field_with_a_generated_name_and_no_tooltip_is_reported_as_unlabelled(sample: ImportResult) -> None:
    text = pages_by_name(sample.definition)["text12"]
    assert text["title"] == "TODO: question for PDF field 'Text12'"
    assert text["optional"] is True
    assert any(m.startswith("unlabelled") for m in findings(sample, "Text12", "warning"))


def test_multiline_text_becomes_a_long_text_question_with_its_limit(sample: ImportResult) -> None:
    notes = pages_by_name(sample.definition)["notes"]
    assert notes["type"] == "MultilineTextField"
    assert notes["options"] == {"maxLength": 500}
    assert notes["title"] == "Anything else we should know?"


def test_a_type_guessed_from_a_name_is_reported(sample: ImportResult) -> None:
    assert pages_by_name(sample.definition)["emailAddress"]["type"] == "EmailAddressField"
    assert "type guessed from its name or tooltip: EmailAddressField; check it" in findings(
        sample, "email_address", "warning"
    )


def test_a_radio_group_becomes_radios_with_its_options_in_order(sample: ImportResult) -> None:
    housing = pages_by_name(sample.definition)["housing"]
    assert housing["type"] == "RadiosField"
    assert housing["title"] == "How are your birds housed?"
    assert "optional" not in housing
    assert list_items(sample.definition, housing) == [
        ("free_range", "Free range"),
        ("covered_run", "Covered run"),
        ("indoors", "Indoors"),
    ]


def test_check_boxes_under_one_parent_become_one_checkboxes_question(sample: ImportResult) -> None:
    species = pages_by_name(sample.definition)["species"]
    assert species["type"] == "CheckboxesField"
    assert species["title"] == "Which birds do you keep?"
    assert species["optional"] is True
    assert list_items(sample.definition, species) == [
        ("chickens", "Chickens"),
        ("ducks", "Ducks"),
        ("geese", "Geese"),
    ]
    assert any("grouped into one checkboxes question" in m for m in findings(sample, "species.chickens"))


def test_check_boxes_sharing_a_first_word_become_one_checkboxes_question(sample: ImportResult) -> None:
    purpose = pages_by_name(sample.definition)["purpose"]
    assert purpose["type"] == "CheckboxesField"
    assert purpose["title"] == "Purpose"
    assert list_items(sample.definition, purpose) == [("eggs", "Eggs"), ("meat", "Meat")]


def test_a_single_check_box_becomes_a_yes_no_question(sample: ImportResult) -> None:
    vat = pages_by_name(sample.definition)["vatRegistered"]
    assert vat["type"] == "YesNoField"
    assert "optional" not in vat


def test_a_short_drop_down_becomes_radios_without_its_prompt_and_says_so(sample: ImportResult) -> None:
    county = pages_by_name(sample.definition)["county"]
    assert county["type"] == "RadiosField"
    assert list_items(sample.definition, county) == [("DEV", "Devon"), ("KEN", "Kent"), ("CON", "Cornwall")]
    messages = findings(sample, "county", "info")
    assert "option 'Select one' is a prompt, not an answer: left out" in messages
    assert any(m.startswith("drop-down with 3 options: drafted as radios") for m in messages)


def test_a_long_list_box_stays_a_select_and_says_so(sample: ImportResult) -> None:
    breed = pages_by_name(sample.definition)["breed"]
    assert breed["type"] == "SelectField"
    assert len(list_items(sample.definition, breed)) == 9
    assert any(m.startswith("list box with 9 options: kept as a select") for m in findings(sample, "breed"))


@pytest.mark.parametrize(
    ("field", "says"),
    [
        ("applicant_signature", "signature field: not carried over; add a DeclarationField"),
        ("office_use", "read-only"),
        ("total_birds", "calculated by the PDF from other fields"),
        ("hidden_ref", "hidden in the PDF"),
        ("print_form", "push button (JavaScript)"),
    ],
)
def test_fields_that_are_not_questions_are_left_out_and_reported(
    sample: ImportResult, field: str, says: str
) -> None:
    assert any(m.startswith(says) for m in findings(sample, field, "dropped")), sample.report
    assert not [p for p in sample.definition["pages"] if field in json.dumps(p)]


def test_labels_that_are_not_questions_get_a_finding_suggesting_a_question(sample: ImportResult) -> None:
    assert any("is a label, not a question" in m for m in findings(sample, "applicant_first_name"))
    assert not any("is a label" in m for m in findings(sample, "housing"))


def test_the_report_lists_the_placeholders_to_fill_in(sample: ImportResult) -> None:
    form = " ".join(findings(sample, "(form)"))
    assert "TODO placeholders" in form
    assert "paper form reference 'IRA82' guessed" in form
    assert sample.definition["service"]["contact"]["name"].startswith("TODO")
    assert sample.definition["startPage"]["content"].startswith("TODO")


def test_the_report_puts_form_findings_first_then_fields_in_paper_order(sample: ImportResult) -> None:
    fields = [f.field for f in sample.report]
    form_count = fields.count("(form)")
    assert fields[:form_count] == ["(form)"] * form_count
    assert fields.index("applicant_first_name") < fields.index("email_address") < fields.index("breed")
    assert fields.index("vat_registered") < fields.index("applicant_signature") < fields.index("print_form")


# -- mappings, one field at a time ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "expected_type", "expected_options"),
    [
        ({"name": "email", "tooltip": "Your email"}, "EmailAddressField", None),
        ({"name": "contact_tel"}, "TelephoneNumberField", None),
        ({"name": "mobile", "tooltip": "Mobile phone number"}, "TelephoneNumberField", None),
        ({"name": "ni_number", "tooltip": "National Insurance number"}, "NationalInsuranceNumberField", None),
        ({"name": "date_of_birth"}, "DatePartsField", {"latest": "today"}),
        ({"name": "arrival_date"}, "DatePartsField", None),
        ({"name": "number_of_birds"}, "NumberField", None),
        (
            {"name": "flock", "format_script": 'AFNumber_Format(0, 0, 0, 0, "", true);'},
            "NumberField",
            None,
        ),
        (
            {"name": "weight", "format_script": 'AFNumber_Format(2, 0, 0, 0, "", true);'},
            "NumberField",
            {"decimals": 2},
        ),
        ({"name": "start", "format_script": 'AFDate_FormatEx("dd/mm/yyyy");'}, "DatePartsField", None),
        ({"name": "since", "format_script": 'AFDate_FormatEx("mm/yyyy");'}, "MonthYearField", None),
        ({"name": "holding", "max_len": 9, "comb": True}, "TextField", {"maxLength": 9, "spellcheck": False}),
        ({"name": "answer", "max_len": 30}, "TextField", {"maxLength": 30}),
    ],
)
def test_text_fields_map_to_the_matching_component(
    field: dict[str, Any], expected_type: str, expected_options: dict[str, Any] | None
) -> None:
    component, result = only_field(**field)
    assert component["type"] == expected_type
    if expected_options is not None:
        assert {k: component["options"][k] for k in expected_options} == expected_options
    assert validate_definition_data(result.definition) == []


def test_a_range_check_script_becomes_minimum_and_maximum() -> None:
    component, _ = only_field(
        name="birds",
        format_script='AFNumber_Format(0, 0, 0, 0, "", true); AFRange_Validate(true, 1, true, 49);',
    )
    assert component["type"] == "NumberField"
    assert component["options"] == {"min": 1, "max": 49}


def test_a_script_the_importer_does_not_know_is_reported_as_not_carried_over() -> None:
    _, result = only_field(name="code", format_script="event.value = event.value.toUpperCase();")
    assert any(m.startswith("JavaScript format action") for m in findings(result, "code", "dropped"))


def test_a_comb_field_is_reported_as_a_probable_fixed_length_code() -> None:
    _, result = only_field(name="holding", max_len=9, comb=True)
    assert any(m.startswith("comb field of 9 boxes") for m in findings(result, "holding"))


def test_a_postcode_on_its_own_gets_a_uk_postcode_pattern_with_an_example_and_message() -> None:
    component, result = only_field(name="postcode", tooltip="Postcode")
    assert component["type"] == "TextField"
    assert re.fullmatch(component["options"]["regex"], "sw1a 2aa")
    assert component["errors"] == {"format": "Enter a real postcode"}
    assert validate_definition_data(result.definition) == []


def test_address_lines_town_and_postcode_become_one_uk_address_question() -> None:
    pdf = FormPdf(title="Address")
    pdf.text("holding_address_line_1", box(1), tooltip="Address line 1", required=True)
    pdf.text("holding_address_line_2", box(2))
    pdf.text("holding_town", box(3))
    pdf.text("holding_county", box(4))
    pdf.text("holding_postcode", box(5))
    pdf.text("holding_email", box(6))
    result = import_pdf(pdf.build())
    components = [page["components"][0] for page in result.definition["pages"]]
    assert [(c["type"], c["name"], c["title"]) for c in components] == [
        ("UkAddressField", "holdingAddress", "Holding address"),
        ("EmailAddressField", "holdingEmail", "Holding email"),
    ]
    assert "optional" not in components[0]


def test_day_month_and_year_boxes_become_one_date_question() -> None:
    pdf = FormPdf(title="Dates")
    pdf.text("dob_day", box(1, width=30), max_len=2)
    pdf.text("dob_month", box(1, left=110, width=30), max_len=2)
    pdf.text("dob_year", box(1, left=150, width=50), max_len=4)
    result = import_pdf(pdf.build())
    (page,) = result.definition["pages"]
    component = page["components"][0]
    assert (component["type"], component["name"], component["title"]) == (
        "DatePartsField",
        "dob",
        "Date of birth",
    )
    assert component["options"] == {"latest": "today"}


def test_a_radio_group_with_opt_takes_its_values_from_opt() -> None:
    pdf = FormPdf(title="Radios")
    pdf.radio_group(
        "size",
        [("0", tick(1)), ("1", tick(2)), ("2", tick(3))],
        tooltip="How many birds?",
        opt=["Fewer than 10", "10 to 49", "50 or more"],
    )
    result = import_pdf(pdf.build())
    component = result.definition["pages"][0]["components"][0]
    assert list_items(result.definition, component) == [
        ("Fewer than 10", "Fewer than 10"),
        ("10 to 49", "10 to 49"),
        ("50 or more", "50 or more"),
    ]


def test_yes_and_no_radio_buttons_become_a_yes_no_question() -> None:
    pdf = FormPdf(title="Yes no")
    pdf.radio_group("keeps_birds", [("Yes", tick(1)), ("No", tick(1, 120))], tooltip="Do you keep birds?")
    component = import_pdf(pdf.build()).definition["pages"][0]["components"][0]
    assert component["type"] == "YesNoField"


def test_a_multi_select_list_box_becomes_checkboxes() -> None:
    pdf = FormPdf(title="Lists")
    pdf.choice(
        "uses",
        ["Eggs", "Meat", "Pets"],
        box(1),
        tooltip="Why do you keep birds?",
        combo=False,
        multi_select=True,
    )
    component = import_pdf(pdf.build()).definition["pages"][0]["components"][0]
    assert component["type"] == "CheckboxesField"


def test_a_required_check_box_becomes_a_declaration_with_the_tooltip_as_its_text() -> None:
    pdf = FormPdf(title="Declare")
    pdf.text("name", box(1), tooltip="Your name")
    pdf.checkbox(
        "declaration", tick(2), tooltip="I declare the information I have given is true", required=True
    )
    component = import_pdf(pdf.build()).definition["pages"][1]["components"][0]
    assert component["type"] == "DeclarationField"
    assert component["content"] == "I declare the information I have given is true"


def test_names_are_made_unique_and_duplicate_field_names_are_reported() -> None:
    pdf = FormPdf(title="Duplicates")
    pdf.text("comments", box(1), tooltip="Comments")
    pdf.text("comments", box(2), tooltip="More comments")
    pdf.text("start", box(3), tooltip="Start")  # /start is the runner's own path
    pdf.text("data", box(4), tooltip="Data")  # `data` is a reserved answer name
    result = import_pdf(pdf.build())
    pages = result.definition["pages"]
    assert [p["components"][0]["name"] for p in pages] == ["comments", "comments2", "start", "data2"]
    assert [p["path"] for p in pages] == ["/comments", "/comments-2", "/start-2", "/data"]
    assert any(
        m.startswith("2 separate fields share this name") for m in findings(result, "comments", "warning")
    )


def test_names_from_a_form_converted_from_xfa_lose_their_indexes_and_wrappers() -> None:
    pdf = FormPdf(title="Converted")
    pdf.text("form1[0].Page1[0].ApplicantName[0]", box(1))
    pdf.xfa = True
    result = import_pdf(pdf.build())
    component = result.definition["pages"][0]["components"][0]
    assert (component["name"], component["title"]) == ("applicantName", "Applicant name")
    assert result.definition["pages"][0]["path"] == "/applicant-name"
    assert any("XFA" in m for m in findings(result, "(form)", "warning"))


def test_a_field_drawn_on_two_pages_is_asked_once() -> None:
    pdf = FormPdf(pages=2, title="Repeated")
    pdf.text_on_pages("reference", [(0, box(1)), (1, box(1))], tooltip="Your reference")
    result = import_pdf(pdf.build())
    assert len(result.definition["pages"]) == 1
    assert "drawn 2 times in the PDF (one value): asked once" in findings(result, "reference", "info")


def test_the_title_comes_from_the_file_name_without_metadata(tmp_path: Path) -> None:
    pdf = FormPdf()
    pdf.text("name", box(1), tooltip="Your name")
    path = tmp_path / "bird_keeper_registration.pdf"
    path.write_bytes(pdf.build())
    result = import_pdf(path, slug="register-birds")
    assert result.definition["title"] == "Bird keeper registration"
    assert result.definition["slug"] == "register-birds"
    assert result.definition["paperForm"]["reference"] == "TODO"


def test_a_pdf_encrypted_only_against_editing_is_read() -> None:
    pdf = FormPdf(title="Locked")
    pdf.text("name", box(1), tooltip="Your name")
    result = import_pdf(encrypted(pdf.build(), user_password=""))
    assert result.definition["pages"][0]["components"][0]["name"] == "name"


def test_a_damaged_pdf_that_pypdf_repairs_is_read_and_its_repairs_reported() -> None:
    data = FormPdf(title="Damaged")
    data.text("name", box(1), tooltip="Your name")
    damaged = re.sub(rb"startxref\n\d+", b"startxref\n9", data.build())
    result = import_pdf(damaged)
    assert result.definition["pages"][0]["components"][0]["name"] == "name"
    assert any(m.startswith("while reading the PDF: pypdf:") for m in findings(result, "(form)", "warning"))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"Name,Email\nAda,ada@example.com\n", "not a PDF file"),
        (without_fields(), "the PDF has no form fields: it is not a fillable form"),
        (FormPdf().build(), "the PDF has no form fields"),
        (sample_pdf()[:300], "not a readable PDF"),
    ],
)
def test_files_without_form_fields_are_refused_with_a_reason(data: bytes, message: str) -> None:
    with pytest.raises(PdfImportError, match=re.escape(message)):
        import_pdf(data)


def test_an_xfa_only_form_is_refused_with_advice() -> None:
    pdf = FormPdf()
    pdf.xfa = True
    with pytest.raises(PdfImportError, match="XFA"):
        import_pdf(pdf.build())


def test_a_password_protected_pdf_is_refused() -> None:
    pdf = FormPdf(title="Secret")
    pdf.text("name", box(1), tooltip="Your name")
    with pytest.raises(PdfImportError, match="encrypted with a password"):
        import_pdf(encrypted(pdf.build(), user_password="secret"))


def test_a_pdf_whose_fields_cannot_be_questions_is_refused_with_its_report() -> None:
    pdf = FormPdf(title="Signature only")
    pdf.signature("signature", box(1))
    with pytest.raises(PdfImportError) as caught:
        import_pdf(pdf.build())
    assert [f.field for f in caught.value.report if f.level == "dropped"] == ["signature"]


# -- the draft works --------------------------------------------------------------------------------


def test_typed_fields_and_groups_of_boxes_map_to_their_components() -> None:
    result = import_pdf(typed_pdf())
    types = [(p["components"][0]["name"], p["components"][0]["type"]) for p in result.definition["pages"]]
    assert types == [
        ("applicantAddress", "UkAddressField"),
        ("dob", "DatePartsField"),
        ("phone", "TelephoneNumberField"),
        ("niNumber", "NationalInsuranceNumberField"),
        ("birds", "NumberField"),
        ("since", "MonthYearField"),
        ("sitePostcode", "TextField"),
        ("uses", "CheckboxesField"),
        ("declaration", "DeclarationField"),
    ]
    address = result.definition["pages"][0]["components"][0]
    assert address["title"] == "Applicant address"
    assert "optional" not in address


def test_an_address_box_and_a_postcode_become_one_address_question_titled_by_the_tooltip() -> None:
    pdf = FormPdf(title="Premises")
    pdf.text("premises", box(1, height=60), tooltip="Address of the premises", multiline=True)
    pdf.text("premises_postcode", box(4), tooltip="Postcode")
    result = import_pdf(pdf.build())
    (page,) = result.definition["pages"]
    component = page["components"][0]
    assert (component["type"], component["title"]) == ("UkAddressField", "Address of the premises")


@pytest.mark.parametrize("make_pdf", [sample_pdf, typed_pdf], ids=["sample", "typed"])
def test_the_draft_renders_and_completes_from_start_to_confirmation(make_pdf: Any, tmp_path: Path) -> None:
    draft = import_pdf(make_pdf())
    folder = tmp_path / "definitions"
    folder.mkdir()
    (folder / "imported.json").write_text(json.dumps(draft.definition), encoding="utf-8")
    app = make_app(f"sqlite:///{tmp_path / 'db.sqlite'}", FORM_DEFINITIONS_DIR=folder)
    try:
        (definition,) = definitions(app)
        client = BrowserClient(app)
        check = walk_to_check_answers(client, definition)
        assert check.status == 200
        rows = check.soup.select(".govuk-summary-list__row")
        assert len(rows) == len(draft.definition["pages"])
        confirmation = submit(client, definition)
        assert confirmation.status == 200
        assert confirmation.soup.select_one(".govuk-panel__body strong") is not None
    finally:
        with app.app_context():
            db.engine.dispose()


# -- the command ------------------------------------------------------------------------------------


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(pdf_command, [str(a) for a in args])


def test_the_command_writes_the_definition_to_stdout_and_the_report_to_stderr(tmp_path: Path) -> None:
    path = tmp_path / "form.pdf"
    path.write_bytes(sample_pdf())
    result = run(path)
    assert result.exit_code == 0, result.stderr
    definition = json.loads(result.stdout)
    assert validate_definition_data(definition) == []
    lines = result.stderr.splitlines()
    expected = [str(f) for f in import_pdf(path).report]
    assert lines == expected
    assert all(re.fullmatch(r"[^:]+: (info|warning|dropped): .+", line) for line in lines)
    assert "applicant_signature: dropped: signature field" in result.stderr


def test_the_command_writes_to_a_file_and_will_not_replace_one_without_force(tmp_path: Path) -> None:
    path = tmp_path / "form.pdf"
    path.write_bytes(sample_pdf())
    output = tmp_path / "draft.json"
    assert run(path, "--output", output, "--slug", "register-birds").exit_code == 0
    assert json.loads(output.read_text())["slug"] == "register-birds"
    again = run(path, "--output", output)
    assert again.exit_code == 1
    assert "already exists: use --force" in again.stderr
    assert run(path, "--output", output, "--force").exit_code == 0
    assert json.loads(output.read_text())["slug"] == "ira82-register-your-birds"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"%!PS-Adobe-3.0\nnot a pdf\n", "not a PDF file (it does not start with a %PDF header)"),
        (without_fields(), "the PDF has no form fields: it is not a fillable form"),
    ],
)
def test_the_command_exits_1_with_a_clear_message_for_a_file_it_cannot_import(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "upload.pdf"
    path.write_bytes(content)
    result = run(path)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == f"Error: {path}: {message}\n"
    assert "Traceback" not in result.output


def test_the_command_exits_1_for_a_missing_file(tmp_path: Path) -> None:
    result = run(tmp_path / "missing.pdf")
    assert result.exit_code == 1
    assert "cannot read the file: No such file or directory" in result.stderr


def test_the_command_refuses_a_slug_that_cannot_be_used(tmp_path: Path) -> None:
    path = tmp_path / "form.pdf"
    path.write_bytes(sample_pdf())
    result = run(path, "--slug", "Birds Form")
    assert result.exit_code == 2
    assert "'Birds Form' cannot be a slug" in result.stderr


def test_the_command_is_forms_engine_import_pdf(app: Any, tmp_path: Path) -> None:
    path = tmp_path / "form.pdf"
    path.write_bytes(sample_pdf())
    result = app.test_cli_runner().invoke(args=["import", "pdf", str(path)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["slug"] == "ira82-register-your-birds"


def test_findings_print_as_field_level_message() -> None:
    assert str(Finding("species.chickens", "warning", "grouped")) == "species.chickens: warning: grouped"
