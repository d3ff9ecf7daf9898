"""The submission payload: valid against its published schema for every example form (repeats and
uploads included, from journeys walked over HTTP too), the schemas served read-only, and the
signature check documented for receiving teams."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from jsonschema import Draft202012Validator, ValidationError
from sqlalchemy import select

from forms_engine.config import ROOT
from forms_engine.definitions.model import build_definition
from forms_engine.extensions import db
from forms_engine.submissions.models import Submission, UploadedFile
from forms_engine.submissions.payload import (
    payload_body,
    payload_problems,
    payload_schema,
    submission_payload,
    validate_payload,
    write_json,
)

from .helpers import BrowserClient, definitions, submit, walk_to_check_answers
from .test_export import (
    BADGERS,
    EXAMPLE_SLUGS,
    POULTRY,
    RPA,
    example_answers,
    load,
    load_json,
    make_submission,
    older_poultry,
)

TOP_LEVEL = {
    "payloadVersion",
    "reference",
    "form",
    "submittedAt",
    "language",
    "answers",
    "summary",
    "files",
}
SCHEMA_FILE = ROOT / "forms_engine" / "submissions" / "schema" / "submission-payload.v1.schema.json"
DOC = ROOT / "docs" / "submission-payload.md"


def file_row(file_id: str, filename: str, data: bytes, component: str = "surveyDocuments") -> UploadedFile:
    return UploadedFile(
        id=file_id,
        journey_id="journey",
        component=component,
        filename=filename,
        content_type="application/pdf",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        storage_key=f"key-{file_id}",
    )


# -- the schema ----------------------------------------------------------------------------------------
def test_the_schema_is_draft_2020_12_and_its_id_names_version_1() -> None:
    schema = payload_schema()

    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith("/submission-payload/v1.json")
    assert schema["properties"]["payloadVersion"] == {
        "const": 1,
        "description": schema["properties"]["payloadVersion"]["description"],
    }
    assert set(schema["required"]) == TOP_LEVEL
    # Additive changes keep v1: nothing in it forbids properties it does not know.
    assert not list(closed_objects(schema))


def closed_objects(node: Any, path: str = "$") -> Any:
    """Paths of the schema's subschemas that refuse unknown properties."""
    if isinstance(node, dict):
        for key in ("additionalProperties", "unevaluatedProperties"):
            if node.get(key) is False:
                yield path
        for key, value in node.items():
            yield from closed_objects(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from closed_objects(value, f"{path}[{index}]")


# -- payloads of the example forms -------------------------------------------------------------------
@pytest.mark.parametrize("slug", EXAMPLE_SLUGS)
def test_the_payload_of_each_example_form_is_valid_and_carries_the_stored_answers(slug: str) -> None:
    definition = load(slug)
    answers = example_answers(definition, items=[{}, {}])
    submission = make_submission(definition, answers, language="cy" if "cy" in definition.languages else "en")

    payload = submission_payload(submission)

    validate_payload(payload)
    assert payload_problems(payload) == []
    assert set(payload) == TOP_LEVEL
    assert payload["payloadVersion"] == 1
    assert payload["reference"] == "K7MP-3QXR-ZD4T"
    assert payload["form"] == {
        "slug": slug,
        "version": definition.version,
        "title": str(definition.title),
        "paperFormReference": definition.paper_form.reference,
        "organisation": definition.paper_form.organisation,
    }
    assert payload["submittedAt"] == "2024-05-01T09:30:15Z"
    assert payload["language"] == submission.language
    assert payload["answers"] == answers
    named = [row["name"] for row in payload["summary"] if row["item"] is None]
    assert named == [c.name for _, c in definition.questions() if c.name in answers]
    assert json.loads(payload_body(payload)) == payload


def test_repeat_items_are_arrays_in_the_answers_and_numbered_rows_in_the_summary() -> None:
    definition = load(BADGERS)
    answers = example_answers(definition, items=[{"settName": ["Main sett"]}, {"settName": ["Outlier 2"]}])

    payload = submission_payload(make_submission(definition, answers))

    validate_payload(payload)
    assert [item["settName"] for item in payload["answers"]["setts"]] == ["Main sett", "Outlier 2"]
    repeated = [row for row in payload["summary"] if row["item"] is not None]
    assert [(r["item"], r["name"]) for r in repeated] == [
        (1, "settName"),
        (1, "settActivity"),
        (1, "entrancesAffected"),
        (2, "settName"),
        (2, "settActivity"),
        (2, "entrancesAffected"),
    ]
    assert {r["section"] for r in repeated} == {"Setts affected"}
    assert [r["answer"] for r in repeated if r["name"] == "settName"] == ["Main sett", "Outlier 2"]
    # In check-answers order: the repeat's rows come where its pages are.
    names = [row["name"] for row in payload["summary"]]
    assert names.index("settTypes") < names.index("settName") < names.index("interferenceMethod")


def test_summary_answers_are_plain_text_as_on_check_answers() -> None:
    definition = load(BADGERS)
    answers = example_answers(
        definition,
        {"justification": ["Line one <b>&amp;</b>\nLine two"], "siteName": ["Tom & Jerry's <site>"]},
    )

    rows = {r["name"]: r for r in submission_payload(make_submission(definition, answers))["summary"]}

    assert rows["justification"]["answer"] == "Line one <b>&amp;</b>\nLine two"
    assert rows["siteName"]["answer"] == "Tom & Jerry's <site>"
    assert rows["applicantAddress"]["answer"] == "1 Example Street\nYork\nYO1 7HH"
    assert rows["siteName"]["question"] == "Site name"
    assert rows["siteName"]["section"] == "About the development site"


def test_an_optional_question_left_blank_is_null_in_the_answers_and_not_answered_in_the_summary() -> None:
    definition = load(RPA)
    answers = example_answers(definition)
    optional = next(c.name for _, c in definition.questions() if c.optional and c.name in answers)
    answers[optional] = None

    payload = submission_payload(make_submission(definition, answers))

    validate_payload(payload)
    assert payload["answers"][optional] is None
    assert next(r for r in payload["summary"] if r["name"] == optional)["answer"] == "Not answered"


def test_uploaded_files_are_listed_with_their_sha256_from_the_file_rows() -> None:
    definition = load(BADGERS)
    answers = example_answers(definition)
    answers["surveyDocuments"] = [
        {"id": "f1", "filename": "report.pdf", "size": 5, "content_type": "application/pdf"},
        {"id": "f2", "filename": "map.pdf", "size": 3, "content_type": "application/pdf"},
    ]
    rows = [file_row("f2", "map.pdf", b"map"), file_row("f1", "report.pdf", b"12345")]

    payload = submission_payload(make_submission(definition, answers), rows)

    validate_payload(payload)
    assert payload["files"] == [
        {
            "id": "f1",
            "component": "surveyDocuments",
            "filename": "report.pdf",
            "contentType": "application/pdf",
            "size": 5,
            "sha256": hashlib.sha256(b"12345").hexdigest(),
        },
        {
            "id": "f2",
            "component": "surveyDocuments",
            "filename": "map.pdf",
            "contentType": "application/pdf",
            "size": 3,
            "sha256": hashlib.sha256(b"map").hexdigest(),
        },
    ]
    without_rows = submission_payload(make_submission(definition, answers))
    validate_payload(without_rows)
    assert [f["sha256"] for f in without_rows["files"]] == [None, None]


def test_a_payload_of_an_older_version_uses_that_versions_definition() -> None:
    old = build_definition(older_poultry())
    answers = example_answers(old, {"flockMark": ["FM-1"]})

    payload = submission_payload(make_submission(old, answers))

    validate_payload(payload)
    assert payload["form"]["version"] == old.version != load(POULTRY).version
    rows = {r["name"]: r for r in payload["summary"]}
    assert rows["flockMark"]["answer"] == "FM-1"
    assert rows["housing"]["question"] == "How birds are housed"
    assert rows["housing"]["answer"].startswith("Old ")


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda p: p.pop("reference"), "$"),
        (lambda p: p.update(payloadVersion=2), "$.payloadVersion"),
        (lambda p: p.update(submittedAt="2024-05-01 09:30"), "$.submittedAt"),
        (lambda p: p["form"].update(version="abc"), "$.form.version"),
        (lambda p: p["summary"][0].update(item=0), "$.summary[0].item"),
        (lambda p: p["answers"].update({"bad name": "x"}), "$.answers"),
        (lambda p: p["answers"].update(numberOfBirds={"nested": {"deeper": 1}}), "$.answers.numberOfBirds"),
        (lambda p: p["files"].append({"id": "x"}), "$.files[0]"),
    ],
)
def test_validate_payload_rejects_what_breaks_the_schema(change: Any, path: str) -> None:
    definition = load(POULTRY)
    payload = submission_payload(make_submission(definition, example_answers(definition)))
    change(payload)

    with pytest.raises(ValidationError):
        validate_payload(payload)
    assert any(problem.startswith(f"{path}:") for problem in payload_problems(payload)), payload_problems(
        payload
    )


def test_a_payload_with_fields_added_later_is_still_valid_version_1() -> None:
    definition = load(POULTRY)
    payload = submission_payload(make_submission(definition, example_answers(definition)))
    payload["caseworkerUrl"] = "/caseworker/submissions/K7MP-3QXR-ZD4T"
    payload["form"]["welshTitle"] = "Cofrestru"

    validate_payload(payload)


def test_write_json_streams_an_array_of_valid_payloads() -> None:
    definition = load(BADGERS)
    answers = example_answers(definition)
    submissions = (make_submission(definition, answers, reference=f"AAAA-BBBB-CCC{n}") for n in range(3))
    out = io.StringIO()

    assert (
        write_json(submissions, out, files_for=lambda s: [file_row("example0", "example-1.pdf", b"x")]) == 3
    )
    data = json.loads(out.getvalue())
    assert [p["reference"] for p in data] == ["AAAA-BBBB-CCC0", "AAAA-BBBB-CCC1", "AAAA-BBBB-CCC2"]
    for payload in data:
        validate_payload(payload)
        assert payload["files"][0]["sha256"] == hashlib.sha256(b"x").hexdigest()
    empty = io.StringIO()
    assert write_json(iter(()), empty) == 0
    assert json.loads(empty.getvalue()) == []


# -- journeys walked over HTTP -------------------------------------------------------------------------
def test_payloads_of_submissions_sent_through_the_journey_are_valid(app: Flask) -> None:
    for definition in definitions(app):
        client = BrowserClient(app)
        walk_to_check_answers(client, definition)
        submit(client, definition)

    with app.app_context():
        submissions = list(db.session.scalars(select(Submission).order_by(Submission.form_slug)))
        assert sorted(s.form_slug for s in submissions) == EXAMPLE_SLUGS
        for submission in submissions:
            files = list(
                db.session.scalars(select(UploadedFile).where(UploadedFile.submission_id == submission.id))
            )
            payload = submission_payload(submission, files)
            validate_payload(payload)
            assert payload["answers"] == submission.answers
            for entry in payload["files"]:
                row = next(f for f in files if f.id == entry["id"])
                assert entry["sha256"] == row.sha256
                assert entry["filename"] == row.filename
            if submission.form_slug == BADGERS:
                assert payload["files"], "the A24 walk uploads a survey report"
                assert any(r["item"] == 1 for r in payload["summary"])


# -- served schemas ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("/schemas/submission-payload/v1.json", SCHEMA_FILE),
        (
            "/schemas/form-definition.json",
            ROOT / "forms_engine/definitions/schema/form-definition.schema.json",
        ),
    ],
)
def test_published_schemas_are_served_read_only_as_schema_json(
    client: BrowserClient, url: str, path: Path
) -> None:
    response = client.client.get(url)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/schema+json"
    assert response.data == path.read_bytes()
    assert json.loads(response.data)["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    again = client.client.get(url, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    # Never written to: /schemas/<name> is shaped like the runner's /<slug>/<page>, whose POST
    # refuses a request without a CSRF token before anything else.
    assert client.client.post(url).status_code in (400, 405)
    assert client.client.put(url).status_code == 405
    assert client.client.delete(url).status_code == 405


def test_unknown_payload_schema_versions_are_not_found(client: BrowserClient) -> None:
    assert client.client.get("/schemas/submission-payload/v2.json").status_code == 404
    assert client.client.get("/schemas/submission-payload/latest.json").status_code == 404


# -- the documented signature check --------------------------------------------------------------------
def documented_verifier() -> Any:
    """The signature check that docs/submission-payload.md gives receiving teams, run as written."""
    text = DOC.read_text("utf-8")
    block = re.search(
        r"<!-- verify-signature: start -->\s*```python\n(.*?)```\s*<!-- verify-signature: end -->", text, re.S
    )
    assert block is not None
    namespace: dict[str, Any] = {}
    exec(compile(block[1], str(DOC), "exec"), namespace)
    return namespace["signature_is_valid"]


def test_the_documented_signature_check_accepts_a_signed_payload_and_refuses_tampering_and_old_times() -> (
    None
):
    verify = documented_verifier()
    definition = load(POULTRY)
    body = payload_body(submission_payload(make_submission(definition, example_answers(definition))))
    secret = "a-form-webhook-secret"
    timestamp = "1714555815"
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    signature = f"sha256={digest}"
    now = 1714555815 + 60

    assert verify(secret, timestamp, signature, body, now=now)
    assert not verify(secret, timestamp, signature, body + b" ", now=now)
    assert not verify("another-secret", timestamp, signature, body, now=now)
    assert not verify(secret, str(int(timestamp) + 1), signature, body, now=now)
    assert not verify(secret, timestamp, signature, body, now=int(timestamp) + 5 * 60 + 1)
    assert not verify(secret, timestamp, signature.replace("sha256=", "sha1="), body, now=now)
    assert not verify(secret, "not-a-time", signature, body, now=now)
    assert not verify(secret, timestamp, "sha256=é", body, now=now)


def test_every_example_definition_is_covered() -> None:
    assert {load_json(slug)["slug"] for slug in EXAMPLE_SLUGS} == {BADGERS, RPA, POULTRY}
