"""Monthly paper counts: the CSV checks (line numbers, nothing half-imported, idempotent), the
`paper-counts import` command, the shipped illustrative file, and the screens (who may record for
which entries, one month at a time or by upload, errors GOV.UK style, changes in the audit log)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from forms_engine.config import ROOT
from forms_engine.extensions import db
from forms_engine.reporting import paper_counts
from forms_engine.reporting.models import PaperCount, PaperForm

from ..caseworker.conftest import audit_events, create_user, sign_in
from ..conftest import make_app
from ..helpers import BrowserClient, location
from .staff import BADGER, entry_id, signed_in, staff_app_in


@pytest.fixture
def staff_app(tmp_path: Path) -> Iterator[Flask]:
    yield from staff_app_in(tmp_path)


SHIPPED_COUNTS = ROOT / "form_definitions" / "register" / "paper-counts.csv"
TODAY = date(2026, 11, 22)


def counts(app: Flask) -> dict[tuple[str, str], int]:
    with app.app_context():
        rows = db.session.execute(
            select(PaperForm.reference, PaperCount.month, PaperCount.count).join(
                PaperForm, PaperForm.id == PaperCount.paper_form_id
            )
        ).all()
        db.session.remove()
    return {(reference, month.isoformat()[:7]): count for reference, month, count in rows}


def problems_of(app: Flask, text: str, **options: Any) -> list[tuple[int, str]]:
    with app.app_context():
        with pytest.raises(paper_counts.PaperCountError) as caught:
            paper_counts.parse_counts_csv(text, paper_counts.register_by_reference(), today=TODAY, **options)
        db.session.remove()
    return [(p.line, p.message) for p in caught.value.problems]


# -- the file ---------------------------------------------------------------------------------------


def test_every_problem_in_a_file_is_reported_with_its_line(staff_app: Flask) -> None:
    text = (
        "# a comment, then a blank line\n"
        "\n"
        "reference,month,count\n"
        "IRA82,2026-03,120\n"
        "NOPE1,2026-03,5\n"
        "A24,2026-13,5\n"
        "A24,March 2026,5\n"
        "RLE1,2026-12,5\n"
        "RLE1,2026-02,-4\n"
        "RLE1,2026-02,lots\n"
        "ira82,2026-03,121\n"
        "IRA82,2026-04\n"
    )
    assert problems_of(staff_app, text) == [
        (5, "unknown reference 'NOPE1': not in the paper-form register"),
        (6, "month '2026-13' is not a month in the form YYYY-MM"),
        (7, "month 'March 2026' is not a month in the form YYYY-MM"),
        (8, "month 2026-12 is in the future"),
        (9, "count '-4' is not a whole number of 0 or more"),
        (10, "count 'lots' is not a whole number of 0 or more"),
        (11, "IRA82 2026-03 is already counted at line 4"),
        (12, "expected 3 cells (reference,month,count), found 2"),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", [(1, "the file is empty: it needs a header row reference,month,count")]),
        ("# only a comment\n", [(1, "the file is empty: it needs a header row reference,month,count")]),
        (
            "# c\nref,month,count\n",
            [(2, "the header row must be reference,month,count (found ref,month,count)")],
        ),
        (
            "reference,count,month\n",
            [(1, "the header row must be reference,month,count (found reference,count,month)")],
        ),
    ],
)
def test_a_file_without_the_right_header_is_refused(
    staff_app: Flask, text: str, expected: list[tuple[int, str]]
) -> None:
    assert problems_of(staff_app, text) == expected


def test_counts_may_have_thousands_separators_and_a_byte_order_mark(staff_app: Flask) -> None:
    text = paper_counts.read_text('\ufeffreference,month,count\nIRA82,2026-03,"1,200"\n'.encode(), "f.csv")
    with staff_app.app_context():
        rows = paper_counts.parse_counts_csv(text, paper_counts.register_by_reference(), today=TODAY)
    assert [(r.reference, r.month, r.count, r.line) for r in rows] == [("IRA82", date(2026, 3, 1), 1200, 2)]
    with pytest.raises(paper_counts.PaperCountError) as caught:
        paper_counts.read_text(b"reference,month,count\nIRA82,2026-03,\xff\n", "f.csv")
    assert caught.value.problems[0].message.startswith("not UTF-8 text")


def test_a_file_with_one_bad_line_imports_nothing(staff_app: Flask) -> None:
    text = "reference,month,count\nIRA82,2026-03,120\nA24,2026-03,x\n"
    with staff_app.app_context():
        with pytest.raises(paper_counts.PaperCountError):
            paper_counts.import_counts_text(text, "test", today=TODAY)
        db.session.remove()
    assert counts(staff_app) == {}


def test_importing_twice_changes_nothing_and_an_overwrite_is_an_audited_update(staff_app: Flask) -> None:
    text = "reference,month,count\nIRA82,2026-03,120\nA24,2026-03,40\n"
    with staff_app.app_context():
        first = paper_counts.import_counts_text(text, "cli:test", today=TODAY)
        second = paper_counts.import_counts_text(text, "cli:test", today=TODAY)
        changed = paper_counts.import_counts_text(
            "reference,month,count\nIRA82,2026-03,125\nA24,2026-03,40\n", "cli:test", today=TODAY
        )
        db.session.remove()
    assert (len(first.inserted), len(first.updated), len(first.unchanged)) == (2, 0, 0)
    assert (len(second.inserted), len(second.updated), len(second.unchanged)) == (0, 0, 2)
    assert (len(changed.inserted), len(changed.updated), len(changed.unchanged)) == (0, 1, 1)
    assert counts(staff_app) == {("IRA82", "2026-03"): 125, ("A24", "2026-03"): 40}
    events = audit_events(staff_app, "paper-counts-import")
    assert len(events) == 2  # the second import changed nothing
    assert events[0]["detail"] == {"recorded": 2, "updated": [], "unchanged": 0}
    assert events[1]["detail"] == {
        "recorded": 0,
        "updated": [{"reference": "IRA82", "month": "2026-03", "count": 125, "previous": 120}],
        "unchanged": 1,
    }
    assert events[1]["actor_email"] == "cli:test"


def test_the_shipped_illustrative_counts_match_the_shipped_register(staff_app: Flask) -> None:
    text = SHIPPED_COUNTS.read_text(encoding="utf-8")
    assert text.startswith("# ILLUSTRATIVE DATA")
    with staff_app.app_context():
        rows = paper_counts.parse_counts_csv(text, paper_counts.register_by_reference())
        db.session.remove()
    assert {row.reference for row in rows} >= {"IRA82", "A24", "RLE1"}  # the three example forms


# -- the command ------------------------------------------------------------------------------------


def test_the_command_imports_a_file_once_and_reports_problems_with_lines(
    staff_app: Flask, tmp_path: Path
) -> None:
    good = tmp_path / "good.csv"
    good.write_text("reference,month,count\nIRA82,2026-01,10\nRLE1,2026-01,20\n", encoding="utf-8")
    runner = staff_app.test_cli_runner()
    result = runner.invoke(args=["paper-counts", "import", str(good)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"{good}: 2 recorded, 0 updated, 0 unchanged"
    again = runner.invoke(args=["paper-counts", "import", str(good)])
    assert again.output.strip() == f"{good}: 0 recorded, 0 updated, 2 unchanged"
    skipped = runner.invoke(args=["paper-counts", "import", "--if-empty", str(good)])
    assert "not imported" in skipped.output

    bad = tmp_path / "bad.csv"
    bad.write_text("reference,month,count\nIRA82,2026-02,10\nXX9,2026-02,1\n", encoding="utf-8")
    failed = runner.invoke(args=["paper-counts", "import", str(bad)])
    assert failed.exit_code == 1
    assert f"{bad}:3: unknown reference 'XX9': not in the paper-form register" in failed.output
    assert "nothing imported (1 problem(s))" in failed.output
    missing = runner.invoke(args=["paper-counts", "import", str(tmp_path / "none.csv")])
    assert missing.exit_code == 1 and "file not found" in missing.output
    assert counts(staff_app) == {("IRA82", "2026-01"): 10, ("RLE1", "2026-01"): 20}


# -- the screens ------------------------------------------------------------------------------------


def test_a_caseworker_sees_their_organisations_entries_and_those_of_forms_they_can_see(
    staff_app: Flask,
) -> None:
    client = signed_in(staff_app, "caseworker", "APHA", forms=[BADGER])
    page = client.get("/reports/paper-counts")
    assert page.status == 200
    assert page.h1 == "Monthly paper counts"
    references = [
        th.get_text(strip=True).removesuffix("(record a count)") for th in page.soup.select("tbody th")
    ]
    with staff_app.app_context():
        apha = set(db.session.scalars(select(PaperForm.reference).where(PaperForm.organisation == "APHA")))
        db.session.remove()
    assert set(references) == apha | {"A24"}  # A24 is NE's, linked to the badger form they can see
    assert "RLE1" not in references
    assert client.get(f"/reports/paper-counts/{entry_id(staff_app, 'RLE1')}").status == 404
    assert client.post(f"/reports/paper-counts/{entry_id(staff_app, 'RLE1')}", {"count": "1"}).status == 404


@pytest.mark.parametrize(("role", "status"), [("designer", 404), ("lead", 200), ("admin", 200)])
def test_who_may_open_the_paper_count_screens(staff_app: Flask, role: str, status: int) -> None:
    client = signed_in(staff_app, role, "RPA")
    assert client.get("/reports/paper-counts").status == status
    assert client.get(f"/reports/paper-counts/{entry_id(staff_app, 'RLE1')}").status == status
    assert client.get("/reports/paper-counts/upload").status == status


def test_signed_out_browsers_are_sent_to_sign_in(staff_app: Flask) -> None:
    from ..helpers import BrowserClient

    response = BrowserClient(staff_app).get("/reports/paper-counts")
    assert response.status == 302
    assert location(response).startswith("/caseworker/sign-in")


def test_recording_a_month_then_changing_it_is_audited(staff_app: Flask) -> None:
    client = signed_in(staff_app, "caseworker", "RPA")
    url = f"/reports/paper-counts/{entry_id(staff_app, 'RLE1')}"
    client.get(url)
    response = client.post(url, {"month-month": "3", "month-year": "2025", "count": "1,200"})
    assert response.status == 302 and location(response) == url
    page = client.follow(response)
    assert (
        page.soup.select_one(".govuk-notification-banner")
        .get_text(" ", strip=True)
        .endswith("1,200 paper forms recorded for March 2025")
    )
    assert [td.get_text(strip=True) for td in page.soup.select("tbody tr")[0].select("th, td")] == [
        "March 2025",
        "1,200",
        "caseworker-rpa-0@example.gov.uk",
    ]
    client.post(url, {"month-month": "03", "month-year": "2025", "count": "1150"})
    assert counts(staff_app) == {("RLE1", "2025-03"): 1150}
    recorded = audit_events(staff_app, "paper-count-recorded")
    updated = audit_events(staff_app, "paper-count-updated")
    assert [e["detail"] for e in recorded] == [{"reference": "RLE1", "month": "2025-03", "count": 1200}]
    assert [e["detail"] for e in updated] == [
        {"reference": "RLE1", "month": "2025-03", "count": 1150, "previous": 1200}
    ]
    assert updated[0]["actor_email"] == "caseworker-rpa-0@example.gov.uk"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {},
            [
                ("#month-month", "Enter the month the paper forms arrived in"),
                ("#count", "Enter how many paper forms arrived, or 0 if none did"),
            ],
        ),
        ({"month-month": "3", "count": "5"}, [("#month-year", "Month must include a year")]),
        ({"month-year": "2025", "count": "5"}, [("#month-month", "Month must include a month")]),
        (
            {"month-month": "13", "month-year": "2025", "count": "5"},
            [("#month-month", "Month must be a real month, like 3 2025")],
        ),
        (
            {"month-month": "1", "month-year": "25", "count": "5"},
            [("#month-month", "Month must be a real month, like 3 2025")],
        ),
        (
            {"month-month": "1", "month-year": "2999", "count": "5"},
            [("#month-month", "Month must be this month or in the past")],
        ),
        (
            {"month-month": "1", "month-year": "2025", "count": "-1"},
            [("#count", "Number of paper forms must be a whole number, like 120")],
        ),
        (
            {"month-month": "1", "month-year": "2025", "count": "99999999"},
            [("#count", "Number of paper forms must be 10,000,000 or fewer")],
        ),
    ],
)
def test_a_month_or_count_that_is_not_right_gets_a_gov_uk_error(
    staff_app: Flask, data: dict[str, str], expected: list[tuple[str, str]]
) -> None:
    client = signed_in(staff_app, "admin")
    url = f"/reports/paper-counts/{entry_id(staff_app, 'IRA82')}"
    client.get(url)
    page = client.post(url, data)
    assert page.status == 200
    assert page.title.startswith("Error: ")
    assert page.error_summary() == expected
    for href, _message in expected:
        assert page.soup.select_one(href) is not None
    assert counts(staff_app) == {}


def upload(client: Any, text: bytes, name: str = "counts.csv") -> Any:
    client.get("/reports/paper-counts/upload")
    return client.post(
        "/reports/paper-counts/upload",
        {"file": (io.BytesIO(text), name)},
        content_type="multipart/form-data",
    )


def test_uploading_a_file_imports_it_and_a_bad_file_is_listed_line_by_line(staff_app: Flask) -> None:
    client = signed_in(staff_app, "admin")
    bad = upload(client, b"reference,month,count\nIRA82,2025-03,10\nIRA82,2025-3,10\nZZ,2025-03,1\n")
    assert bad.status == 200
    assert bad.error_summary() == [
        ("#file", "Line 3: month '2025-3' is not a month in the form YYYY-MM"),
        ("#file", "Line 4: unknown reference 'ZZ': not in the paper-form register"),
    ]
    assert bad.error_messages() == ["The file has 2 problem(s): nothing was imported"]
    assert counts(staff_app) == {}
    good = upload(client, b"reference,month,count\nIRA82,2025-03,10\nRLE1,2025-03,7\n")
    assert good.status == 302 and location(good) == "/reports/paper-counts"
    banner = client.follow(good).soup.select_one(".govuk-notification-banner").get_text(" ", strip=True)
    assert "counts.csv imported: 2 recorded, 0 updated, 0 unchanged" in banner
    assert counts(staff_app) == {("IRA82", "2025-03"): 10, ("RLE1", "2025-03"): 7}
    nothing = client.post("/reports/paper-counts/upload", {}, content_type="multipart/form-data")
    assert nothing.error_summary() == [("#file", "Select a CSV file")]


def test_an_upload_cannot_record_for_entries_the_account_may_not(staff_app: Flask) -> None:
    client = signed_in(staff_app, "caseworker", "RPA")
    page = upload(client, b"reference,month,count\nRLE1,2025-03,10\nIRA82,2025-03,10\n")
    assert page.error_summary() == [
        ("#file", "Line 3: unknown reference 'IRA82': not in the paper-form register")
    ]
    assert counts(staff_app) == {}


def test_caseworkers_find_the_paper_counts_from_the_staff_navigation(tmp_path: Path) -> None:
    """Caseworkers record paper counts but do not see the reports: the navigation offers them the
    counts; admins and leads reach the counts from the reports dashboard."""
    app = make_app(f"sqlite:///{tmp_path / 'nav.sqlite'}")
    create_user(app, "nav-caseworker@example.gov.uk", role="caseworker", organisation="APHA")
    client = BrowserClient(app)
    assert sign_in(client, "nav-caseworker@example.gov.uk").status == 302
    home = client.get("/caseworker/")
    links = {a.get_text(strip=True): a["href"] for a in home.soup.select(".govuk-service-navigation__link")}
    assert links.get("Monthly paper counts") == "/reports/paper-counts"
    assert "Reports" not in links
    assert client.get("/reports/paper-counts").status == 200
