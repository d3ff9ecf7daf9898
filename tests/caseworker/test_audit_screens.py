"""The audit log screens: admins only (everyone else 404), newest first a page at a time, filters by
action, account, form and dates with GOV.UK errors (never a 500), and the CSV download of the
filtered entries, formula cells neutralised, itself recorded in the log."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask

from forms_engine.caseworker.models import AuditEvent
from forms_engine.caseworker.views_audit import CSV_HEADER
from forms_engine.extensions import db

from ..helpers import BrowserClient, Page, location
from .conftest import FrozenClock, audit_events, create_user, enter_code, sign_in, title

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
ADMIN = "ada@example.gov.uk"
POULTRY = "register-poultry-fewer-than-50-birds"
BADGER = "badger-sett-development-licence"
#: 31 March 2026 at 23:30 UTC is 1 April 2026 at 00:30 in London (BST): a 1 April entry.
LATE_MARCH_UTC = datetime(2026, 3, 31, 23, 30, tzinfo=UTC)


@dataclass
class Admin:
    app: Flask
    client: BrowserClient
    clock: FrozenClock


def add_entry(app: Flask, at: datetime, action: str = "view", **fields: Any) -> int:
    """An audit event written straight to the database; its id."""
    with app.app_context():
        entry = AuditEvent(at=at, action=action, **fields)
        db.session.add(entry)
        db.session.commit()
        entry_id: int = entry.id
        db.session.remove()
        return entry_id


def signed_in_admin(app: Flask, frozen_clock: FrozenClock, email: str = ADMIN) -> BrowserClient:
    create_user(app, email=email, role="admin", organisation=None, totp_secret=SECRET)
    client = BrowserClient(app)
    assert location(sign_in(client, email)) == "/caseworker/sign-in/security-code"
    assert location(enter_code(client, SECRET, frozen_clock.moment)) == "/caseworker/"
    return client


@pytest.fixture
def admin(cw_app: Flask, frozen_clock: FrozenClock) -> Admin:
    return Admin(cw_app, signed_in_admin(cw_app, frozen_clock), frozen_clock)


def rows(page: Page) -> list[dict[str, str]]:
    """The table's rows: column -> text, and the entry id."""
    found = []
    for row in page.soup.select("#entries tbody tr"):
        cells = {td["data-column"]: td.get_text(" ", strip=True) for td in row.select("td[data-column]")}
        cells["id"] = row["data-entry"]
        cells["when"] = row.select_one("time")["datetime"]
        found.append(cells)
    return found


def entry_ids(page: Page) -> list[int]:
    return [int(row["data-entry"]) for row in page.soup.select("#entries tbody tr")]


def read_csv(data: bytes) -> list[dict[str, str]]:
    text = data.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:], newline="")))


# -- who may see it --------------------------------------------------------------------------------


def test_the_home_page_links_admins_to_the_audit_log(admin: Admin) -> None:
    link = admin.client.get("/caseworker/").soup.select_one("#audit-log-link a")
    assert link is not None
    assert link["href"] == "/caseworker/audit"
    assert link.get_text(strip=True) == "Audit log"


@pytest.mark.parametrize("path", ["/caseworker/audit", "/caseworker/audit/export.csv?action=view"])
def test_anyone_but_an_admin_gets_404_and_no_export_is_recorded(cw_app: Flask, path: str) -> None:
    create_user(cw_app, email="casey@example.gov.uk", role="caseworker")
    client = BrowserClient(cw_app)
    assert location(sign_in(client, "casey@example.gov.uk")) == "/caseworker/"
    assert client.get("/caseworker/").soup.select_one("#audit-log-link") is None
    assert client.get(path).status == 404
    assert audit_events(cw_app, "export") == []


def test_signing_in_is_needed_first(cw_app: Flask) -> None:
    page = BrowserClient(cw_app).get("/caseworker/audit?action=view")
    assert page.status == 302
    assert location(page) == "/caseworker/sign-in?next=/caseworker/audit?action%3Dview"


@pytest.mark.parametrize("method", ["post", "put", "delete", "patch"])
def test_entries_cannot_be_changed_or_deleted_through_the_app(admin: Admin, method: str) -> None:
    entry = add_entry(admin.app, admin.clock.moment, "view", object_type="submission", object_id="X")
    admin.client.get("/caseworker/audit")  # a valid CSRF token, so that only the method is wrong
    token = {"csrf_token": admin.client.csrf_token}
    for path in ("/caseworker/audit", f"/caseworker/audit/{entry}", "/caseworker/audit/export.csv"):
        response = getattr(admin.client.client, method)(path, data=token)
        assert response.status_code in (404, 405), (method, path, response.status_code)
    assert [e["id"] for e in audit_events(admin.app, "view")] == [entry]


# -- the list --------------------------------------------------------------------------------------


def test_an_admin_sees_every_entry_newest_first_with_when_who_action_object_form_and_ip(admin: Admin) -> None:
    now = admin.clock.moment
    older = add_entry(
        admin.app,
        now - timedelta(days=2),
        "status-change",
        actor_email="casey@example.gov.uk",
        object_type="submission",
        object_id="K7MP-3QXR-ZD4T",
        form_slug=POULTRY,
        ip="192.0.2.7",
        detail={"from": "new", "to": "done"},
    )
    failed = add_entry(
        admin.app, now - timedelta(days=1), "sign-in-failed", detail={"email": "x@example.gov.uk"}
    )
    page = admin.client.get("/caseworker/audit")
    assert page.status == 200
    assert page.title == title("Audit log")
    assert page.h1 == "Audit log"
    assert page.response.headers["Cache-Control"] == "no-store"
    listed = rows(page)
    # The admin's own sign-in (and its code) comes first, then the older entries.
    assert [int(r["id"]) for r in listed][-2:] == [failed, older]
    assert listed[0]["action"] == "sign-in"
    assert listed[0]["who"] == ADMIN
    status_change = listed[-1]
    assert status_change == {
        "id": str(older),
        "when": (now - timedelta(days=2)).isoformat(),
        "who": "casey@example.gov.uk",
        "action": "status-change",
        "object": "submission K7MP-3QXR-ZD4T",
        "form": POULTRY,
        "ip": "192.0.2.7",
        "detail": "from: new to: done",
    }
    assert listed[-2]["who"] == "No account"
    assert listed[-2]["detail"] == "email: x@example.gov.uk"
    headers = [th.get_text(strip=True) for th in page.soup.select("#entries thead th")]
    assert headers == ["When", "Who", "Action", "Object", "Form", "IP address", "Details"]
    assert page.soup.select_one("#entry-count").get_text(strip=True) == f"{len(listed)} entries"
    # Nothing in the page changes an entry: the only form is the filter's GET (and sign out).
    forms = page.soup.select("main form")
    assert [f.get("method") for f in forms] == ["get"]


def test_the_log_is_shown_a_page_at_a_time_with_gov_uk_pagination(admin: Admin) -> None:
    now = admin.clock.moment
    ids = [
        add_entry(admin.app, now - timedelta(hours=n + 1), "download", object_type="file", object_id=str(n))
        for n in range(120)
    ]
    first = admin.client.get("/caseworker/audit?action=download")
    assert entry_ids(first) == ids[:50]
    assert first.soup.select_one("#entries caption").get_text(strip=True) == "Page 1 of 3, newest first"
    numbers = [a.get_text(strip=True) for a in first.soup.select(".govuk-pagination__item a")]
    assert numbers == ["1", "2", "3"]
    next_link = first.soup.select_one(".govuk-pagination__next a")["href"]
    assert parse_qs(urlsplit(next_link).query) == {"page": ["2"], "action": ["download"]}
    assert first.soup.select_one(".govuk-pagination__prev") is None

    second = admin.client.get(next_link)
    assert entry_ids(second) == ids[50:100]
    third = admin.client.get("/caseworker/audit?action=download&page=3")
    assert entry_ids(third) == ids[100:]
    assert third.soup.select_one(".govuk-pagination__next") is None
    # Pages past the end show the last; nonsense shows the first.
    assert entry_ids(admin.client.get("/caseworker/audit?action=download&page=99")) == ids[100:]
    assert entry_ids(admin.client.get("/caseworker/audit?action=download&page=x")) == ids[:50]
    assert entry_ids(admin.client.get("/caseworker/audit?action=download&page=-4")) == ids[:50]


def test_many_pages_show_the_first_the_last_and_two_either_side(admin: Admin) -> None:
    now = admin.clock.moment
    with admin.app.app_context():
        db.session.add_all(
            AuditEvent(at=now - timedelta(minutes=n + 1), action="view") for n in range(50 * 11)
        )
        db.session.commit()
    page = admin.client.get("/caseworker/audit?action=view&page=6")
    items = [li.get_text(strip=True) for li in page.soup.select(".govuk-pagination__item")]
    assert items == ["1", "⋯", "4", "5", "6", "7", "8", "⋯", "11"]
    current = page.soup.select_one(".govuk-pagination__item--current a")
    assert current.get_text(strip=True) == "6"
    assert current["aria-current"] == "page"


# -- filters ---------------------------------------------------------------------------------------


@pytest.fixture
def varied(admin: Admin) -> dict[str, int]:
    """Entries of several actions, accounts, forms and days (all before the admin's sign-in)."""
    day = datetime(2026, 3, 30, 12, 0, tzinfo=UTC)
    return {
        "casey-view-poultry-30": add_entry(
            admin.app, day, "view", actor_email="casey@example.gov.uk", form_slug=POULTRY
        ),
        "casey-export-badger-31": add_entry(
            admin.app, day + timedelta(days=1), "export", actor_email="casey@example.gov.uk", form_slug=BADGER
        ),
        "percent-view-badger-1st": add_entry(
            admin.app, LATE_MARCH_UTC, "view", actor_email="100%_sure@example.gov.uk", form_slug=BADGER
        ),
        "cli-purge-poultry-2nd": add_entry(
            admin.app, day + timedelta(days=3), "purge", actor_email="cli:root", form_slug=POULTRY
        ),
        "gone-form-3rd": add_entry(
            admin.app, day + timedelta(days=4), "purge", actor_email="cli:root", form_slug="old-form"
        ),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("action=view", ["percent-view-badger-1st", "casey-view-poultry-30"]),
        ("action=purge", ["gone-form-3rd", "cli-purge-poultry-2nd"]),
        ("email=CASEY@example", ["casey-export-badger-31", "casey-view-poultry-30"]),
        ("email=cli%3A", ["gone-form-3rd", "cli-purge-poultry-2nd"]),
        # % and _ are letters here, not SQL wildcards.
        ("email=100%25_", ["percent-view-badger-1st"]),
        ("email=%25", ["percent-view-badger-1st"]),
        ("email=_", ["percent-view-badger-1st"]),
        (f"form={BADGER}", ["percent-view-badger-1st", "casey-export-badger-31"]),
        ("form=old-form", ["gone-form-3rd"]),
        # UK days: 23:30 UTC on 31 March is 00:30 on 1 April in London.
        (
            "from-day=1&from-month=4&from-year=2026&to-day=1&to-month=4&to-year=2026",
            ["percent-view-badger-1st"],
        ),
        ("to-day=31&to-month=3&to-year=2026", ["casey-export-badger-31", "casey-view-poultry-30"]),
        (
            "from-day=31&from-month=3&from-year=2026&to-day=2&to-month=4&to-year=2026",
            ["cli-purge-poultry-2nd", "percent-view-badger-1st", "casey-export-badger-31"],
        ),
        (f"action=view&form={POULTRY}&email=casey", ["casey-view-poultry-30"]),
        ("action=export&email=cli", []),
    ],
)
def test_filters_narrow_the_log_down(
    admin: Admin, varied: dict[str, int], query: str, expected: list[str]
) -> None:
    page = admin.client.get(f"/caseworker/audit?{query}")
    assert page.status == 200
    assert not page.error_summary()
    shown = [i for i in entry_ids(page) if i in varied.values()]
    assert shown == [varied[name] for name in expected]
    if not entry_ids(page):
        assert page.soup.select_one("#no-entries").get_text(strip=True) == "No entries match these filters."
        assert page.soup.select_one("#download-csv") is None


def test_the_filters_offer_every_action_and_form_and_show_what_was_chosen(
    admin: Admin, varied: dict[str, int]
) -> None:
    page = admin.client.get(f"/caseworker/audit?action=purge&form={POULTRY}&email=cli")
    actions = [o["value"] for o in page.soup.select("select#action option")]
    assert actions[0] == ""
    assert {"sign-in", "view", "export", "purge", "status-change", "purge-failed"} <= set(actions)
    assert page.soup.select_one("select#action option[selected]")["value"] == "purge"
    forms = {o["value"]: o.get_text(strip=True) for o in page.soup.select("select#form option")}
    assert forms[POULTRY] == f"Register as a keeper of fewer than 50 poultry or other birds ({POULTRY})"
    assert forms["old-form"] == "old-form"  # only in the log now
    assert page.soup.select_one("select#form option[selected]")["value"] == POULTRY
    assert page.soup.select_one("input#email")["value"] == "cli"


@pytest.mark.parametrize(
    ("query", "summary"),
    [
        ("from-day=31&from-month=2&from-year=2026", [("#from-day", "Date from must be a real date")]),
        ("from-day=1&from-year=2026", [("#from-month", "Date from must include a month")]),
        ("to-month=4", [("#to-day", "Date to must include a day and year")]),
        ("to-day=1&to-month=4&to-year=26", [("#to-year", "Year must include 4 numbers")]),
        ("to-day=1&to-month=4&to-year=99999", [("#to-year", "Year must include 4 numbers")]),
        ("to-day=one&to-month=4&to-year=2026", [("#to-day", "Date to must be a real date")]),
        ("to-day=%D9%A3&to-month=4&to-year=2026", [("#to-day", "Date to must be a real date")]),
        ("to-day=31&to-month=12&to-year=9999", []),
        ("from-day=0&from-month=1&from-year=0000", [("#from-day", "Date from must be a real date")]),
        (
            "from-day=2&from-month=4&from-year=2026&to-day=1&to-month=4&to-year=2026",
            [("#to-day", "Date to must be the same as or after date from")],
        ),
        ("action=rewrite-history", [("#action", "Select an action from the list")]),
        ("form=no-such-form", [("#form", "Select a form from the list")]),
        ("email=" + "a" * 321, [("#email", "Account email address must be 320 characters or fewer")]),
        (
            "action=nope&from-month=13&from-day=1&from-year=2026&to-day=x",
            [
                ("#action", "Select an action from the list"),
                ("#from-day", "Date from must be a real date"),
                ("#to-month", "Date to must include a month and year"),
            ],
        ),
    ],
)
def test_wrong_filters_get_a_gov_uk_error_summary_never_a_500(
    admin: Admin, query: str, summary: list[tuple[str, str]]
) -> None:
    page = admin.client.get(f"/caseworker/audit?{query}")
    assert page.error_summary() == summary
    if not summary:
        assert page.status == 200
        return
    assert page.status == 400
    assert page.title == title("Error: Audit log")
    for href, message in summary:
        field = page.soup.select_one(href)
        assert field is not None, href
        assert message in page.error_messages()
        classes = field.get("class", [])
        assert "govuk-input--error" in classes or "govuk-select--error" in classes
    # The list is still shown, without the filter that was wrong.
    assert page.soup.select_one("#entries") is not None


def test_a_wrong_date_marks_every_part_of_it_in_error(admin: Admin) -> None:
    page = admin.client.get("/caseworker/audit?from-day=30&from-month=2&from-year=2026&to-month=4")
    marked = {i["id"] for i in page.soup.select("input.govuk-input--error")}
    assert marked == {"from-day", "from-month", "from-year", "to-day", "to-year"}
    assert page.soup.select_one("input#from-day")["value"] == "30"
    assert page.soup.select_one("input#to-month")["value"] == "4"


# -- the CSV download ----------------------------------------------------------------------------


def test_the_csv_download_has_the_filtered_entries_newest_first_and_is_audited(
    admin: Admin, varied: dict[str, int]
) -> None:
    page = admin.client.get("/caseworker/audit?email=casey")
    link = page.soup.select_one("#download-csv")
    assert link.get_text(" ", strip=True) == "Download as CSV (2 entries)"
    assert parse_qs(urlsplit(link["href"]).query) == {"email": ["casey"]}
    response = admin.client.client.get(link["href"])
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    stamp = admin.clock.moment.strftime("%Y-%m-%dT%H%M%SZ")
    assert disposition == f'attachment; filename="audit-log-{stamp}.csv"'
    assert response.headers["Cache-Control"] == "no-store"
    text = response.data.decode("utf-8")
    assert text.splitlines()[0] == "\ufeff" + ",".join(CSV_HEADER)
    assert "\r\n" in text
    listed = read_csv(response.data)
    assert [row["Action"] for row in listed] == ["export", "view"]
    assert listed[1] == {
        "When (UTC)": "2026-03-30T12:00:00+00:00",
        "Account": "casey@example.gov.uk",
        "Account id": "",
        "Action": "view",
        "Object type": "",
        "Object": "",
        "Form": POULTRY,
        "IP address": "",
        "User agent": "",
        "Details": "",
    }
    [export] = audit_events(admin.app, "export")[-1:]
    assert export["object_type"] == "audit-log"
    assert export["actor_email"] == ADMIN
    assert export["ip"] == "127.0.0.1"
    assert export["detail"] == {
        "format": "csv",
        "count": 2,
        "filters": {"action": None, "email": "casey", "form": None, "since": None, "until": None},
    }


def test_the_csv_holds_the_log_up_to_the_download_and_the_next_one_shows_it(admin: Admin) -> None:
    first = read_csv(admin.client.client.get("/caseworker/audit/export.csv").data)
    assert "export" not in [row["Action"] for row in first]
    second = read_csv(admin.client.client.get("/caseworker/audit/export.csv").data)
    assert len(second) == len(first) + 1
    assert second[0]["Action"] == "export"
    assert second[0]["Object type"] == "audit-log"
    assert second[1:] == first
    assert [e["detail"]["count"] for e in audit_events(admin.app, "export")] == [len(first), len(second)]


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(admin: Admin) -> None:
    add_entry(
        admin.app,
        admin.clock.moment - timedelta(minutes=1),
        "sign-in-failed",
        actor_email='=HYPERLINK("http://example.com")',
        object_type="user",
        object_id="-12",
        form_slug="@form",
        user_agent="-2+3 =cmd|' /C calc'!A0",
        detail={"email": "=1+1"},
    )
    listed = read_csv(admin.client.client.get("/caseworker/audit/export.csv?action=sign-in-failed").data)
    [row] = listed
    assert row["Account"] == '\'=HYPERLINK("http://example.com")'
    assert row["Object"] == "-12"  # a plain number stays a number
    assert row["Form"] == "'@form"
    assert row["User agent"] == "'-2+3 =cmd|' /C calc'!A0"
    assert row["Details"] == '{"email": "=1+1"}'  # starts with {, harmless


def test_a_large_csv_is_streamed_in_chunks(admin: Admin) -> None:
    now = admin.clock.moment
    with admin.app.app_context():
        db.session.add_all(AuditEvent(at=now - timedelta(seconds=n + 1), action="view") for n in range(1203))
        db.session.commit()
    response = admin.client.client.get("/caseworker/audit/export.csv?action=view", buffered=False)
    assert response.is_streamed
    chunks = list(response.response)
    assert len(chunks) >= 3
    listed = read_csv(b"".join(c if isinstance(c, bytes) else c.encode() for c in chunks))
    assert len(listed) == 1203
    assert listed[0]["When (UTC)"] > listed[-1]["When (UTC)"]
    response.close()


def test_a_csv_download_with_wrong_filters_goes_back_to_the_log_page(admin: Admin) -> None:
    response = admin.client.get("/caseworker/audit/export.csv?action=view&to-day=40&to-month=1&to-year=2026")
    assert response.status == 302
    assert location(response) == "/caseworker/audit?action=view&to-day=40&to-month=1&to-year=2026"
    assert audit_events(admin.app, "export") == []
    page = admin.client.follow(response)
    assert page.error_summary() == [("#to-day", "Date to must be a real date")]
