"""FileUploadField: a question answered by uploading files.

The handler judges each file it is given (empty, too large, not an accepted type by its content) and the
number of files; the runner (`forms_engine/runner/uploads.py`) reads the request, runs the virus scan,
stores the bytes and keeps the records. The stored answer is a list of file records
`{"id", "filename", "size", "content_type"}`; in form data it travels as one JSON string, which the
runner always replaces with the journey's own records, so a posted value is never believed.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape
from wtforms import Form, StringField
from wtforms.fields.core import UnboundField

from ..files.scan import ScanResult
from ..files.types import FILE_TYPES, FileType, accepted_type
from ..i18n import translate
from . import messages
from .base import Answer, ComponentHandler, FieldError, FieldView, not_answered, register

DEFAULT_MAX_SIZE_MB = 10
BYTES_PER_MB = 1024 * 1024
#: What a Remove button posts (with the file's id as `file_id`), from its own small form.
REMOVE_ACTION = "remove-file"
FILE_ID_FIELD = "file_id"
RECORD_KEYS = ("id", "filename", "size", "content_type")


def remove_form_id(file_id: str) -> str:
    """Id of the form (outside the page's main form) that a file's Remove button submits."""
    return f"{REMOVE_ACTION}-{file_id}"


@dataclass(frozen=True, slots=True)
class IncomingFile:
    """A file as received: the name the browser gave and its bytes."""

    filename: str
    data: bytes


def format_size(size: int) -> str:
    """'120KB', '2.4MB' (GOV.UK style: no space)."""
    if size < BYTES_PER_MB:
        return f"{max(1, math.ceil(size / 1024))}KB"
    return f"{size / BYTES_PER_MB:.1f}MB"


def records_of(answer: Answer) -> list[dict[str, Any]]:
    """The well-formed file records in an answer (or an empty list)."""
    if not isinstance(answer, list):
        return []
    return [r for r in answer if isinstance(r, dict) and all(k in r for k in RECORD_KEYS)]


@register
class FileUploadField(ComponentHandler):
    type_name = "FileUploadField"
    macro = "file-upload:govukFileUpload"
    required_template = messages.FILE_REQUIRED
    takes_files = True
    #: The list of uploaded files changes the markup's shape.
    per_request = True

    # -- options ----------------------------------------------------------------------------------
    @property
    def accept(self) -> tuple[str, ...]:
        return tuple(self.component.options.get("accept", ()))

    @property
    def accepted_types(self) -> list[FileType]:
        return [FILE_TYPES[key] for key in self.accept if key in FILE_TYPES]

    @property
    def max_size_mb(self) -> float:
        return float(self.component.options.get("maxSizeMb", DEFAULT_MAX_SIZE_MB))

    @property
    def max_bytes(self) -> int:
        return int(self.max_size_mb * BYTES_PER_MB)

    @property
    def max_files(self) -> int:
        return int(self.component.options.get("maxFiles", 1))

    @property
    def min_files(self) -> int:
        """Fewest files when any are given (a required upload needs at least one)."""
        return max(int(self.component.options.get("minFiles", 1)), 1)

    # -- checking files -----------------------------------------------------------------------------
    def check_file(
        self, file: IncomingFile, language: str = "en", several: bool = False
    ) -> FileType | FieldError:
        """The accepted type of one incoming file by its content, or the error that rejects it.

        `several`: more than one file was chosen at once, so the message names the file."""
        if not file.data:
            return self._file_error("empty", messages.FILE_EMPTY, file, language, several)
        if len(file.data) > self.max_bytes:
            return self._file_error("fileSize", messages.FILE_TOO_BIG, file, language, several)
        found = accepted_type(file.data, self.accept, file.filename)
        if found is None:
            return self._file_error("fileType", messages.FILE_WRONG_TYPE, file, language, several)
        return found

    def scan_error(
        self, result: ScanResult, file: IncomingFile, language: str = "en", several: bool = False
    ) -> FieldError | None:
        """The error for a virus-scan result: None when clean, and a rejection otherwise (fail closed)."""
        if result is ScanResult.CLEAN:
            return None
        if result is ScanResult.INFECTED:
            return self._file_error("virus", messages.FILE_VIRUS, file, language, several)
        return self._file_error("scanFailed", messages.FILE_SCAN_FAILED, file, language, several)

    def count_error(self, count: int, language: str = "en") -> FieldError | None:
        """The error when `count` files would be more than the component takes."""
        if count <= self.max_files:
            return None
        template = messages.FILE_TOO_MANY_ONE if self.max_files == 1 else messages.FILE_TOO_MANY
        return self.error("maxFiles", template, language, count=self.max_files)

    def _file_error(
        self,
        kind: str,
        template: str,
        file: IncomingFile,
        language: str,
        several: bool,
        **values: Any,
    ) -> FieldError:
        if several:
            template = messages.FILE_NAMED[template]
        return self.error(kind, template, language, filename=file.filename, **values)

    def error_message(self, kind: str, template: str, language: str = "en", **values: Any) -> str:
        """As for every component, with `{types}` ('PDF, JPG or PNG') and `{size}` ('10MB') known."""
        accepted = self.accepted_types
        if accepted and accepted[0].article == "an":
            template = messages.FILE_ARTICLE_AN.get(template, template)
        labels = [t.label for t in accepted]
        types = "".join(labels)
        if len(labels) > 1:
            types = translate(messages.OR, language).format(first=", ".join(labels[:-1]), last=labels[-1])
        values = {"types": types, "size": f"{self.max_size_mb:g}MB", **values}
        return super().error_message(kind, template, language, **values)

    # -- the answer -------------------------------------------------------------------------------
    def fields(self) -> dict[str, UnboundField]:
        return {self.name: StringField()}

    def records(self, form: Form) -> list[dict[str, Any]]:
        raw = form[self.name].data
        try:
            return records_of(json.loads(raw)) if raw else []
        except ValueError:
            return []

    def validate(self, form: Form, language: str = "en") -> FieldError | None:
        count = len(self.records(form))
        if count == 0:
            if self.component.optional:
                return None
            return self.error("required", self.required_template, language)
        if count < self.min_files:
            return self.error("minFiles", messages.FILE_TOO_FEW, language, count=self.min_files)
        return self.count_error(count, language)

    def answer(self, form: Form) -> Answer:
        return self.records(form) or None

    def formdata(self, answer: Answer) -> dict[str, list[str]]:
        records = records_of(answer)
        return {self.name: [json.dumps(records, sort_keys=True)]} if records else {}

    def example(self) -> dict[str, list[str]]:
        """Nothing when optional; else records of example PDFs (walkers attach real files for them)."""
        if self.component.optional:
            return {}
        count = self.min_files
        return self.formdata(
            [
                {
                    "id": f"example{i}",
                    "filename": f"example-{i + 1}.pdf",
                    "size": 1024,
                    "content_type": "application/pdf",
                }
                for i in range(count)
            ]
        )

    def is_answered(self, answer: Answer) -> bool:
        return bool(records_of(answer))

    # -- rendering --------------------------------------------------------------------------------
    def params(
        self, view: FieldView, error: FieldError | None, language: str, is_page_heading: bool
    ) -> dict[str, Any]:
        extensions = [ext for t in self.accepted_types for ext in t.extensions]
        params: dict[str, Any] = {
            "id": self.name,
            "name": self.name,
            "label": self._label(language, is_page_heading),
            **self._common(language, error),
        }
        if extensions:
            params["attributes"] = {"accept": ",".join(extensions)}
        if self.max_files > 1:
            params["multiple"] = True
        files = self.listed(view)
        if files:
            params["formGroup"] = {"afterInput": {"html": self._file_list(files, language)}}
        return params

    def listed(self, view: FieldView) -> list[dict[str, Any]]:
        """The files uploaded so far, from form data (none when compiling with slots)."""
        try:
            return records_of(json.loads(view.value(self.name) or "[]"))
        except ValueError:
            return []

    def _file_list(self, files: Sequence[dict[str, Any]], language: str) -> Markup:
        remove = escape(translate(messages.FILE_REMOVE, language))
        rows = []
        for record in files:
            name = escape(record["filename"])
            rows.append(
                Markup(
                    '<div class="govuk-summary-list__row">'
                    '<dt class="govuk-summary-list__key">{name}</dt>'
                    '<dd class="govuk-summary-list__value">{size}</dd>'
                    '<dd class="govuk-summary-list__actions">'
                    '<button type="submit" form="{form}" class="govuk-button govuk-button--secondary '
                    'govuk-!-margin-bottom-0" data-module="govuk-button">'
                    '{remove}<span class="govuk-visually-hidden"> {name}</span></button></dd></div>'
                ).format(
                    name=name,
                    size=format_size(int(record["size"])),
                    form=remove_form_id(str(record["id"])),
                    remove=remove,
                )
            )
        heading = escape(translate(messages.FILES_UPLOADED, language))
        return Markup(
            '<h2 class="govuk-heading-s govuk-!-margin-top-6">{heading}</h2>'
            '<dl class="govuk-summary-list">{rows}</dl>'
        ).format(heading=heading, rows=Markup("").join(rows))

    # -- showing the answer -----------------------------------------------------------------------
    def display(self, answer: Answer, language: str = "en") -> Markup:
        records = records_of(answer)
        if not records:
            return not_answered(language)
        return Markup("<br>").join(escape(r["filename"]) for r in records)

    def export(self, answer: Answer) -> str:
        return "; ".join(r["filename"] for r in records_of(answer))
