"""FileUploadField on its own: checks of one file (empty, size, type by content), the number of files,
the GOV.UK messages (in English and Welsh), the stored answer, rendering and the definition checks."""

from __future__ import annotations

import json
from typing import Any

import pytest
from bs4 import BeautifulSoup
from markupsafe import Markup

from forms_engine.components import LiteralView
from forms_engine.components.files import FileUploadField, IncomingFile, format_size
from forms_engine.definitions.loader import validate_definition_data
from forms_engine.files.scan import ScanResult

from ..helpers import EXAMPLE_PDF
from . import BASE, component, handler_of, message_of, page_with

PNG = b"\x89PNG\r\n\x1a\n" + bytes(20)
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00"


def upload(**options: Any) -> FileUploadField:
    fields: dict[str, Any] = {"shortTitle": "Your evidence", "options": {"accept": ["pdf"], **options}}
    handler = handler_of(page_with(component("FileUploadField", **fields)))
    assert isinstance(handler, FileUploadField)
    return handler


def record(number: int) -> dict[str, Any]:
    return {
        "id": f"f{number}",
        "filename": f"file {number}.pdf",
        "size": 10,
        "content_type": "application/pdf",
    }


def posted(count: int) -> dict[str, list[str]]:
    return {"answer": [json.dumps([record(i) for i in range(count)])]}


def message(result: object) -> str:
    """The message of a FieldError (empty for anything else, such as an accepted file's type)."""
    return str(getattr(result, "message", ""))


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (["pdf"], "The selected file must be a PDF"),
        (["pdf", "png"], "The selected file must be a PDF or PNG"),
        (["pdf", "jpeg", "png"], "The selected file must be a PDF, JPG or PNG"),
        (["xlsx", "csv"], "The selected file must be an XLSX or CSV"),
    ],
)
def test_the_wrong_type_message_lists_the_accepted_types(accept: list[str], expected: str) -> None:
    handler = upload(accept=accept)
    assert message(handler.check_file(IncomingFile("photo.gif", GIF))) == expected


@pytest.mark.parametrize(("size_mb", "expected"), [(10, "10MB"), (2.5, "2.5MB"), (0.5, "0.5MB")])
def test_the_size_limit_is_in_megabytes_as_gov_uk_writes_it(size_mb: float, expected: str) -> None:
    handler = upload(maxSizeMb=size_mb)
    too_big = EXAMPLE_PDF + bytes(handler.max_bytes + 1 - len(EXAMPLE_PDF))
    assert message(handler.check_file(IncomingFile("big.pdf", too_big))) == (
        f"The selected file must be smaller than {expected}"
    )
    fits = too_big[:-1]
    assert handler.check_file(IncomingFile("fits.pdf", fits)).key == "pdf"  # type: ignore[union-attr]


def test_the_default_size_limit_is_10mb() -> None:
    assert upload().max_bytes == 10 * 1024 * 1024


def test_an_empty_file_and_one_of_the_wrong_type_get_their_messages() -> None:
    handler = upload()
    assert message(handler.check_file(IncomingFile("a.pdf", b""))) == "The selected file is empty"
    assert message(handler.check_file(IncomingFile("a.pdf", PNG))) == "The selected file must be a PDF"


def test_with_several_files_chosen_the_message_names_the_file() -> None:
    handler = upload()
    assert message(handler.check_file(IncomingFile("map.png", PNG), several=True)) == "map.png must be a PDF"
    assert message(handler.check_file(IncomingFile("a.pdf", b""), several=True)) == "a.pdf is empty"
    assert (
        message(handler.scan_error(ScanResult.INFECTED, IncomingFile("a.pdf", b"x"), several=True))
        == "a.pdf contains a virus"
    )


def test_scan_results_become_messages_and_only_clean_passes() -> None:
    handler = upload()
    file = IncomingFile("a.pdf", EXAMPLE_PDF)
    assert handler.scan_error(ScanResult.CLEAN, file) is None
    assert message(handler.scan_error(ScanResult.INFECTED, file)) == "The selected file contains a virus"
    assert message(handler.scan_error(ScanResult.FAILED, file)) == (
        "The selected file could not be checked for viruses – try again"  # noqa: RUF001
    )


def test_the_number_of_files_is_checked() -> None:
    page = page_with(
        component(
            "FileUploadField",
            shortTitle="Your evidence",
            options={"accept": ["pdf"], "minFiles": 2, "maxFiles": 3},
        )
    )
    assert message_of(page, {}) == "Select your evidence"
    assert message_of(page, posted(1)) == "Select at least 2 files"
    assert message_of(page, posted(4)) == "You can only upload 3 files"
    assert page.validate(posted(2)).is_valid
    assert page.validate(posted(3)).is_valid
    single = upload()
    assert message(single.count_error(2)) == "You can only upload 1 file"
    assert single.count_error(1) is None


def test_custom_messages_replace_the_defaults() -> None:
    handler = handler_of(
        page_with(
            component(
                "FileUploadField",
                options={"accept": ["pdf"]},
                errors={"fileType": "Upload the report as a PDF", "empty": "{filename} has nothing in it"},
            )
        )
    )
    assert isinstance(handler, FileUploadField)
    assert message(handler.check_file(IncomingFile("a.png", PNG))) == "Upload the report as a PDF"
    assert message(handler.check_file(IncomingFile("a.pdf", b""), several=True)) == "a.pdf has nothing in it"


def test_messages_are_in_welsh_on_welsh_pages() -> None:
    handler = upload(accept=["pdf", "jpeg", "png"])
    assert message(handler.check_file(IncomingFile("a.gif", GIF), "cy")) == (
        "Rhaid i’r ffeil a ddewiswyd fod yn PDF, JPG neu PNG"  # noqa: RUF001 - Welsh apostrophe
    )
    empty = handler.check_file(IncomingFile("a.pdf", b""), "cy")
    assert message(empty) == "Mae’r ffeil a ddewiswyd yn wag"  # noqa: RUF001 - Welsh apostrophe


def test_the_answer_is_the_list_of_file_records_and_round_trips() -> None:
    handler = upload(maxFiles=3)
    answer = [record(1), record(2)]
    page = page_with(component("FileUploadField", options={"accept": ["pdf"], "maxFiles": 3}))
    assert page.validate(handler.formdata(answer)).answers == {"answer": answer}
    assert handler.formdata(None) == {}
    assert handler.formdata([]) == {}
    assert str(handler.display(answer)) == "file 1.pdf<br>file 2.pdf"
    assert handler.export(answer) == "file 1.pdf; file 2.pdf"


def test_malformed_posted_records_are_no_answer() -> None:
    page = page_with(component("FileUploadField", optional=True, options={"accept": ["pdf"]}))
    for value in ("not json", "[1, 2]", '{"id": "x"}', '[{"id": "x"}]'):
        assert page.validate({"answer": [value]}).answers == {"answer": None}


def test_the_example_is_nothing_when_optional_and_enough_files_when_required() -> None:
    optional = page_with(component("FileUploadField", optional=True, options={"accept": ["pdf"]}))
    assert optional.example() == {}
    required = page_with(
        component("FileUploadField", options={"accept": ["pdf"], "minFiles": 2, "maxFiles": 2})
    )
    assert len(json.loads(required.example()["answer"][0])) == 2
    assert required.validate(required.example()).is_valid


def render(handler: FileUploadField, formdata: dict[str, list[str]]) -> Any:
    """The parameters the handler gives its GOV.UK macro."""

    def call_macro(name: str, params: dict[str, Any]) -> Markup:
        return Markup(json.dumps(params))

    return json.loads(str(handler.render(call_macro, LiteralView(formdata), None, "en", True)))


def test_the_macro_gets_accept_multiple_and_the_list_of_files_with_remove_buttons() -> None:
    handler = upload(accept=["pdf", "jpeg"], maxFiles=2)
    params = render(handler, handler.formdata([{**record(1), "filename": "<b>report</b>.pdf"}]))
    assert params["attributes"] == {"accept": ".pdf,.jpg,.jpeg"}
    assert params["multiple"] is True
    listing = BeautifulSoup(params["formGroup"]["afterInput"]["html"], "html.parser")
    assert listing.select_one("dt").get_text() == "<b>report</b>.pdf"
    button = listing.select_one("button")
    assert button["form"] == "remove-file-f1"
    assert button["type"] == "submit"
    assert button.get_text(" ", strip=True) == "Remove <b>report</b>.pdf"
    single = render(upload(), {})
    assert "multiple" not in single
    assert "formGroup" not in single


@pytest.mark.parametrize(("size", "shown"), [(10, "1KB"), (2048, "2KB"), (1536 * 1024, "1.5MB")])
def test_sizes_are_shown_in_kb_or_mb(size: int, shown: str) -> None:
    assert format_size(size) == shown


def definition_problems(options: dict[str, Any]) -> list[str]:
    data = {
        **BASE,
        "pages": [
            {
                "id": "upload",
                "path": "/upload",
                "title": "Upload",
                "components": [
                    {"id": "f", "type": "FileUploadField", "name": "f", "title": "Upload", "options": options}
                ],
            }
        ],
    }
    return [str(p) for p in validate_definition_data(data)]


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"accept": ["pdf"]}, None),
        ({}, "'accept' is a required property"),
        ({"accept": []}, "should be non-empty"),
        ({"accept": ["exe"]}, "'exe' is not one of"),
        ({"accept": ["pdf"], "maxSizeMb": 0}, "less than or equal to the minimum of 0"),
        ({"accept": ["pdf"], "maxFiles": 0}, "less than the minimum of 1"),
        ({"accept": ["pdf"], "minFiles": 3, "maxFiles": 2}, "minFiles is greater than maxFiles"),
        ({"accept": ["pdf"], "minFiles": 2}, "minFiles is greater than maxFiles (default 1)"),
        ({"accept": ["pdf"], "regex": "x"}, "'regex' was unexpected"),
    ],
)
def test_the_definition_checks_the_upload_options(options: dict[str, Any], problem: str | None) -> None:
    problems = definition_problems(options)
    if problem is None:
        assert problems == []
    else:
        assert any(problem in p for p in problems), problems


def test_a_page_with_a_file_upload_cannot_be_repeated() -> None:
    """Files are taken by the question page view; a repeat's item pages do not take them."""
    data = {
        **BASE,
        "pages": [
            {
                "id": "upload",
                "path": "/upload",
                "title": "Upload",
                "components": [
                    {
                        "id": "f",
                        "type": "FileUploadField",
                        "name": "f",
                        "title": "Upload",
                        "options": {"accept": ["pdf"]},
                    }
                ],
            }
        ],
        "repeats": [{"id": "things", "title": "Things", "itemName": "thing", "pages": ["upload"]}],
    }
    problems = [str(p) for p in validate_definition_data(data)]
    assert "$.repeats[0].pages[0]: a page with a file upload cannot be repeated" in problems
