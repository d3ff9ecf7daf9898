"""The JSON payload of a submission: what the webhook sends and the JSON export writes, described by a
published, versioned JSON Schema (`schema/submission-payload.v1.schema.json`, served at
`/schemas/submission-payload/v1.json`). The fields are documented in docs/submission-payload.md.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cache
from importlib import resources
from typing import Any, TextIO

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from markupsafe import Markup

from ..components import ComponentHandler
from ..components.files import records_of
from ..definitions.model import FormDefinition
from ..journey import RepeatSection, journey_for
from .export import format_time, submission_definition
from .models import Submission, UploadedFile

PAYLOAD_VERSION = 1
#: Published schemas by version: file in this package's schema folder.
SCHEMA_FILES = {1: "submission-payload.v1.schema.json"}
#: The language of the summary's questions and answers: the processing teams' working language.
SUMMARY_LANGUAGE = "en"

_LINE_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")


@cache
def payload_schema_text(version: int = PAYLOAD_VERSION) -> str:
    """The published JSON Schema of payload `version`, exactly as the file holds it."""
    return resources.files(__package__).joinpath("schema", SCHEMA_FILES[version]).read_text("utf-8")


def payload_schema(version: int = PAYLOAD_VERSION) -> dict[str, Any]:
    """The published JSON Schema (draft 2020-12) of payload `version`, parsed."""
    schema: dict[str, Any] = json.loads(payload_schema_text(version))
    return schema


@cache
def _validator(version: int) -> Draft202012Validator:
    schema = payload_schema(version)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def payload_problems(data: Any) -> list[str]:
    """Every way `data` breaks the payload schema of its version, as '$.json.path: message'."""
    version = data.get("payloadVersion", PAYLOAD_VERSION) if isinstance(data, Mapping) else PAYLOAD_VERSION
    validator = _validator(version if version in SCHEMA_FILES else PAYLOAD_VERSION)
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(data)]


def validate_payload(data: Any) -> None:
    """Raise jsonschema's ValidationError (the most relevant one) unless `data` is a valid payload."""
    version = data.get("payloadVersion", PAYLOAD_VERSION) if isinstance(data, Mapping) else PAYLOAD_VERSION
    error: ValidationError | None = best_match(
        _validator(version if version in SCHEMA_FILES else PAYLOAD_VERSION).iter_errors(data)
    )
    if error is not None:
        raise error


def plain_text(markup: Markup | str) -> str:
    """Check-answers HTML as plain text: line breaks as newlines, tags dropped, entities decoded."""
    text = _TAG.sub("", _LINE_BREAK.sub("\n", str(markup)))
    return html.unescape(text)


def _summary_row(section: str | None, item: int | None, handler: ComponentHandler, answer: Any) -> dict:
    component = handler.component
    label = component.short_title or component.title
    return {
        "section": section,
        "item": item,
        "name": handler.name,
        "question": label.in_language(SUMMARY_LANGUAGE) if label is not None else handler.name,
        "answer": plain_text(handler.display(answer, SUMMARY_LANGUAGE)),
    }


def summary(definition: FormDefinition, answers: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every stored answer as text, in the order of check your answers. The stored answers are those
    of the applicant's path (a question left blank on it is stored as null), so the rows follow what
    was stored rather than working the path out again: the summary is the same tomorrow as today."""
    journey = journey_for(definition)
    rows: list[dict[str, Any]] = []
    for step in journey.steps:
        if isinstance(step, RepeatSection):
            title = step.repeat.title.in_language(SUMMARY_LANGUAGE)
            for number, item in enumerate(step.items(answers), start=1):
                for page in step.pages:
                    for handler in page.questions:
                        if handler.name in item:
                            rows.append(_summary_row(title, number, handler, item[handler.name]))
            continue
        section = definition.section_title(step.page)
        section_text = section.in_language(SUMMARY_LANGUAGE) if section is not None else None
        for handler in step.questions:
            if handler.name in answers:
                rows.append(_summary_row(section_text, None, handler, answers[handler.name]))
    return rows


def _file_answers(definition: FormDefinition, answers: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """(component name, answer) of each file upload question answered, repeat items included."""
    uploads = {c.name for _, c in definition.questions() if c.type == "FileUploadField"}
    found = [(name, answers[name]) for name in uploads if name in answers]
    for repeat_id in definition.repeats:
        items = answers.get(repeat_id)
        for item in items if isinstance(items, list) else []:
            if isinstance(item, Mapping):
                found.extend((name, item[name]) for name in uploads if name in item)
    order = [c.name for _, c in definition.questions()]
    return sorted(found, key=lambda pair: order.index(pair[0]))


def file_entries(
    definition: FormDefinition, answers: Mapping[str, Any], files: Sequence[UploadedFile] = ()
) -> list[dict[str, Any]]:
    """The payload's `files`: one entry per file record in the answers (name, size and type as the
    record holds them), with the SHA-256 of the matching uploaded file row, if given."""
    rows = {f.id: f for f in files}
    entries = []
    for name, answer in _file_answers(definition, answers):
        for record in records_of(answer):
            row = rows.get(str(record["id"]))
            entries.append(
                {
                    "id": str(record["id"]),
                    "component": name,
                    "filename": record["filename"],
                    "contentType": record["content_type"],
                    "size": int(record["size"]),
                    "sha256": row.sha256 if row is not None else None,
                }
            )
    return entries


def submission_payload(submission: Submission, files: Sequence[UploadedFile] = ()) -> dict[str, Any]:
    """The payload of a stored submission (version 1), built from its own definition snapshot.
    `files`: the submission's uploaded file rows, which give each file's SHA-256."""
    definition = submission_definition(submission)
    answers = submission.answers or {}
    return {
        "payloadVersion": PAYLOAD_VERSION,
        "reference": submission.reference,
        "form": {
            "slug": definition.slug,
            "version": submission.form_version,
            "title": str(definition.title),
            "paperFormReference": definition.paper_form.reference,
            "organisation": definition.paper_form.organisation,
        },
        "submittedAt": format_time(submission.submitted_at),
        "language": submission.language or "en",
        "answers": answers,
        "summary": summary(definition, answers),
        "files": file_entries(definition, answers, files),
    }


def payload_body(payload: Mapping[str, Any]) -> bytes:
    """A payload as the bytes of a request body: compact UTF-8 JSON."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def write_json(
    submissions: Iterable[Submission],
    out: TextIO,
    files_for: Callable[[Submission], Sequence[UploadedFile]] | None = None,
) -> int:
    """Write a JSON array of payloads to `out`, one submission at a time (never the whole array in
    memory). `files_for` gives a submission's uploaded file rows. Returns the number written."""
    count = 0
    out.write("[")
    for submission in submissions:
        files = files_for(submission) if files_for is not None else ()
        out.write(",\n" if count else "\n")
        out.write(json.dumps(submission_payload(submission, files), ensure_ascii=False))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count
