"""Import Defra Forms definitions (the `@defra/forms-model` format run by Defra's forms engine, engine
V1 and V2, JSON or YAML) as native form definitions, with a report of everything a designer must look
at: placeholders for what the Defra format does not hold, and every part not carried over, each at its
JSON path in the source.

`convert_defra(data, source_name)` does the work; `forms-engine import defra FILE...` runs it.
Conditions are in `defra_conditions`, the page flow in `defra_flow`, text helpers in `defra_text`.
"""

from __future__ import annotations

import difflib
import json
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import yaml

from ...definitions import conditions as native_conditions
from ...definitions.loader import (
    RESERVED_NAMES,
    RESERVED_PATHS,
    RESERVED_SLUGS,
    definition_warnings,
    validate_definition_data,
)
from .defra_conditions import Context, FieldInfo, Unsupported, convert_v1, convert_v2
from .defra_flow import (
    FALSE,
    TRUE,
    Formula,
    Link,
    atom,
    link_conditions,
    reach_conditions,
    to_condition,
    topological_order,
)
from .defra_text import (
    PATH_MAX,
    UniqueNames,
    camel_case,
    demote_html_headings,
    demote_markdown_headings,
    example_for_pattern,
    html_to_markdown,
    identifier,
    looks_like_html,
    plain_text,
    slugify,
)

# -- placeholders for what the native format needs and Defra's does not hold -------------------------
PLACEHOLDER_REFERENCE = "TODO-REF"
PLACEHOLDER_ORGANISATION = "Defra"
PLACEHOLDER_CONTACT_NAME = "TODO: the team that answers questions about this form"
PLACEHOLDER_CONTACT_EMAIL = "todo@example.gov.uk"
PLACEHOLDER_PRIVACY_URL = "https://example.gov.uk/todo-privacy-notice"
PLACEHOLDER_WHAT_HAPPENS_NEXT = (
    "TODO: tell users what happens after they send the form, and how long it takes."
)
PLACEHOLDER_START = "TODO: say what this service is for, who can use it and what they need before they start."

ERROR, WARNING, INFO = "error", "warning", "info"

QUESTION_TYPES = {
    "TextField": "TextField",
    "MultilineTextField": "MultilineTextField",
    "NumberField": "NumberField",
    "EmailAddressField": "EmailAddressField",
    "TelephoneNumberField": "TelephoneNumberField",
    "DatePartsField": "DatePartsField",
    "DateField": "DatePartsField",
    "MonthYearField": "MonthYearField",
    "YesNoField": "YesNoField",
    "RadiosField": "RadiosField",
    "CheckboxesField": "CheckboxesField",
    "SelectField": "SelectField",
    "AutocompleteField": "SelectField",
    "UkAddressField": "UkAddressField",
    "DeclarationField": "DeclarationField",
    "FileUploadField": "FileUploadField",
    "WebsiteField": "TextField",
}
CONTENT_TYPES = frozenset({"Html", "Markdown", "InsetText", "Details", "List"})
CHOICE_TYPES = frozenset({"RadiosField", "CheckboxesField", "SelectField"})
#: Location questions asked as two numbers, as Defra's engine asks them: (part, title, min, max, decimals).
SPLIT_FIELDS: dict[str, tuple[tuple[str, str, float, float, int], ...]] = {
    "EastingNorthingField": (
        ("Easting", "Easting", 0, 700000, 0),
        ("Northing", "Northing", 0, 1300000, 0),
    ),
    "LatLongField": (
        ("Latitude", "Latitude", 49.85, 60.859, 6),
        ("Longitude", "Longitude", -13.687, 1.767, 6),
    ),
}
#: Location references checked by a pattern: (pattern, example, error message).
PATTERN_FIELDS = {
    "OsGridRefField": (
        r"[A-Za-z]{2} ?([0-9]{3} ?[0-9]{3}|[0-9]{4} ?[0-9]{4}|[0-9]{5} ?[0-9]{5})",
        "ST 678 678",
        "Enter an Ordnance Survey grid reference in the correct format, like ST 678 678",
    ),
    "NationalGridFieldNumberField": (
        r"[A-Za-z]{2} ?[0-9]{4} ?[0-9]{4}",
        "NG 1234 5678",
        "Enter a National Grid field number in the correct format, like NG 1234 5678",
    ),
}
#: Native `classes` values (widths) a component may keep.
WIDTH_CLASSES = frozenset(
    {
        "govuk-!-width-full",
        "govuk-!-width-three-quarters",
        "govuk-!-width-two-thirds",
        "govuk-!-width-one-half",
        "govuk-!-width-one-third",
        "govuk-!-width-one-quarter",
    }
)
#: Native types whose options take `classes`.
CLASSES_TYPES = frozenset(
    {"TextField", "NumberField", "RadiosField", "CheckboxesField", "SelectField", "EmailAddressField"}
    | {"TelephoneNumberField", "YesNoField", "UkAddressField", "DeclarationField"}
)
#: Native types that have a format error (for a Defra `customValidationMessage`).
FORMAT_ERROR_TYPES = frozenset(
    {"NumberField", "EmailAddressField", "TelephoneNumberField", "DatePartsField", "MonthYearField"}
)
#: File types by MIME type; the native engine checks files by content and knows these.
MIME_TYPES = {
    "application/pdf": "pdf",
    "image/jpeg": "jpeg",
    "image/jpg": "jpeg",
    "image/png": "png",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "text/csv": "csv",
    "text/plain": "txt",
}
ALL_FILE_TYPES = ["pdf", "jpeg", "png", "docx", "xlsx", "csv", "txt"]
#: Joi message keys of Defra's `customValidationMessages` and the native error kind of each.
JOI_ERRORS = {
    "any.required": "required",
    "string.empty": "required",
    "array.base": "required",
    "string.min": "minLength",
    "string.max": "maxLength",
    "string.pattern.base": "format",
    "string.email": "format",
    "number.base": "format",
    "number.integer": "format",
    "number.precision": "format",
    "number.min": "min",
    "number.max": "max",
    "date.base": "format",
    "date.min": "earliest",
    "date.max": "latest",
}
ORGANISATIONS = {
    "APHA": "APHA",
    "ANIMAL AND PLANT HEALTH AGENCY": "APHA",
    "EA": "EA",
    "ENVIRONMENT AGENCY": "EA",
    "NE": "NE",
    "NATURAL ENGLAND": "NE",
    "RPA": "RPA",
    "RURAL PAYMENTS AGENCY": "RPA",
    "MMO": "MMO",
    "MARINE MANAGEMENT ORGANISATION": "MMO",
    "DEFRA": "Defra",
}
TOP_LEVEL_HANDLED = frozenset(
    {"name", "engine", "schema", "startPage", "pages", "lists", "sections", "conditions", "declaration"}
    | {"metadata", "specialPages"}
)
PAGE_HANDLED = frozenset({"id", "title", "path", "components", "next", "section", "controller", "condition"})
COMPONENT_HANDLED = frozenset(
    {"id", "type", "name", "title", "hint", "content", "options", "schema", "list", "shortDescription"}
)


@dataclass(frozen=True)
class Finding:
    """One thing for the designer to look at: where in the source (a JSON path), how serious
    (error: not imported; warning: needs a designer's eye; info: carried over with a change), and what."""

    path: str
    level: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.level}: {self.message}"


@dataclass
class ImportResult:
    definition: dict[str, Any]
    report: list[Finding]

    def findings(self, level: str) -> list[Finding]:
        return [f for f in self.report if f.level == level]


class DefraImportError(Exception):
    """A file that could not be imported at all (unreadable, or not a Defra Forms definition)."""


def load_defra_file(path: Path) -> Any:
    """Parse a Defra definition file: YAML for .yaml/.yml, JSON otherwise (and YAML when a file of
    another name is not JSON)."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise DefraImportError(f"cannot read the file: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise DefraImportError(f"not UTF-8 text: {exc.reason}") from None
    if path.suffix.lower() in (".yaml", ".yml"):
        return _parse_yaml(text)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        json_problem = f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        if path.suffix.lower() == ".json":
            raise DefraImportError(json_problem) from None
    try:
        return _parse_yaml(text)
    except DefraImportError as exc:
        raise DefraImportError(f"neither JSON nor YAML ({json_problem}; {exc})") from None


def _parse_yaml(text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise DefraImportError(f"invalid YAML{where}: {problem}") from None


def convert_defra(data: Mapping[str, Any], source_name: str) -> ImportResult:
    """A native definition drafted from a Defra Forms definition, with the report of what needs a
    designer's eye. Raises DefraImportError when `data` is not a Defra Forms definition at all.

    `source_name` (usually the file's name) gives the slug when the definition's metadata has none."""
    return _Converter(data, source_name).convert()


# -- the conversion --------------------------------------------------------------------------------


@dataclass
class _Page:
    index: int
    path: str  # JSON path in the source
    source: Mapping[str, Any]
    key: str  # the Defra path, normalised as Defra compares paths
    kind: str  # question, summary, status, start, exit, repeat
    native: dict[str, Any] = field(default_factory=dict)
    questions: list[str] = field(default_factory=list)
    repeat: dict[str, Any] | None = None

    @property
    def is_end(self) -> bool:
        return self.kind in ("summary", "status")


@dataclass
class _Field:
    """A source question, to resolve the references conditions make to it."""

    source_name: str
    source_id: str
    section: str
    title: str
    page_key: str
    info: FieldInfo


@dataclass
class _List:
    id: str
    path: str
    items: list[dict[str, Any]]
    by_source_value: dict[str, str]
    by_text: dict[str, str]
    by_item_id: dict[str, Any]


def _normalise_path(path: Any) -> str:
    return str(path or "").strip().strip("/")


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == {} or value == []


def _describe(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


class _Converter:
    def __init__(self, data: Mapping[str, Any], source_name: str):
        if not isinstance(data, Mapping):
            raise DefraImportError("not a Defra Forms definition: the top level is not an object")
        if "schemaVersion" in data and "paperForm" in data:
            raise DefraImportError("this is already a native form definition, not a Defra Forms definition")
        pages = data.get("pages")
        if not isinstance(pages, list) or not any(isinstance(p, Mapping) and "path" in p for p in pages):
            raise DefraImportError("not a Defra Forms definition: it has no pages with a path")
        self.data = data
        self.source_name = source_name
        self.report: list[Finding] = []
        self.v2 = str(data.get("engine", "")).upper() == "V2" or data.get("schema") == 2
        metadata = data.get("metadata")
        self.metadata: Mapping[str, Any] = metadata if isinstance(metadata, Mapping) else {}
        translations = self.metadata.get("translations")
        welsh = translations.get("cy") if isinstance(translations, Mapping) else None
        self.welsh: Mapping[str, Any] = welsh if isinstance(welsh, Mapping) else {}
        self.used_translations: set[str] = set()
        self.uses_welsh = False
        self.sections: dict[str, str] = {}
        self.section_defs: list[dict[str, Any]] = []
        self.lists: dict[str, _List] = {}
        self.list_defs: list[dict[str, Any]] = []
        self.pages: list[_Page] = []
        self.fields: list[_Field] = []
        self.names = UniqueNames(RESERVED_NAMES)
        self.page_ids = UniqueNames()
        self.page_paths = UniqueNames(p.lstrip("/") for p in RESERVED_PATHS)
        self.condition_ids = UniqueNames()
        self.source_conditions: dict[str, tuple[int, Mapping[str, Any]]] = {}
        self.converted: dict[int, str | None] = {}
        self.converting: set[int] = set()
        self.named: dict[str, dict[str, Any]] = {}
        self.pending: list[tuple[dict[str, Any], str, str, str]] = []  # (target, source ref, path, what)

    # -- findings ---------------------------------------------------------------------------------
    def note(self, path: str, level: str, message: str) -> None:
        finding = Finding(path, level, message)
        if finding not in self.report:
            self.report.append(finding)

    def leftovers(self, source: Mapping[str, Any], handled: Iterable[str], path: str, what: str) -> None:
        """Report every key of `source` with a value that the conversion did not use."""
        handled = set(handled)
        for key, value in source.items():
            if key not in handled and not _empty(value):
                self.note(
                    f"{path}.{key}", WARNING, f"{what} '{key}' ({_describe(value)}) is not carried over"
                )

    # -- text -------------------------------------------------------------------------------------
    def text(self, value: Any, keys: Iterable[str] = ()) -> Any:
        """A native text (a string, or English and Welsh) from a Defra text and its translations."""
        if isinstance(value, Mapping):
            english = value.get("en")
            welsh_inline = value.get("cy")
        else:
            english, welsh_inline = value, None
        if english is None or (isinstance(english, str) and not english.strip()):
            return None
        english_text = str(english).strip()
        welsh_text = str(welsh_inline).strip() if welsh_inline else None
        for key in keys:
            if key in self.welsh:
                self.used_translations.add(key)
                candidate = self.welsh[key]
                if candidate is not None and str(candidate).strip():
                    welsh_text = welsh_text or str(candidate).strip()
        if welsh_text:
            self.uses_welsh = True
            return {"en": english_text, "cy": welsh_text}
        return english_text

    @staticmethod
    def english(text: Any) -> str:
        return str(text["en"]) if isinstance(text, Mapping) else str(text or "")

    def map_text(self, text: Any, change: Any) -> Any:
        """Apply `change` to each language of a native text."""
        if isinstance(text, Mapping):
            return {lang: change(value) for lang, value in text.items()}
        return change(text)

    def markdown(self, value: Any, keys: Iterable[str], path: str) -> Any:
        """Defra content (Markdown, or HTML) as native Markdown, headings under the page's h1."""
        text = self.text(value, keys)
        if text is None:
            return None
        if looks_like_html(self.english(text)):
            text = self.map_text(text, html_to_markdown)
            self.note(path, INFO, "HTML turned into Markdown")
        changed = [False]

        def demote(content: str) -> str:
            new, did = demote_markdown_headings(content.replace("\r\n", "\n"))
            changed[0] = changed[0] or did
            return new

        text = self.map_text(text, demote)
        if changed[0]:
            self.note(path, INFO, "headings moved down a level: the page's title is its only level-1 heading")
        return text if self.english(text).strip() else None

    def plain(self, value: Any, keys: Iterable[str], path: str) -> Any:
        """Defra text that the native format shows as plain text (hints, labels)."""
        text = self.text(value, keys)
        if text is not None and looks_like_html(self.english(text)):
            text = self.map_text(text, plain_text)
            self.note(path, INFO, "HTML tags removed: the native format shows this as plain text")
        return text if text is None or self.english(text) else None

    # -- the whole conversion ---------------------------------------------------------------------
    def convert(self) -> ImportResult:
        data = self.data
        self.leftovers(data, TOP_LEVEL_HANDLED, "$", "the form's")
        self.leftovers(
            self.metadata, {"translations", "slug", "title", "organisation"}, "$.metadata", "metadata"
        )
        slug = self.slug()
        title = self.text(data.get("name") or self.metadata.get("title"), ["form.title"])
        if title is None:
            title = slug.replace("-", " ").capitalize()
            self.note("$.name", WARNING, f"the form has no name: its title is '{title}' until you give one")
        self.convert_sections()
        self.convert_lists()
        self.classify_pages()
        for page in self.pages:
            if page.kind not in ("summary", "status"):
                self.convert_page(page)
        self.convert_conditions()
        self.resolve_pending()
        pages = self.flow()
        repeats = self.convert_repeats(pages)
        definition: dict[str, Any] = {
            "schemaVersion": 1,
            "slug": slug,
            "title": title,
            "languages": ["en"],
            "paperForm": self.paper_form(title),
            "service": self.service(),
            "startPage": {"content": self.start_content()},
        }
        check_answers = self.check_answers()
        if check_answers:
            definition["checkAnswers"] = check_answers
        used_sections = {p.native.get("section") for p in pages}
        sections = [s for s in self.section_defs if s["id"] in used_sections]
        if sections:
            definition["sections"] = sections
        if self.list_defs:
            definition["lists"] = self.list_defs
        definition["pages"] = [p.native for p in pages]
        if repeats:
            definition["repeats"] = repeats
        self.prune_conditions(definition)
        if self.uses_welsh:
            definition["languages"] = ["en", "cy"]
        self.report_translations(definition)
        self.report_email(definition)
        order = ["schemaVersion", "slug", "title", "languages", "paperForm", "service", "startPage"]
        order += ["checkAnswers", "sections", "lists", "conditions", "repeats", "pages"]
        ordered = {key: definition[key] for key in order if key in definition}
        return ImportResult(ordered, self.report)

    # -- identity ---------------------------------------------------------------------------------
    def slug(self) -> str:
        candidates = [
            ("$.metadata.slug", self.metadata.get("slug")),
            ("file name", Path(self.source_name).stem if self.source_name else None),
            ("$.name", self.data.get("name") if isinstance(self.data.get("name"), str) else None),
        ]
        for _where, value in candidates:
            slug = slugify(str(value)) if value else ""
            if slug:
                break
        else:
            slug = "imported-form"
        if slug in RESERVED_SLUGS:
            self.note("$", INFO, f"'{slug}' is used by the service itself: the slug is '{slug}-form'")
            slug = f"{slug}-form"
        return slug

    def paper_form(self, title: Any) -> dict[str, Any]:
        organisation = self.organisation()
        self.note(
            "$",
            WARNING,
            f"placeholder: paperForm.reference is '{PLACEHOLDER_REFERENCE}': give the reference of the "
            "paper form this form replaces (Defra's format does not record it)",
        )
        if organisation is None:
            organisation = PLACEHOLDER_ORGANISATION
            self.note(
                "$",
                WARNING,
                f"placeholder: paperForm.organisation is '{PLACEHOLDER_ORGANISATION}': give the organisation "
                "that owns the form (APHA, EA, NE, RPA, MMO or Defra)",
            )
        return {
            "reference": PLACEHOLDER_REFERENCE,
            "title": self.english(title),
            "organisation": organisation,
        }

    def organisation(self) -> str | None:
        value = self.metadata.get("organisation")
        if not isinstance(value, str):
            return None
        upper = value.upper()
        for name in sorted(ORGANISATIONS, key=len, reverse=True):
            if re.search(rf"\b{re.escape(name)}\b", upper):
                return ORGANISATIONS[name]
        return None

    def service(self) -> dict[str, Any]:
        contact: dict[str, Any] = {}
        source = self.metadata.get("contact")
        if isinstance(source, Mapping):
            email = source.get("email")
            address = email.get("address") if isinstance(email, Mapping) else email
            if isinstance(address, str) and re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", address):
                contact["email"] = address
            phone = source.get("phone")
            if isinstance(phone, str) and re.fullmatch(r"[0-9 +()]{6,20}", phone.strip()):
                contact["phone"] = phone.strip()
            online = source.get("online")
            url = online.get("url") if isinstance(online, Mapping) else None
            if isinstance(url, str) and url.startswith("https://"):
                contact["url"] = url
        contact["name"] = PLACEHOLDER_CONTACT_NAME
        self.note(
            "$", WARNING, "placeholder: service.contact.name: give the name of the team users can contact"
        )
        if len(contact) < 2:
            contact["email"] = PLACEHOLDER_CONTACT_EMAIL
            self.note(
                "$",
                WARNING,
                f"placeholder: service.contact.email is '{PLACEHOLDER_CONTACT_EMAIL}': give the team's "
                "email address, phone number or both",
            )
        privacy = self.metadata.get("privacyNoticeUrl")
        if not (isinstance(privacy, str) and privacy.startswith("https://")):
            privacy = PLACEHOLDER_PRIVACY_URL
            self.note(
                "$",
                WARNING,
                f"placeholder: service.privacyNoticeUrl is '{PLACEHOLDER_PRIVACY_URL}': give the address "
                "of the form's privacy notice",
            )
        service = {
            "contact": {k: contact[k] for k in ("name", "email", "phone", "url") if k in contact},
            "privacyNoticeUrl": privacy,
            "whatHappensNext": self.what_happens_next(),
        }
        return service

    def what_happens_next(self) -> Any:
        parts: list[str] = []
        welsh: list[str] = []
        for page in self.pages:
            if page.kind == "status":
                for index, component in enumerate(page.source.get("components") or []):
                    path = f"{page.path}.components[{index}]"
                    if not isinstance(component, Mapping):
                        continue
                    if component.get("type") in CONTENT_TYPES and component.get("type") != "List":
                        text = self.markdown(
                            component.get("content"), self.component_keys(component, "content"), path
                        )
                        if text is not None:
                            parts.append(self.english(text))
                            if isinstance(text, Mapping) and "cy" in text:
                                welsh.append(text["cy"])
                            self.note(
                                path,
                                INFO,
                                "the confirmation page's content is the form's 'what happens next'",
                            )
                    else:
                        self.note(path, WARNING, "only content is carried over from the confirmation page")
        special = self.data.get("specialPages")
        if isinstance(special, Mapping):
            custom = (special.get("confirmationPage") or {}).get("customText") or {}
            if isinstance(custom, Mapping) and custom.get("nextSteps"):
                path = "$.specialPages.confirmationPage.customText.nextSteps"
                text = self.markdown(custom.get("nextSteps"), [], path)
                if text is not None:
                    parts.append(self.english(text))
                    self.note(path, INFO, "carried over as the form's 'what happens next'")
            others = {k: v for k, v in special.items() if k != "confirmationPage"}
            self.leftovers(others, (), "$.specialPages", "special page")
            if isinstance(custom, Mapping):
                self.leftovers(
                    custom, {"nextSteps"}, "$.specialPages.confirmationPage.customText", "confirmation text"
                )
        guidance = self.metadata.get("submissionGuidance")
        if isinstance(guidance, str) and guidance.strip():
            parts.append(guidance.strip())
            self.note("$.metadata.submissionGuidance", INFO, "carried over as the form's 'what happens next'")
        if not parts:
            self.note(
                "$",
                WARNING,
                "placeholder: service.whatHappensNext: say what happens after users send the form "
                "(the source has no confirmation page content)",
            )
            return PLACEHOLDER_WHAT_HAPPENS_NEXT
        english = "\n\n".join(parts)
        if welsh and len(welsh) == len(parts):
            self.uses_welsh = True
            return {"en": english, "cy": "\n\n".join(welsh)}
        return english

    def start_content(self) -> Any:
        for page in self.pages:
            if page.kind != "start":
                continue
            parts = []
            for index, component in enumerate(page.source.get("components") or []):
                path = f"{page.path}.components[{index}]"
                if isinstance(component, Mapping):
                    text = self.markdown(
                        component.get("content"), self.component_keys(component, "content"), path
                    )
                    if text is not None:
                        parts.append(text)
            if parts and all(isinstance(p, str) for p in parts):
                return "\n\n".join(parts)
            if parts:
                return {
                    "en": "\n\n".join(self.english(p) for p in parts),
                    "cy": "\n\n".join(p.get("cy", p["en"]) if isinstance(p, Mapping) else p for p in parts),
                }
        self.note(
            "$",
            WARNING,
            "placeholder: startPage.content: say what the service is for, who can use it and what users "
            "need (Defra's format has no start page content)",
        )
        return PLACEHOLDER_START

    def check_answers(self) -> dict[str, Any]:
        parts: list[Any] = []
        declaration = self.data.get("declaration")
        if not _empty(declaration):
            text = self.markdown(declaration, ["declaration"], "$.declaration")
            if text is not None:
                parts.append(text)
                self.note("$.declaration", INFO, "the form's declaration is shown on check answers")
        for page in self.pages:
            if page.kind != "summary":
                continue
            for index, component in enumerate(page.source.get("components") or []):
                path = f"{page.path}.components[{index}]"
                if not isinstance(component, Mapping):
                    continue
                if component.get("type") == "DeclarationField":
                    text = self.markdown(
                        component.get("content"), self.component_keys(component, "content"), path
                    )
                    if text is not None:
                        parts.append(text)
                        self.note(path, INFO, "the summary page's declaration is shown on check answers")
                else:
                    self.note(path, WARNING, "only a declaration is carried over from the summary page")
        if not parts:
            return {}
        if all(isinstance(p, str) for p in parts):
            return {"declaration": "\n\n".join(parts)}
        return {
            "declaration": {
                "en": "\n\n".join(self.english(p) for p in parts),
                "cy": "\n\n".join(p.get("cy", p["en"]) if isinstance(p, Mapping) else p for p in parts),
            }
        }

    # -- sections and lists -----------------------------------------------------------------------
    def convert_sections(self) -> None:
        ids = UniqueNames()
        for index, section in enumerate(self.data.get("sections") or []):
            path = f"$.sections[{index}]"
            if not isinstance(section, Mapping):
                self.note(path, WARNING, "not an object: not carried over")
                continue
            name = str(section.get("name") or section.get("id") or f"section{index + 1}")
            native_id = ids.claim(identifier(name, "section", hyphens=True))
            keys = [f"sections.{k}.title" for k in (section.get("id"), section.get("name")) if k]
            title = self.text(section.get("title"), keys) or name
            for key in (section.get("name"), section.get("id")):
                if key:
                    self.sections[str(key)] = native_id
            self.section_defs.append({"id": native_id, "title": title})
            if section.get("hideTitle") is True:
                self.note(f"{path}.hideTitle", INFO, "the native journey always shows a page's section title")
            self.leftovers(section, {"name", "id", "title", "hideTitle"}, path, "section")

    def section_of(self, value: Any, path: str) -> str | None:
        if _empty(value):
            return None
        key = str(value)
        if key in self.sections:
            return self.sections[key]
        close = difflib.get_close_matches(key, list(self.sections), n=1, cutoff=0.6)
        if close:
            self.note(
                path, WARNING, f"no section '{key}': taken to be '{close[0]}', the closest name: check it"
            )
            self.sections[key] = self.sections[close[0]]
            return self.sections[close[0]]
        self.note(path, WARNING, f"no section '{key}': the page is carried over without a section")
        return None

    def convert_lists(self) -> None:
        ids = UniqueNames()
        for index, source in enumerate(self.data.get("lists") or []):
            path = f"$.lists[{index}]"
            if not isinstance(source, Mapping):
                self.note(path, WARNING, "not an object: not carried over")
                continue
            name = str(source.get("name") or source.get("id") or f"list{index + 1}")
            native_id = ids.claim(identifier(name, "list", hyphens=True))
            list_keys = [k for k in (source.get("id"), source.get("name")) if k]
            items: list[dict[str, Any]] = []
            info = _List(native_id, path, items, {}, {}, {})
            seen: set[str] = set()
            for j, item in enumerate(source.get("items") or []):
                item_path = f"{path}.items[{j}]"
                if not isinstance(item, Mapping):
                    self.note(item_path, WARNING, "not an object: not carried over")
                    continue
                raw = item.get("value")
                value = str(raw).lower() if isinstance(raw, bool) else ("" if raw is None else str(raw))
                if not value.strip():
                    self.note(item_path, WARNING, "an item without a value is not carried over")
                    continue
                if len(value) > 200:
                    self.note(f"{item_path}.value", WARNING, "value longer than 200 characters: shortened")
                    value = value[:200]
                if value in seen:
                    self.note(
                        f"{item_path}.value",
                        WARNING,
                        f"a second item with the value '{value}': not carried over",
                    )
                    continue
                seen.add(value)
                item_keys = [
                    f"lists.{lk}.items.{ik}"
                    for lk in list_keys
                    for ik in (item.get("id"), value)
                    if ik is not None
                ]
                text = self.plain(item.get("text"), [f"{k}.text" for k in item_keys], f"{item_path}.text")
                if text is None:
                    text = value
                    self.note(
                        f"{item_path}.text", WARNING, f"an item without text: shown as its value '{value}'"
                    )
                native: dict[str, Any] = {"text": text, "value": value}
                hint_source = item.get("hint")
                if isinstance(hint_source, Mapping) and "text" in hint_source:
                    hint_source = hint_source["text"]
                if _empty(hint_source):
                    hint_source = item.get("description")
                hint = self.plain(hint_source, [f"{k}.hint" for k in item_keys], f"{item_path}.hint")
                if hint is not None:
                    native["hint"] = hint
                if not _empty(item.get("condition")):
                    self.pending.append((native, str(item["condition"]), f"{item_path}.condition", "item"))
                if not _empty(item.get("conditional")):
                    self.note(
                        f"{item_path}.conditional",
                        WARNING,
                        "questions revealed by choosing this item are not carried over: ask them on a page "
                        "of their own with a condition on this answer",
                    )
                self.leftovers(
                    item,
                    {"id", "text", "value", "hint", "description", "condition", "conditional"},
                    item_path,
                    "list item",
                )
                items.append(native)
                info.by_source_value[value] = value
                info.by_text[self.english(text).strip().lower()] = value
                if item.get("id") is not None:
                    info.by_item_id[str(item["id"])] = raw
            if not items:
                self.note(path, WARNING, "a list without items is not carried over")
                continue
            native_list: dict[str, Any] = {"id": native_id}
            title = self.text(source.get("title"), [f"lists.{k}.title" for k in list_keys])
            if title is not None:
                native_list["title"] = title
            native_list["items"] = items
            self.list_defs.append(native_list)
            for key in list_keys:
                self.lists[str(key)] = info
            self.leftovers(source, {"id", "name", "title", "type", "items"}, path, "list")

    def list_of(self, value: Any, path: str) -> _List | None:
        if _empty(value):
            self.note(path, WARNING, "a choice question without a list is not carried over")
            return None
        key = str(value)
        if key in self.lists:
            return self.lists[key]
        close = difflib.get_close_matches(key, list(self.lists), n=1, cutoff=0.6)
        if close:
            self.note(path, WARNING, f"no list '{key}': taken to be '{close[0]}', the closest name: check it")
            return self.lists[close[0]]
        self.note(path, WARNING, f"no list '{key}': the question is not carried over")
        return None

    # -- pages ------------------------------------------------------------------------------------
    def classify_pages(self) -> None:
        for index, source in enumerate(self.data.get("pages") or []):
            path = f"$.pages[{index}]"
            if not isinstance(source, Mapping) or "path" not in source:
                self.note(path, WARNING, "a page without a path is not carried over")
                continue
            controller = str(source.get("controller") or "")
            name = controller.rsplit("/", 1)[-1].removesuffix(".js").lower()
            if "summary" in name:
                kind = "summary"
            elif "status" in name or "confirmation" in name:
                kind = "status"
            elif name in ("startpagecontroller", "start", "homepagecontroller", "home"):
                kind = "start"
            elif "terminal" in name:
                kind = "exit"
            elif "repeat" in name:
                kind = "repeat"
            else:
                kind = "question"
                if name and name not in (
                    "questionpagecontroller",
                    "pagecontroller",
                    "fileuploadpagecontroller",
                ):
                    self.note(
                        f"{path}.controller",
                        WARNING,
                        f"the custom page controller '{controller}' is not carried over: the page is an "
                        "ordinary question page",
                    )
            if kind == "start" and any(
                isinstance(c, Mapping) and c.get("type") not in CONTENT_TYPES
                for c in source.get("components") or []
            ):
                kind = "question"
            page = _Page(index, path, source, _normalise_path(source["path"]), kind)
            if any(p.key == page.key for p in self.pages):
                self.note(
                    f"{path}.path",
                    WARNING,
                    f"a second page with the path '{source['path']}': not carried over",
                )
                continue
            self.pages.append(page)
            if kind == "start":
                self.note(path, INFO, "the start page's content is the native start page")
            elif kind == "summary":
                self.note(path, INFO, "the summary page is the native check your answers page")
            elif kind == "status":
                self.note(path, INFO, "the confirmation page is the native confirmation page")

    def page_keys(self, page: _Page, prop: str) -> list[str]:
        keys = [f"pages.{k}.{prop}" for k in (page.source.get("id"), page.key, page.source.get("path")) if k]
        return keys

    @staticmethod
    def component_keys(component: Mapping[str, Any], prop: str) -> list[str]:
        return [f"components.{k}.{prop}" for k in (component.get("id"), component.get("name")) if k]

    def convert_page(self, page: _Page) -> None:
        source = page.source
        handled = set(PAGE_HANDLED) | {"repeat"}
        if page.kind == "start":
            self.leftovers(source, handled, page.path, "start page")
            return
        slug = slugify(page.key.replace("/", "-"), PATH_MAX - 10) or "page"
        path_slug = self.page_paths.claim(slug, PATH_MAX - 1, sep="-")
        if path_slug != slug:
            self.note(
                f"{page.path}.path", INFO, f"the path '/{slug}' is taken: the page's path is '/{path_slug}'"
            )
        page_id = self.page_ids.claim(identifier(path_slug, "page", hyphens=True), sep="-")
        native: dict[str, Any] = {"id": page_id, "path": f"/{path_slug}"}
        components: list[dict[str, Any]] = []
        if page.kind == "repeat":
            page.repeat = self.repeat_of(page)
        for index, component in enumerate(source.get("components") or []):
            cpath = f"{page.path}.components[{index}]"
            if not isinstance(component, Mapping):
                self.note(cpath, WARNING, "not an object: not carried over")
                continue
            components.extend(self.convert_component(page, component, cpath))
        page.questions = [c["name"] for c in components if c["type"] not in CONTENT_TYPES | {"WarningText"}]
        title = self.text(source.get("title"), self.page_keys(page, "title"))
        if title is None:
            first = next((c.get("title") for c in components if c.get("title")), None)
            title = first or "Information"
            self.note(f"{page.path}.title", WARNING, f"the page has no title: it is '{self.english(title)}'")
        native["title"] = title
        section = self.section_of(source.get("section"), f"{page.path}.section")
        if section is not None:
            native["section"] = section
        if not components:
            components.append(
                {"id": self.names.claim("content"), "type": "Markdown", "name": "", "content": "-"}
            )
            components[-1]["name"] = components[-1]["id"]
            components[-1]["content"] = title if isinstance(title, str) else title["en"]
            self.note(
                page.path, WARNING, "the page has no components: it shows its title until you add content"
            )
        if page.kind == "exit" and page.questions:
            # Defra shows an end page's questions without a way to answer them; a native exit page
            # holds content only.
            self.note(
                page.path,
                WARNING,
                f"the questions of an end page are not carried over: {', '.join(page.questions)}",
            )
            components = [c for c in components if c["name"] not in page.questions] or components[:0]
            page.questions = []
            if not components:
                components.append({"id": self.names.claim("content"), "type": "Markdown"})
                components[-1].update(name=components[-1]["id"], content=self.english(title))
        native["components"] = components
        if page.kind == "exit":
            native["exit"] = True
        page.native = native
        self.leftovers(source, handled, page.path, "page")

    def repeat_of(self, page: _Page) -> dict[str, Any] | None:
        repeat = page.source.get("repeat")
        path = f"{page.path}.repeat"
        if not isinstance(repeat, Mapping):
            self.note(page.path, WARNING, "a repeat page without 'repeat' settings: asked once")
            return None
        options = repeat.get("options") or {}
        schema = repeat.get("schema") or {}
        name = str(options.get("name") or page.key or "items")
        repeat_id = self.names.claim(identifier(name, "repeat", hyphens=False))
        title = (
            self.text(options.get("title"), [f"pages.{page.source.get('id')}.repeat.options.title"]) or "Item"
        )
        item_name = self.map_text(title, lambda t: t[:1].lower() + t[1:])
        native: dict[str, Any] = {"id": repeat_id, "title": title, "itemName": item_name}
        low, high = schema.get("min"), schema.get("max")
        if isinstance(low, int) and not isinstance(low, bool):
            native["min"] = max(low, 0)
        if isinstance(high, int) and not isinstance(high, bool):
            if high > 500:
                self.note(f"{path}.schema.max", INFO, "the native journey takes at most 500 items")
            native["max"] = min(max(high, 1), 500)
        if native.get("min", 1) > native.get("max", 50):
            native["min"] = native["max"]
        self.leftovers(options, {"name", "title"}, f"{path}.options", "repeat option")
        self.leftovers(schema, {"min", "max"}, f"{path}.schema", "repeat setting")
        self.leftovers(repeat, {"options", "schema"}, path, "repeat setting")
        return native

    # -- components -------------------------------------------------------------------------------
    def claim_name(self, source_name: str, path: str, fallback: str) -> str:
        base = identifier(source_name, fallback, hyphens=False) if source_name else fallback
        if base in RESERVED_NAMES:
            base = f"{base}Field"
        name = self.names.claim(base)
        if source_name and name != source_name:
            self.note(
                f"{path}.name",
                INFO,
                f"the answer name '{source_name}' is '{name}' here (names must be unique)",
            )
        return name

    def register(self, page: _Page, component: Mapping[str, Any], info: FieldInfo, title: Any) -> None:
        self.fields.append(
            _Field(
                source_name=str(component.get("name") or ""),
                source_id=str(component.get("id") or ""),
                section=str(page.source.get("section") or ""),
                title=self.english(title).strip().lower(),
                page_key=page.key,
                info=info,
            )
        )

    def convert_component(self, page: _Page, component: Mapping[str, Any], path: str) -> list[dict[str, Any]]:
        ctype = str(component.get("type") or "")
        source_name = str(component.get("name") or "")
        repeat_id = page.repeat["id"] if page.repeat else None
        if ctype in CONTENT_TYPES:
            return self.convert_content(component, path)
        if ctype in SPLIT_FIELDS:
            return self.convert_split(page, component, path, repeat_id)
        if ctype in PATTERN_FIELDS:
            pattern, example, message = PATTERN_FIELDS[ctype]
            self.note(
                path,
                INFO,
                f"a {ctype} is a TextField checked against a pattern here (the native engine has no {ctype})",
            )
            native = self.question(page, component, path, "TextField", repeat_id)
            if native is None:
                return []
            native["options"] = {**native.get("options", {}), "regex": pattern, "example": example}
            native["errors"] = {**native.get("errors", {}), "format": message}
            return [native]
        if ctype not in QUESTION_TYPES:
            self.note(
                path,
                WARNING,
                f"the component type '{ctype or '(none)'}' has no native equivalent: '{source_name}' is not "
                "carried over",
            )
            self.fields.append(
                _Field(
                    source_name,
                    str(component.get("id") or ""),
                    str(page.source.get("section") or ""),
                    str(component.get("title") or "").lower(),
                    page.key,
                    FieldInfo(
                        source_name, ctype, ctype, not_comparable=f"'{source_name}' was not carried over"
                    ),
                )
            )
            return []
        native_type = QUESTION_TYPES[ctype]
        if native_type != ctype:
            self.note(path, INFO, f"a {ctype} is a native {native_type}")
        native = self.question(page, component, path, native_type, repeat_id)
        return [native] if native is not None else []

    def convert_content(self, component: Mapping[str, Any], path: str) -> list[dict[str, Any]]:
        ctype = str(component["type"])
        options = component.get("options") or {}
        name = self.claim_name(str(component.get("name") or ""), path, "content")
        native: dict[str, Any] = {"id": name, "type": ctype, "name": name}
        keys = self.component_keys(component, "content")
        if ctype == "Html":
            content = self.text(component.get("content"), keys)
            changed = [False]

            def demote(html: str) -> str:
                new, did = demote_html_headings(html)
                changed[0] = changed[0] or did
                return new

            content = self.map_text(content, demote) if content is not None else None
            if changed[0]:
                self.note(
                    path, INFO, "headings moved down a level: the page's title is its only level-1 heading"
                )
        elif ctype == "List":
            content = self.list_content(component, path)
            native["type"] = "Markdown"
        else:
            content = self.markdown(component.get("content"), keys, f"{path}.content")
        if content is None:
            self.note(path, WARNING, f"a {ctype} without content is not carried over")
            return []
        native["content"] = content
        if ctype == "Details":
            title = self.plain(
                component.get("title"), self.component_keys(component, "title"), f"{path}.title"
            )
            native["title"] = title or "More information"
            if title is None:
                self.note(f"{path}.title", WARNING, "details without a summary: it reads 'More information'")
        if not _empty(options.get("condition")):
            self.pending.append((native, str(options["condition"]), f"{path}.options.condition", "content"))
        self.leftovers(
            options, {"condition", "required", "type", "bold", "hideTitle"}, f"{path}.options", "option"
        )
        self.leftovers(component, COMPONENT_HANDLED, path, "component setting")
        return [native]

    def list_content(self, component: Mapping[str, Any], path: str) -> Any:
        found = self.list_of(component.get("list"), f"{path}.list")
        if found is None:
            return None
        numbered = (component.get("options") or {}).get("type") == "numbered"
        self.note(path, INFO, "a List component is Markdown listing the list's items here")
        languages = ["en", "cy"] if any(isinstance(i["text"], Mapping) for i in found.items) else ["en"]
        texts = {}
        for language in languages:
            lines = []
            for number, item in enumerate(found.items, start=1):
                text = item["text"]
                value = text.get(language, text["en"]) if isinstance(text, Mapping) else text
                lines.append(f"{number}. {value}" if numbered else f"- {value}")
            texts[language] = "\n".join(lines)
        return texts if len(texts) > 1 else texts["en"]

    def question(
        self, page: _Page, component: Mapping[str, Any], path: str, native_type: str, repeat_id: str | None
    ) -> dict[str, Any] | None:
        ctype = str(component.get("type"))
        options = component.get("options") or {}
        schema = component.get("schema") or {}
        if not isinstance(options, Mapping) or not isinstance(schema, Mapping):
            self.note(path, WARNING, "options or schema is not an object: not carried over")
            options = options if isinstance(options, Mapping) else {}
            schema = schema if isinstance(schema, Mapping) else {}
        source_name = str(component.get("name") or "")
        list_info: _List | None = None
        if native_type in CHOICE_TYPES:
            list_info = self.list_of(component.get("list"), f"{path}.list")
            if list_info is None:
                self.register(
                    page,
                    component,
                    FieldInfo(
                        source_name,
                        native_type,
                        ctype,
                        not_comparable=f"'{source_name}' was not carried over",
                    ),
                    component.get("title"),
                )
                return None
        name = self.claim_name(source_name, path, "answer")
        native: dict[str, Any] = {"id": name, "type": native_type, "name": name}
        title = self.plain(component.get("title"), self.component_keys(component, "title"), f"{path}.title")
        if title is None:
            title = re.sub(r"(?<!^)(?=[A-Z])", " ", name).capitalize()
            self.note(
                f"{path}.title", WARNING, f"the question has no title: it reads '{title}' until you give one"
            )
        native["title"] = title
        short = self.plain(
            component.get("shortDescription"), self.component_keys(component, "shortDescription"), path
        )
        if short is not None:
            native["shortTitle"] = short
        hint = self.plain(component.get("hint"), self.component_keys(component, "hint"), f"{path}.hint")
        if hint is not None:
            native["hint"] = hint
        if native_type == "DeclarationField":
            content = self.markdown(component.get("content"), self.component_keys(component, "content"), path)
            native["content"] = content or title
        if list_info is not None:
            native["list"] = list_info.id
        if options.get("required") is False:
            native["optional"] = True
        handled_options = {"required", "condition"}
        handled_schema: set[str] = set()
        native_options: dict[str, Any] = {}
        errors: dict[str, Any] = {}
        self.question_options(
            native_type,
            component,
            options,
            schema,
            path,
            native_options,
            errors,
            handled_options,
            handled_schema,
        )
        if not _empty(options.get("condition")):
            self.note(
                f"{path}.options.condition",
                WARNING,
                "a condition on a question is not carried over: put the question on a page of its own "
                "with a page condition",
            )
        if options.get("optionalText") is False:
            handled_options.add("optionalText")
            self.note(
                f"{path}.options.optionalText", INFO, "the native journey always marks optional questions"
            )
        self.custom_messages(native_type, options, path, errors, handled_options)
        if native_options:
            native["options"] = native_options
        if errors:
            native["errors"] = errors
        self.leftovers(options, handled_options, f"{path}.options", "option")
        self.leftovers(schema, handled_schema, f"{path}.schema", "validation setting")
        if component.get("values") and ctype == "YesNoField":
            self.note(
                f"{path}.values", INFO, "the legacy 'values' setting is not needed: Yes and No are built in"
            )
        self.leftovers(component, COMPONENT_HANDLED | {"values"}, path, "component setting")
        info = FieldInfo(
            name=name,
            type=native_type,
            source_type=ctype,
            values=tuple(item["value"] for item in list_info.items) if list_info else (),
            by_source_value=list_info.by_source_value if list_info else {},
            by_text=list_info.by_text if list_info else {},
            repeat=repeat_id,
        )
        self.register(page, component, info, title)
        return native

    def question_options(
        self,
        native_type: str,
        component: Mapping[str, Any],
        options: Mapping[str, Any],
        schema: Mapping[str, Any],
        path: str,
        out: dict[str, Any],
        errors: dict[str, Any],
        handled_options: set[str],
        handled_schema: set[str],
    ) -> None:
        """The native options of a question from Defra's `options` and `schema`."""

        def integer(value: Any) -> int | None:
            return value if isinstance(value, int) and not isinstance(value, bool) else None

        def number(value: Any) -> float | int | None:
            return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None

        classes = options.get("classes")
        if classes and native_type in CLASSES_TYPES and classes in WIDTH_CLASSES:
            out["classes"] = classes
            handled_options.add("classes")
        autocomplete = options.get("autocomplete")
        if (
            isinstance(autocomplete, str)
            and re.fullmatch(r"[a-z -]+", autocomplete)
            and native_type in ("TextField", "EmailAddressField", "TelephoneNumberField", "YesNoField")
        ):
            out["autocomplete"] = autocomplete
            handled_options.add("autocomplete")
        if native_type == "TextField":
            length = integer(schema.get("length"))
            low = integer(schema.get("min")) if length is None else length
            high = integer(schema.get("max")) if length is None else length
            if low is not None and low > 0:
                out["minLength"] = low
            if high is not None and high >= 1:
                out["maxLength"] = min(high, 10000)
            handled_schema.update({"length", "min", "max"})
            if schema.get("regex"):
                handled_schema.add("regex")
                self.regex(str(schema["regex"]), f"{path}.schema.regex", out, errors)
            if component.get("type") == "WebsiteField":
                self.note(path, INFO, "a WebsiteField is a TextField here: the address is not checked")
        elif native_type == "MultilineTextField":
            words = integer(options.get("maxWords"))
            if words is not None and words >= 1:
                out["maxWords"] = min(words, 20000)
                handled_options.add("maxWords")
            high = (
                integer(schema.get("max")) if schema.get("length") is None else integer(schema.get("length"))
            )
            if high is not None and high >= 1:
                if "maxWords" in out:
                    self.note(
                        f"{path}.schema.max",
                        WARNING,
                        "a word limit and a character limit: the word limit is kept",
                    )
                else:
                    out["maxLength"] = min(high, 100000)
                handled_schema.update({"max", "length"})
            rows = integer(options.get("rows"))
            if rows is not None:
                out["rows"] = min(max(rows, 2), 30)
                handled_options.add("rows")
        elif native_type == "NumberField":
            bottom, top = number(schema.get("min")), number(schema.get("max"))
            if bottom is not None:
                out["min"] = bottom
            if top is not None:
                out["max"] = top
            handled_schema.update({"min", "max"})
            precision = integer(schema.get("precision"))
            if precision is not None:
                out["decimals"] = min(max(precision, 0), 6)
                handled_schema.add("precision")
            else:
                self.note(
                    path,
                    INFO,
                    "Defra takes any number of decimal places unless a precision is set; the native field "
                    "takes whole numbers: set options.decimals if decimals are needed",
                )
            for key, limit in (("prefix", 5), ("suffix", 20)):
                text = self.text(options.get(key), self.component_keys(component, key))
                if text is not None and all(
                    len(t) <= limit for t in ([text] if isinstance(text, str) else text.values())
                ):
                    out[key] = text
                    handled_options.add(key)
        elif native_type in ("DatePartsField", "MonthYearField"):
            for key, bound, sign in (("maxDaysInPast", "earliest", "-"), ("maxDaysInFuture", "latest", "+")):
                days = integer(options.get(key))
                if days is not None and days >= 0:
                    out[bound] = "today" if days == 0 else f"{sign}{min(days, 9999)}d"
                    handled_options.add(key)
        elif native_type == "CheckboxesField":
            length = integer(schema.get("length"))
            low = integer(schema.get("min")) if length is None else length
            high = integer(schema.get("max")) if length is None else length
            found = self.lists.get(str(component.get("list")))
            count = len(found.items) if found else None
            if low is not None and low >= 1:
                out["minSelected"] = min(low, count) if count else low
            if high is not None and high >= 1:
                out["maxSelected"] = high
            handled_schema.update({"min", "max", "length"})
        elif native_type == "FileUploadField":
            out["accept"] = self.file_types(options.get("accept"), f"{path}.options.accept")
            handled_options.add("accept")
            length = integer(schema.get("length"))
            low = integer(schema.get("min")) if length is None else length
            high = integer(schema.get("max")) if length is None else length
            if high is not None and high >= 1:
                if high > 20:
                    self.note(f"{path}.schema.max", INFO, "the native upload takes at most 20 files")
                out["maxFiles"] = min(high, 20)
            if low is not None and low >= 1:
                out["minFiles"] = min(low, out.get("maxFiles", 1) if high is not None else 20)
                out.setdefault("maxFiles", max(out["minFiles"], 1))
            handled_schema.update({"min", "max", "length"})
            self.note(
                path,
                INFO,
                "each file may be at most 10MB (the native default): set options.maxSizeMb for another limit",
            )
        if native_type in ("RadiosField", "CheckboxesField") and "bold" in options:
            handled_options.add("bold")
            self.note(f"{path}.options.bold", INFO, "bold item labels are not carried over")
        if native_type == "UkAddressField" and options.get("usePostcodeLookup"):
            handled_options.add("usePostcodeLookup")
            self.note(
                f"{path}.options.usePostcodeLookup",
                INFO,
                "the native address question has no postcode lookup: users type the address",
            )

    def regex(self, pattern: str, path: str, out: dict[str, Any], errors: dict[str, Any]) -> None:
        """A Defra (JavaScript) pattern as a native regex with its example answer."""
        anchored = pattern.startswith("^") and pattern.endswith("$") and not pattern.endswith("\\$")
        python = pattern if anchored else f"(?s).*(?:{pattern}).*"
        try:
            re.compile(python)
        except re.error as exc:
            self.note(path, WARNING, f"the pattern is not carried over: Python cannot read it ({exc})")
            return
        example = example_for_pattern(python)
        if example is None:
            self.note(
                path, WARNING, "the pattern is not carried over: no example answer for it could be made"
            )
            return
        if not anchored:
            self.note(path, INFO, "the pattern may match anywhere in the answer, as in Defra's engine")
        out["regex"] = python
        out["example"] = example
        errors.setdefault("format", "Enter {label} in the correct format")
        self.note(path, INFO, f"the example answer for the pattern is '{example}': check it reads well")

    def file_types(self, accept: Any, path: str) -> list[str]:
        if _empty(accept):
            self.note(path, INFO, f"no file types given: the upload accepts {', '.join(ALL_FILE_TYPES)}")
            return list(ALL_FILE_TYPES)
        kinds: list[str] = []
        dropped: list[str] = []
        for mime in str(accept).split(","):
            mime = mime.strip().lower()
            kind = MIME_TYPES.get(mime)
            if kind is None:
                if mime:
                    dropped.append(mime)
            elif kind not in kinds:
                kinds.append(kind)
        if dropped:
            self.note(
                path,
                WARNING,
                "file types the native engine cannot check by their content are not accepted: "
                + ", ".join(dropped),
            )
        if not kinds:
            self.note(
                path, WARNING, f"none of the file types can be checked: the upload accepts {ALL_FILE_TYPES}"
            )
            return list(ALL_FILE_TYPES)
        return kinds

    def custom_messages(
        self,
        native_type: str,
        options: Mapping[str, Any],
        path: str,
        errors: dict[str, Any],
        handled: set[str],
    ) -> None:
        message = options.get("customValidationMessage")
        if isinstance(message, str) and message.strip():
            handled.add("customValidationMessage")
            errors["required"] = message.strip()
            kinds = ["required"]
            if native_type in FORMAT_ERROR_TYPES or "regex" in errors or "format" in errors:
                errors["format"] = message.strip()
                kinds.append("format")
            self.note(
                f"{path}.options.customValidationMessage",
                INFO,
                f"the custom message is used for the {' and '.join(kinds)} error(s)",
            )
        messages = options.get("customValidationMessages")
        if isinstance(messages, Mapping) and messages:
            handled.add("customValidationMessages")
            for key, text in messages.items():
                kind = JOI_ERRORS.get(str(key))
                if native_type == "CheckboxesField" and key in ("array.min", "array.max"):
                    kind = "minSelected" if key == "array.min" else "maxSelected"
                if kind is None or not isinstance(text, str) or not text.strip():
                    self.note(
                        f"{path}.options.customValidationMessages.{key}",
                        WARNING,
                        "this custom message has no native error kind: not carried over",
                    )
                    continue
                limit = (
                    "{count}" if kind in ("minLength", "maxLength", "minSelected", "maxSelected") else "{min}"
                )
                if kind == "max":
                    limit = "{max}"
                native = re.sub(r"\{\{\s*#label\s*\}\}", "{label}", text)
                native = re.sub(r"\{\{\s*#limit\s*\}\}", limit, native)
                native = re.sub(r"\{\{[^}]*\}\}", "", native).strip()
                errors[kind] = native

    def convert_split(
        self, page: _Page, component: Mapping[str, Any], path: str, repeat_id: str | None
    ) -> list[dict[str, Any]]:
        ctype = str(component["type"])
        source_name = str(component.get("name") or "")
        title = self.plain(component.get("title"), self.component_keys(component, "title"), f"{path}.title")
        title_en = self.english(title) or ctype
        options = component.get("options") or {}
        out = []
        parts = SPLIT_FIELDS[ctype]
        for part, part_title, low, high, decimals in parts:
            name = self.claim_name(f"{source_name or 'location'}{part}", path, "location")
            native: dict[str, Any] = {
                "id": name,
                "type": "NumberField",
                "name": name,
                "title": self.map_text(title, lambda t, p=part_title: f"{t}: {p.lower()}")
                if title is not None
                else part_title,
                "options": {"min": low, "max": high, **({"decimals": decimals} if decimals else {})},
            }
            hint = self.plain(component.get("hint"), self.component_keys(component, "hint"), f"{path}.hint")
            if hint is not None and part == parts[0][0]:
                native["hint"] = hint
            if options.get("required") is False:
                native["optional"] = True
            out.append(native)
        self.note(
            path,
            INFO,
            f"a {ctype} ('{title_en}') is asked as two number questions here, "
            f"{' and '.join(n['name'] for n in out)} (the native engine has no {ctype})",
        )
        self.register(
            page,
            component,
            FieldInfo(
                source_name,
                ctype,
                ctype,
                repeat=repeat_id,
                not_comparable=f"'{source_name}' is asked as two numbers: compare them in a condition of "
                "your own",
            ),
            title_en,
        )
        self.leftovers(options, {"required"}, f"{path}.options", "option")
        self.leftovers(component, COMPONENT_HANDLED, path, "component setting")
        return out

    # -- conditions -------------------------------------------------------------------------------
    def convert_conditions(self) -> None:
        for index, source in enumerate(self.data.get("conditions") or []):
            if not isinstance(source, Mapping):
                self.note(f"$.conditions[{index}]", WARNING, "not an object: not carried over")
                continue
            for key in (source.get("name"), source.get("id")):
                if key:
                    self.source_conditions.setdefault(str(key), (index, source))
            display = source.get("displayName")
            if display:
                self.source_conditions.setdefault(f"display:{display}", (index, source))
        for index, source in enumerate(self.data.get("conditions") or []):
            if isinstance(source, Mapping):
                self.condition(index, source)

    def condition(self, index: int, source: Mapping[str, Any]) -> str | None:
        """The native id of a source condition, converting it on first use (None if it cannot be)."""
        if index in self.converted:
            return self.converted[index]
        path = f"$.conditions[{index}]"
        if index in self.converting:
            raise Unsupported("conditions refer to each other in a cycle")
        self.converting.add(index)
        context = Context(question=self.field_for, reference=self.reference, list_item=self.list_item)
        display = str(source.get("displayName") or "")
        try:
            if "items" in source:
                condition = convert_v2(source, path, context)
            elif isinstance(source.get("value"), Mapping):
                condition = convert_v1(source["value"], f"{path}.value", context)
            else:
                raise Unsupported("neither a V1 'value' nor V2 'items'")
        except Unsupported as exc:
            self.note(
                path,
                WARNING,
                f"the condition '{display or source.get('name') or source.get('id')}' is not carried "
                f"over: {exc}",
            )
            self.converted[index] = None
            self.converting.discard(index)
            return None
        for note_path, message in context.notes:
            self.note(note_path, INFO, message)
        name = source.get("name") if not self.v2 else None
        base = (
            identifier(str(name), "condition", hyphens=True) if name else camel_case(display) or "condition"
        )
        native_id = self.condition_ids.claim(identifier(base, "condition", hyphens=True))
        entry: dict[str, Any] = {"id": native_id}
        if display:
            entry["description"] = display
        entry["condition"] = condition
        self.named[native_id] = entry
        self.converted[index] = native_id
        self.converting.discard(index)
        self.leftovers(
            source, {"name", "id", "displayName", "value", "items", "coordinator"}, path, "condition setting"
        )
        return native_id

    def reference(self, key: str, path: str) -> str:
        found = self.source_conditions.get(key) or self.source_conditions.get(f"display:{key}")
        if found is None:
            raise Unsupported(f"there is no condition '{key}'")
        native_id = self.condition(*found)
        if native_id is None:
            raise Unsupported(f"the condition '{key}' it refers to could not be carried over")
        return native_id

    def list_item(self, list_id: str, item_id: str) -> Any:
        found = self.lists.get(list_id)
        if found is None or item_id not in found.by_item_id:
            raise Unsupported(f"no item '{item_id}' in list '{list_id}'")
        return found.by_item_id[item_id]

    def field_for(self, reference: str, display: str, path: str) -> FieldInfo:
        """The question a condition compares, by Defra's reference to it (a name, `section.name`, or
        a V2 component id); near misses are matched and reported."""
        by_id = [f for f in self.fields if f.source_id and f.source_id == reference]
        if by_id:
            return by_id[0].info
        exact = [f for f in self.fields if f.source_name == reference]
        if len(exact) > 1:
            self.note(path, WARNING, f"several questions are named '{reference}': the first is used")
        if exact:
            return exact[0].info
        section, _, bare = reference.rpartition(".")
        if section:
            scoped = [f for f in self.fields if f.source_name == bare and f.section == section]
            scoped = scoped or [f for f in self.fields if f.source_name == bare]
            if scoped:
                return scoped[0].info
        title = re.sub(r"\s+in\s+\S+$", "", display).strip().lower() if display else ""
        if title:
            titled = [f for f in self.fields if f.title == title]
            if len(titled) == 1:
                self.note(
                    path,
                    WARNING,
                    f"no question '{reference}': taken to be '{titled[0].source_name}', whose title is "
                    f"'{display}': check it",
                )
                return titled[0].info
        names = [f.source_name for f in self.fields if f.source_name]
        close = difflib.get_close_matches(bare or reference, names, n=1, cutoff=0.6)
        if close:
            self.note(
                path,
                WARNING,
                f"no question '{reference}': taken to be '{close[0]}', the closest name: check it",
            )
            return next(f.info for f in self.fields if f.source_name == close[0])
        raise Unsupported(f"there is no question '{reference}'")

    def resolve_pending(self) -> None:
        for target, key, path, what in self.pending:
            try:
                native_id = self.reference(key, path)
            except Unsupported as exc:
                shown = "always offered" if what == "item" else "always shown"
                self.note(path, WARNING, f"the condition is not carried over ({exc}): the {what} is {shown}")
                continue
            target["condition"] = {"ref": native_id}

    # -- flow and order ---------------------------------------------------------------------------
    def flow(self) -> list[_Page]:
        """The pages to keep, in order, each with the condition under which it is on the path."""
        candidates = [p for p in self.pages if p.kind not in ("summary", "status")]
        if self.v2:
            return self.flow_v2(candidates)
        return self.flow_v1(candidates)

    def flow_v2(self, pages: list[_Page]) -> list[_Page]:
        kept = []
        for page in pages:
            if page.kind == "start":
                continue
            reference = page.source.get("condition")
            if not _empty(reference):
                try:
                    page.native["condition"] = {
                        "ref": self.reference(str(reference), f"{page.path}.condition")
                    }
                except Unsupported as exc:
                    self.note(
                        f"{page.path}.condition",
                        WARNING,
                        f"the page's condition is not carried over ({exc}): the page is always shown",
                    )
            kept.append(page)
        kept = self.drop_after_exits(kept)
        self.check_order(kept)
        return kept

    def drop_after_exits(self, pages: list[_Page]) -> list[_Page]:
        for position, page in enumerate(pages):
            if page.kind == "exit" and "condition" not in page.native and position < len(pages) - 1:
                for later in pages[position + 1 :]:
                    self.note(
                        later.path,
                        WARNING,
                        f"never reached: the page '{page.source.get('path')}' before it ends the journey",
                    )
                return pages[: position + 1]
        return pages

    def flow_v1(self, pages: list[_Page]) -> list[_Page]:
        by_key = {p.key: p for p in self.pages}
        start_key = _normalise_path(self.data.get("startPage"))
        if start_key not in by_key or by_key[start_key].is_end:
            first = next((p for p in pages), None)
            if first is None:
                return []
            if start_key:
                self.note(
                    "$.startPage",
                    WARNING,
                    f"no page '{self.data.get('startPage')}': the journey starts at '{first.source['path']}'",
                )
            start_key = first.key
        links: dict[str, list[Link]] = {}
        for page in pages:
            links[page.key] = self.page_links(page, by_key)
        flow = reach_conditions(start_key, [p.key for p in self.pages], links)
        for link in flow.back_links:
            source = by_key[link.source]
            self.note(
                f"{source.path}.next",
                WARNING,
                f"the link back to '{by_key[link.target].source['path'] if link.target else ''}' is not "
                "carried over: the native journey only goes forward (users use the back link or change "
                "their answers)",
            )
        kept = []
        for page in pages:
            formula = flow.reach.get(page.key)
            if formula is None or formula == FALSE:
                if page.kind != "start":
                    self.note(
                        page.path, WARNING, "the page cannot be reached from the start page: not carried over"
                    )
                continue
            if page.kind == "start":
                continue
            if formula != TRUE:
                page.native["condition"] = to_condition(formula)
            kept.append(page)
        position = {p.key: i for i, p in enumerate(self.pages)}
        keys = [p.key for p in kept]
        order_links: list[Link | tuple[str, str]] = list(flow.links)
        order_links += self.dependency_links(kept)
        try:
            ordered = topological_order(keys, order_links, position)
        except ValueError:
            ordered = topological_order(keys, flow.links, position)
        by_kept = {p.key: p for p in kept}
        result = [by_kept[k] for k in ordered]
        self.check_order(result)
        return result

    def page_links(self, page: _Page, by_key: Mapping[str, _Page]) -> list[Link]:
        source_links = page.source.get("next")
        path = f"{page.path}.next"
        if source_links is not None and not isinstance(source_links, list):
            self.note(path, WARNING, "'next' is not a list: ignored")
            source_links = []
        targets: list[str | None] = []
        conditions: list[Formula | None] = []
        paths: list[str] = []
        for index, link in enumerate(source_links or []):
            link_path = f"{path}[{index}]"
            if not isinstance(link, Mapping):
                self.note(link_path, WARNING, "not an object: ignored")
                continue
            if not _empty(link.get("redirect")):
                self.note(link_path, WARNING, f"the redirect to {link['redirect']} is not carried over")
            target = by_key.get(_normalise_path(link.get("path")))
            if target is None:
                self.note(
                    link_path,
                    WARNING,
                    f"no page '{link.get('path')}': the link is ignored, as Defra's engine does",
                )
                continue
            reference = link.get("condition")
            condition: Formula | None = None
            if not _empty(reference):
                try:
                    condition = atom({"ref": self.reference(str(reference), f"{link_path}.condition")})
                except Unsupported as exc:
                    self.note(
                        f"{link_path}.condition",
                        WARNING,
                        f"the link is never followed: {exc} (as in Defra's engine)",
                    )
                    condition = FALSE
            targets.append(None if target.is_end else target.key)
            conditions.append(condition)
            paths.append(link_path)
            self.leftovers(link, {"path", "condition", "redirect"}, link_path, "link setting")
        if not targets:
            if page.kind == "exit" or not page.questions:
                page.kind = "exit"
                page.native["exit"] = True
                self.note(
                    page.path,
                    INFO,
                    "no links onward: an exit page ('You cannot use this service' style) here",
                )
                return []
            self.note(
                page.path,
                WARNING,
                "no links onward (Defra's engine shows no continue button): the page leads to check answers",
            )
            return [Link(page.key, None, TRUE)]
        taken = link_conditions(conditions)
        for link_path, condition, when in zip(paths, conditions, taken, strict=True):
            if condition is None and when == FALSE:
                self.note(
                    link_path, WARNING, "never followed: a later link without a condition is the default"
                )
        return [Link(page.key, t, w) for t, w in zip(targets, taken, strict=True)]

    def dependency_links(self, pages: list[_Page]) -> list[tuple[str, str]]:
        """(earlier, later) pairs: a page asking a question comes before pages whose condition uses it."""
        asked_on = {name: p.key for p in pages for name in p.questions}
        named = {k: v["condition"] for k, v in self.named.items()}
        pairs = []
        for page in pages:
            condition = page.native.get("condition")
            if condition is None:
                continue
            for name in native_conditions.referenced_components(condition, named):
                if name in asked_on and asked_on[name] != page.key:
                    pairs.append((asked_on[name], page.key))
        return pairs

    def check_order(self, pages: list[_Page]) -> None:
        """Drop page conditions and content conditions that use answers from the same or later pages
        (the native journey cannot)."""
        named = {k: v["condition"] for k, v in self.named.items()}
        asked_at: dict[str, int] = {}
        for position, page in enumerate(pages):
            for name in page.questions:
                asked_at.setdefault(name, position)
        for position, page in enumerate(pages):
            condition = page.native.get("condition")
            if condition is not None:
                late = [
                    n
                    for n in native_conditions.referenced_components(condition, named)
                    if asked_at.get(n, -1) >= position
                ]
                if late:
                    del page.native["condition"]
                    self.note(
                        f"{page.path}.condition",
                        WARNING,
                        f"the page's condition uses '{late[0]}', asked on this page or a later one: not "
                        "carried over, the page is always shown",
                    )
            for index, component in enumerate(page.native.get("components", [])):
                condition = component.get("condition")
                if condition is None:
                    continue
                late = [
                    n
                    for n in native_conditions.referenced_components(condition, named)
                    if asked_at.get(n, -1) >= position
                ]
                if late:
                    del component["condition"]
                    self.note(
                        f"{page.path}.components",
                        WARNING,
                        f"the condition of '{component['name']}' uses '{late[0]}', asked on this page or a "
                        "later one: not carried over, the content is always shown",
                    )
                    del index

    def convert_repeats(self, pages: list[_Page]) -> list[dict[str, Any]]:
        repeats = []
        for page in pages:
            if page.repeat is None:
                continue
            if any(c["type"] == "FileUploadField" for c in page.native["components"]):
                self.note(
                    page.path, WARNING, "a page with a file upload cannot be repeated here: it is asked once"
                )
                continue
            if not page.questions:
                self.note(page.path, WARNING, "a repeat needs a question: the page is asked once")
                continue
            if "condition" in page.native:
                del page.native["condition"]
                self.note(
                    page.path,
                    WARNING,
                    "a repeated page's condition is not carried over: the native journey always asks a "
                    "repeat",
                )
            repeats.append({**page.repeat, "pages": [page.native["id"]]})
            self.note(
                page.path, INFO, f"the repeat page is the native repeat '{page.repeat['id']}' (add another)"
            )
        return repeats

    def prune_conditions(self, definition: dict[str, Any]) -> None:
        """Keep the named conditions the definition can use: each refers to questions it asks
        (outside repeats) and to conditions it keeps."""
        names = {c["name"] for p in definition["pages"] for c in p["components"]}
        repeated = {
            name
            for r in definition.get("repeats", [])
            for p in definition["pages"]
            if p["id"] in r["pages"]
            for name in (c["name"] for c in p["components"])
        }
        kept = dict(self.named)
        changed = True
        while changed:
            changed = False
            for native_id, entry in list(kept.items()):
                problem = None
                for leaf, _ in native_conditions.walk(entry["condition"], "$"):
                    if "component" in leaf and (
                        leaf["component"] not in names or leaf["component"] in repeated
                    ):
                        problem = f"its question '{leaf['component']}' is not in the imported form"
                    elif "ref" in leaf and leaf["ref"] not in kept:
                        problem = f"the condition '{leaf['ref']}' it refers to is not carried over"
                if problem:
                    del kept[native_id]
                    changed = True
                    self.note(
                        "$.conditions", WARNING, f"the condition '{native_id}' is not carried over: {problem}"
                    )
        self.drop_references(definition, set(kept))
        if kept:
            definition["conditions"] = list(kept.values())

    def drop_references(self, definition: dict[str, Any], kept: set[str]) -> None:
        def broken(condition: Mapping[str, Any]) -> bool:
            return any(
                "ref" in leaf and leaf["ref"] not in kept
                for leaf, _ in native_conditions.walk(condition, "$")
            )

        for page in definition["pages"]:
            if "condition" in page and broken(page["condition"]):
                del page["condition"]
                self.note(
                    "$.pages", WARNING, f"the page '{page['path']}' loses its condition: it is always shown"
                )
            for component in page["components"]:
                if "condition" in component and broken(component["condition"]):
                    del component["condition"]
        for lst in definition.get("lists", []):
            for item in lst["items"]:
                if "condition" in item and broken(item["condition"]):
                    del item["condition"]

    # -- report -----------------------------------------------------------------------------------
    def report_translations(self, definition: dict[str, Any]) -> None:
        for key in self.welsh:
            if key not in self.used_translations:
                self.note(
                    "$.metadata.translations.cy",
                    WARNING,
                    f"the Welsh text '{key}' is not carried over: nothing uses it",
                )
        if "cy" in definition["languages"] and not validate_definition_data(definition):
            missing = definition_warnings(definition)
            if missing:
                self.note(
                    "$.metadata.translations.cy",
                    WARNING,
                    f"the form is offered in Welsh and {len(missing)} text(s) have no Welsh translation "
                    "(`forms-engine validate` lists them)",
                )

    def report_email(self, definition: dict[str, Any]) -> None:
        emails = [
            c["name"]
            for p in definition["pages"]
            for c in p["components"]
            if c["type"] == "EmailAddressField"
        ]
        if emails:
            self.note(
                "$",
                INFO,
                f"to send users a confirmation email, set confirmationEmailComponent to '{emails[0]}' "
                "(the question asking for their email address)",
            )


# -- the command -----------------------------------------------------------------------------------


@click.command("defra")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--output-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write each definition to DIR/<slug>.json (without it, one FILE's definition goes to stdout).",
)
@click.option("--force", is_flag=True, help="Overwrite definitions already in the output folder.")
def defra_command(files: tuple[Path, ...], output_dir: Path | None, force: bool) -> None:
    """Draft native definitions from Defra Forms definitions (engine V1 or V2, JSON or YAML).

    Prints, for each FILE, what needs a designer's eye as `PATH: level: message` (PATH is the JSON
    path in the source): placeholders to fill in and everything not carried over. Exits 1 when a file
    could not be imported at all."""
    if output_dir is None and len(files) > 1:
        raise click.UsageError("give --output-dir to import several files")
    # Without --output-dir the definition is stdout's only content, so the report goes to stderr.
    report_to_stderr = output_dir is None
    failed = False
    written: set[Path] = set()
    for path in files:
        try:
            result = convert_defra(load_defra_file(path), path.name)
        except DefraImportError as exc:
            click.echo(f"{path}: error: {exc}", err=True)
            failed = True
            continue
        problems = validate_definition_data(result.definition)
        if problems:
            click.echo(
                f"{path}: error: the importer made a definition that is not valid (please report this):",
                err=True,
            )
            for problem in problems:
                click.echo(f"  {problem}", err=True)
            failed = True
            continue
        text = json.dumps(result.definition, indent=2, ensure_ascii=False) + "\n"
        slug = result.definition["slug"]
        if output_dir is None:
            destination = "stdout"
        else:
            target = output_dir / f"{slug}.json"
            if target in written or (target.exists() and not force):
                reason = (
                    "was written by an earlier file"
                    if target in written
                    else "exists: use --force to overwrite it"
                )
                click.echo(f"{path}: error: {target} {reason}", err=True)
                failed = True
                continue
            try:
                output_dir.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
            except OSError as exc:
                click.echo(f"{path}: error: cannot write {target}: {exc.strerror or exc}", err=True)
                failed = True
                continue
            written.add(target)
            destination = str(target)
        counts = {level: len(result.findings(level)) for level in (WARNING, INFO)}
        pages = len(result.definition["pages"])
        click.echo(
            f"{path}: imported as '{slug}' ({pages} pages) -> {destination}: "
            f"{counts[WARNING]} warning(s), {counts[INFO]} note(s)",
            err=report_to_stderr,
        )
        for finding in result.report:
            click.echo(str(finding), err=report_to_stderr)
        if output_dir is None:
            sys.stdout.write(text)
    sys.exit(1 if failed else 0)
