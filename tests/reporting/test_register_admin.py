"""The register screens for admins: the list with its filters, adding and changing an entry (checked
with the register file's rules, errors GOV.UK style), downloads, the audit log, and 404 for every
other role."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from forms_engine.extensions import db
from forms_engine.reporting import register
from forms_engine.reporting.models import PaperForm

from ..caseworker.conftest import audit_events
from ..helpers import BrowserClient, location
from .staff import BADGER, entry_id, signed_in, staff_app_in


@pytest.fixture
def staff_app(tmp_path: Path) -> Iterator[Flask]:
    yield from staff_app_in(tmp_path)


@pytest.fixture
def admin(staff_app: Flask) -> BrowserClient:
    return signed_in(staff_app, "admin")


def row(app: Flask, reference: str) -> dict[str, Any] | None:
    with app.app_context():
        found = db.session.scalar(select(PaperForm).where(PaperForm.reference == reference))
        data = register.entry_json(found) if found is not None else None
        db.session.remove()
    return data


VALID = {
    "reference": "NE-NEW1",
    "title": "Apply for a new licence",
    "organisation": "NE",
    "annual-volume": "1,500",
    "status": "live-digital",
    "definition-slug": "new-licence",
    "live-date-day": "2",
    "live-date-month": "3",
    "live-date-year": "2026",
    "notes": "Added by hand.",
}


def references(page: Any) -> list[str]:
    return [th.get_text(strip=True).removesuffix("(change)") for th in page.soup.select("tbody th")]


# -- access -----------------------------------------------------------------------------------------


def register_urls(app: Flask) -> list[str]:
    some = entry_id(app, "IRA82")
    return [
        "/reports/register",
        "/reports/register/new",
        f"/reports/register/{some}",
        "/reports/register/export.json",
        "/reports/register/export.csv",
    ]


@pytest.mark.parametrize("role", ["caseworker", "lead", "designer"])
def test_every_register_screen_is_404_for_anyone_but_an_admin(staff_app: Flask, role: str) -> None:
    client = signed_in(staff_app, role, "APHA")
    client.get("/caseworker/")
    for url in register_urls(staff_app):
        assert client.get(url).status == 404, url
    assert client.post("/reports/register/new", VALID).status == 404
    assert client.post(f"/reports/register/{entry_id(staff_app, 'IRA82')}", VALID).status == 404
    assert row(staff_app, "NE-NEW1") is None


def test_an_admin_opens_every_register_screen_and_signed_out_browsers_sign_in(
    staff_app: Flask, admin: BrowserClient
) -> None:
    for url in register_urls(staff_app):
        response = admin.get(url)
        assert response.status == 200, url
        assert response.response.headers["Cache-Control"] == "no-store"
    signed_out = BrowserClient(staff_app).get("/reports/register")
    assert signed_out.status == 302 and location(signed_out).startswith("/caseworker/sign-in")


def test_changes_need_the_csrf_token(staff_app: Flask, admin: BrowserClient) -> None:
    assert admin.post("/reports/register/new", VALID, csrf=False).status == 400
    assert row(staff_app, "NE-NEW1") is None


# -- the list ---------------------------------------------------------------------------------------


def test_the_list_shows_every_entry_and_filters_by_organisation_and_status(
    staff_app: Flask, admin: BrowserClient
) -> None:
    everything = admin.get("/reports/register")
    assert everything.h1 == "Paper-form register"
    assert len(references(everything)) == 60
    ne = admin.get("/reports/register?organisation=NE")
    with staff_app.app_context():
        expected = sorted(
            db.session.scalars(select(PaperForm.reference).where(PaperForm.organisation == "NE"))
        )
        live_ne = sorted(
            db.session.scalars(
                select(PaperForm.reference).where(
                    PaperForm.organisation == "NE", PaperForm.status == "live-digital"
                )
            )
        )
        db.session.remove()
    assert sorted(references(ne)) == expected
    assert sorted(references(admin.get("/reports/register?organisation=NE&status=live-digital"))) == live_ne
    assert "A24" in live_ne
    wrong = admin.get("/reports/register?organisation=XYZ&status=gone")
    assert wrong.error_summary() == [
        ("#organisation", "Select an organisation from the list"),
        ("#status", "Select a status from the list"),
    ]
    assert len(references(wrong)) == 60


# -- adding -----------------------------------------------------------------------------------------


def test_adding_an_entry_saves_it_and_audits_it(staff_app: Flask, admin: BrowserClient) -> None:
    admin.get("/reports/register/new")
    response = admin.post("/reports/register/new", VALID)
    assert response.status == 302 and location(response) == "/reports/register"
    banner = admin.follow(response).soup.select_one(".govuk-notification-banner")
    assert "NE-NEW1 added to the register" in banner.get_text()
    assert row(staff_app, "NE-NEW1") == {
        "reference": "NE-NEW1",
        "title": "Apply for a new licence",
        "organisation": "NE",
        "annualVolume": 1500,
        "status": "live-digital",
        "definitionSlug": "new-licence",
        "liveDate": "2026-03-02",
        "notes": "Added by hand.",
    }
    [event] = audit_events(staff_app, "register-entry-create")
    assert event["object_id"] == "NE-NEW1"
    assert event["detail"]["live_date"] == "2026-03-02"
    assert event["actor_email"] == "admin-none-0@example.gov.uk"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {key: "" for key in VALID},
            [
                ("#reference", "Enter a reference, like AB1"),
                ("#title", "Enter the form's title"),
                ("#organisation", "Select an organisation"),
                ("#annual-volume", "Enter the annual paper volume, or 0 if it is not known"),
                ("#status", "Select a status"),
            ],
        ),
        (
            {"annual-volume": "lots"},
            [("#annual-volume", "Annual paper volume must be a whole number, like 1200")],
        ),
        ({"live-date-month": "13"}, [("#live-date-day", "Date it went live must be a real date")]),
        ({"live-date-year": ""}, [("#live-date-year", "Date it went live must include a year")]),
        (
            {"live-date-day": "", "live-date-month": "", "live-date-year": ""},
            [("#live-date-day", "Enter the date it went live: a live digital form needs one")],
        ),
        (
            {"withdrawn-date-day": "1", "withdrawn-date-month": "1", "withdrawn-date-year": "2026"},
            [
                (
                    "#withdrawn-date-day",
                    "Date it was withdrawn 2026-01-01 must be after date it went live 2026-03-02",
                )
            ],
        ),
        ({"reference": "ira82"}, [("#reference", "Duplicate reference 'ira82'")]),
        (
            {"reference": "bad ref!"},
            [
                (
                    "#reference",
                    "Reference 'bad ref!' may hold only letters, digits, spaces and . / ( ) _ - "
                    "and must start with a letter or digit",
                )
            ],
        ),
        (
            {"definition-slug": BADGER},
            [
                (
                    "#definition-slug",
                    "Definition 'badger-sett-development-licence' is already linked to 'A24'; "
                    "one definition replaces one paper form",
                )
            ],
        ),
        (
            {"definition-slug": "Not A Slug"},
            [
                (
                    "#definition-slug",
                    "Digital form 'Not A Slug' is not a slug "
                    "(lower-case letters and digits joined by hyphens)",
                )
            ],
        ),
        ({"organisation": "NASA"}, [("#organisation", "Select an organisation")]),
    ],
)
def test_an_entry_the_register_rules_refuse_gets_gov_uk_errors(
    staff_app: Flask, admin: BrowserClient, changes: dict[str, str], expected: list[tuple[str, str]]
) -> None:
    admin.get("/reports/register/new")
    page = admin.post("/reports/register/new", {**VALID, **changes})
    assert page.status == 200
    assert page.title.startswith("Error: Add a paper form")
    assert page.error_summary() == expected
    for href, _message in expected:
        assert page.soup.select_one(href) is not None, href
    assert page.soup.select_one("#title")["value"] == changes.get("title", VALID["title"])
    assert row(staff_app, "NE-NEW1") is None
    assert audit_events(staff_app, "register-entry-create") == []


# -- changing ---------------------------------------------------------------------------------------


def test_changing_every_field_of_an_entry_is_saved_and_audited(
    staff_app: Flask, admin: BrowserClient
) -> None:
    url = f"/reports/register/{entry_id(staff_app, 'EA-FLD3')}"
    page = admin.get(url)
    assert page.h1 == "Change EA-FLD3"
    assert page.soup.select_one("#reference")["value"] == "EA-FLD3"
    before = row(staff_app, "EA-FLD3")
    assert before is not None and before["status"] == "paper-only"
    response = admin.post(
        url,
        {
            "reference": "EA-FLD3A",
            "title": "Flood risk activity permit (renamed)",
            "organisation": "Defra",
            "annual-volume": "999",
            "status": "live-digital",
            "definition-slug": "flood-permit",
            "live-date-day": "1",
            "live-date-month": "2",
            "live-date-year": "2026",
            "withdrawn-date-day": "1",
            "withdrawn-date-month": "6",
            "withdrawn-date-year": "2026",
            "notes": "Changed.",
        },
    )
    assert response.status == 302, response.error_summary()
    assert row(staff_app, "EA-FLD3") is None
    assert row(staff_app, "EA-FLD3A") == {
        "reference": "EA-FLD3A",
        "title": "Flood risk activity permit (renamed)",
        "organisation": "Defra",
        "annualVolume": 999,
        "status": "live-digital",
        "definitionSlug": "flood-permit",
        "liveDate": "2026-02-01",
        "withdrawnDate": "2026-06-01",
        "notes": "Changed.",
    }
    [event] = audit_events(staff_app, "register-entry-update")
    assert event["object_id"] == "EA-FLD3"
    changes = event["detail"]["changes"]
    assert changes["reference"] == ["EA-FLD3", "EA-FLD3A"]
    assert changes["status"] == ["paper-only", "live-digital"]
    assert changes["withdrawn_date"] == [None, "2026-06-01"]
    assert set(changes) == {
        "reference",
        "title",
        "organisation",
        "annual_volume",
        "status",
        "definition_slug",
        "live_date",
        "withdrawn_date",
        "notes",
    }


def test_saving_an_entry_unchanged_records_nothing_and_keeping_its_own_slug_is_allowed(
    staff_app: Flask, admin: BrowserClient
) -> None:
    url = f"/reports/register/{entry_id(staff_app, 'A24')}"
    page = admin.get(url)
    form = {
        field["name"]: field.get("value", "")
        for field in page.soup.select("main form input[name]")
        if field.get("type") not in ("radio", "hidden")
    }
    form["status"] = page.soup.select_one("input[name=status][checked]")["value"]
    form["organisation"] = page.soup.select_one("select#organisation option[selected]")["value"]
    form["notes"] = page.soup.select_one("textarea#notes").get_text()
    response = admin.post(url, form)
    assert response.status == 302, response.error_summary()
    assert (
        "No changes to A24" in admin.follow(response).soup.select_one(".govuk-notification-banner").get_text()
    )
    assert audit_events(staff_app, "register-entry-update") == []


def test_an_unknown_entry_is_404(admin: BrowserClient) -> None:
    admin.get("/reports/register")
    assert admin.get("/reports/register/999999").status == 404
    assert admin.post("/reports/register/999999", VALID).status == 404


# -- downloads --------------------------------------------------------------------------------------


def test_the_downloads_are_the_register_export_and_read_back(staff_app: Flask, admin: BrowserClient) -> None:
    as_json = admin.get("/reports/register/export.json").response
    assert as_json.headers["Content-Disposition"] == 'attachment; filename="paper-form-register.json"'
    assert as_json.mimetype == "application/json"
    entries = register.parse_register_json(as_json.get_data(as_text=True))
    assert len(entries) == 60
    assert json.loads(as_json.get_data(as_text=True))["entries"][0]["reference"] == entries[0].reference
    as_csv = admin.get("/reports/register/export.csv").response
    assert as_csv.mimetype == "text/csv"
    assert as_csv.headers["Content-Disposition"] == 'attachment; filename="paper-form-register.csv"'
    with staff_app.app_context():
        assert as_csv.get_data(as_text=True) == register.export_register("csv")
        db.session.remove()
    assert [e.reference for e in register.parse_register_csv(as_csv.get_data(as_text=True))] == [
        e.reference for e in entries
    ]
    assert [
        e["detail"] for e in audit_events(staff_app, "export") if e["object_type"] == "paper-form-register"
    ] == [
        {"format": "json"},
        {"format": "csv"},
    ]
