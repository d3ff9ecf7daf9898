"""Frozen, typed model of a form definition, built from validated JSON by `build_definition`.

Nothing here knows about Flask or the database: the journey core and the components read these objects.
"""

from __future__ import annotations

import calendar
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any

QUESTION_TYPES = frozenset(
    {
        "TextField",
        "MultilineTextField",
        "NumberField",
        "EmailAddressField",
        "TelephoneNumberField",
        "DatePartsField",
        "MonthYearField",
        "YesNoField",
        "RadiosField",
        "CheckboxesField",
        "SelectField",
        "UkAddressField",
        "NationalInsuranceNumberField",
        "DeclarationField",
        "FileUploadField",
    }
)
CONTENT_TYPES = frozenset({"Html", "Markdown", "InsetText", "Details", "WarningText"})


class Text(str):
    """User-facing text: behaves as its English string and carries translations for other languages."""

    translations: Mapping[str, str]

    def __new__(cls, value: str | Mapping[str, str]) -> Text:
        if isinstance(value, Mapping):
            obj = super().__new__(cls, value["en"])
            obj.translations = MappingProxyType({k: v for k, v in value.items() if k != "en"})
        else:
            obj = super().__new__(cls, value)
            obj.translations = MappingProxyType({})
        return obj

    def in_language(self, language: str) -> str:
        """The text in `language`, falling back to English when it has no translation."""
        return self.translations.get(language, str(self))


def optional_text(value: Any) -> Text | None:
    return None if value is None else Text(value)


@dataclass(frozen=True, slots=True)
class ListItem:
    text: Text
    value: str
    hint: Text | None = None
    #: Offered only when this condition holds (see definitions.conditions).
    condition: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class ItemList:
    id: str
    title: Text | None
    items: tuple[ListItem, ...]

    def text_for(self, value: str) -> Text | None:
        for item in self.items:
            if item.value == value:
                return item.text
        return None


@dataclass(frozen=True, slots=True)
class Section:
    id: str
    title: Text


@dataclass(frozen=True, slots=True)
class Component:
    id: str
    type: str
    name: str
    title: Text | None = None
    short_title: Text | None = None
    hint: Text | None = None
    content: Text | None = None
    optional: bool = False
    list_id: str | None = None
    errors: Mapping[str, Text] = field(default_factory=lambda: MappingProxyType({}))
    options: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    #: Content components: shown only when this condition holds.
    condition: Mapping[str, Any] | None = None

    @property
    def is_question(self) -> bool:
        return self.type in QUESTION_TYPES

    @property
    def label(self) -> str:
        """Text naming this answer on check answers and in exports."""
        return str(self.short_title or self.title or self.name)


@dataclass(frozen=True, slots=True)
class Page:
    id: str
    path: str
    title: Text
    components: tuple[Component, ...]
    section_id: str | None = None
    #: On the path only when this condition holds.
    condition: Mapping[str, Any] | None = None
    #: An exit page: content only, the journey stops here.
    exit: bool = False

    @property
    def questions(self) -> tuple[Component, ...]:
        return tuple(c for c in self.components if c.is_question)

    @property
    def slug(self) -> str:
        """The path without its leading slash, as used in URLs under the form."""
        return self.path.lstrip("/")


@dataclass(frozen=True, slots=True)
class Repeat:
    """Pages answered once per item, GOV.UK "add another" style: "Add details of each sett"."""

    id: str
    title: Text
    item_name: Text
    min_items: int
    max_items: int
    page_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PaperForm:
    reference: str
    title: str
    organisation: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Contact:
    name: Text
    email: str | None = None
    phone: str | None = None
    hours: Text | None = None
    address: Text | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class ServiceDetails:
    contact: Contact
    privacy_notice_url: str
    what_happens_next: Text
    accessibility_statement_url: str | None = None


@dataclass(frozen=True, slots=True)
class Webhook:
    url: str
    #: Name of the environment variable holding the signing secret.
    secret_env: str


@dataclass(frozen=True, slots=True)
class Deliveries:
    """Where a form's submissions go for processing (besides the caseworker area)."""

    team_emails: tuple[str, ...] = ()
    webhook: Webhook | None = None


@dataclass(frozen=True, slots=True)
class Retention:
    """How long the form's submissions are kept (the definition's `retention`). None means the
    service's default (RETENTION_DAYS_AFTER_CLOSED); the service's maximum age applies either way."""

    days_after_closed: int | None = None


@dataclass(frozen=True, slots=True)
class FormDefinition:
    slug: str
    title: Text
    version: str
    paper_form: PaperForm
    service: ServiceDetails
    start_content: Text
    before_you_start: Text | None
    languages: tuple[str, ...]
    sections: Mapping[str, Section]
    lists: Mapping[str, ItemList]
    pages: tuple[Page, ...]
    declaration: Text | None
    submit_text: Text | None
    confirmation_email_component: str | None
    #: Named conditions by id.
    conditions: Mapping[str, Mapping[str, Any]]
    #: Repeating sections by id.
    repeats: Mapping[str, Repeat]
    deliveries: Deliveries
    source: Mapping[str, Any] = field(repr=False, compare=False)
    retention: Retention = Retention()

    def page_by_slug(self, slug: str) -> Page | None:
        for page in self.pages:
            if page.slug == slug:
                return page
        return None

    def page_by_id(self, page_id: str) -> Page | None:
        for page in self.pages:
            if page.id == page_id:
                return page
        return None

    def section_title(self, page: Page) -> Text | None:
        section = self.sections.get(page.section_id) if page.section_id else None
        return section.title if section else None

    def questions(self) -> list[tuple[Page, Component]]:
        return [(page, c) for page in self.pages for c in page.questions]


def resolve_date_bound(bound: str, today: date) -> date:
    """A date option's value as a date: '2024-01-31' -> that date; 'today', '-30d', '+2y', '-6m' ->
    relative to `today`. Raises ValueError for an absolute date that does not exist."""
    if bound == "today":
        return today
    match = re.fullmatch(r"([+-])([0-9]+)([dmy])", bound)
    if match is None:
        return date.fromisoformat(bound)
    sign = 1 if match[1] == "+" else -1
    amount = sign * int(match[2])
    if match[3] == "d":
        return date.fromordinal(today.toordinal() + amount)
    months = amount * (12 if match[3] == "y" else 1)
    year, month_index = divmod(today.year * 12 + today.month - 1 + months, 12)
    day = min(today.day, calendar.monthrange(year, month_index + 1)[1])
    return date(year, month_index + 1, day)


def definition_version(data: Mapping[str, Any]) -> str:
    """Content hash of a definition: the same JSON always has the same version."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _component(data: Mapping[str, Any]) -> Component:
    return Component(
        id=data["id"],
        type=data["type"],
        name=data["name"],
        title=optional_text(data.get("title")),
        short_title=optional_text(data.get("shortTitle")),
        hint=optional_text(data.get("hint")),
        content=optional_text(data.get("content")),
        optional=bool(data.get("optional", False)),
        list_id=data.get("list"),
        errors=MappingProxyType({k: Text(v) for k, v in data.get("errors", {}).items()}),
        options=MappingProxyType(dict(data.get("options", {}))),
        condition=data.get("condition"),
    )


def build_definition(data: Mapping[str, Any]) -> FormDefinition:
    """Build the frozen model from JSON that has already passed schema validation."""
    service = data["service"]
    contact = service["contact"]
    return FormDefinition(
        slug=data["slug"],
        title=Text(data["title"]),
        version=definition_version(data),
        paper_form=PaperForm(**{k: data["paperForm"][k] for k in data["paperForm"]}),
        service=ServiceDetails(
            contact=Contact(
                name=Text(contact["name"]),
                email=contact.get("email"),
                phone=contact.get("phone"),
                hours=optional_text(contact.get("hours")),
                address=optional_text(contact.get("address")),
                url=contact.get("url"),
            ),
            privacy_notice_url=service["privacyNoticeUrl"],
            what_happens_next=Text(service["whatHappensNext"]),
            accessibility_statement_url=service.get("accessibilityStatementUrl"),
        ),
        start_content=Text(data["startPage"]["content"]),
        before_you_start=optional_text(data["startPage"].get("beforeYouStart")),
        languages=tuple(data.get("languages", ["en"])),
        sections=MappingProxyType(
            {s["id"]: Section(s["id"], Text(s["title"])) for s in data.get("sections", [])}
        ),
        lists=MappingProxyType(
            {
                lst["id"]: ItemList(
                    id=lst["id"],
                    title=optional_text(lst.get("title")),
                    items=tuple(
                        ListItem(
                            Text(i["text"]), i["value"], optional_text(i.get("hint")), i.get("condition")
                        )
                        for i in lst["items"]
                    ),
                )
                for lst in data.get("lists", [])
            }
        ),
        pages=tuple(
            Page(
                id=p["id"],
                path=p["path"],
                title=Text(p["title"]),
                components=tuple(_component(c) for c in p["components"]),
                section_id=p.get("section"),
                condition=p.get("condition"),
                exit=bool(p.get("exit", False)),
            )
            for p in data["pages"]
        ),
        declaration=optional_text(data.get("checkAnswers", {}).get("declaration")),
        submit_text=optional_text(data.get("checkAnswers", {}).get("submitText")),
        confirmation_email_component=data.get("confirmationEmailComponent"),
        conditions=MappingProxyType({c["id"]: c["condition"] for c in data.get("conditions", [])}),
        repeats=MappingProxyType(
            {
                r["id"]: Repeat(
                    id=r["id"],
                    title=Text(r["title"]),
                    item_name=Text(r["itemName"]),
                    min_items=r.get("min", 1),
                    max_items=r.get("max", 50),
                    page_ids=tuple(r["pages"]),
                )
                for r in data.get("repeats", [])
            }
        ),
        deliveries=_deliveries(data.get("deliveries", {})),
        source=MappingProxyType(dict(data)),
        retention=retention_of(data),
    )


def retention_of(data: Mapping[str, Any]) -> Retention:
    """The `retention` of definition JSON (also of a stored snapshot, for forms no longer offered)."""
    days = data.get("retention", {}).get("daysAfterClosed")
    return Retention(days_after_closed=int(days) if days is not None else None)


def _deliveries(data: Mapping[str, Any]) -> Deliveries:
    webhook = data.get("webhook")
    return Deliveries(
        team_emails=tuple(data.get("email", {}).get("to", ())),
        webhook=Webhook(webhook["url"], webhook["secretEnv"]) if webhook else None,
    )
